/**
 * The call of a run's conversation as `GET /v1/runs/:id` shows it: the conversation's
 * call-control channel and the call fields chains read as `call.*` (the runtime's call id,
 * runtime, assistant id, numbers, metadata). Never the Vapi control URL: it is a capability.
 */
import type { JsonObject } from '@switchboard/common';
import type { Conversation } from '@switchboard/db';

/** What {@link runCall} shows. */
export interface RunCall {
  channel: Conversation['channel'];
  sid?: string;
  id?: string;
  runtime?: string;
  assistant_id?: string;
  from?: string;
  to?: string;
  metadata?: JsonObject;
}

const TEXT_FIELDS = ['sid', 'id', 'runtime', 'assistant_id', 'from', 'to'] as const;

/** The shown call of `conversation`: its channel and the call fields that are set. */
export function runCall(conversation: Pick<Conversation, 'channel' | 'call'>): RunCall {
  const out: RunCall = { channel: conversation.channel };
  for (const field of TEXT_FIELDS) {
    const value = conversation.call[field];
    if (typeof value === 'string' && value !== '') out[field] = value;
  }
  const metadata = conversation.call.metadata;
  if (metadata !== null && typeof metadata === 'object' && !Array.isArray(metadata)) out.metadata = metadata;
  return out;
}
