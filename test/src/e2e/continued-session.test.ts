/**
 * One conversation across two continue-as-new boundaries of its session workflow (it continues
 * every 100 intents), through every process: the public API, NATS, the orchestrator, Temporal,
 * the webhook worker and the sink. The session carries its de-duplication ids, pending and
 * parked intents, controls and chain state into each next run; the README's exactly-once claim
 * rests on that. The drive is `support/long-conversation.ts` (the history recorder runs the same
 * one, so the replay corpus holds a continued session).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  driveLongConversation,
  INTENTS_PER_RUN,
  type LedgerCall,
  type LongConversation,
  ledgerDeliveries,
} from '../support/long-conversation.js';
import { startTestStack, type TestStack } from '../support/stack.js';

let stack: TestStack;
let connection: Connection;
let drive: LongConversation;
let driveMs: number;

beforeAll(async () => {
  stack = await startTestStack(mkdtempSync(join(tmpdir(), 'switchboard-e2e-continued-')), { exportSpans: false });
  connection = await Connection.connect({ address: stack.infra.temporalAddress });
  const started = Date.now();
  drive = await driveLongConversation(stack, new Client({ connection }));
  driveMs = Date.now() - started;
  console.info(`continued session: ${drive.calls.length} calls over ${drive.runs.length} runs in ${driveMs} ms`);
}, 300_000);

afterAll(async () => {
  await connection?.close();
  await stack?.stop();
}, 60_000);

/** Where each call's effect is in the sink's log. */
function positions(): Map<LedgerCall, number> {
  const deliveries = ledgerDeliveries(stack);
  return new Map(
    drive.calls.map((c) => [c, deliveries.findIndex((d) => (c.kind === 'note' ? d.n === c.n : d.label === c.label))]),
  );
}

describe('a session continued-as-new twice', () => {
  it('ran more than 200 intents of one conversation in three runs of its session', async () => {
    expect(drive.calls.length).toBeGreaterThan(2 * INTENTS_PER_RUN);
    expect(drive.runs).toHaveLength(3);
    for (const runId of drive.runs.slice(0, 2)) {
      const run = await new Client({ connection }).workflow.getHandle(drive.workflowId, runId).describe();
      expect(run.status.name).toBe('CONTINUED_AS_NEW');
    }
    // Each next run started with calls still pending (a burst was arriving) and the parked commit.
    expect(drive.carried.map((c) => c.parked)).toEqual(drive.parked.map((p) => [p.intentId]));
    for (const c of drive.carried) expect(c.pending.length).toBeGreaterThan(0);
  });

  it('made every effect exactly once, in the order the conversation asked for them', () => {
    const deliveries = ledgerDeliveries(stack);
    // One delivery per note and commit: none lost at a boundary, none repeated by a redelivery.
    expect(deliveries).toHaveLength(drive.calls.length);
    const notes = drive.calls.filter((c) => c.kind === 'note').map((c) => c.n);
    expect(deliveries.flatMap((d) => (d.n === undefined ? [] : [d.n])).sort((a, b) => a - b)).toEqual(
      [...notes].sort((a, b) => (a ?? 0) - (b ?? 0)),
    );
    expect(deliveries.filter((d) => d.label !== undefined).map((d) => d.label)).toEqual(['A', 'B']);
    // The ledger (chain state) went on across both boundaries: the k-th note made entry k.
    const seen = deliveries.flatMap((d) => (d.seen === undefined ? [] : [d.seen]));
    expect(seen).toEqual(seen.map((_, i) => i + 1));
    // What each caller heard is the entry its effect made.
    const at = positions();
    for (const c of drive.calls.filter((call) => call.kind === 'note')) {
      expect(c.response.body.messages).toEqual([`Noted ${c.n} as entry ${deliveries[at.get(c) ?? -1]?.seen}.`]);
    }
    // A call answered before another was made had its effect first (concurrent ones in any order).
    const outOfOrder = drive.calls.flatMap((a) =>
      drive.calls
        .filter((b) => a.answered < b.sent && (at.get(a) ?? -1) >= (at.get(b) ?? -1))
        .map((b) => `${a.n ?? a.label} after ${b.n ?? b.label}`),
    );
    expect(outOfOrder).toEqual([]);
  });

  it('kept a confirmation waiting across each boundary, and ran it once when the user confirmed', () => {
    for (const p of drive.parked) {
      expect(p.asked.status).toBe(202);
      expect(p.asked.body).toMatchObject({ id: p.intentId, status: 'awaiting_confirmation' });
      expect(p.confirmedInRun).toBe(p.askedInRun + 1);
      // Its key sent again while it waited, from the next run: the same question, not a second call.
      expect(p.repeated.body).toMatchObject({ id: p.intentId, status: 'awaiting_confirmation' });
      expect(p.confirmed.body).toMatchObject({ id: p.intentId, status: 'succeeded' });
      const kinds = p.confirmed.body.events.map((e: { kind: string }) => e.kind);
      expect(kinds.filter((k: string) => k === 'confirmation_required')).toHaveLength(1);
      expect(p.confirmed.body.events.map((e: { seq: number }) => e.seq)).toEqual(
        kinds.map((_: string, i: number) => i),
      );
    }
  });

  it('answers a first-run Idempotency-Key after two boundaries from its outcome, and drops redelivered first-run intents', () => {
    const { first, repeated } = drive.repeatedKey;
    expect(repeated.status).toBe(200);
    expect(repeated.body).toMatchObject({ id: first.body.id, status: 'succeeded', messages: first.body.messages });
    // The session still knew the redelivered ids (carried twice): nothing ran again, nothing waits.
    expect(drive.redelivered).toHaveLength(2);
    expect(drive.finalSnapshot.recentIntentIds).toEqual(expect.arrayContaining(drive.redelivered));
    expect(drive.finalSnapshot.pending).toBe(0);
    expect(ledgerDeliveries(stack).filter((d) => d.n === 5 || d.label === 'A')).toHaveLength(2);
  });
});
