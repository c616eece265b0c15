/** Request and response schemas of the ElevenLabs drop-in route: they validate requests and make the OpenAPI document. */
import { Type } from '@fastify/type-provider-typebox';
import { errorResponses } from '../responses.js';
import { DropinAgentParams, DropinQuery, RetellResult } from './dropin.schemas.js';

/**
 * The headers an exported ElevenLabs webhook tool sends, each filled from a system dynamic
 * variable (`requestHeaders` with `{ variableName }`); names as `ElevenLabsCallHeaders` in
 * `@switchboard/agents`.
 */
export const ElevenLabsHeaders = Type.Object({
  'x-elevenlabs-conversation-id': Type.String({
    minLength: 1,
    maxLength: 255,
    description: 'system__conversation_id: the conversation (call) the tool call belongs to',
  }),
  'x-elevenlabs-call-sid': Type.Optional(
    Type.String({ maxLength: 255, description: 'system__call_sid: the Twilio CallSid of a phone call' }),
  ),
  'x-elevenlabs-caller-id': Type.Optional(
    Type.String({ maxLength: 64, description: "system__caller_id: the caller's number" }),
  ),
  'x-elevenlabs-called-number': Type.Optional(
    Type.String({ maxLength: 64, description: 'system__called_number: the number called' }),
  ),
});

/** `?tool=` (a constant query parameter of each exported tool) and `?sandbox=`. */
export const ElevenLabsQuery = Type.Composite([
  DropinQuery,
  Type.Object({
    tool: Type.String({
      minLength: 1,
      maxLength: 200,
      description: 'The action (or its exported tool name) to run',
    }),
  }),
]);

/** `POST /v1/dropin/elevenlabs/:agent`. */
export const DropinElevenLabsSchema = {
  summary: 'ElevenLabs server tool (webhook) URL: runs the tool named in `?tool=` with the JSON body as arguments',
  params: DropinAgentParams,
  querystring: ElevenLabsQuery,
  headers: ElevenLabsHeaders,
  body: Type.Record(Type.String(), Type.Unknown(), { description: "The tool's arguments (its request body schema)" }),
  // A chain that fails is a 200 the model reads; 404: the agent; 503: the bus.
  response: { 200: RetellResult, ...errorResponses(404, 503) },
};
