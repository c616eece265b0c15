import { type CallChannel, defaultCallChannel, type JsonObject } from '@switchboard/common';
import { type AgentWithSettings, mapAgentWithSettings } from './agents.js';
import { IdPrefixes, newId } from './ids.js';
import type { Queryable } from './pool.js';

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
  /** Who controls the live call: where call-control steps go (see `CallChannels`). */
  channel: CallChannel;
  /**
   * Vapi's Live Call Control URL of the call (`call.monitor.controlUrl`), when the runtime sent
   * one. A capability: never shown to clients or chains.
   */
  controlUrl?: string;
  /**
   * The agent the conversation is with now: `agentId` until a `handoff` moved it (then the
   * target's), so later tool calls and turns run that agent's actions.
   */
  activeAgentId: string;
  /** The topic a handoff moved the conversation into, if any (tool calls without a topic use it). */
  activeTopic: string | null;
  /** User context (`user.*` in chains): id, name, email, phone, locale, time_zone, attributes. */
  user: JsonObject;
  createdAt: Date;
}

export async function createConversation(
  db: Queryable,
  tenantId: string,
  agentId: string,
  contact: JsonObject = {},
  call: JsonObject = {},
  options: { sandbox?: boolean; channel?: CallChannel; controlUrl?: string; user?: JsonObject } = {},
): Promise<Conversation> {
  const id = newId(IdPrefixes.Conversation);
  const sandbox = options.sandbox ?? false;
  const channel = options.channel ?? defaultCallChannel(call);
  const user = options.user ?? {};
  const { rows } = await db.query<{ created_at: Date }>(
    `INSERT INTO conversations (id, tenant_id, agent_id, contact, call, sandbox, channel, control_url, user_context)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING created_at`,
    [id, tenantId, agentId, contact, call, sandbox, channel, options.controlUrl ?? null, user],
  );
  return {
    id,
    tenantId,
    agentId,
    status: 'active',
    contact,
    call,
    sandbox,
    channel,
    ...(options.controlUrl !== undefined ? { controlUrl: options.controlUrl } : {}),
    activeAgentId: agentId,
    activeTopic: null,
    user,
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
  channel: CallChannel;
  control_url: string | null;
  active_agent_id: string | null;
  active_topic: string | null;
  user_context: JsonObject;
  created_at: Date;
}

const CONVERSATION_COLUMNS =
  'id, tenant_id, agent_id, status, contact, call, sandbox, channel, control_url, active_agent_id, active_topic, user_context, created_at';

function mapConversation(row: ConversationRow): Conversation {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    agentId: row.agent_id,
    status: row.status,
    contact: row.contact,
    call: row.call,
    sandbox: row.sandbox,
    channel: row.channel,
    ...(row.control_url !== null ? { controlUrl: row.control_url } : {}),
    activeAgentId: row.active_agent_id ?? row.agent_id,
    activeTopic: row.active_topic,
    user: row.user_context,
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
 * {@link findConversation} with the agent it is with now (`activeAgentId`) and that agent's
 * settings, in one round trip (a tool call's hot path: it needs both). `agent` is undefined when
 * that agent no longer exists.
 */
export async function findConversationWithAgent(
  db: Queryable,
  tenantId: string,
  id: string,
): Promise<{ conversation: Conversation; agent: AgentWithSettings | undefined } | undefined> {
  const columns = CONVERSATION_COLUMNS.split(', ')
    .map((column) => `c.${column}`)
    .join(', ');
  const { rows } = await db.query<
    ConversationRow & {
      agent_name: string | null;
      agent_instructions: string | null;
      agent_locale: string | null;
      agent_runtimes: string[] | null;
    }
  >(
    `SELECT ${columns}, a.name AS agent_name, a.instructions AS agent_instructions,
            a.locale AS agent_locale, a.runtimes AS agent_runtimes
       FROM conversations c
       LEFT JOIN agents a ON a.tenant_id = c.tenant_id AND a.id = COALESCE(c.active_agent_id, c.agent_id)
      WHERE c.tenant_id = $1 AND c.id = $2`,
    [tenantId, id],
  );
  const row = rows[0];
  if (!row) return undefined;
  const conversation = mapConversation(row);
  // `agents.name` is NOT NULL: a null one is the left join finding no agent.
  const agent =
    row.agent_name === null
      ? undefined
      : mapAgentWithSettings(conversation.activeAgentId, tenantId, {
          name: row.agent_name,
          instructions: row.agent_instructions ?? '',
          locale: row.agent_locale,
          runtimes: row.agent_runtimes,
        });
  return { conversation, agent };
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
