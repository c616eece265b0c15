/**
 * What the stuck-run sweeper decides when it cannot be sure, against a real NATS: a run whose
 * conversation still has a message in the intents stream is left alone (it may be on its way),
 * and so is one whose session Temporal cannot be asked about. The decisions that end runs are
 * tested end to end (`test/src/e2e/stuck-runs.test.ts`).
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Bus, connectBus, ensureStreams, publishDurable } from '@switchboard/bus';
import type { Logger } from '@switchboard/common';
import { Subjects } from '@switchboard/contracts';
import { IdPrefixes, newId, type OverdueRun, type Pool } from '@switchboard/db';
import { type NatsServer, startNats } from '@switchboard/devstack';
import { trace } from '@switchboard/telemetry';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StuckRunSweeper } from './stuck-runs.js';

let dir: string;
let nats: NatsServer;
let bus: Bus;
let sweeper: StuckRunSweeper;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'switchboard-stuck-runs-'));
  chmodSync(dir, 0o755);
  nats = await startNats({ storeDir: join(dir, 'nats'), logDir: dir });
  bus = await connectBus(nats.url, { name: 'stuck-runs-test', reconnectForever: false });
  await ensureStreams(bus.jsm);
  sweeper = new StuckRunSweeper({
    // Nothing here reaches the database or publishes: deciding is all these cases do.
    db: {} as Pool,
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
  });
}, 60_000);

afterAll(async () => {
  await bus?.close();
  await nats?.stop();
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
    expect(verdict).toMatchObject({ action: 'keep', reason: 'undecidable' });
    expect((verdict as { detail?: string }).detail).toMatch(/^describe: /);
  }, 30_000);
});
