import { describe, expect, it } from 'vitest';
import { handoffOf } from './handoffs.js';

const event = (seq: number, kind: string, data: Record<string, unknown>) => ({ seq, kind, data, atMs: seq });

describe('handoffOf', () => {
  const events = [
    event(0, 'accepted', { action: 'go' }),
    event(1, 'handoff', { target: 'billing', message: 'One moment' }),
    event(2, 'respond', { message: 'hi' }),
    event(3, 'handoff', { target: 'support', topic: 'refunds' }),
  ];

  it("is the run's last handoff, with its topic", () => {
    expect(handoffOf({ status: 'succeeded', events })).toEqual({ target: 'support', topic: 'refunds' });
    expect(handoffOf({ status: 'succeeded', events: events.slice(0, 3) })).toEqual({ target: 'billing' });
  });

  it('holds for a failed run (its state changes are kept too), never for a cancelled one', () => {
    expect(handoffOf({ status: 'failed', events })).toEqual({ target: 'support', topic: 'refunds' });
    expect(handoffOf({ status: 'cancelled', events })).toBeUndefined();
  });

  it('is none without a handoff event or with a malformed one', () => {
    expect(handoffOf({ status: 'succeeded', events: events.slice(0, 1) })).toBeUndefined();
    expect(handoffOf({ status: 'succeeded', events: [event(0, 'handoff', { target: 7 })] })).toBeUndefined();
  });
});
