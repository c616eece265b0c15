/** Request and response schemas of the dropin routes: they validate requests and make the OpenAPI document. */
import { type Static, Type } from '@fastify/type-provider-typebox';
import { errorResponses } from '../responses.js';

/** `:agent` in drop-in paths: the agent's exact name. */
export const DropinAgentParams = Type.Object({
  agent: Type.String({ minLength: 1, maxLength: 200, pattern: '^[^/\\s][^/]*$', description: 'Agent name' }),
});

/** `?sandbox=true`: a conversation created by this request is a test call. */
export const DropinQuery = Type.Object({
  // A query string is text and the service does not coerce types: accept the words.
  sandbox: Type.Optional(
    Type.Union([Type.Literal('true'), Type.Literal('false')], {
      description: 'Create new conversations as test calls',
    }),
  ),
});

/** `?signature_credential=` on the Retell endpoint: the `retell` credential its requests are signed with. */
export const RetellQuery = Type.Composite([
  DropinQuery,
  Type.Object({
    signature_credential: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 100,
        description: 'A retell credential: requests must carry a valid X-Retell-Signature made with its apiKey',
      }),
    ),
  }),
]);

export const CallId = Type.String({ minLength: 1, maxLength: 255 });

/** One entry of Vapi's `toolCallList`: `name`/`arguments` flat, or OpenAI-style under `function`. */
export const VapiToolCall = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 255, description: 'Tool call id; the Idempotency-Key' }),
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  arguments: Type.Optional(Type.Unknown({ description: 'Object, or a string holding a JSON object' })),
  function: Type.Optional(
    Type.Object({
      name: Type.String({ minLength: 1, maxLength: 200 }),
      arguments: Type.Optional(Type.Unknown()),
    }),
  ),
});
export type VapiToolCall = Static<typeof VapiToolCall>;

export const VapiBody = Type.Object({
  message: Type.Object({
    type: Type.String({ description: "Only 'tool-calls' runs anything; other server messages are acknowledged" }),
    toolCallList: Type.Optional(Type.Array(VapiToolCall, { maxItems: 64 })),
    toolWithToolCallList: Type.Optional(
      Type.Array(Type.Object({ toolCall: Type.Optional(VapiToolCall) }), { maxItems: 64 }),
    ),
    call: Type.Optional(Type.Object({ id: CallId })),
    customer: Type.Optional(Type.Unknown()),
    phoneNumber: Type.Optional(Type.Unknown()),
  }),
});

export const VapiResult = Type.Object({
  toolCallId: Type.String(),
  name: Type.String(),
  result: Type.String({ description: 'The messages, then `Outputs: {…}`; on failure, why' }),
  error: Type.Optional(Type.String({ description: 'Set when the chain failed or was cancelled' })),
});

export const RetellBody = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 200 }),
  args: Type.Optional(Type.Unknown()),
  call: Type.Object({ call_id: CallId }),
});

export const RetellResult = Type.Object({
  result: Type.String({ description: 'The messages, then `Outputs: {…}`; on failure, why' }),
  status: Type.String(),
  outputs: Type.Record(Type.String(), Type.Unknown()),
  error: Type.Optional(Type.Object({ code: Type.String(), message: Type.String() })),
});

/** `POST /v1/dropin/vapi/:agent`. */
export const DropinVapiSchema = {
  summary: 'Vapi server URL: runs the tool calls of a `tool-calls` message in order',
  params: DropinAgentParams,
  querystring: DropinQuery,
  body: VapiBody,
  // A chain that fails is a 200 the model reads; 404: the agent; 503: the bus.
  response: { 200: Type.Object({ results: Type.Optional(Type.Array(VapiResult)) }), ...errorResponses(404, 503) },
};

/** `POST /v1/dropin/retell/:agent`. */
export const DropinRetellSchema = {
  summary: 'Retell custom function URL: runs the function named in the body',
  params: DropinAgentParams,
  querystring: RetellQuery,
  body: RetellBody,
  // 401 also when `signature_credential` is set and X-Retell-Signature does not verify;
  // 409: that credential is missing or not a retell one; 503: no CREDENTIALS_KEYS, the bus.
  response: { 200: RetellResult, ...errorResponses(404, 409, 503) },
};
