/**
 * `action_runs`, the audit row of each intent, and the only code that changes it. Each status
 * transition has one function here, used by everyone who makes it:
 *
 * - (none) → `accepted`: {@link insertAcceptedRun} (the API, before publishing the intent);
 * - `accepted` → (none): {@link withdrawAcceptedRun} (the API, when the publish failed);
 * - `accepted` → `running`: {@link markRunStarted} (the outcome publisher, on the first event);
 * - any non-terminal → `succeeded` | `failed` | `cancelled`: {@link finishRun} (the outcome
 *   publisher; it recreates a withdrawn row whose intent still ran).
 *
 * A terminal row never changes again. Listings and the stuck-run sweep read it in `runs.ts`.
 */

import type { JsonObject, JsonValue } from '@switchboard/common';
import type { DeliveryOutcome, DeliveryTarget } from './async-results.js';
import type { Queryable } from './pool.js';

/** Status of an action run. */
export type RunStatus = 'accepted' | 'running' | 'succeeded' | 'failed' | 'cancelled';
/** Terminal statuses: the run will not change any more. */
export const TERMINAL_RUN_STATUSES: ReadonlySet<RunStatus> = new Set(['succeeded', 'failed', 'cancelled']);

/** The audit row of one intent. */
export interface ActionRun {
  intentId: string;
  tenantId: string;
  conversationId: string;
  actionName: string;
  status: RunStatus;
  arguments: JsonObject;
  acceptedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  durationMs: number | null;
  errorCode: string | null;
  errorMessage: string | null;
  traceId: string | null;
  result: JsonValue | null;
  /**
   * SHA-256 of the canonical request its Idempotency-Key was first used for (see migration
   * 014); `null` on rows written before it, and on rows {@link finishRun} recreated.
   */
  requestHash: string | null;
  /** The agent whose action ran; `null` on rows written before runs kept it (migration 016). */
  agentName: string | null;
  /** Providers the action can call (`calcom`, `twilio`, `hubspot`, `webhook`), from its definition. */
  providers: string[];
  /**
   * When the run should be over at the latest (its action's budget + a grace margin, see
   * `runBudgetMs` in `@switchboard/actions`); still unfinished after it, the run is stuck.
   */
  deadlineAt: Date | null;
  /** When its tool call was answered before the result (async results, migration 019). */
  answeredEarlyAt: Date | null;
  /** How the result was delivered afterwards, per target (see `async-results.ts`). */
  deliveries: Partial<Record<DeliveryTarget, DeliveryOutcome>>;
}

/**
 * Records an accepted intent. Returns false when a row for this intent already existed (a
 * retry with the same Idempotency-Key, or a concurrent request under it): the caller then
 * reads that row to compare requests, and waits for, or returns, that run.
 */
export async function insertAcceptedRun(
  db: Queryable,
  run: Pick<ActionRun, 'intentId' | 'tenantId' | 'conversationId' | 'actionName' | 'arguments' | 'traceId'> & {
    requestHash?: string | null;
    agentName?: string | null;
    providers?: readonly string[];
    /** Milliseconds after acceptance (on the database's clock) at which the run is overdue. */
    deadlineAfterMs?: number;
  },
): Promise<boolean> {
  const res = await db.query(
    `INSERT INTO action_runs (intent_id, tenant_id, conversation_id, action_name, status, arguments, trace_id, request_hash,
                              agent_name, providers, deadline_at)
     VALUES ($1, $2, $3, $4, 'accepted', $5, $6, $7, $8, $9, now() + make_interval(secs => $10::float8 / 1000))
     ON CONFLICT (intent_id) DO NOTHING`,
    [
      run.intentId,
      run.tenantId,
      run.conversationId,
      run.actionName,
      run.arguments,
      run.traceId,
      run.requestHash ?? null,
      run.agentName ?? null,
      run.providers ?? [],
      run.deadlineAfterMs ?? null,
    ],
  );
  return res.rowCount === 1;
}

/**
 * Withdraws an accepted run whose intent was never published (the publish failed), so nothing
 * stays `accepted` that no one will run; a retry under the same key may insert it again. A run
 * that moved on (the publish was stored after all and the intent ran) is left alone.
 */
export async function withdrawAcceptedRun(db: Queryable, intentId: string): Promise<void> {
  await db.query(`DELETE FROM action_runs WHERE intent_id = $1 AND status = 'accepted'`, [intentId]);
}

/** Marks a run as started (first time only). */
export async function markRunStarted(db: Queryable, intentId: string, at: Date): Promise<void> {
  await db.query(
    `UPDATE action_runs SET status = 'running', started_at = $2 WHERE intent_id = $1 AND status = 'accepted'`,
    [intentId, at],
  );
}

/** What {@link finishRun} ended: the run as its audit row knows it (for metrics). */
export interface FinishedRun {
  agentName: string | null;
  acceptedAt: Date;
  durationMs: number;
}

