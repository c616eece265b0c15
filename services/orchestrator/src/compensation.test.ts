/**
 * The sandbox compensation workflow with its database activities, through a real Temporal dev
 * server and Postgres. The provider workers are fakes on their real task queues (the workflow
 * routes undo operations by family): they are outside the unit, and their undo operations are
 * tested in the workers' own suites.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CompensationReport, type ProviderCall, workflowBundlePath } from '@switchboard/chains';
import { TaskQueues } from '@switchboard/contracts';
import {
  createPool,
  createTenant,
  listSandboxEffects,
  migrate,
  recordSandboxEffect,
  type SandboxEffectInput,
} from '@switchboard/db';
import { type PostgresServer, startPostgres, startTemporal, type TemporalServer } from '@switchboard/devstack';
import { Client, Connection } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { NativeConnection, Runtime, Worker } from '@temporalio/worker';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCompensation, startCompensationWorkflow } from './compensation.js';
import { createSandboxCompensationActivities } from './sandbox.activities.js';

const CHAINS = 'compensation-test-chains';

let dir: string;
let temporal: TemporalServer;
let postgres: PostgresServer;
let db: pg.Pool;
let connection: NativeConnection;
let clientConnection: Connection;
let client: Client;
let tenantId: string;
let otherTenantId: string;

/** What the fake providers were asked to undo, in order; `fail` makes one operation fail. */
const calls: ProviderCall[] = [];
const behaviour: { fail: Map<string, string>; gate?: Promise<void> } = { fail: new Map() };

function fakeUndo(call: ProviderCall): Promise<unknown> {
  calls.push(call);
  const ref = JSON.stringify(call.payload);
  const failure = behaviour.fail.get(ref);
  if (failure !== undefined) {
    throw ApplicationFailure.create({ type: failure, message: `${failure} for ${ref}`, nonRetryable: true });
  }
  return behaviour.gate?.then(() => ({ ok: true })) ?? Promise.resolve({ ok: true });
}

beforeAll(async () => {
  Runtime.install({ logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} } as never });
  dir = mkdtempSync(join(tmpdir(), 'switchboard-compensation-'));
  chmodSync(dir, 0o755);
  [temporal, postgres] = await Promise.all([
    startTemporal({ logDir: join(dir, 'logs') }),
    startPostgres({ dataDir: join(dir, 'pg'), logDir: join(dir, 'logs'), ephemeral: true }),
  ]);
  db = createPool(postgres.url);
  db.on('error', () => {});
  await migrate(db);
  tenantId = (await createTenant(db, 'compensation')).id;
  otherTenantId = (await createTenant(db, 'other')).id;
  connection = await NativeConnection.connect({ address: temporal.address });
  clientConnection = await Connection.connect({ address: temporal.address });
  client = new Client({ connection: clientConnection });
}, 120_000);

