/**
 * Outcome and latency statistics of a tenant over a recent window (`GET /v1/stats`): per
 * action from the runs (`action_runs`), per provider operation from the provider workers'
 * attempt log (`provider_calls`). Computed by Postgres on its own clock; percentiles are
 * nearest-rank (`percentile_disc`): always a duration that was measured.
 */
import type { Queryable } from './pool.js';
import { STUCK_SQL, UNFINISHED_SQL } from './runs.js';

/** One error code and how often it ended a call in the window. */
export interface ErrorCount {
  code: string;
  count: number;
}

/** Runs of one action of one agent accepted in the window. */
export interface ActionStats {
  /** `null` for runs recorded before runs kept their agent. */
  agent: string | null;
  action: string;
  /** Runs accepted in the window, finished or not. */
  calls: number;
  /** Of those, runs that ended `failed`. */
  failures: number;
  /** Percentiles of finished runs' durations (acceptance → result); `null` when none finished. */
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  /** The failed runs' most frequent error codes, at most {@link TOP_ERRORS}, most frequent first. */
  topErrors: ErrorCount[];
}

/** Attempts of one provider operation started in the window (every retry is an attempt). */
export interface ProviderStats {
  provider: string;
  operation: string;
  calls: number;
  failures: number;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  topErrors: ErrorCount[];
}

/** What {@link tenantStats} answers; both lists sorted by failure rate, then calls, descending. */
export interface TenantStats {
  actions: ActionStats[];
  providers: ProviderStats[];
}

/** How many error codes each entry lists. */
export const TOP_ERRORS = 5;

/** Statistics of the tenant's last `windowMs` milliseconds (on the database's clock). */
export async function tenantStats(db: Queryable, tenantId: string, windowMs: number): Promise<TenantStats> {
  const [actions, providers] = await Promise.all([
    actionStats(db, tenantId, windowMs),
    providerStats(db, tenantId, windowMs),
  ]);
  return { actions, providers };
}

const WINDOW_START = 'now() - make_interval(secs => $2::float8 / 1000)';

interface StatsRow {
  calls: string;
  failures: string;
  pcts: (string | number | null)[] | null;
  top_errors: ErrorCount[];
}

/**
 * The statistics of one grouping in one pass over the window (an index-only scan, in parallel
 * where Postgres wants): per group, the counts and the arrays of durations and failure codes
 * (hash aggregation), then the percentiles and top codes of each group from its arrays. Sorting
 * only each group's durations is what keeps this fast: an ordered-set aggregate over the rows
 * would sort the whole window by group first.
 */
function statsSql(options: {
  table: string;
  at: string;
  keys: [string, string];
  failed: string;
  fractions: number[];
}): string {
  const [a, b] = options.keys;
  return `SELECT g.${a}, g.${b}, g.calls, g.failures,
            (SELECT percentile_disc(ARRAY[${options.fractions.join(', ')}]) WITHIN GROUP (ORDER BY d)
               FROM unnest(g.durations) d) AS pcts,
            (SELECT COALESCE(json_agg(json_build_object('code', e.code, 'count', e.n) ORDER BY e.n DESC, e.code), '[]')
               FROM (SELECT code, count(*) AS n FROM unnest(g.errors) code
                      GROUP BY code ORDER BY count(*) DESC, code LIMIT $3) e) AS top_errors
       FROM (SELECT ${a}, ${b}, count(*) AS calls, count(*) FILTER (WHERE ${options.failed}) AS failures,
                    array_agg(duration_ms) FILTER (WHERE duration_ms IS NOT NULL) AS durations,
                    array_agg(error_code) FILTER (WHERE ${options.failed} AND error_code IS NOT NULL) AS errors
               FROM ${options.table}
              WHERE tenant_id = $1 AND ${options.at} >= ${WINDOW_START}
              GROUP BY ${a}, ${b}) g
      ORDER BY g.failures::float8 / g.calls DESC, g.calls DESC, g.${a}, g.${b}`;
}

const ACTION_STATS_SQL = statsSql({
  table: 'action_runs',
  at: 'accepted_at',
  keys: ['agent_name', 'action_name'],
  failed: "status = 'failed'",
  fractions: [0.5, 0.95, 0.99],
});

const PROVIDER_STATS_SQL = statsSql({
  table: 'provider_calls',
  at: 'at',
  keys: ['provider', 'operation'],
  failed: 'NOT ok',
  fractions: [0.5, 0.95, 0.99],
});

async function actionStats(db: Queryable, tenantId: string, windowMs: number): Promise<ActionStats[]> {
  const { rows } = await db.query<StatsRow & { agent_name: string | null; action_name: string }>(ACTION_STATS_SQL, [
    tenantId,
    windowMs,
    TOP_ERRORS,
  ]);
  return rows.map((r) => {
    const [p50Ms, p95Ms, p99Ms] = percentiles(r.pcts, 3);
    return {
      agent: r.agent_name,
      action: r.action_name,
      calls: Number(r.calls),
      failures: Number(r.failures),
      p50Ms: p50Ms ?? null,
      p95Ms: p95Ms ?? null,
      p99Ms: p99Ms ?? null,
      topErrors: r.top_errors.map((e) => ({ code: e.code, count: Number(e.count) })),
    };
  });
}

