/**
 * Outcome and latency statistics of a tenant over a recent window (`GET /v1/stats`): per
 * action from the runs (`action_runs`), per provider operation from the provider workers'
 * attempt log (`provider_calls`). Computed by Postgres on its own clock; percentiles are
 * nearest-rank (`percentile_disc`): always a duration that was measured.
 */
import type { Queryable } from './pool.js';

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
  pcts: (string | null)[] | null;
  top_errors: ErrorCount[];
}

async function actionStats(db: Queryable, tenantId: string, windowMs: number): Promise<ActionStats[]> {
  const { rows } = await db.query<StatsRow & { agent_name: string | null; action_name: string }>(
    `WITH w AS (
       SELECT agent_name, action_name, status, duration_ms, error_code
         FROM action_runs
        WHERE tenant_id = $1 AND accepted_at >= ${WINDOW_START}
     ), totals AS (
       SELECT agent_name, action_name, count(*) AS calls, count(*) FILTER (WHERE status = 'failed') AS failures,
              percentile_disc(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY duration_ms) AS pcts
         FROM w GROUP BY agent_name, action_name
     ), errors AS (
       SELECT agent_name, action_name, error_code, count(*) AS n,
              row_number() OVER (PARTITION BY agent_name, action_name ORDER BY count(*) DESC, error_code) AS rank
         FROM w WHERE status = 'failed' AND error_code IS NOT NULL
        GROUP BY agent_name, action_name, error_code
     )
     SELECT t.agent_name, t.action_name, t.calls, t.failures, t.pcts,
            COALESCE((SELECT json_agg(json_build_object('code', e.error_code, 'count', e.n) ORDER BY e.rank)
                        FROM errors e
                       WHERE e.agent_name IS NOT DISTINCT FROM t.agent_name AND e.action_name = t.action_name
                         AND e.rank <= $3), '[]') AS top_errors
       FROM totals t
      ORDER BY t.failures::float8 / t.calls DESC, t.calls DESC, t.agent_name, t.action_name`,
    [tenantId, windowMs, TOP_ERRORS],
  );
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
  const { rows } = await db.query<StatsRow & { provider: string; operation: string }>(
    `WITH w AS (
       SELECT provider, operation, ok, duration_ms, error_code
         FROM provider_calls
        WHERE tenant_id = $1 AND at >= ${WINDOW_START}
     ), totals AS (
       SELECT provider, operation, count(*) AS calls, count(*) FILTER (WHERE NOT ok) AS failures,
              percentile_disc(ARRAY[0.5, 0.99]) WITHIN GROUP (ORDER BY duration_ms) AS pcts
         FROM w GROUP BY provider, operation
     ), errors AS (
       SELECT provider, operation, error_code, count(*) AS n,
              row_number() OVER (PARTITION BY provider, operation ORDER BY count(*) DESC, error_code) AS rank
         FROM w WHERE NOT ok AND error_code IS NOT NULL
        GROUP BY provider, operation, error_code
     )
     SELECT t.provider, t.operation, t.calls, t.failures, t.pcts,
            COALESCE((SELECT json_agg(json_build_object('code', e.error_code, 'count', e.n) ORDER BY e.rank)
                        FROM errors e
                       WHERE e.provider = t.provider AND e.operation = t.operation AND e.rank <= $3), '[]') AS top_errors
       FROM totals t
      ORDER BY t.failures::float8 / t.calls DESC, t.calls DESC, t.provider, t.operation`,
    [tenantId, windowMs, TOP_ERRORS],
  );
  return rows.map((r) => {
    const [p50Ms, p99Ms] = percentiles(r.pcts, 2);
    return {
      provider: r.provider,
      operation: r.operation,
      calls: Number(r.calls),
      failures: Number(r.failures),
      p50Ms: p50Ms ?? null,
      p99Ms: p99Ms ?? null,
      topErrors: r.top_errors.map((e) => ({ code: e.code, count: Number(e.count) })),
    };
  });
}

/** pg returns a bigint[] as strings (and the array itself `null` when no value was measured). */
function percentiles(values: (string | null)[] | null, n: number): (number | undefined)[] {
  return Array.from({ length: n }, (_, i) => {
    const v = values?.[i];
    return v === null || v === undefined ? undefined : Number(v);
  });
}
