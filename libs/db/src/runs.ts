/**
 * Runs across conversations, for operators: cursor pages of a tenant's runs with filters
 * (`GET /v1/runs`), and the stuck runs the orchestrator's sweeper looks after. A run is
 * *stuck* when it is still `accepted` or `running` after its `deadline_at` (see migration 016);
 * that status is derived here, on the database's clock, and never stored.
 */
import type { RunStatus } from './action-runs.js';
import type { Queryable } from './pool.js';

/** A run's status as operators see it: the stored one, or `stuck` (derived). */
export type RunListStatus = RunStatus | 'stuck';

/** Every {@link RunListStatus}, in lifecycle order. */
export const RUN_LIST_STATUSES: readonly RunListStatus[] = [
  'accepted',
  'running',
  'succeeded',
  'failed',
  'cancelled',
  'stuck',
];

/** Position after the last run of a page: newest first, the intent id breaking ties. */
export interface RunCursor {
  /** `accepted_at` to the microsecond, ISO 8601 UTC (a `Date` would lose the microseconds). */
  acceptedAt: string;
  intentId: string;
}

/** Filters of {@link listRunsPage}; every one given must hold. */
export interface RunFilter {
  /** As shown: `accepted` and `running` exclude stuck runs, `stuck` selects only them. */
  status?: RunListStatus;
  agent?: string;
  action?: string;
  /** A provider the run's action can call (`calcom`, `twilio`, `hubspot`, `webhook`). */
  provider?: string;
  errorCode?: string;
  /** Accepted at or after. */
  since?: Date;
  /** Accepted before. */
  until?: Date;
}

/** One run as `GET /v1/runs` lists it. */
export interface RunSummary {
  intentId: string;
  conversationId: string;
  agent: string | null;
  action: string;
  status: RunListStatus;
  errorCode: string | null;
  /** When the call was accepted: the run's clock starts there. */
  acceptedAt: Date;
  durationMs: number | null;
  traceId: string | null;
  providers: string[];
  deadlineAt: Date | null;
}

/** A page of runs and the cursor of the next one (`undefined`: this was the last). */
export interface RunPage {
  runs: RunSummary[];
  next: RunCursor | undefined;
}

/** SQL condition: the run has not finished (`accepted` or `running`, stuck or not). */
export const UNFINISHED_SQL = `status IN ('accepted', 'running')`;
const UNFINISHED = UNFINISHED_SQL;
/** SQL condition: the run is stuck now (unfinished past its deadline; rows without one never are). */
export const STUCK_SQL = `(${UNFINISHED} AND deadline_at < now())`;
const STUCK = STUCK_SQL;

/**
 * One page of the tenant's runs, newest first (`accepted_at DESC, intent_id DESC`), after
 * `cursor` when given. Keyset pagination: a page starts strictly after the previous page's last
 * row, so runs inserted while a client pages through never shift, repeat or hide the others.
 */
export async function listRunsPage(
  db: Queryable,
  tenantId: string,
  filter: RunFilter,
  page: { limit: number; cursor?: RunCursor },
): Promise<RunPage> {
  const params: unknown[] = [tenantId];
  const where = ['tenant_id = $1'];
  const param = (value: unknown): string => {
    params.push(value);
    return `$${params.length}`;
  };
  switch (filter.status) {
    case undefined:
      break;
    case 'stuck':
      where.push(STUCK);
      break;
    case 'accepted':
    case 'running':
      where.push(`status = ${param(filter.status)} AND (deadline_at IS NULL OR deadline_at >= now())`);
      break;
    default:
      where.push(`status = ${param(filter.status)}`);
  }
  if (filter.agent !== undefined) where.push(`agent_name = ${param(filter.agent)}`);
  if (filter.action !== undefined) where.push(`action_name = ${param(filter.action)}`);
  if (filter.provider !== undefined) where.push(`providers @> ARRAY[${param(filter.provider)}::text]`);
  if (filter.errorCode !== undefined) where.push(`error_code = ${param(filter.errorCode)}`);
  if (filter.since !== undefined) where.push(`accepted_at >= ${param(filter.since)}`);
  if (filter.until !== undefined) where.push(`accepted_at < ${param(filter.until)}`);
  if (page.cursor !== undefined) {
    where.push(
      `(accepted_at, intent_id) < (${param(page.cursor.acceptedAt)}::timestamptz, ${param(page.cursor.intentId)})`,
    );
  }
  const { rows } = await db.query<RunRow>(
    `SELECT intent_id, conversation_id, agent_name, action_name,
            CASE WHEN ${STUCK} THEN 'stuck' ELSE status END AS status,
            error_code, accepted_at, ${ACCEPTED_AT_TEXT} AS accepted_at_text, duration_ms, trace_id,
            providers, deadline_at
       FROM action_runs
      WHERE ${where.join(' AND ')}
      ORDER BY accepted_at DESC, intent_id DESC
      LIMIT ${param(page.limit + 1)}`,
    params,
  );
  const more = rows.length > page.limit;
  const shown = more ? rows.slice(0, page.limit) : rows;
  const last = shown[shown.length - 1];
  return {
    runs: shown.map(toSummary),
    next: more && last ? { acceptedAt: last.accepted_at_text, intentId: last.intent_id } : undefined,
  };
}

