import { type CallChannel, defaultCallChannel, type JsonObject } from '@switchboard/common';
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
  createdAt: Date;
}

export async function createConversation(
  db: Queryable,
  tenantId: string,
  agentId: string,
  contact: JsonObject = {},
  call: JsonObject = {},
  options: { sandbox?: boolean; channel?: CallChannel } = {},
): Promise<Conversation> {
  const id = newId(IdPrefixes.Conversation);
  const sandbox = options.sandbox ?? false;
  const channel = options.channel ?? defaultCallChannel(call);
  const { rows } = await db.query<{ created_at: Date }>(
    'INSERT INTO conversations (id, tenant_id, agent_id, contact, call, sandbox, channel) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING created_at',
    [id, tenantId, agentId, contact, call, sandbox, channel],
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
  created_at: Date;
}

const CONVERSATION_COLUMNS =
  'id, tenant_id, agent_id, status, contact, call, sandbox, channel, control_url, created_at';

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
