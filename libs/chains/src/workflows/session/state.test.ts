import { describe, expect, it } from 'vitest';
import { InactivityPause } from './state.js';

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
});
