import type { JsonObject } from '@switchboard/common';
import type { RunStatus } from './action-runs.js';
import { handoffOf, type RunHandoff } from './handoffs.js';
import type { Queryable } from './pool.js';

/** Who said a transcript message. */
export type TranscriptRole = 'user' | 'assistant';

/** A message appended to a conversation's transcript. */
export interface TranscriptMessage {
  /** Its place in the conversation's transcript (increasing, not necessarily contiguous). */
  seq: number;
  role: TranscriptRole;
  text: string;
  createdAt: Date;
}

/** What {@link appendTranscriptMessage} did. */
export type AppendTranscriptOutcome =
  | { status: 'appended'; message: TranscriptMessage }
  | { status: 'not_found' }
  /** The conversation has ended: nothing was appended. */
  | { status: 'ended' };

/**
 * Appends a message to the conversation's transcript. One statement: the conversation row
 * hands out the next seq only while it is active, so a message is either appended in order or
 * refused, never half-written, and concurrent appends get distinct seqs.
 */
export async function appendTranscriptMessage(
  db: Queryable,
  tenantId: string,
  conversationId: string,
  role: TranscriptRole,
  text: string,
): Promise<AppendTranscriptOutcome> {
  const { rows } = await db.query<{ seq: number; created_at: Date }>(
    `WITH c AS (
       UPDATE conversations SET last_message_seq = last_message_seq + 1
        WHERE tenant_id = $1 AND id = $2 AND status = 'active'
        RETURNING id, last_message_seq
     )
     INSERT INTO conversation_messages (conversation_id, seq, tenant_id, role, text)
     SELECT c.id, c.last_message_seq, $1, $3, $4 FROM c
     RETURNING seq, created_at`,
    [tenantId, conversationId, role, text],
  );
  const row = rows[0];
  if (row) return { status: 'appended', message: { seq: row.seq, role, text, createdAt: row.created_at } };
  const { rows: found } = await db.query<{ status: string }>(
    'SELECT status FROM conversations WHERE tenant_id = $1 AND id = $2',
    [tenantId, conversationId],
  );
  return found[0] ? { status: 'ended' } : { status: 'not_found' };
}

/** A tool call as the transcript shows it: read from its audit row, so always current. */
export interface TranscriptToolCall {
  /** The tool call (run) id, `int_…`. */
  id: string;
  name: string;
  arguments: JsonObject;
  status: RunStatus;
  /** What the action said (empty until it finishes). */
  messages: string[];
  error: { code: string; message: string } | null;
  /** The agent that handled it (the conversation's active agent when it was made). */
  agent: string | null;
  /** Where it handed the conversation over to, once finished (see {@link handoffOf}). */
  handoff: RunHandoff | null;
}

/** One entry of a transcript, in `seq` order. */
export type TranscriptEntry =
  | { seq: number; kind: 'message'; role: TranscriptRole; text: string; at: Date }
  /** A tool call was made (its run accepted). */
  | { seq: number; kind: 'tool_call'; toolCall: TranscriptToolCall; at: Date }
  /** A tool call finished (its run turned terminal). */
  | { seq: number; kind: 'tool_result'; toolCall: TranscriptToolCall; at: Date };

interface EntryRow {
  seq: number;
  role: 'user' | 'assistant' | 'tool_call' | 'tool_result';
  text: string;
  created_at: Date;
  intent_id: string | null;
  action_name: string | null;
  arguments: JsonObject | null;
  status: RunStatus | null;
  result: { messages?: unknown; events?: unknown } | null;
  agent_name: string | null;
  error_code: string | null;
  error_message: string | null;
}

/**
 * A page of the conversation's transcript: entries with `seq > after`, oldest first, at most
 * `limit`. The caller checks the conversation belongs to the tenant; entries are tenant-scoped
 * too, so another tenant's conversation reads as empty.
 */
export async function listTranscript(
  db: Queryable,
  tenantId: string,
  conversationId: string,
  options: { after?: number; limit?: number } = {},
): Promise<TranscriptEntry[]> {
  const { rows } = await db.query<EntryRow>(
    `SELECT m.seq, m.role, m.text, m.created_at, m.intent_id,
            r.action_name, r.arguments, r.status, r.result, r.error_code, r.error_message, r.agent_name
       FROM conversation_messages m
       LEFT JOIN action_runs r ON r.intent_id = m.intent_id
      WHERE m.tenant_id = $1 AND m.conversation_id = $2 AND m.seq > $3
      ORDER BY m.seq
      LIMIT $4`,
    [tenantId, conversationId, options.after ?? 0, options.limit ?? 1000],
  );
  return rows.map((row): TranscriptEntry => {
    if (row.role === 'user' || row.role === 'assistant') {
      return { seq: row.seq, kind: 'message', role: row.role, text: row.text, at: row.created_at };
    }
    const messages = Array.isArray(row.result?.messages)
      ? row.result.messages.filter((m): m is string => typeof m === 'string')
      : [];
    const toolCall: TranscriptToolCall = {
      id: row.intent_id ?? '',
      name: row.action_name ?? '',
      arguments: row.arguments ?? {},
      status: row.status ?? 'accepted',
      messages,
      error: row.error_code ? { code: row.error_code, message: row.error_message ?? '' } : null,
      agent: row.agent_name,
      handoff: handoffOfStored(row.status, row.result?.events),
    };
    return { seq: row.seq, kind: row.role, toolCall, at: row.created_at };
  });
}

/** What {@link endConversation} did; `undefined` when the conversation is not the tenant's. */
export interface EndConversationOutcome {
  endedAt: Date;
  /** It had ended before: nothing changed (ending is idempotent). */
  alreadyEnded: boolean;
}

/** Marks the conversation ended: tool calls and messages are refused from then on. */
export async function endConversation(
  db: Queryable,
  tenantId: string,
  conversationId: string,
): Promise<EndConversationOutcome | undefined> {
  const { rows } = await db.query<{ ended_at: Date }>(
    `UPDATE conversations SET status = 'ended', ended_at = now()
      WHERE tenant_id = $1 AND id = $2 AND status = 'active'
      RETURNING ended_at`,
    [tenantId, conversationId],
  );
  if (rows[0]) return { endedAt: rows[0].ended_at, alreadyEnded: false };
  const { rows: found } = await db.query<{ ended_at: Date | null; created_at: Date }>(
    'SELECT ended_at, created_at FROM conversations WHERE tenant_id = $1 AND id = $2',
    [tenantId, conversationId],
  );
  const row = found[0];
  // A conversation ended by something that did not stamp `ended_at` still reads as ended.
  return row ? { endedAt: row.ended_at ?? row.created_at, alreadyEnded: true } : undefined;
}

/** Which of these conversations (any tenant: the ids come from authorised requests) have ended. */
export async function listEndedConversations(db: Queryable, ids: readonly string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const { rows } = await db.query<{ id: string }>(
    `SELECT id FROM conversations WHERE id = ANY($1::text[]) AND status = 'ended'`,
    [[...ids]],
  );
  return rows.map((r) => r.id);
}

/** The handoff of a finished run, from its stored events; `null` while it runs or without one. */
function handoffOfStored(status: RunStatus | null, events: unknown): RunHandoff | null {
  if (status !== 'succeeded' && status !== 'failed') return null;
  if (!Array.isArray(events)) return null;
  return handoffOf({ status, events: events as { kind: string; data?: unknown }[] }) ?? null;
}