/** `accepted_at` as exact ISO 8601 UTC text, microseconds included (the cursor's form). */
const ACCEPTED_AT_TEXT = `to_char(accepted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

interface RunRow {
  intent_id: string;
  conversation_id: string;
  agent_name: string | null;
  action_name: string;
  status: RunListStatus;
  error_code: string | null;
  accepted_at: Date;
  accepted_at_text: string;
  duration_ms: string | null;
  trace_id: string | null;
  providers: string[];
  deadline_at: Date | null;
}

function toSummary(row: RunRow): RunSummary {
  return {
    intentId: row.intent_id,
    conversationId: row.conversation_id,
    agent: row.agent_name,
    action: row.action_name,
    status: row.status,
    errorCode: row.error_code,
    acceptedAt: row.accepted_at,
    // bigint comes back from pg as a string; a duration always fits a double exactly.
    durationMs: row.duration_ms === null ? null : Number(row.duration_ms),
    traceId: row.trace_id,
    providers: row.providers,
    deadlineAt: row.deadline_at,
  };
}

/** A run still unfinished long after its deadline, as the sweeper sees it. */
export interface OverdueRun {
  intentId: string;
  tenantId: string;
  conversationId: string;
  actionName: string;
  status: 'accepted' | 'running';
  acceptedAt: Date;
  deadlineAt: Date;
  traceId: string | null;
  /** `deadline_at` to the microsecond (ISO 8601 UTC), for {@link listOverdueRuns}' `after`. */
  deadlineAtExact: string;
}

/**
 * Runs of every tenant still `accepted` or `running` more than `overdueMs` after their deadline,
 * most overdue first (by deadline, then id), at most `limit`, after `after` when given: a caller
 * that cannot settle some runs goes on past them next time instead of reading them again and
 * again. Walks the small partial index of unfinished runs.
 */
export async function listOverdueRuns(
  db: Queryable,
  overdueMs: number,
  limit: number,
  after?: Pick<OverdueRun, 'deadlineAtExact' | 'intentId'>,
): Promise<OverdueRun[]> {
  const { rows } = await db.query<{
    intent_id: string;
    tenant_id: string;
    conversation_id: string;
    action_name: string;
    status: 'accepted' | 'running';
    accepted_at: Date;
    deadline_at: Date;
    deadline_at_exact: string;
    trace_id: string | null;
  }>(
    `SELECT intent_id, tenant_id, conversation_id, action_name, status, accepted_at, deadline_at, trace_id,
            to_char(deadline_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS deadline_at_exact
       FROM action_runs
      WHERE ${UNFINISHED} AND deadline_at < now() - make_interval(secs => $1::float8 / 1000)
        AND ($3::timestamptz IS NULL OR (deadline_at, intent_id) > ($3::timestamptz, $4::text))
      ORDER BY deadline_at, intent_id
      LIMIT $2`,
    [overdueMs, limit, after?.deadlineAtExact ?? null, after?.intentId ?? null],
  );
  return rows.map((r) => ({
    intentId: r.intent_id,
    tenantId: r.tenant_id,
    conversationId: r.conversation_id,
    actionName: r.action_name,
    status: r.status,
    acceptedAt: r.accepted_at,
    deadlineAt: r.deadline_at,
    traceId: r.trace_id,
    deadlineAtExact: r.deadline_at_exact,
  }));
}

/** How many runs of every tenant are stuck now (for a gauge). */
export async function countStuckRuns(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ n: string }>(`SELECT count(*) AS n FROM action_runs WHERE ${STUCK}`);
  return Number(rows[0]?.n ?? 0);
}
