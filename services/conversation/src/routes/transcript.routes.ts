import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
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
import { errorResponses } from '../responses.js';
import { Scopes } from '../scopes.js';
import { ConversationParams } from './conversations.routes.js';

/** Options of {@link transcriptRoutes}. */
export interface TranscriptRoutesOptions {
  /** Told when a conversation ends here, so its WebSocket streams close at once. */
  ends: ConversationEnds;
}

const MAX_PAGE = 1000;
const DEFAULT_PAGE = 200;

const ToolCallEntry = Type.Object({
  id: Type.String({ description: 'Tool call (run) id' }),
  name: Type.String(),
  arguments: Type.Record(Type.String(), Type.Unknown()),
  status: Type.String({ description: 'Current status: accepted, running, succeeded, failed, cancelled' }),
  messages: Type.Array(Type.String()),
  error: Type.Union([Type.Object({ code: Type.String(), message: Type.String() }), Type.Null()]),
});

const Entry = Type.Object({
  seq: Type.Integer(),
  type: Type.Union([Type.Literal('message'), Type.Literal('tool_call'), Type.Literal('tool_result')]),
  role: Type.Optional(Type.Union([Type.Literal('user'), Type.Literal('assistant')])),
  text: Type.Optional(Type.String()),
  toolCall: Type.Optional(ToolCallEntry),
  at: Type.String(),
});

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
      schema: {
        summary: 'Append a message to the transcript',
        params: ConversationParams,
        body: Type.Object(
          {
            role: Type.Union([Type.Literal('user'), Type.Literal('assistant')]),
            text: Type.String({
              minLength: 1,
              maxLength: 32_768,
              // Postgres text cannot hold NUL; refuse it here with a precise error, not a 500.
              pattern: '^[^\\u0000]*$',
            }),
          },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Object({
            seq: Type.Integer(),
            role: Type.String(),
            text: Type.String(),
            at: Type.String(),
          }),
          // 409: the conversation has ended.
          ...errorResponses(404, 409),
        },
      },
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
      schema: {
        summary: 'The transcript: messages and tool calls, in order',
        params: ConversationParams,
        querystring: Type.Object(
          {
            after: Type.Optional(
              Type.String({ pattern: '^[0-9]{1,9}$', description: 'Only entries with a greater seq (paging)' }),
            ),
            limit: Type.Optional(
              Type.String({
                pattern: '^([1-9][0-9]{0,2}|1000)$',
                description: `Page size, 1..${MAX_PAGE} (default ${DEFAULT_PAGE})`,
              }),
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            conversationId: Type.String(),
            status: Type.String(),
            entries: Type.Array(Entry),
            next: Type.Union([Type.Integer(), Type.Null()], {
              description: 'Pass as `after` for the next page; null when this page is the last',
            }),
          }),
          ...errorResponses(404),
        },
      },
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
      schema: {
        summary: 'End the conversation',
        description:
          'Marks the conversation ended: tool calls and messages are refused with 409 from then on, and its WebSocket event streams close once their last events are sent. Repeating it is harmless. Nothing is published for the session workflow: the status is the signal.',
        params: ConversationParams,
        response: {
          200: Type.Object({ id: Type.String(), status: Type.Literal('ended'), endedAt: Type.String() }),
          ...errorResponses(404),
        },
      },
    },
    async (req) => {
      const outcome = await endConversation(app.deps.db, req.principal.tenantId, req.params.id);
      if (!outcome) throw new NotFoundError('conversation', req.params.id);
      options.ends.ended(req.params.id);
      return { id: req.params.id, status: 'ended' as const, endedAt: outcome.endedAt.toISOString() };
    },
  );
};
