import { describe, expect, it } from 'vitest';
import { abandonEvents } from './stuck-runs.js';

const error = { code: 'run_abandoned', message: 'gone', retryable: false };

describe('abandonEvents', () => {
  it('is only `failed` when no event of the run went out (the runtime never paused for it)', () => {
    expect(abandonEvents(undefined, error, 1_000, undefined)).toEqual([
      { seq: 0, kind: 'failed', data: error, atMs: 1_000 },
    ]);
    expect(abandonEvents(undefined, error, 1_000, 9_000).map((e) => e.kind)).toEqual(['failed']);
  });

  it('ends the automatic pause with the automatic resume, numbered after the last event', () => {
    expect(abandonEvents(3, error, 1_000, undefined)).toEqual([
      { seq: 4, kind: 'failed', data: error, atMs: 1_000 },
      { seq: 5, kind: 'call_control', data: { action: 'resume_inactivity', automatic: true }, atMs: 1_000 },
    ]);
    // An explicit pause that is over by now no longer holds the resume back.
    expect(abandonEvents(3, error, 1_000, 1_000)[1]?.kind).toBe('call_control');
  });

  it('never sends the automatic resume while an explicit pause holds: a log says it stays paused', () => {
    expect(abandonEvents(3, error, 1_000, 61_000)).toEqual([
      { seq: 4, kind: 'failed', data: error, atMs: 1_000 },
      {
        seq: 5,
        kind: 'log',
        data: {
          level: 'info',
          message: 'inactivity timer left paused: an explicit pause holds',
          data: { until: new Date(61_000).toISOString() },
        },
        atMs: 1_000,
      },
    ]);
  });
});