async function providerStats(db: Queryable, tenantId: string, windowMs: number): Promise<ProviderStats[]> {
  const { rows } = await db.query<StatsRow & { provider: string; operation: string }>(PROVIDER_STATS_SQL, [
    tenantId,
    windowMs,
    TOP_ERRORS,
  ]);
  return rows.map((r) => {
    const [p50Ms, p95Ms, p99Ms] = percentiles(r.pcts, 3);
    return {
      provider: r.provider,
      operation: r.operation,
      calls: Number(r.calls),
      failures: Number(r.failures),
      p50Ms: p50Ms ?? null,
      p95Ms: p95Ms ?? null,
      p99Ms: p99Ms ?? null,
      topErrors: r.top_errors.map((e) => ({ code: e.code, count: Number(e.count) })),
    };
  });
}

/** pg returns a bigint[] as strings (and the array itself `null` when no value was measured). */
function percentiles(values: (string | number | null)[] | null, n: number): (number | undefined)[] {
  return Array.from({ length: n }, (_, i) => {
    const v = values?.[i];
    return v === null || v === undefined ? undefined : Number(v);
  });
}

/**
 * The runs accepted in one slice of the window, by their status now: "outcomes over time".
 * `running` counts runs still `accepted` or `running` before their deadline, `stuck` those past
 * it (as `GET /v1/runs` derives it).
 */
export interface OutcomeBucket {
  /** Start of the slice (inclusive). */
  start: Date;
  /** End of the slice (exclusive; the last one ends now). */
  end: Date;
  succeeded: number;
  failed: number;
  cancelled: number;
  running: number;
  stuck: number;
}

/**
 * The tenant's last `windowMs` milliseconds cut into `buckets` equal slices, oldest first, each
 * with the runs accepted in it by status; every slice is listed, empty ones with zeros. One
 * index-only pass over the window (the index {@link tenantStats} reads), plus the unfinished
 * runs past their deadline; on the database's clock.
 */
export async function outcomeSeries(
  db: Queryable,
  tenantId: string,
  windowMs: number,
  buckets: number,
): Promise<OutcomeBucket[]> {
  const { rows } = await db.query<{
    start: Date;
    end: Date;
    succeeded: string;
    failed: string;
    cancelled: string;
    running: string;
    stuck: string;
  }>(OUTCOME_SERIES_SQL, [tenantId, windowMs, buckets]);
  return rows.map((r) => ({
    start: r.start,
    end: r.end,
    succeeded: Number(r.succeeded),
    failed: Number(r.failed),
    cancelled: Number(r.cancelled),
    running: Number(r.running),
    stuck: Number(r.stuck),
  }));
}

// A run's slice is `date_bin` of its acceptance on the window's start (a quarter of the cost of
// computing the slice's number from the epoch, measured over a million rows); a run accepted "in
// the future" (another clock) counts in the last slice rather than in none. Outcomes come from the
// time-order index alone (it includes `status`); which unfinished runs are stuck needs their
// deadline, so those few are counted apart, from the index of unfinished runs.
const SLICE = 'LEAST(date_bin(w.stride, r.accepted_at, w.t0), w.t0 + w.stride * ($3::int - 1))';
const OUTCOME_SERIES_SQL = `
  WITH w AS (SELECT now() AS t1, ${WINDOW_START} AS t0, make_interval(secs => $2::float8 / 1000 / $3::int) AS stride),
  counts AS (
    SELECT ${SLICE} AS start,
           count(*) FILTER (WHERE status = 'succeeded') AS succeeded,
           count(*) FILTER (WHERE status = 'failed') AS failed,
           count(*) FILTER (WHERE status = 'cancelled') AS cancelled,
           count(*) FILTER (WHERE ${UNFINISHED_SQL}) AS unfinished
      FROM action_runs r, w
     WHERE r.tenant_id = $1 AND r.accepted_at >= w.t0
     GROUP BY 1),
  stuck AS (
    SELECT ${SLICE} AS start, count(*) AS stuck
      FROM action_runs r, w
     WHERE r.tenant_id = $1 AND r.accepted_at >= w.t0 AND ${STUCK_SQL}
     GROUP BY 1),
  slices AS (
    SELECT w.t0 + w.stride * b.i AS start,
           CASE WHEN b.i = $3::int - 1 THEN w.t1 ELSE w.t0 + w.stride * (b.i + 1) END AS "end"
      FROM w CROSS JOIN generate_series(0, $3::int - 1) AS b(i))
  SELECT s.start, s."end",
         COALESCE(c.succeeded, 0) AS succeeded, COALESCE(c.failed, 0) AS failed,
         COALESCE(c.cancelled, 0) AS cancelled,
         COALESCE(c.unfinished, 0) - COALESCE(k.stuck, 0) AS running, COALESCE(k.stuck, 0) AS stuck
    FROM slices s
    LEFT JOIN counts c ON c.start = s.start
    LEFT JOIN stuck k ON k.start = s.start
   ORDER BY s.start`;
