/**
 * Async results (migration 019): marking a run whose tool call was answered before its chain
 * ended, the agent's result webhook, and the outcome of each delivery of the final result.
 */
import type { JsonObject } from '@switchboard/common';
import type { Queryable } from './pool.js';

/**
 * Where an agent's async results are POSTed (agent setting `result_webhook`), stored with the
 * agent version (JSON, camelCase) like its LLM settings.
 */
export interface ResultWebhookSettings {
  url: string;
  /** Name of the tenant's `http` credential whose `secret` signs each POST. */
  credential: string;
  /** The URL may be on a loopback or private address (an on-premise receiver). */
  allowPrivate: boolean;
}

/** A delivery target of an async result. */
export type DeliveryTarget = 'webhook' | 'vapi';

/** The outcome of one target's delivery, as the run shows it. */
export interface DeliveryOutcome {
  /** `retrying` while attempts remain; `delivered` and `failed` are final. */
  status: 'delivered' | 'retrying' | 'failed';
  attempts: number;
  /** When this outcome was recorded (ISO 8601). */
  at: string;
  /** The receiver's HTTP status, when it answered. */
  httpStatus?: number;
  error?: { code: string; message: string };
}

/**
 * Marks a run as answered before its result, when it is still unfinished; false when it has
 * finished meanwhile (the caller then answers with its result, and nothing is delivered).
 * Row-locked against the run's final update, so exactly one of the two sees the other.
 */
export async function markRunAnsweredEarly(db: Queryable, tenantId: string, intentId: string): Promise<boolean> {
  const res = await db.query(
    `UPDATE action_runs SET answered_early_at = COALESCE(answered_early_at, now())
      WHERE tenant_id = $1 AND intent_id = $2 AND status IN ('accepted', 'running')`,
    [tenantId, intentId],
  );
  return res.rowCount === 1;
}

/** What a delivery step needs of a finished run; `undefined` when there is no such run. */
export interface RunForDelivery {
  tenantId: string;
  conversationId: string;
  actionName: string;
  agentId: string;
  status: string;
  result: JsonObject | null;
  answeredEarly: boolean;
  deliveries: Partial<Record<DeliveryTarget, DeliveryOutcome>>;
}

/** Reads a run with its conversation's agent, for the delivery of its result. */
export async function findRunForDelivery(db: Queryable, intentId: string): Promise<RunForDelivery | undefined> {
  const { rows } = await db.query<{
    tenant_id: string;
    conversation_id: string;
    action_name: string;
    agent_id: string;
    status: string;
    result: JsonObject | null;
    answered_early_at: Date | null;
    deliveries: RunForDelivery['deliveries'] | null;
  }>(
    `SELECT r.tenant_id, r.conversation_id, r.action_name, c.agent_id, r.status, r.result,
            r.answered_early_at, r.deliveries
       FROM action_runs r JOIN conversations c ON c.id = r.conversation_id
      WHERE r.intent_id = $1`,
    [intentId],
  );
  const row = rows[0];
  if (!row) return undefined;
  return {
    tenantId: row.tenant_id,
    conversationId: row.conversation_id,
    actionName: row.action_name,
    agentId: row.agent_id,
    status: row.status,
    result: row.result,
    answeredEarly: row.answered_early_at !== null,
    deliveries: row.deliveries ?? {},
  };
}

/** Records the outcome of one target's delivery on the run (the latest replaces the one before). */
export async function recordRunDelivery(
  db: Queryable,
  intentId: string,
  target: DeliveryTarget,
  outcome: DeliveryOutcome,
): Promise<void> {
  await db.query(
    `UPDATE action_runs SET deliveries = deliveries || jsonb_build_object($2::text, $3::jsonb) WHERE intent_id = $1`,
    [intentId, target, JSON.stringify(outcome)],
  );
}

/** The result webhook of an agent's published version (or of `version`); undefined when it has none. */
export async function findAgentResultWebhook(
  db: Queryable,
  tenantId: string,
  agentId: string,
  version?: number,
): Promise<ResultWebhookSettings | undefined> {
  const { rows } = await db.query<{ result_webhook: ResultWebhookSettings | null }>(
    `SELECT v.result_webhook FROM agent_versions v JOIN agents a ON a.id = v.agent_id
      WHERE v.agent_id = $1 AND a.tenant_id = $2 AND v.version = COALESCE($3, a.published_version)`,
    [agentId, tenantId, version ?? null],
  );
  return rows[0]?.result_webhook ?? undefined;
}
