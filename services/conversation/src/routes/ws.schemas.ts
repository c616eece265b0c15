/** Request and response schemas of the ws routes: they validate requests and make the OpenAPI document. */

import { Type } from '@fastify/type-provider-typebox';
// The declarations emitted for schemas that spread a TypeBox schema name its symbol keys (TS4023).
// biome-ignore lint/correctness/noUnusedImports: used by the emitted declarations only
import type { Hint, Kind, OptionalKind, ReadonlyKind } from '@sinclair/typebox';
import { errorResponse, errorResponses } from '../responses.js';
import { ConversationParams } from './conversations.schemas.js';

/** `GET /v1/conversations/:id/ws`. */
export const ConversationWebSocketSchema = {
  summary: "The conversation's events as a WebSocket",
  description:
    'Upgrade with `Connection: Upgrade`, `Upgrade: websocket`; the key as `Authorization: Bearer` or `?access_token=`. Each event or result is one text message, JSON `{seq, kind, intentId, data, at}`; reconnect with `?after=<seq>`. Closes with 1000 when the conversation ends, 1011 when the event stream fails, 1001 on shutdown.',
  params: ConversationParams,
  querystring: Type.Object(
    {
      after: Type.Optional(Type.String({ pattern: '^[0-9]{1,15}$', description: 'Send only messages after this seq' })),
      access_token: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
    },
    { additionalProperties: false },
  ),
  response: {
    101: Type.Null({ description: 'Switching Protocols: the WebSocket' }),
    426: {
      ...errorResponse(426),
      headers: { upgrade: Type.Literal('websocket') },
    },
    ...errorResponses(404),
  },
};
