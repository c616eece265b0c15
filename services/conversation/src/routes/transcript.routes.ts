import { createHash } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { NotFoundError } from '@switchboard/common';
import { ControlKind } from '@switchboard/contracts';
import {
  appendTranscriptMessage,
  endConversation,
  findConversation,
  listTranscript,
  type TranscriptEntry,
} from '@switchboard/db';
import { publishControl } from '../controls.js';
import type { ConversationEnds } from '../conversation-ends.js';
import { ConflictError } from '../errors.js';
import { inRequestContext } from '../request-context.js';
import { Scopes } from '../scopes.js';
import { AppendMessageSchema, DEFAULT_PAGE, EndConversationSchema, TranscriptSchema } from './transcript.schemas.js';

/** Options of {@link transcriptRoutes}. */
export interface TranscriptRoutesOptions {
  /** Told when a conversation ends here, so its WebSocket streams close at once. */
  ends: ConversationEnds;
}

/** The control id of a conversation's end: one per conversation (JetStream drops repeats). */
export function endControlId(tenantId: string, conversationId: string): string {
  const digest = createHash('sha256').update(`${tenantId}\u0000${conversationId}\u0000end`).digest('hex');
  return `ctl_${digest.slice(0, 32)}`;
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
      const tenantId = req.principal.tenantId;
      const outcome = await endConversation(app.deps.db, tenantId, req.params.id);
      if (!outcome) throw new NotFoundError('conversation', req.params.id);
      options.ends.ended(req.params.id);
      // The session finishes what it has and ends (a test call cleans up first). Published again
      // when repeated, under the same id: a retry after a failed publish still reaches it.
      await inRequestContext(req.otel.context, () =>
        publishControl(app.deps, {
          controlId: endControlId(tenantId, req.params.id),
          tenantId,
          conversationId: req.params.id,
          kind: ControlKind.END,
        }),
      );
      return { id: req.params.id, status: 'ended' as const, endedAt: outcome.endedAt.toISOString() };
    },
  );
};