/**
 * Records the end of a run. Idempotent: a terminal row is never overwritten. Returns the run
 * when this call ended it, `undefined` when it was already terminal (or has no row): so a
 * retried caller can tell its first success from a repeat.
 *
 * With `identity`, a missing row is created: the API removes its `accepted` row when a
 * publish fails, but a publish that timed out may still have been stored and run, and its
 * outcome must not be lost (nor a later retry wait on a row nobody will finish).
 */
export async function finishRun(
  db: Queryable,
  intentId: string,
  end: {
    status: Extract<RunStatus, 'succeeded' | 'failed' | 'cancelled'>;
    startedAt: Date;
    finishedAt: Date;
    errorCode?: string;
    errorMessage?: string;
    result: JsonValue;
  },
  identity?: Pick<ActionRun, 'tenantId' | 'conversationId' | 'actionName'>,
): Promise<FinishedRun | undefined> {
  // Nearly always the row is there and not terminal: one round trip. Otherwise it is terminal
  // already (a retry) or missing; a missing one is created and ended, as inserting first and
  // updating then would (the row only goes from missing to present, so nothing is lost).
  const ended = await endRun(db, intentId, end);
  if (ended !== 'no-row') return ended;
  if (!identity) return undefined;
  // The agent from the conversation: the outcome does not carry it.
  await db.query(
    `INSERT INTO action_runs (intent_id, tenant_id, conversation_id, action_name, status, agent_name)
     SELECT $1, $2, $3, $4, 'accepted',
            (SELECT a.name FROM conversations c JOIN agents a ON a.id = COALESCE(c.active_agent_id, c.agent_id) WHERE c.id = $3)
     ON CONFLICT (intent_id) DO NOTHING`,
    [intentId, identity.tenantId, identity.conversationId, identity.actionName],
  );
  const retried = await endRun(db, intentId, end);
  return retried === 'no-row' ? undefined : retried;
}

/** The terminal update of {@link finishRun}; `no-row` when no non-terminal row matched. */
async function endRun(
  db: Queryable,
  intentId: string,
  end: Parameters<typeof finishRun>[2],
): Promise<FinishedRun | 'no-row'> {
  const { rows } = await db.query<{ agent_name: string | null; accepted_at: Date; duration_ms: string }>(
    `UPDATE action_runs SET status = $2, started_at = COALESCE(started_at, $3), finished_at = $4,
        duration_ms = GREATEST(0, (EXTRACT(EPOCH FROM ($4::timestamptz - accepted_at)) * 1000)::bigint),
        error_code = $5, error_message = $6, result = $7
      WHERE intent_id = $1 AND status NOT IN ('succeeded', 'failed', 'cancelled')
      RETURNING agent_name, accepted_at, duration_ms`,
    [intentId, end.status, end.startedAt, end.finishedAt, end.errorCode ?? null, end.errorMessage ?? null, end.result],
  );
  const row = rows[0];
  return row
    ? { agentName: row.agent_name, acceptedAt: row.accepted_at, durationMs: Number(row.duration_ms) }
    : 'no-row';
}

/** Reads one run of this tenant. */
export async function findRun(db: Queryable, tenantId: string, intentId: string): Promise<ActionRun | undefined> {
  const { rows } = await db.query('SELECT * FROM action_runs WHERE tenant_id = $1 AND intent_id = $2', [
    tenantId,
    intentId,
  ]);
  const row = rows[0];
  return row ? mapRun(row) : undefined;
}

/**
 * The status of a run, whichever tenant it belongs to (for internal consumers that hold only an
 * intent id); `undefined` when there is no row.
 */
export async function findRunStatus(db: Queryable, intentId: string): Promise<RunStatus | undefined> {
  const { rows } = await db.query<{ status: RunStatus }>('SELECT status FROM action_runs WHERE intent_id = $1', [
    intentId,
  ]);
  return rows[0]?.status;
}

/** Runs of a conversation, oldest first. */
export async function listRuns(db: Queryable, tenantId: string, conversationId: string): Promise<ActionRun[]> {
  const { rows } = await db.query(
    'SELECT * FROM action_runs WHERE tenant_id = $1 AND conversation_id = $2 ORDER BY accepted_at, intent_id',
    [tenantId, conversationId],
  );
  return rows.map(mapRun);
}

// biome-ignore lint/suspicious/noExplicitAny: a raw pg row
function mapRun(row: any): ActionRun {
  return {
    intentId: row.intent_id,
    tenantId: row.tenant_id,
    conversationId: row.conversation_id,
    actionName: row.action_name,
    status: row.status,
    arguments: row.arguments,
    acceptedAt: row.accepted_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    // bigint comes back from pg as a string; a duration always fits a double exactly.
    durationMs: row.duration_ms === null ? null : Number(row.duration_ms),
    errorCode: row.error_code,
    errorMessage: row.error_message,
    traceId: row.trace_id,
    result: row.result,
    requestHash: row.request_hash ?? null,
    agentName: row.agent_name ?? null,
    providers: row.providers ?? [],
    deadlineAt: row.deadline_at ?? null,
    answeredEarlyAt: row.answered_early_at ?? null,
    deliveries: row.deliveries ?? {},
  };
}
