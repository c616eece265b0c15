import type { Queryable } from './pool.js';

/** A rate-limit key's count in its current window. */
export interface RateCount {
  /** e.g. `key:<api key id>`, `tenant:<tenant id>`. */
  key: string;
  /** When the window started (ms since the epoch). */
  windowStartMs: number;
  n: number;
}

/**
 * Adds requests to shared rate-limit counters and answers each key's window and total after
 * the addition (one statement for the whole batch). A row whose window has passed by the
 * addition's `windowStartMs` starts over from the addition; otherwise the addition joins the
 * row's window, which then stays the earliest start any replica saw.
 */
export async function addRateCounts(db: Queryable, windowMs: number, counts: RateCount[]): Promise<RateCount[]> {
  if (counts.length === 0) return [];
  const { rows } = await db.query<{ key: string; window_start: Date; n: string }>(
    `INSERT INTO rate_counters AS c (key, window_start, n)
     SELECT key, to_timestamp(start_ms / 1000.0), n
       FROM unnest($1::text[], $2::float8[], $3::bigint[]) AS add(key, start_ms, n)
     ON CONFLICT (key) DO UPDATE SET
       n = CASE WHEN c.window_start + make_interval(secs => $4::float8 / 1000) <= EXCLUDED.window_start
                THEN EXCLUDED.n ELSE c.n + EXCLUDED.n END,
       window_start = CASE WHEN c.window_start + make_interval(secs => $4::float8 / 1000) <= EXCLUDED.window_start
                THEN EXCLUDED.window_start ELSE c.window_start END
     RETURNING key, window_start, n`,
    [counts.map((c) => c.key), counts.map((c) => c.windowStartMs), counts.map((c) => c.n), windowMs],
  );
  return rows.map((r) => ({ key: r.key, windowStartMs: r.window_start.getTime(), n: Number(r.n) }));
}

/** Deletes counters whose window started before `beforeMs`; answers how many. */
export async function pruneRateCounts(db: Queryable, beforeMs: number): Promise<number> {
  const { rowCount } = await db.query('DELETE FROM rate_counters WHERE window_start < to_timestamp($1 / 1000.0)', [
    beforeMs,
  ]);
  return rowCount ?? 0;
}
