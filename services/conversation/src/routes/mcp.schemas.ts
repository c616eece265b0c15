/** Request and response schemas of the mcp routes: they validate requests and make the OpenAPI document. */

import { Type } from '@fastify/type-provider-typebox';
// The declarations emitted for schemas that spread a TypeBox schema name its symbol keys (TS4023).
// biome-ignore lint/correctness/noUnusedImports: used by the emitted declarations only
import type { Hint, Kind, OptionalKind, ReadonlyKind } from '@sinclair/typebox';
import { ERROR_STATUSES, errorResponse, errorResponses } from '../responses.js';
import { DropinAgentParams, DropinQuery } from './dropin.schemas.js';

/** Request header naming the conversation every tool call of the connection runs in. */
export const CONVERSATION_HEADER = 'switchboard-conversation';

export const JsonRpcId = Type.Union([Type.String(), Type.Integer()]);

/** A JSON-RPC message from the client, as the OpenAPI document shows it (the SDK validates it). */
export const McpMessage = Type.Object({
  jsonrpc: Type.Literal('2.0'),
  id: Type.Optional(JsonRpcId),
  method: Type.Unsafe<string>({
    type: 'string',
    enum: ['initialize', 'ping', 'tools/list', 'tools/call', 'notifications/initialized', 'notifications/cancelled'],
    description: 'A request (with `id`) or a notification (without)',
  }),
  params: Type.Optional(
    Type.Record(Type.String(), Type.Unknown(), {
      description:
        'tools/call: `{name, arguments, _meta?: {conversationId?, idempotencyKey?}}`; initialize: `{protocolVersion, capabilities, clientInfo}`',
    }),
  ),
});

/** The JSON-RPC error the MCP transport answers a request it refuses with (400, 405, 406, 415). */
export const JsonRpcError = Type.Object(
  {
    jsonrpc: Type.Literal('2.0'),
    error: Type.Object({ code: Type.Integer(), message: Type.String(), data: Type.Optional(Type.Unknown()) }),
    id: Type.Union([JsonRpcId, Type.Null()]),
  },
  { description: 'JSON-RPC error of the MCP transport' },
);

/** A JSON-RPC response: the result of a request, or why it failed (`-32602`: unknown tool or conversation). */
export const JsonRpcResponse = Type.Object({
  jsonrpc: Type.Literal('2.0'),
  id: Type.Union([JsonRpcId, Type.Null()]),
  result: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  error: Type.Optional(
    Type.Object({ code: Type.Integer(), message: Type.String(), data: Type.Optional(Type.Unknown()) }),
  ),
});

/** Both shapes a status can come in: the API's own error, or the transport's JSON-RPC error. */
export const eitherError = (status: 400 | 415, transport: string) =>
  Type.Union([errorResponse(status), JsonRpcError], {
    description: `${ERROR_STATUSES[status]}; or a JSON-RPC error from the MCP transport (${transport})`,
  });

/** What every `/mcp/:agent` route takes. */
const McpRoute = { params: DropinAgentParams, querystring: DropinQuery, tags: ['mcp'] };

/**
 * The body `POST /mcp/:agent` documents: JSON-RPC messages. Documented only (the route takes
 * `Type.Unknown()`): the SDK validates it, so a client gets the JSON-RPC errors MCP defines.
 */
export const McpDocumentedBody = Type.Union([McpMessage, Type.Array(McpMessage, { minItems: 1 })]);

/** `POST /v1/mcp/:agent`. */
export const PostMcpSchema = {
  ...McpRoute,
  summary: "The agent's actions as an MCP server (Streamable HTTP, stateless, JSON responses)",
  headers: Type.Object({
    [CONVERSATION_HEADER]: Type.Optional(
      Type.String({
        maxLength: 64,
        description: 'The conversation tools/call runs in, unless `_meta` names one',
      }),
    ),
  }),
  body: Type.Unknown(),
  response: {
    200: {
      ...Type.Union([JsonRpcResponse, Type.Array(JsonRpcResponse)]),
      description: 'The JSON-RPC response (an array for a batch)',
    },
    202: Type.Null({ description: 'Only notifications or responses were sent: nothing to answer' }),
    400: eitherError(400, '-32700 parse error, -32600 invalid request'),
    406: {
      ...JsonRpcError,
      description:
        'Accept does not name both application/json and text/event-stream (no Accept, or */*, counts as both)',
    },
    415: eitherError(415, 'a request without a JSON body'),
    ...errorResponses(404),
  },
};

/** `GET` and `DELETE /mcp/:agent`: not offered. */
export const McpNotAllowedSchema = {
  ...McpRoute,
  summary: 'Not offered by this stateless server (no server-initiated stream, no session to end)',
  response: {
    405: { ...JsonRpcError, headers: { allow: Type.Literal('POST') } },
    ...errorResponses(404),
  },
};
