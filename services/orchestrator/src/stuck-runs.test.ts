/**
 * What the stuck-run sweeper decides when it cannot be sure, against a real NATS and Postgres:
 * a run whose conversation still has a message in the intents stream is left alone (it may be on
 * its way), and so is one whose session Temporal cannot be asked about; runs it leaves alone do
 * not keep it from looking at the others. The decisions that end runs are tested end to end
 * (`test/src/e2e/stuck-runs.test.ts`).
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Bus, connectBus, ensureStreams, publishDurable } from '@switchboard/bus';
import type { Logger } from '@switchboard/common';
import { Subjects } from '@switchboard/contracts';
import {
  createConversation,
  createPool,
  createTenant,
  IdPrefixes,
  insertAcceptedRun,
  migrate,
  newId,
  type OverdueRun,
  type Pool,
  upsertAgent,
} from '@switchboard/db';
import { type NatsServer, type PostgresServer, startNats, startPostgres } from '@switchboard/devstack';
import { trace } from '@switchboard/telemetry';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StuckRunSweeper } from './stuck-runs.js';

let dir: string;
let nats: NatsServer;
let postgres: PostgresServer;
let db: Pool;
let bus: Bus;
let sweeper: StuckRunSweeper;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'switchboard-stuck-runs-'));
  chmodSync(dir, 0o755);
  [nats, postgres] = await Promise.all([
    startNats({ storeDir: join(dir, 'nats'), logDir: dir }),
    startPostgres({ dataDir: join(dir, 'pg'), logDir: dir, ephemeral: true }),
  ]);
  db = createPool(postgres.url);
  db.on('error', () => {});
  await migrate(db);
  bus = await connectBus(nats.url, { name: 'stuck-runs-test', reconnectForever: false });
  await ensureStreams(bus.jsm);
  sweeper = new StuckRunSweeper({
    db,
    bus,
    // A Temporal nobody serves: asking it fails.
    temporal: new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) }),
    tracer: trace.getTracer('test'),
    log: { warn: () => {} } as unknown as Logger,
    publishOutcome: async () => {
      throw new Error('nothing may be published');
    },
    overdueMs: 0,
    temporalTimeoutMs: 500,
    batch: 2,
  });
}, 60_000);

afterAll(async () => {
  await bus?.close();
  await db?.end();
  await Promise.all([nats?.stop(), postgres?.stop()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function overdue(conversationId: string): OverdueRun {
  return {
    intentId: newId(IdPrefixes.Intent),
    tenantId: 'ten_stuck',
    conversationId,
    actionName: 'x',
    status: 'accepted',
    acceptedAt: new Date(Date.now() - 3_600_000),
    deadlineAt: new Date(Date.now() - 1_800_000),
    deadlineAtExact: new Date(Date.now() - 1_800_000).toISOString().replace('Z', '000Z'),
    traceId: null,
  };
}

describe('the stuck-run sweeper', () => {
  it('leaves a run alone while a message of its conversation waits in the intents stream', async () => {
    const run = overdue(newId(IdPrefixes.Conversation));
    await publishDurable(
      bus.js,
      Subjects.intent(run.tenantId, run.conversationId),
      new Uint8Array([1]),
      `waiting-${run.intentId}`,
      { traceparent: '', tracestate: '' },
    );
    expect(await sweeper.decide(run)).toEqual({ action: 'keep', reason: 'queued_on_bus' });
  });

  it('decides nothing when Temporal cannot say whether the session has the intent', async () => {
    const verdict = await sweeper.decide(overdue(newId(IdPrefixes.Conversation)));
    expect(verdict).toMatchObject({ action: 'keep', reason: 'undecidable', unreachable: true });
    expect((verdict as { detail?: string }).detail).toMatch(/^describe: /);
  }, 30_000);

  it('goes on past the runs it leaves alone, a batch per sweep, and starts over at the end', async () => {
    const tenant = await createTenant(db, 'stuck');
    const agent = await upsertAgent(db, tenant.id, 'a', '');
    const runs: string[] = [];
    for (let i = 0; i < 3; i++) {
      const conversation = await createConversation(db, tenant.id, agent.id);
      const intentId = newId(IdPrefixes.Intent);
      // Overdue by 3, 2 and 1 hours; each conversation has a message waiting on the bus.
      await insertAcceptedRun(db, {
        intentId,
        tenantId: tenant.id,
        conversationId: conversation.id,
        actionName: 'x',
        arguments: {},
        traceId: null,
        deadlineAfterMs: -(3 - i) * 3_600_000,
      });
      await publishDurable(
        bus.js,
        Subjects.intent(tenant.id, conversation.id),
        new Uint8Array([1]),
        `waiting-${intentId}`,
        { traceparent: '', tracestate: '' },
      );
      runs.push(intentId);
    }
    const examined: number[] = [];
    for (let sweep = 0; sweep < 3; sweep++) {
      const report = await sweeper.sweep();
      expect(report).toMatchObject({ skipped: false, abandoned: [] });
      expect(report.kept.queued_on_bus).toBe(report.examined);
      examined.push(report.examined);
    }
    // Two most overdue, then the third, then from the start again.
    expect(examined).toEqual([2, 1, 2]);
  });
});
