import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { NotFoundError, SwitchboardError } from '@switchboard/common';
import { type Conversation, findConversation } from '@switchboard/db';
import type { FastifyRequest } from 'fastify';
import type { ConversationEnds } from '../conversation-ends.js';
import { Scopes } from '../scopes.js';
import { type EventSocket, streamEventsOverWebSocket } from '../ws.js';
import { ConversationWebSocketSchema } from './ws.schemas.js';

/** Options of {@link websocketRoutes}. */
export interface WebSocketRoutesOptions {
  ends: ConversationEnds;
}

/** 426: a WebSocket route asked without an upgrade. */
class UpgradeRequiredError extends SwitchboardError {
  constructor() {
    super('upgrade_required', 'this route is a WebSocket: send Connection: Upgrade and Upgrade: websocket');
  }
}

/** A URL with its `access_token` query value blanked, for logs. */
export function redactAccessToken(url: string): string {
  return url.replace(/([?&]access_token=)[^&#]*/g, '$1[redacted]');
}

/**
 * `GET /v1/conversations/:id/ws`: the conversation's events as a WebSocket (needs
 * `@fastify/websocket`, registered once on the app).
 *
 * Authenticated like every route, with `Authorization: Bearer sb_…` where the client can set
 * it, else `?access_token=sb_…` (browsers cannot set headers on a WebSocket; the token is
 * blanked in this route's request logs, but proxies may log URLs: prefer a short-lived,
 * narrowly-scoped key there). Errors before the upgrade (401, 403, 404, 400, 429) are plain
 * HTTP responses, and so is a request without an upgrade (426). Then each event or result is one text message, JSON
 * `{seq, kind, intentId, data, at}`; reconnect with `?after=<seq>` of the last one received to
 * miss nothing and see nothing twice. Closes with 1000 when the conversation ends (after its
 * last events), 1008 `api_key_revoked` within seconds of the key's revocation (through any
 * replica), 1011 when the event stream fails (reconnect with `after`), 1001 on shutdown.
 * Messages from the client are ignored.
 */
export const websocketRoutes: FastifyPluginAsyncTypebox<WebSocketRoutesOptions> = async (app, options) => {
  const conversations = new WeakMap<FastifyRequest, Conversation>();

  app.route({
    method: 'GET',
    url: '/conversations/:id/ws',
    config: { scope: Scopes.Conversations, queryToken: true },
    logSerializers: {
      req: (req: FastifyRequest) => ({ method: req.method, url: redactAccessToken(req.url) }),
    },
    schema: ConversationWebSocketSchema,
    // Before the upgrade, so an unknown (or another tenant's) conversation is a plain 404.
    preHandler: async (req: FastifyRequest<{ Params: { id: string } }>) => {
      const conversation = await findConversation(app.deps.db, req.principal.tenantId, req.params.id);
      if (!conversation) throw new NotFoundError('conversation', req.params.id);
      conversations.set(req, conversation);
    },
    wsHandler: async (
      socket: EventSocket,
      req: FastifyRequest<{ Params: { id: string }; Querystring: { after?: string } }>,
    ) => {
      const conversation = conversations.get(req);
      if (!conversation) {
        socket.close(1011, 'conversation not loaded');
        return;
      }
      await streamEventsOverWebSocket(
        { bus: app.deps.bus, ends: options.ends, revocations: app.keyRevocations, log: req.log },
        socket,
        conversation.id,
        req.principal.keyId,
        {
          ...(req.query.after !== undefined ? { afterSeq: Number(req.query.after) } : {}),
          ended: conversation.status === 'ended',
        },
      );
    },
    // A plain HTTP request (no upgrade) is told to upgrade, in the API's error shape.
    handler: async (_req, reply) =>
      reply.status(426).header('upgrade', 'websocket').send({ error: new UpgradeRequiredError().toJSON() }),
  });
};
