import { describe, expect, it } from 'vitest';
import { callIsOver, InactivityPause } from './state.js';

describe('InactivityPause', () => {
  it('holds from an explicit pause until its duration is over', () => {
    const pause = new InactivityPause();
    expect(pause.holdsUntil(0)).toBeUndefined();
    pause.paused({ duration_seconds: 60 }, 1_000);
    expect(pause.holdsUntil(1_000)).toBe(61_000);
    expect(pause.holdsUntil(60_999)).toBe(61_000);
    expect(pause.holdsUntil(61_000)).toBeUndefined();
  });

  it('is extended by a later pause, never shortened', () => {
    const pause = new InactivityPause();
    pause.paused({ duration_seconds: 600 }, 0);
    pause.paused({ duration_seconds: 10 }, 5_000);
    expect(pause.holdsUntil(20_000)).toBe(600_000);
    pause.paused({ duration_seconds: 600 }, 100_000);
    expect(pause.holdsUntil(650_000)).toBe(700_000);
  });

  it('ignores a payload without a positive duration, and carries its end across continue-as-new', () => {
    const pause = new InactivityPause();
    pause.paused({}, 0);
    pause.paused({ duration_seconds: -1 }, 0);
    pause.paused(null, 0);
    expect(pause.carry()).toBeUndefined();
    pause.paused({ duration_seconds: 30 }, 0);
    expect(new InactivityPause(pause.carry()).holdsUntil(29_999)).toBe(30_000);
  });

  it('ends at an explicit resume (or the end of the call), and a later pause starts afresh', () => {
    const pause = new InactivityPause();
    pause.paused({ duration_seconds: 600 }, 0);
    pause.lifted();
    expect(pause.holdsUntil(1_000)).toBeUndefined();
    expect(pause.carry()).toBeUndefined();
    pause.paused({ duration_seconds: 10 }, 2_000);
    expect(pause.holdsUntil(3_000)).toBe(12_000);
  });
});

describe('callIsOver', () => {
  it("is true for Twilio's final call statuses only", () => {
    const at = (status: string) => callIsOver({ callSid: 'CA1', status, at: 0 });
    expect(['completed', 'busy', 'no-answer', 'failed', 'canceled'].every(at)).toBe(true);
    expect(['queued', 'ringing', 'in-progress'].some(at)).toBe(false);
  });
});
