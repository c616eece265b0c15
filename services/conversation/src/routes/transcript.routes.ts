import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { NotFoundError } from '@switchboard/common';
import {
  appendTranscriptMessage,
  endConversation,
  findConversation,
  listTranscript,
  type TranscriptEntry,
} from '@switchboard/db';
import type { ConversationEnds } from '../conversation-ends.js';
import { ConflictError } from '../errors.js';
import { Scopes } from '../scopes.js';
import { AppendMessageSchema, DEFAULT_PAGE, EndConversationSchema, TranscriptSchema } from './transcript.schemas.js';

/** Options of {@link transcriptRoutes}. */
export interface TranscriptRoutesOptions {
  /** Told when a conversation ends here, so its WebSocket streams close at once. */
  ends: ConversationEnds;
}

function toApi(entry: TranscriptEntry) {
  const at = entry.at.toISOString();
  return entry.kind === 'message'
    ? { seq: entry.seq, type: entry.kind, role: entry.role, text: entry.text, at }
    : { seq: entry.seq, type: entry.kind, toolCall: entry.toolCall, at };
}

/**
 * The conversation's transcript and end. Messages are appended by the caller (the voice
 * runtime or chat widget that hears the user and speaks for the agent); tool calls enter the
 * transcript by themselves, when accepted and when finished (see migration 009).
 */
export const transcriptRoutes: FastifyPluginAsyncTypebox<TranscriptRoutesOptions> = async (app, options) => {
  app.post(
    '/conversations/:id/messages',
    {
      config: { scope: Scopes.Conversations },
      schema: AppendMessageSchema,
    },
    async (req, reply) => {
      const outcome = await appendTranscriptMessage(
        app.deps.db,
        req.principal.tenantId,
        req.params.id,
        req.body.role,
        req.body.text,
      );
      if (outcome.status === 'not_found') throw new NotFoundError('conversation', req.params.id);
      if (outcome.status === 'ended') throw new ConflictError('the conversation has ended');
      const m = outcome.message;
      return reply.status(201).send({ seq: m.seq, role: m.role, text: m.text, at: m.createdAt.toISOString() });
    },
  );

  app.get(
    '/conversations/:id/transcript',
    {
      config: { scope: Scopes.Read },
      schema: TranscriptSchema,
    },
    async (req) => {
      const limit = req.query.limit === undefined ? DEFAULT_PAGE : Number(req.query.limit);
      const conversation = await findConversation(app.deps.db, req.principal.tenantId, req.params.id);
      if (!conversation) throw new NotFoundError('conversation', req.params.id);
      // One more than asked tells whether there is a next page.
      const entries = await listTranscript(app.deps.db, req.principal.tenantId, conversation.id, {
        after: req.query.after === undefined ? 0 : Number(req.query.after),
        limit: limit + 1,
      });
      const page = entries.slice(0, limit);
      return {
        conversationId: conversation.id,
        status: conversation.status,
        entries: page.map(toApi),
        next: entries.length > limit ? (page[page.length - 1]?.seq ?? null) : null,
      };
    },
  );

  app.post(
    '/conversations/:id/end',
    {
      config: { scope: Scopes.Conversations },
      schema: EndConversationSchema,
    },
    async (req) => {
      const outcome = await endConversation(app.deps.db, req.principal.tenantId, req.params.id);
      if (!outcome) throw new NotFoundError('conversation', req.params.id);
      options.ends.ended(req.params.id);
      return { id: req.params.id, status: 'ended' as const, endedAt: outcome.endedAt.toISOString() };
    },
  );
};
