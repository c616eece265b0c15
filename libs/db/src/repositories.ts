import type { JsonObject, JsonValue } from '@switchboard/common';
import { IdPrefixes, newId } from './ids.js';
import type { Queryable } from './pool.js';

/** A tenant. */
export interface Tenant {
  id: string;
  name: string;
}

export async function createTenant(
  db: Queryable,
  name: string,
  id: string = newId(IdPrefixes.Tenant),
): Promise<Tenant> {
  await db.query('INSERT INTO tenants (id, name) VALUES ($1, $2)', [id, name]);
  return { id, name };
}

export async function findTenantByName(db: Queryable, name: string): Promise<Tenant | undefined> {
  const { rows } = await db.query<Tenant>('SELECT id, name FROM tenants WHERE name = $1', [name]);
  return rows[0];
}

/** An agent of a tenant. */
export interface Agent {
  id: string;
  tenantId: string;
  name: string;
  instructions: string;
}

/** Creates or updates (by name) an agent. */
export async function upsertAgent(db: Queryable, tenantId: string, name: string, instructions: string): Promise<Agent> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO agents (id, tenant_id, name, instructions) VALUES ($1, $2, $3, $4)
     ON CONFLICT (tenant_id, name) DO UPDATE SET instructions = EXCLUDED.instructions
     RETURNING id`,
    [newId(IdPrefixes.Agent), tenantId, name, instructions],
  );
  return { id: (rows[0] as { id: string }).id, tenantId, name, instructions };
}

export async function findAgentByName(db: Queryable, tenantId: string, name: string): Promise<Agent | undefined> {
  const { rows } = await db.query<{ id: string; instructions: string }>(
    'SELECT id, instructions FROM agents WHERE tenant_id = $1 AND name = $2',
    [tenantId, name],
  );
  const row = rows[0];
  return row ? { id: row.id, tenantId, name, instructions: row.instructions } : undefined;
}

export async function findAgentById(db: Queryable, tenantId: string, id: string): Promise<Agent | undefined> {
  const { rows } = await db.query<{ name: string; instructions: string }>(
    'SELECT name, instructions FROM agents WHERE tenant_id = $1 AND id = $2',
    [tenantId, id],
  );
  const row = rows[0];
  return row ? { id, tenantId, name: row.name, instructions: row.instructions } : undefined;
}

/** One saved version of an action definition. */
export interface ActionDefinitionRow {
  id: string;
  agentId: string;
  name: string;
  version: number;
  format: 'tool' | 'typed' | 'builtin';
  source: JsonObject;
  canonical: JsonObject;
}

/** Saves a new version of an action (version = previous + 1, atomically). */
export async function saveActionVersion(
  db: Queryable,
  tenantId: string,
  agentId: string,
  def: { name: string; format: ActionDefinitionRow['format']; source: JsonObject; canonical: JsonObject },
): Promise<ActionDefinitionRow> {
  const id = newId(IdPrefixes.Action);
  const { rows } = await db.query<{ version: number }>(
    `INSERT INTO action_definitions (id, tenant_id, agent_id, name, version, format, source, canonical)
     SELECT $1, $2, $3, $4, COALESCE(MAX(version), 0) + 1, $5, $6, $7
       FROM action_definitions WHERE agent_id = $3 AND name = $4 AND topic IS NULL
     RETURNING version`,
    [id, tenantId, agentId, def.name, def.format, def.source, def.canonical],
  );
  return { id, agentId, version: (rows[0] as { version: number }).version, ...def };
}

/** The newest version of an action by exact (case-sensitive) name. */
export async function findLatestAction(
  db: Queryable,
  tenantId: string,
  agentId: string,
  name: string,
): Promise<ActionDefinitionRow | undefined> {
  const { rows } = await db.query<{
    id: string;
    version: number;
    format: ActionDefinitionRow['format'];
    source: JsonObject;
    canonical: JsonObject;
  }>(
    `SELECT id, version, format, source, canonical FROM action_definitions
      WHERE tenant_id = $1 AND agent_id = $2 AND name = $3 AND topic IS NULL ORDER BY version DESC LIMIT 1`,
    [tenantId, agentId, name],
  );
  const row = rows[0];
  return row ? { ...row, agentId, name } : undefined;
}

/** Names of the newest versions of all actions of an agent. */
export async function listActionNames(db: Queryable, tenantId: string, agentId: string): Promise<string[]> {
  const { rows } = await db.query<{ name: string }>(
    'SELECT DISTINCT name FROM action_definitions WHERE tenant_id = $1 AND agent_id = $2 AND topic IS NULL ORDER BY name',
    [tenantId, agentId],
  );
  return rows.map((r) => r.name);
}

/** A tenant's webhook endpoint. */
export interface Endpoint {
  tenantId: string;
  name: string;
  url: string;
  method: string;
  headers: Record<string, string>;
  timeoutMs: number;
  allowPrivate: boolean;
}

export async function upsertEndpoint(db: Queryable, e: Endpoint): Promise<void> {
  await db.query(
    `INSERT INTO endpoints (tenant_id, name, url, method, headers, timeout_ms, allow_private)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (tenant_id, name) DO UPDATE SET url = EXCLUDED.url, method = EXCLUDED.method,
       headers = EXCLUDED.headers, timeout_ms = EXCLUDED.timeout_ms, allow_private = EXCLUDED.allow_private,
       updated_at = now()`,
    [e.tenantId, e.name, e.url, e.method, e.headers, e.timeoutMs, e.allowPrivate],
  );
}

export async function findEndpoint(db: Queryable, tenantId: string, name: string): Promise<Endpoint | undefined> {
  const { rows } = await db.query<{
    url: string;
    method: string;
    headers: Record<string, string>;
    timeout_ms: number;
    allow_private: boolean;
  }>('SELECT url, method, headers, timeout_ms, allow_private FROM endpoints WHERE tenant_id = $1 AND name = $2', [
    tenantId,
    name,
  ]);
  const row = rows[0];
  return row
    ? {
        tenantId,
        name,
        url: row.url,
        method: row.method,
        headers: row.headers,
        timeoutMs: row.timeout_ms,
        allowPrivate: row.allow_private,
      }
    : undefined;
}

/** A conversation. */
export interface Conversation {
  id: string;
  tenantId: string;
  agentId: string;
  status: 'active' | 'ended';
  contact: JsonObject;
  /** The voice call, when there is one: `{ sid, from, to }`. */
  call: JsonObject;
  /** A test call: its side effects are recorded and can be undone in one request. */
  sandbox: boolean;
  createdAt: Date;
}

export async function createConversation(
  db: Queryable,
  tenantId: string,
  agentId: string,
  contact: JsonObject = {},
  call: JsonObject = {},
  options: { sandbox?: boolean } = {},
): Promise<Conversation> {
  const id = newId(IdPrefixes.Conversation);
  const sandbox = options.sandbox ?? false;
  const { rows } = await db.query<{ created_at: Date }>(
    'INSERT INTO conversations (id, tenant_id, agent_id, contact, call, sandbox) VALUES ($1, $2, $3, $4, $5, $6) RETURNING created_at',
    [id, tenantId, agentId, contact, call, sandbox],
  );
  return {
    id,
    tenantId,
    agentId,
    status: 'active',
    contact,
    call,
    sandbox,
    createdAt: (rows[0] as { created_at: Date }).created_at,
  };
}

interface ConversationRow {
  id: string;
  tenant_id: string;
  agent_id: string;
  status: 'active' | 'ended';
  contact: JsonObject;
  call: JsonObject;
  sandbox: boolean;
  created_at: Date;
}

const CONVERSATION_COLUMNS = 'id, tenant_id, agent_id, status, contact, call, sandbox, created_at';

function mapConversation(row: ConversationRow): Conversation {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    agentId: row.agent_id,
    status: row.status,
    contact: row.contact,
    call: row.call,
    sandbox: row.sandbox,
    createdAt: row.created_at,
  };
}

/** Finds a conversation of this tenant; another tenant's conversation is not found. */
export async function findConversation(db: Queryable, tenantId: string, id: string): Promise<Conversation | undefined> {
  const { rows } = await db.query<ConversationRow>(
    `SELECT ${CONVERSATION_COLUMNS} FROM conversations WHERE tenant_id = $1 AND id = $2`,
    [tenantId, id],
  );
  return rows[0] ? mapConversation(rows[0]) : undefined;
}

/**
 * Finds the conversation of this tenant whose voice call has this provider call id
 * (`call.sid`); the newest one if several share it. Another tenant's call is not found.
 */
export async function findConversationByCallSid(
  db: Queryable,
  tenantId: string,
  callSid: string,
): Promise<Conversation | undefined> {
  const { rows } = await db.query<ConversationRow>(
    `SELECT ${CONVERSATION_COLUMNS} FROM conversations
      WHERE tenant_id = $1 AND call->>'sid' = $2 ORDER BY created_at DESC LIMIT 1`,
    [tenantId, callSid],
  );
  return rows[0] ? mapConversation(rows[0]) : undefined;
}

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
 * With `identity`, a missing row is created first: the API removes its `accepted` row when a
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
  if (identity) {
    // The agent from the conversation: the outcome does not carry it.
    await db.query(
      `INSERT INTO action_runs (intent_id, tenant_id, conversation_id, action_name, status, agent_name)
       SELECT $1, $2, $3, $4, 'accepted',
              (SELECT a.name FROM conversations c JOIN agents a ON a.id = c.agent_id WHERE c.id = $3)
       ON CONFLICT (intent_id) DO NOTHING`,
      [intentId, identity.tenantId, identity.conversationId, identity.actionName],
    );
  }
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
    : undefined;
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
  };
}

/** Agents of a tenant, by name. */
export async function listAgents(
  db: Queryable,
  tenantId: string,
): Promise<{ id: string; name: string; publishedVersion: number | null }[]> {
  const { rows } = await db.query<{ id: string; name: string; published_version: number | null }>(
    'SELECT id, name, published_version FROM agents WHERE tenant_id = $1 ORDER BY name',
    [tenantId],
  );
  return rows.map((r) => ({ id: r.id, name: r.name, publishedVersion: r.published_version }));
}

/** Endpoints of a tenant, by name. */
export async function listEndpoints(db: Queryable, tenantId: string): Promise<Endpoint[]> {
  const { rows } = await db.query<{
    name: string;
    url: string;
    method: string;
    headers: Record<string, string>;
    timeout_ms: number;
    allow_private: boolean;
  }>('SELECT name, url, method, headers, timeout_ms, allow_private FROM endpoints WHERE tenant_id = $1 ORDER BY name', [
    tenantId,
  ]);
  return rows.map((r) => ({
    tenantId,
    name: r.name,
    url: r.url,
    method: r.method,
    headers: r.headers,
    timeoutMs: r.timeout_ms,
    allowPrivate: r.allow_private,
  }));
}
