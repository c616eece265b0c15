import type { BookingLifecycleInput } from '@switchboard/contracts/temporal';
import { describe, expect, it } from 'vitest';
import type { OutcomeBatch, SessionActivities } from './activity-types.js';
import type { LifecycleStart } from './lifecycle-start.js';
import { createOutcomeThenLifecyclesActivities } from './outcome-then-lifecycles.js';

// The session's booking tail in one local activity must do what its three local activities
// did, in their order, and fail (be retried) only while the outcome is not out: a retry after
// it would publish the outcome and record its spans a second time.

const intent = { intentId: 'i1', tenantId: 't1', conversationId: 'c1', actionName: 'Send SMS', traceparent: '' };
const outcome: OutcomeBatch = {
  intent,
  first: false,
  events: [{ seq: 5, kind: 'call_control', data: { action: 'resume_inactivity' }, atMs: 1 }],
  final: { status: 'succeeded', messages: [], events: [], outputs: {}, startedAtMs: 0, finishedAtMs: 1 },
};
const booking = (uid: string) => ({ tenantId: 't1', bookingUid: uid }) as BookingLifecycleInput;
const started = (status: LifecycleStart['status']): LifecycleStart => ({ workflowId: 'w', status, subscribed: true });

function fakes(over: { start?: () => Promise<LifecycleStart[]>; failReport?: boolean } = {}) {
  const calls: string[] = [];
  const batches: OutcomeBatch[] = [];
  const session: Pick<SessionActivities, 'publishOutcome' | 'startBookingLifecycles'> = {
    async publishOutcome(batch) {
      calls.push(batch.final ? 'outcome' : 'report');
      if (!batch.final && over.failReport) throw new Error('nats down');
      batches.push(batch);
    },
    async startBookingLifecycles(inputs) {
      calls.push(`start ${inputs.length}`);
      return over.start ? over.start() : inputs.map(() => started('started'));
    },
  };
  return { calls, batches, session };
}

describe('publishOutcomeThenStartLifecycles', () => {
  it('publishes the outcome, starts the lifecycles, then reports each under the numbers it was given', async () => {
    const f = fakes({ start: async () => [started('started'), started('already_started')] });
    const a = createOutcomeThenLifecyclesActivities(f.session);
    const done = await a.publishOutcomeThenStartLifecycles({
      outcome,
      lifecycles: [booking('b1'), booking('b2')],
      reportSeq: 6,
    });
    expect(f.calls).toEqual(['outcome', 'start 2', 'report']);
    expect(done).toEqual({ started: [started('started'), started('already_started')], reported: true });
    const report = f.batches[1];
    expect(report?.first).toBe(false);
    expect(report?.events.map((e) => [e.seq, e.kind, e.data.message])).toEqual([
      [6, 'log', 'booking lifecycle started'],
      [7, 'log', 'booking lifecycle already running'],
    ]);
  });

  it('fails (to be retried) while the outcome is not out, and starts nothing', async () => {
    const f = fakes();
    f.session.publishOutcome = async () => {
      throw new Error('nats down');
    };
    const a = createOutcomeThenLifecyclesActivities(f.session);
    await expect(
      a.publishOutcomeThenStartLifecycles({ outcome, lifecycles: [booking('b1')], reportSeq: 6 }),
    ).rejects.toThrow('nats down');
    expect(f.calls).toEqual([]);
  });

  it('answers, not throws, once the outcome is out: a failed start is left to the session', async () => {
    const f = fakes({
      start: async () => {
        throw new Error('temporal unavailable');
      },
    });
    const a = createOutcomeThenLifecyclesActivities(f.session);
    const done = await a.publishOutcomeThenStartLifecycles({ outcome, lifecycles: [booking('b1')], reportSeq: 6 });
    expect(done).toEqual({ reported: false });
    expect(f.calls).toEqual(['outcome', 'start 1']);
  });

  it('leaves a start that takes longer than its budget to the session', async () => {
    const f = fakes({ start: () => new Promise(() => {}) });
    const a = createOutcomeThenLifecyclesActivities(f.session, 10);
    const done = await a.publishOutcomeThenStartLifecycles({ outcome, lifecycles: [booking('b1')], reportSeq: 6 });
    expect(done).toEqual({ reported: false });
  });

  it('says when the reports did not get out, so the session publishes them', async () => {
    const f = fakes({ failReport: true });
    const a = createOutcomeThenLifecyclesActivities(f.session);
    const done = await a.publishOutcomeThenStartLifecycles({ outcome, lifecycles: [booking('b1')], reportSeq: 6 });
    expect(done).toEqual({ started: [started('started')], reported: false });
    expect(f.calls).toEqual(['outcome', 'start 1', 'report']);
  });
});
