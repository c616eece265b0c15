import type { RateCount } from '@switchboard/db';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type RateCounterSync, RateLimiter } from './rate-limiter.js';

const WINDOW = 60_000;

/** Shared counters with the semantics of `addRateCounts` (one row per key, window from its first addition). */
class MemoryCounters implements RateCounterSync {
  readonly rows = new Map<string, { startMs: number; n: number }>();
  failing = false;
  async add(windowMs: number, counts: RateCount[]): Promise<RateCount[]> {
    if (this.failing) throw new Error('database away');
    return counts.map((c) => {
      const row = this.rows.get(c.key);
      const next =
        row === undefined || row.startMs + windowMs <= c.windowStartMs
          ? { startMs: c.windowStartMs, n: c.n }
          : { startMs: row.startMs, n: row.n + c.n };
      this.rows.set(c.key, next);
      return { key: c.key, windowStartMs: next.startMs, n: next.n };
    });
  }
  async prune(beforeMs: number): Promise<void> {
    for (const [key, row] of this.rows) if (row.startMs < beforeMs) this.rows.delete(key);
  }
}

function clock(start = 1_000_000) {
  let t = start;
  return {
    now: () => t,
    advance: (ms: number) => {
      t += ms;
    },
  };
}

describe('RateLimiter', () => {
  it('is exact on its own: max requests per window, then refusals with the time left, then a new window', () => {
    const c = clock();
    const limiter = new RateLimiter({ windowMs: WINDOW, now: c.now });
    for (let i = 1; i <= 3; i++)
      expect(limiter.take('k', 3)).toEqual({ allowed: true, count: i, retryAfterSeconds: 60 });
    c.advance(15_000);
    expect(limiter.take('k', 3)).toEqual({ allowed: false, count: 3, retryAfterSeconds: 45 });
    expect(limiter.take('other', 3).allowed).toBe(true);
    c.advance(45_000);
    expect(limiter.take('k', 3)).toEqual({ allowed: true, count: 1, retryAfterSeconds: 60 });
  });

  it('holds a limit across replicas once they have synced', async () => {
    const c = clock();
    const shared = new MemoryCounters();
    const a = new RateLimiter({ windowMs: WINDOW, sync: shared, now: c.now });
    const b = new RateLimiter({ windowMs: WINDOW, sync: shared, now: c.now });
    for (let i = 0; i < 6; i++) expect(a.take('k', 10).allowed).toBe(true);
    await a.sync();
    c.advance(5_000);
    // b learns a's six at its first sync; before that it only knows its own.
    expect(b.take('k', 10).allowed).toBe(true);
    await b.sync();
    const admitted = [...Array(10)].map(() => b.take('k', 10).allowed).filter(Boolean).length;
    expect(admitted).toBe(3);
    // The window both share is a's: it started 5 s before b's first request.
    expect(b.take('k', 10).retryAfterSeconds).toBe(55);
    await b.sync();
    await a.sync();
    expect(a.take('k', 10).allowed).toBe(false);
    expect(shared.rows.get('k')?.n).toBe(10);
  });

  it('keeps the counts of a failed sync for the next one, and limits on what it knows meanwhile', async () => {
    const c = clock();
    const shared = new MemoryCounters();
    const errors: unknown[] = [];
    const a = new RateLimiter({ windowMs: WINDOW, sync: shared, now: c.now, onSyncError: (e) => errors.push(e) });
    a.take('k', 5);
    a.take('k', 5);
    shared.failing = true;
    await a.sync();
    expect(errors).toHaveLength(1);
    expect(a.take('k', 5).count).toBe(3);
    shared.failing = false;
    await a.sync();
    expect(shared.rows.get('k')?.n).toBe(3);
    expect(a.take('k', 5).count).toBe(4);
  });

  it('never lets N synced replicas through more than the limit plus what the others had not shared at their last sync', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 4 }),
        fc.integer({ min: 1, max: 30 }),
        // Each step: a request at a replica, or a sync of a replica.
        fc.array(fc.record({ replica: fc.nat(3), sync: fc.boolean() }), { maxLength: 200 }),
        async (replicas, max, steps) => {
          const c = clock();
          const shared = new MemoryCounters();
          const limiters = [...Array(replicas)].map(
            () => new RateLimiter({ windowMs: WINDOW, sync: shared, now: c.now }),
          );
          let admitted = 0;
          // A sync shares a replica's own counts and adopts what the others had shared by then,
          // so what replica i cannot know is everything the others admitted minus what they had
          // shared when i last synced: a request of another replica admitted before i's sync but
          // shared only after it stays unseen until i's next sync (up to two sync intervals).
          const admittedBy = limiters.map(() => 0);
          const shared_ = limiters.map(() => 0);
          const knownOthers = limiters.map(() => 0);
          const sum = (xs: number[], except: number) => xs.reduce((t, x, j) => (j === except ? t : t + x), 0);
          let bound = max;
          for (const step of steps) {
            const i = step.replica % replicas;
            const limiter = limiters[i] as RateLimiter;
            if (step.sync) {
              await limiter.sync();
              shared_[i] = admittedBy[i] as number;
              knownOthers[i] = sum(shared_, i);
            } else if (limiter.take('k', max).allowed) {
              admitted++;
              admittedBy[i] = (admittedBy[i] as number) + 1;
            }
            const unseen = limiters.map((_, j) => sum(admittedBy, j) - (knownOthers[j] as number));
            bound = Math.max(bound, max + Math.max(...unseen));
            c.advance(10);
          }
          expect(admitted).toBeLessThanOrEqual(bound);
        },
      ),
      {
        // Found by CI: replica 0's first request, shared only after replica 1 synced, stays
        // unseen by replica 1 until its next sync (the earlier model counted it as seen).
        examples: [
          [
            2,
            2,
            [
              { replica: 0, sync: false },
              { replica: 3, sync: false },
              { replica: 3, sync: true },
              { replica: 0, sync: false },
              { replica: 0, sync: true },
              { replica: 1, sync: false },
            ],
          ],
        ],
      },
    );
  });

  it('peeks at the decision take would make, without counting anything', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 5 }),
        fc.array(fc.record({ take: fc.boolean(), advance: fc.nat(40_000) }), { maxLength: 60 }),
        (max, steps) => {
          const c = clock();
          const limiter = new RateLimiter({ windowMs: WINDOW, now: c.now });
          const twin = new RateLimiter({ windowMs: WINDOW, now: c.now });
          for (const step of steps) {
            const peeked = limiter.peek('k', max);
            expect(limiter.peek('k', max)).toEqual(peeked);
            if (step.take) {
              const taken = limiter.take('k', max);
              expect(taken.allowed).toBe(peeked.allowed);
              twin.take('k', max);
            }
            // Peeking left no trace: the limiter decides as one that was never peeked at.
            expect(limiter.peek('k', max).allowed).toBe(twin.peek('k', max).allowed);
            c.advance(step.advance);
          }
        },
      ),
    );
  });
});