afterAll(async () => {
  await clientConnection?.close();
  await connection?.close();
  await db?.end();
  await Promise.all([temporal?.stop(), postgres?.stop()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Runs the chains worker (bundle + database activities) and fake Cal.com / CRM workers around `fn`. */
async function withWorkers<T>(fn: () => Promise<T>): Promise<T> {
  const chains = await Worker.create({
    connection,
    taskQueue: CHAINS,
    workflowBundle: { codePath: workflowBundlePath },
    activities: createSandboxCompensationActivities({ db }),
  });
  const calcom = await Worker.create({
    connection,
    taskQueue: TaskQueues.Calcom,
    activities: { 'calcom.cancel': fakeUndo, 'calcom.reschedule': fakeUndo },
  });
  const crm = await Worker.create({
    connection,
    taskQueue: TaskQueues.Crm,
    activities: { 'crm.archive_ticket': fakeUndo, 'crm.archive_contact': fakeUndo },
  });
  return chains.runUntil(calcom.runUntil(crm.runUntil(fn())));
}

let seq = 0;
/** Records effects in order for a fresh conversation; returns its id. */
async function conversationWith(
  effects: (Pick<SandboxEffectInput, 'operation' | 'provider'> &
    ({ undo: { operation: string; payload: { ref: string } } } | { irreversible: string }))[],
  tenant = tenantId,
  conversationId = `conv_comp${++seq}`,
): Promise<string> {
  for (const [i, e] of effects.entries()) {
    await recordSandboxEffect(db, {
      ...e,
      tenantId: tenant,
      conversationId,
      intentId: `int_${conversationId}_${i}`,
      stepPointer: '/actions/0',
      description: `effect ${i}`,
    });
  }
  return conversationId;
}

const undoOf = (operation: string, ref: string) => ({ undo: { operation, payload: { ref } } });
const refs = (report: CompensationReport, key: keyof CompensationReport) => report[key].map((i) => i.description);
const run = async (conversationId: string): Promise<CompensationReport> =>
  (await startCompensationWorkflow({ temporal: client, taskQueue: CHAINS }, { tenantId, conversationId })).result();

describe('sandbox compensation', () => {
  it('undoes newest first, reports irreversible and failed effects, and marks every row', async () => {
    calls.length = 0;
    behaviour.fail = new Map([[JSON.stringify({ ref: 'contact-1' }), 'provider_rejected']]);
    const conv = await conversationWith([
      { operation: 'calcom.book', provider: 'calcom', ...undoOf('calcom.cancel', 'booking-1') },
      { operation: 'crm.update', provider: 'hubspot', ...undoOf('crm.archive_contact', 'contact-1') },
      { operation: 'sms.send', provider: 'twilio', irreversible: 'a sent SMS cannot be recalled' },
      { operation: 'crm.ticket', provider: 'hubspot', ...undoOf('crm.archive_ticket', 'ticket-1') },
      { operation: 'x.made', provider: 'x', ...undoOf('nowhere.undo', 'x-1') },
    ]);
    // The same conversation id in another tenant is another conversation.
    await conversationWith(
      [{ operation: 'calcom.book', provider: 'calcom', ...undoOf('calcom.cancel', 'foreign') }],
      otherTenantId,
      conv,
    );

    const report = await withWorkers(() => run(conv));
    expect(refs(report, 'undone')).toEqual(['effect 3', 'effect 0']);
    expect(refs(report, 'irreversible')).toEqual(['effect 2']);
    expect(report.irreversible[0]?.reason).toBe('a sent SMS cannot be recalled');
    expect(refs(report, 'failed')).toEqual(['effect 4', 'effect 1']);
    expect(report.failed[0]?.reason).toContain('unsupported_undo');
    expect(report.failed[1]?.reason).toMatch(/^provider_rejected: /);
    expect(calls.map((c) => `${c.operation} ${JSON.stringify(c.payload)}`)).toEqual([
      'crm.archive_ticket {"ref":"ticket-1"}',
      'crm.archive_contact {"ref":"contact-1"}',
      'calcom.cancel {"ref":"booking-1"}',
    ]);
    // Undo calls are ordinary calls on their own step key, never recorded as effects themselves.
    expect(calls.every((c) => c.sandbox === false && c.stepPointer === '/actions/0#undo')).toBe(true);
    expect((await listSandboxEffects(db, tenantId, conv)).map((e) => e.state)).toEqual([
      'undone',
      'failed',
      'irreversible',
      'undone',
      'failed',
    ]);
    expect((await listSandboxEffects(db, otherTenantId, conv)).map((e) => e.state)).toEqual(['pending']);

    // Run again once the provider accepts: only the failed rows are tried, the undone ones stay.
    calls.length = 0;
    behaviour.fail = new Map();
    const again = await withWorkers(() => run(conv));
    expect(refs(again, 'undone')).toEqual(['effect 1']);
    expect(refs(again, 'failed')).toEqual(['effect 4']);
    expect(calls.map((c) => c.operation)).toEqual(['crm.archive_contact']);
  });

  it('counts an effect already gone at the provider as undone, and finds nothing left the second time', async () => {
    calls.length = 0;
    behaviour.fail = new Map([[JSON.stringify({ ref: 'gone-1' }), 'provider_not_found']]);
    const conv = await conversationWith([
      { operation: 'crm.ticket', provider: 'hubspot', ...undoOf('crm.archive_ticket', 'gone-1') },
    ]);
    const first = await withWorkers(() => run(conv));
    expect(first.undone).toEqual([
      expect.objectContaining({ description: 'effect 0', reason: 'already gone at the provider' }),
    ]);
    const second = await withWorkers(() => run(conv));
    expect(second).toEqual({ undone: [], irreversible: [], failed: [] });
    expect(calls).toHaveLength(1);
  });

  it('joins the compensation already running for a conversation instead of starting another', async () => {
    calls.length = 0;
    behaviour.fail = new Map();
    let open = () => {};
    behaviour.gate = new Promise<void>((r) => {
      open = r;
    });
    const conv = await conversationWith([
      { operation: 'calcom.book', provider: 'calcom', ...undoOf('calcom.cancel', 'slow-1') },
    ]);
    try {
      await withWorkers(async () => {
        const deps = { temporal: client, taskQueue: CHAINS };
        const first = await startCompensationWorkflow(deps, { tenantId, conversationId: conv, controlId: 'ctl_a' });
        await startCompensation(deps, { tenantId, conversationId: conv, controlId: 'ctl_b' });
        const joined = await startCompensationWorkflow(deps, { tenantId, conversationId: conv });
        expect((await joined.describe()).runId).toBe((await first.describe()).runId);
        open();
        expect(refs(await first.result(), 'undone')).toEqual(['effect 0']);
      });
    } finally {
      behaviour.gate = undefined;
    }
    expect(calls).toHaveLength(1);
  });
});
