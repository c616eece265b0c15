/**
 * Request rate limits that hold across replicas of the service, without a database round trip
 * per request.
 *
 * Each key (an API key, a tenant) has a window that starts with its first request. A request
 * is decided here and at once, from the key's total as of the last sync plus what this
 * process let through since. About once a second ({@link RateLimiterOptions.syncEveryMs}) the
 * process adds what it let through to the shared counters ({@link RateCounterSync}, Postgres in
 * production) and adopts the totals, which include the other replicas' requests. So N replicas
 * together let through at most the limit plus what the others admitted within one sync interval
 * of reaching it; with one replica (or no sync) the limit is exact.
 *
 * A sync that fails (the database is away) keeps the counts for the next one; meanwhile each
 * process limits on what it knows. Requests are never refused because counters are unreachable.
 */
import type { RateCount } from '@switchboard/db';

/** Where replicas share their counts. */
export interface RateCounterSync {
  /** Adds the counts and answers each key's window start and total after the addition. */
  add(windowMs: number, counts: RateCount[]): Promise<RateCount[]>;
  /** Forgets counters whose window started before `beforeMs`. */
  prune(beforeMs: number): Promise<void>;
}

/** Options of {@link RateLimiter}. */
export interface RateLimiterOptions {
  /** Length of a key's window, ms (60 000 for per-minute limits). */
  windowMs: number;
  /** Shared counters; without them each process counts on its own. */
  sync?: RateCounterSync;
  /** How often counts are shared, ms (default 1000). */
  syncEveryMs?: number;
  /** Called with a failed sync's error (the counts are kept for the next one). */
  onSyncError?: (err: unknown) => void;
  /** Clock (tests). */
  now?: () => number;
}

/** The decision on one request. */
export interface RateDecision {
  allowed: boolean;
  /** Requests counted in the key's window, this one included when allowed. */
  count: number;
  /** Seconds until the key's window ends (at least 1). */
  retryAfterSeconds: number;
}

interface KeyWindow {
  startMs: number;
  /** The shared total at the last sync (this process's synced requests included). */
  shared: number;
  /** Let through here since the last sync started. */
  unsynced: number;
  /** Being added by the sync in flight. */
  inFlight: number;
}

/** Prune shared counters every this many syncs. */
const PRUNE_EVERY_SYNCS = 60;

export class RateLimiter {
  private readonly windows = new Map<string, KeyWindow>();
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private syncing: Promise<void> | undefined;
  private syncs = 0;

  constructor(private readonly options: RateLimiterOptions) {
    this.now = options.now ?? Date.now;
  }

  /**
   * Counts a request against `key` if it stays within `max` requests per window; a refused
   * request is not counted.
   */
  take(key: string, max: number): RateDecision {
    const now = this.now();
    let w = this.windows.get(key);
    if (w === undefined || w.startMs + this.options.windowMs <= now) {
      // A new window; counts of the old one still on their way are dropped with it.
      w = { startMs: now, shared: 0, unsynced: 0, inFlight: 0 };
      this.windows.set(key, w);
    }
    const count = w.shared + w.unsynced + w.inFlight;
    const retryAfterSeconds = Math.max(1, Math.ceil((w.startMs + this.options.windowMs - now) / 1000));
    if (count >= max) return { allowed: false, count, retryAfterSeconds };
    w.unsynced++;
    return { allowed: true, count: count + 1, retryAfterSeconds };
  }

  /**
   * What {@link take} would decide for `key` now, without counting anything: for limits that
   * count only some outcomes (failed authentications), checked before the work they guard.
   */
  peek(key: string, max: number): RateDecision {
    const now = this.now();
    const w = this.windows.get(key);
    if (w === undefined || w.startMs + this.options.windowMs <= now) {
      return { allowed: max > 0, count: 0, retryAfterSeconds: Math.ceil(this.options.windowMs / 1000) };
    }
    const count = w.shared + w.unsynced + w.inFlight;
    const retryAfterSeconds = Math.max(1, Math.ceil((w.startMs + this.options.windowMs - now) / 1000));
    return { allowed: count < max, count, retryAfterSeconds };
  }

  /** Starts sharing counts every `syncEveryMs` (no-op without `sync`). */
  start(): void {
    if (this.options.sync === undefined || this.timer !== undefined) return;
    this.timer = setInterval(() => void this.sync(), this.options.syncEveryMs ?? 1000);
    this.timer.unref();
  }

  /** Shares the counts not shared yet and adopts the totals; one sync at a time. */
  sync(): Promise<void> {
    this.syncing ??= this.syncOnce().finally(() => {
      this.syncing = undefined;
    });
    return this.syncing;
  }

  /** Stops syncing after a last sync of what is left. */
  async close(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await this.sync();
  }

  private async syncOnce(): Promise<void> {
    const sync = this.options.sync;
    if (sync === undefined) return;
    const now = this.now();
    const batch: RateCount[] = [];
    for (const [key, w] of this.windows) {
      if (w.startMs + this.options.windowMs <= now) {
        // Over: a new request starts a new window, so nothing of this one needs sharing.
        this.windows.delete(key);
        continue;
      }
      // Keys with nothing new are synced too, to learn the other replicas' requests.
      w.inFlight = w.unsynced;
      w.unsynced = 0;
      batch.push({ key, windowStartMs: w.startMs, n: w.inFlight });
    }
    try {
      const totals = await sync.add(this.options.windowMs, batch);
      for (const total of totals) {
        const w = this.windows.get(total.key);
        if (w === undefined) continue;
        if (total.windowStartMs + this.options.windowMs <= this.now()) continue;
        // The window every replica shares starts at the earliest start any of them saw.
        w.startMs = total.windowStartMs;
        w.shared = total.n;
        w.inFlight = 0;
      }
      if (++this.syncs % PRUNE_EVERY_SYNCS === 0) await sync.prune(now - 2 * this.options.windowMs);
    } catch (err) {
      // Not shared: keep the counts for the next sync.
      for (const w of this.windows.values()) {
        w.unsynced += w.inFlight;
        w.inFlight = 0;
      }
      this.options.onSyncError?.(err);
    }
  }
}
