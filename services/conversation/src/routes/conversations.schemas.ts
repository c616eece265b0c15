/** Request and response schemas of the conversations routes: they validate requests and make the OpenAPI document. */

import { Type } from '@fastify/type-provider-typebox';
// The declarations emitted for schemas that spread a TypeBox schema name its symbol keys (TS4023).
// biome-ignore lint/correctness/noUnusedImports: used by the emitted declarations only
import type { Hint, Kind, OptionalKind, ReadonlyKind } from '@sinclair/typebox';
import { CALL_CHANNELS } from '@switchboard/common';
import { errorResponses } from '../responses.js';
import { UserContext } from './user-context.schemas.js';

export const ConversationParams = Type.Object({ id: Type.String({ pattern: '^conv_[0-9a-f]{24}$' }) });

/** A tool call's outcome, as every tool-call route answers. */
export const ToolCallResult = Type.Object({
  id: Type.String(),
  status: Type.Union([
    Type.Literal('accepted'),
    Type.Literal('running'),
    Type.Literal('awaiting_confirmation'),
    Type.Literal('succeeded'),
    Type.Literal('failed'),
    Type.Literal('cancelled'),
  ]),
  messages: Type.Array(Type.String()),
  events: Type.Array(
    Type.Object({
      seq: Type.Integer(),
      kind: Type.String(),
      data: Type.Record(Type.String(), Type.Unknown()),
      at: Type.String(),
    }),
  ),
  outputs: Type.Record(Type.String(), Type.Unknown()),
  error: Type.Optional(
    Type.Object({
      code: Type.String(),
      message: Type.String(),
      retryable: Type.Boolean(),
      step: Type.Optional(Type.String()),
    }),
  ),
});

/** The outcome of one target's delivery of an async result. */
export const DeliveryOutcome = Type.Object({
  status: Type.Union([Type.Literal('delivered'), Type.Literal('retrying'), Type.Literal('failed')]),
  attempts: Type.Integer(),
  at: Type.String({ format: 'date-time' }),
  httpStatus: Type.Optional(Type.Integer()),
  error: Type.Optional(Type.Object({ code: Type.String(), message: Type.String() })),
});

/** A pending tool call's answer: 202, with where to follow it. */
export const Pending = {
  ...ToolCallResult,
  description: "Still running, or waiting for the user's confirmation (`awaiting_confirmation`): follow `Location`",
  headers: { location: Type.String({ description: '`/v1/runs/{id}`' }) },
};

export const RunSummary = Type.Object({
  id: Type.String({ description: 'Tool call (run) id' }),
  action: Type.String(),
  agent: Type.Union([Type.String(), Type.Null()], {
    description:
      'The agent that handled it: the conversation’s active agent (after a handoff, the target) when the call was made',
  }),
  status: Type.String({ description: 'accepted, running, succeeded, failed, cancelled' }),
  acceptedAt: Type.String(),
  startedAt: Type.Union([Type.String(), Type.Null()]),
  finishedAt: Type.Union([Type.String(), Type.Null()]),
  durationMs: Type.Union([Type.Integer(), Type.Null()]),
  error: Type.Union([
    Type.Object({ code: Type.String(), message: Type.Union([Type.String(), Type.Null()]) }),
    Type.Null(),
  ]),
  traceId: Type.Union([Type.String(), Type.Null()]),
});

/** A conversation's call-control channel (see README, call-control channels). */
export const CallChannelSchema = Type.Union(
  CALL_CHANNELS.map((c) => Type.Literal(c)),
  { description: 'Who controls the live call: where transfer, end call and pause steps go' },
);

/** The call of a run's conversation, as chains read it (`call.*`). */
export const RunCall = Type.Object(
  {
    channel: CallChannelSchema,
    sid: Type.Optional(Type.String({ description: 'Twilio CallSid, when the call runs over Twilio' })),
    id: Type.Optional(Type.String({ description: "The voice runtime's call id (drop-in endpoints)" })),
    runtime: Type.Optional(Type.String({ description: 'vapi, retell, …: the runtime of the drop-in endpoint' })),
    assistant_id: Type.Optional(Type.String({ description: "The runtime's assistant (Vapi) or agent (Retell) id" })),
    from: Type.Optional(Type.String({ description: 'The customer, E.164' })),
    to: Type.Optional(Type.String({ description: 'The number called (ours on an inbound call), E.164' })),
    metadata: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), {
        description:
          "The runtime's call metadata and variables (Vapi metadata, variableValues; Retell metadata, dynamic variables)",
      }),
    ),
  },
  { description: "The call of the run's conversation, as its chain reads it (`call.*`)" },
);

export const Run = Type.Composite([
  ToolCallResult,
  Type.Object({
    action: Type.String(),
    agent: Type.Union([Type.String(), Type.Null()], { description: 'The agent that handled it' }),
    conversationId: Type.String(),
    call: Type.Optional(RunCall),
    durationMs: Type.Union([Type.Integer(), Type.Null()]),
    traceId: Type.Union([Type.String(), Type.Null()]),
    stuck: Type.Boolean({
      description: 'Still accepted or running after `deadlineAt` (derived, as `status=stuck` in `GET /v1/runs`)',
    }),
    deadlineAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
      description: 'When the run should be over at the latest: its action’s timeouts and retries plus a grace margin',
    }),
    answeredEarlyAt: Type.Optional(
      Type.String({
        format: 'date-time',
        description: 'Async results: when its tool call was answered `running`; the result is then delivered',
      }),
    ),
    deliveries: Type.Optional(
      Type.Record(Type.String({ description: 'webhook or vapi' }), DeliveryOutcome, {
        description: 'Async results: how the result was delivered, per target',
      }),
    ),
  }),
]);

