/** Request and response schemas of the controls routes: they validate requests and make the OpenAPI document. */

import { Type } from '@fastify/type-provider-typebox';
// The declarations emitted for schemas that spread a TypeBox schema name its symbol keys (TS4023).
// biome-ignore lint/correctness/noUnusedImports: used by the emitted declarations only
import type { Hint, Kind, OptionalKind, ReadonlyKind } from '@sinclair/typebox';
import { errorResponses } from '../responses.js';
import { ConversationParams, ToolCallResult } from './conversations.schemas.js';

export const ToolCallParams = Type.Composite([
  ConversationParams,
  Type.Object({ callId: Type.String({ pattern: '^int_[0-9a-f]{24,32}$', description: 'Tool call (run) id' }) }),
]);

/** 202: the tool call is still running when the wait ends; follow it with `GET /v1/runs/{callId}`. */
export const Running = { ...ToolCallResult, description: 'Still running: follow it with GET /v1/runs/{callId}' };

/** `POST /v1/conversations/:id/tool-calls/:callId/confirmation`. */
export const ConfirmToolCallSchema = {
  description:
    "Answers a tool call that waits for the user's confirmation (`awaiting_confirmation`). The first answer counts; the response is the tool call's outcome (or `running`).",
  params: ToolCallParams,
  body: Type.Object({ confirmed: Type.Boolean() }, { additionalProperties: false }),
  response: { 200: ToolCallResult, 202: Running, ...errorResponses(404, 503) },
};

/** `POST /v1/conversations/:id/tool-calls/:callId/cancel`. */
export const CancelToolCallSchema = {
  description:
    'Barge-in: cancels the tool call unless a side effect already started; then it completes and reports (event `cancelled` with `ignored: true`). Never half-done.',
  params: ToolCallParams,
  response: { 200: ToolCallResult, 202: Running, ...errorResponses(404, 503) },
};

/** `POST /v1/conversations/:id/tool-calls/:callId/delivered`. */
export const ToolCallDeliveredSchema = {
  description: "The voice runtime delivered the tool call's final message: a pending end call may hang up now.",
  params: ToolCallParams,
  response: { 202: Type.Object({ id: Type.String(), status: Type.String() }), ...errorResponses(404, 503) },
};
