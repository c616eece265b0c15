import type { CallChannel, JsonObject } from '@switchboard/common';
import { type Conversation, findConversation } from './conversations.js';
import { IdPrefixes, newId } from './ids.js';
import type { Queryable } from './pool.js';

/** What {@link findOrCreateExternalConversation} needs to create a conversation. */
export interface ExternalConversationInput {
  tenantId: string;
  agentId: string;
  /**
   * The runtime's id of the call, namespaced by runtime (`vapi:<call id>`, `retell:<call id>`),
   * unique per (tenant, agent).
   */
  externalId: string;
  /** Contact variables; used only when the conversation is created. */
  contact?: JsonObject;
  /** The voice call (`{ sid?, from?, to? }`); used only when the conversation is created. */
  call?: JsonObject;
  /** A test call; used only when the conversation is created. */
  sandbox?: boolean;
  /** Who controls the call: the runtime of the drop-in endpoint. */
  channel: CallChannel;
  /**
   * The runtime's control URL of the call (Vapi `call.monitor.controlUrl`), if it sent one: set
   * when the conversation is created, and when a later request of the call brings another one.
   */
  controlUrl?: string;
}

/** The conversation of an external call, and whether this request created it. */
export interface ExternalConversation {
  conversation: Conversation;
  created: boolean;
}

/**
 * The conversation of this tenant and agent with this external id (a voice runtime's call id),
 * if any. Another tenant's or agent's conversation is not found.
 */
export async function findConversationByExternalId(
  db: Queryable,
  tenantId: string,
  agentId: string,
  externalId: string,
): Promise<Conversation | undefined> {
  const { rows } = await db.query<{ id: string }>(
    'SELECT id FROM conversations WHERE tenant_id = $1 AND agent_id = $2 AND external_id = $3',
    [tenantId, agentId, externalId],
  );
  const id = rows[0]?.id;
  return id === undefined ? undefined : findConversation(db, tenantId, id);
}

/**
 * The conversation of an external call: the existing one, or a new one with the given contact
 * and call context. Safe under concurrency: two requests for the same new call race on the
 * unique (tenant, agent, external id) index, one inserts and both return that conversation.
 */
export async function findOrCreateExternalConversation(
  db: Queryable,
  input: ExternalConversationInput,
): Promise<ExternalConversation> {
  const existing = await findConversationByExternalId(db, input.tenantId, input.agentId, input.externalId);
  if (existing) {
    if (input.controlUrl === undefined || input.controlUrl === existing.controlUrl) {
      return { conversation: existing, created: false };
    }
    // The first request of the call may have come without it (or the runtime moved the call).
    await db.query('UPDATE conversations SET control_url = $3 WHERE tenant_id = $1 AND id = $2', [
      input.tenantId,
      existing.id,
      input.controlUrl,
    ]);
    return { conversation: { ...existing, controlUrl: input.controlUrl }, created: false };
  }
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO conversations (id, tenant_id, agent_id, contact, call, sandbox, external_id, channel, control_url)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
     ON CONFLICT (tenant_id, agent_id, external_id) DO NOTHING RETURNING id`,
    [
      newId(IdPrefixes.Conversation),
      input.tenantId,
      input.agentId,
      input.contact ?? {},
      input.call ?? {},
      input.sandbox === true,
      input.externalId,
      input.channel,
      input.controlUrl ?? null,
    ],
  );
  const insertedId = rows[0]?.id;
  const conversation =
    insertedId !== undefined
      ? await findConversation(db, input.tenantId, insertedId)
      : await findConversationByExternalId(db, input.tenantId, input.agentId, input.externalId);
  // Only a concurrent delete (of the agent or tenant) between the two statements gets here.
  if (!conversation) throw new Error(`conversation for external id '${input.externalId}' vanished`);
  return { conversation, created: insertedId !== undefined };
}