/** `POST /v1/conversations`. */
export const CreateConversationSchema = {
  body: Type.Object(
    {
      agent: Type.String({ minLength: 1, maxLength: 200, description: 'Agent name, exact and case-sensitive' }),
      contact: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'Contact variables' })),
      call: Type.Optional(
        Type.Object(
          {
            sid: Type.Optional(
              Type.String({ minLength: 1, maxLength: 64, description: 'Provider call id (Twilio CallSid)' }),
            ),
            from: Type.Optional(Type.String({ pattern: '^\\+[1-9][0-9]{7,14}$', description: 'Caller, E.164' })),
            to: Type.Optional(Type.String({ pattern: '^\\+[1-9][0-9]{7,14}$', description: 'Called number, E.164' })),
          },
          { additionalProperties: false, description: 'The voice call this conversation belongs to' },
        ),
      ),
      sandbox: Type.Optional(
        Type.Boolean({
          default: false,
          description:
            'A test call: its side effects are recorded, undone when it ends (POST /v1/conversations/{id}/end, or its idle timeout) unless keep_effects, and on demand by POST /v1/conversations/{id}/compensate',
        }),
      ),
      keep_effects: Type.Optional(
        Type.Boolean({
          description:
            "A test call that keeps its side effects when it ends (a booking stays booked). Absent: the agent's keep_effects decides (default false: they are undone).",
        }),
      ),
      channel: Type.Optional(
        Type.Union(
          CALL_CHANNELS.map((c) => Type.Literal(c)),
          {
            description:
              'Who controls the live call, and so where transfer, end call and pause steps go (see README, call-control channels). Default: twilio when call.sid is set, else none',
          },
        ),
      ),
      control_url: Type.Optional(
        Type.String({
          minLength: 1,
          maxLength: 2048,
          description: "The call's Vapi Live Call Control URL (call.monitor.controlUrl); only with channel vapi",
        }),
      ),
      user: Type.Optional(UserContext),
    },
    { additionalProperties: false },
  ),
  response: {
    201: Type.Object({
      id: Type.String(),
      agent: Type.String(),
      sandbox: Type.Boolean(),
      channel: CallChannelSchema,
      user: UserContext,
    }),
    ...errorResponses(404),
  },
};

/** The `Server-Timing` header of a tool call's answer (see stage-timing.ts). */
const ToolCallTiming = Type.String({
  description:
    "Where the call's time went until it was accepted: each stage (`request`, the Postgres reads, `insert`, `intent-ack`, `accepted-ack`) as `<stage>;dur=<ms>`, then the service's recent event-loop delay (`loop-p50`, `loop-p99`)",
});

/** `POST /v1/conversations/:id/tool-calls`. */
export const CreateToolCallSchema = {
  params: ConversationParams,
  headers: Type.Object({
    'idempotency-key': Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 255,
        description:
          'Runs the request once: sent again with the same name, arguments (key order aside) and topic, it answers with that run; with another request, 422 idempotency_key_reused and nothing runs',
      }),
    ),
  }),
  body: Type.Object(
    {
      name: Type.String({ minLength: 1, maxLength: 200, description: 'Action name, exact and case-sensitive' }),
      arguments: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
      // Topics: run this topic's own copy of the action (without it, a name found in one
      // topic only resolves there; in several, 409).
      topic: Type.Optional(Type.String({ minLength: 1, maxLength: 80, description: 'Topic name, exact' })),
    },
    { additionalProperties: false },
  ),
  response: {
    200: {
      ...ToolCallResult,
      description: 'Finished: succeeded, failed or cancelled',
      headers: { 'server-timing': ToolCallTiming },
    },
    202: { ...Pending, headers: { ...Pending.headers, 'server-timing': ToolCallTiming } },
    // 404: the conversation, its agent, the action or the topic; 409: the conversation
    // ended, the action is in several topics, the action is not Configured
    // (`action_not_configured`); 422: the Idempotency-Key was first used for another request.
    ...errorResponses(404, 409, 422, 503),
  },
};

/** `GET /v1/conversations/:id/runs`. */
export const ListConversationRunsSchema = {
  summary: "The conversation's tool calls (runs), oldest first",
  params: ConversationParams,
  response: { 200: Type.Object({ runs: Type.Array(RunSummary) }), ...errorResponses(404) },
};

/** `GET /v1/runs/:id`. */
export const GetRunSchema = {
  summary: 'A tool call (run): its outcome and audit fields',
  params: Type.Object({ id: Type.String({ pattern: '^int_[0-9a-f]{24,32}$' }) }),
  response: { 200: Run, ...errorResponses(404) },
};

/** `GET /v1/conversations/:id/events`. */
export const ConversationEventsSchema = {
  summary: "The conversation's events and results as Server-Sent Events",
  description:
    'Replayed from the start, or after `Last-Event-ID`; each event is `id: <seq>`, `event: <kind>`, `data: <JSON>`. The stream stays open.',
  params: ConversationParams,
  headers: Type.Object({ 'last-event-id': Type.Optional(Type.String({ pattern: '^[0-9]+$' })) }),
  response: {
    200: {
      description: 'The event stream',
      // Each event, as a client's SSE parser reads it.
      content: {
        'text/event-stream': {
          schema: Type.Object({
            id: Type.String({ pattern: '^[0-9]+$', description: 'The sequence; resume with Last-Event-ID' }),
            event: Type.String({ description: 'accepted, respond, effect, handoff, log, …, result' }),
            data: Type.String({ description: 'JSON: `{intentId, seq, kind, data, at}`' }),
          }),
        },
      },
    },
    ...errorResponses(404, 503),
  },
};
