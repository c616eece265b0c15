/** Request and response schemas of the turns routes: they validate requests and make the OpenAPI document. */

import { Type } from '@fastify/type-provider-typebox';
// The declarations emitted for schemas that spread a TypeBox schema name its symbol keys (TS4023).
// biome-ignore lint/correctness/noUnusedImports: used by the emitted declarations only
import type { Hint, Kind, OptionalKind, ReadonlyKind } from '@sinclair/typebox';
import { MAX_LLM_ROUNDS } from '../agent-loop/loop.js';
import { errorResponses } from '../responses.js';
import { ConversationParams } from './conversations.schemas.js';

export const Event = Type.Object({
  seq: Type.Integer(),
  kind: Type.String(),
  data: Type.Record(Type.String(), Type.Unknown()),
  at: Type.String(),
});

export const TurnAction = Type.Object({
  call_id: Type.String({ description: 'Tool call (run) id; empty when the call never reached the executor' }),
  name: Type.String({ description: 'Exact action name' }),
  trigger: Type.Union(
    ['tool', 'every_turn', 'after_turn', 'confirmation'].map((t) => Type.Literal(t)),
    { description: "tool: the model called it; every_turn/after_turn: deterministic; confirmation: the user's answer" },
  ),
  arguments: Type.Record(Type.String(), Type.Unknown()),
  status: Type.String(),
  messages: Type.Array(Type.String()),
  outputs: Type.Record(Type.String(), Type.Unknown()),
  events: Type.Array(Event),
  error: Type.Optional(Type.Object({ code: Type.String(), message: Type.String(), retryable: Type.Boolean() })),
});

export const TurnResponse = Type.Object({
  turn_id: Type.String(),
  text: Type.String({ description: "What to say to the user: the model's words of this turn, in order" }),
  actions: Type.Array(TurnAction, { description: 'Every action run in this turn, in order' }),
  events: Type.Array(Type.Composite([Event, Type.Object({ call_id: Type.String(), action: Type.String() })]), {
    description: 'The events of every action, in order (call_control: transfer, end_call…): act on them with the text',
  }),
  pending_confirmation: Type.Optional(
    Type.Object({
      call_id: Type.String(),
      action: Type.String(),
      arguments: Type.Record(Type.String(), Type.Unknown()),
    }),
  ),
  rounds: Type.Integer({ description: 'Calls made to the model' }),
  nudged: Type.Boolean({ description: 'The model announced an action without calling it and was asked to call it' }),
});

/** `POST /v1/conversations/:id/turns`. */
export const TurnSchema = {
  summary: "Run one agent turn: the agent's LLM answers the user's text, calling its actions",
  description: [
    "Runs the agent's `every_turn` actions, then its LLM (the agent's `llm` settings) with the rendered",
    'instructions, the transcript and `text`; the tools it calls run (exactly once each) and their results',
    `go back to it, until it answers in words (at most ${MAX_LLM_ROUNDS} LLM calls); then the \`after_turn\` actions.`,
    'The words and the actions of the turn come back together: when the model says "I\'ll transfer you" and',
    'calls the transfer, the transfer has run and its call_control event is in this response.',
    'An action that needs confirmation ends the turn with the question (`pending_confirmation`); the next',
    "turn's text answers it (only a clear yes confirms), or `confirmation` does explicitly.",
    'The user text, the words and the tool calls are kept in the transcript.',
    'With an `Idempotency-Key`, a repeated request answers with the finished turn (header `idempotent-replayed: true`:',
    'no LLM call, nothing kept twice), even after the conversation ended; a repeat while the turn runs gets 409',
    '`turn_in_progress`; a repeat after a failed attempt runs the turn again under the same turn id without keeping',
    'the text twice. The key with another text, confirmation or topic is refused with 422 `idempotency_key_reused`.',
  ].join(' '),
  params: ConversationParams,
  headers: Type.Object({ 'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 255 })) }),
  body: Type.Object(
    {
      text: Type.String({ minLength: 1, maxLength: 32_768, pattern: '^[^\\u0000]*$' }),
      confirmation: Type.Optional(
        Type.Boolean({ description: "An explicit answer to the last turn's pending confirmation" }),
      ),
      topic: Type.Optional(
        Type.String({
          minLength: 1,
          maxLength: 80,
          description: "A topic of the agent: its actions and instructions join the agent's for this turn",
        }),
      ),
    },
    { additionalProperties: false },
  ),
  response: {
    200: {
      ...TurnResponse,
      headers: {
        'idempotent-replayed': Type.Literal('true', { description: 'A repeat answered from the stored turn' }),
      },
    },
    // 409: a turn in progress, the conversation ended, the
    // agent's LLM settings or credential; 422: the key with another request; 502/503: the LLM
    // endpoint.
    ...errorResponses(404, 409, 422, 502, 503),
  },
};
