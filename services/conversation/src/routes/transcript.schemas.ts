/** Request and response schemas of the transcript routes: they validate requests and make the OpenAPI document. */
import { Type } from '@fastify/type-provider-typebox';
import { errorResponses } from '../responses.js';
import { ConversationParams } from './conversations.schemas.js';

export const MAX_PAGE = 1000;

export const DEFAULT_PAGE = 200;

export const ToolCallEntry = Type.Object({
  id: Type.String({ description: 'Tool call (run) id' }),
  name: Type.String(),
  arguments: Type.Record(Type.String(), Type.Unknown()),
  status: Type.String({ description: 'Current status: accepted, running, succeeded, failed, cancelled' }),
  messages: Type.Array(Type.String()),
  error: Type.Union([Type.Object({ code: Type.String(), message: Type.String() }), Type.Null()]),
  agent: Type.Union([Type.String(), Type.Null()], {
    description: 'The agent that handled it: the conversation’s active agent when the call was made',
  }),
  handoff: Type.Union([Type.Object({ target: Type.String(), topic: Type.Optional(Type.String()) }), Type.Null()], {
    description: 'Where the finished call handed the conversation over to (a `handoff` step), else null',
  }),
});

export const Entry = Type.Object({
  seq: Type.Integer(),
  type: Type.Union([Type.Literal('message'), Type.Literal('tool_call'), Type.Literal('tool_result')]),
  role: Type.Optional(Type.Union([Type.Literal('user'), Type.Literal('assistant')])),
  text: Type.Optional(Type.String()),
  toolCall: Type.Optional(ToolCallEntry),
  at: Type.String(),
});

/** `POST /v1/conversations/:id/messages`. */
export const AppendMessageSchema = {
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
};

/** `GET /v1/conversations/:id/transcript`. */
export const TranscriptSchema = {
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
};

/** `POST /v1/conversations/:id/end`. */
export const EndConversationSchema = {
  summary: 'End the conversation',
  description:
    "Marks the conversation ended: tool calls and messages are refused with 409 from then on, and its WebSocket event streams close once their last events are sent. Its session workflow finishes the tool calls it has and ends; a test call (sandbox) first undoes its side effects unless keep_effects (the conversation's or its agent's) says to keep them — see `cleanup` in GET /v1/conversations/{id}/sandbox-effects. Repeating it is harmless.",
  params: ConversationParams,
  response: {
    200: Type.Object({ id: Type.String(), status: Type.Literal('ended'), endedAt: Type.String() }),
    // 503: the message to the session could not be published (the conversation is ended; repeat).
    ...errorResponses(404, 503),
  },
};
