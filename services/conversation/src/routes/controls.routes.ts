import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { inRequestContext } from '../request-context.js';
import { errorResponses } from '../responses.js';
import type { ControlRequestKind } from '../tool-calls.js';
import { ConversationParams, ToolCallResult } from './conversations.routes.js';

const ToolCallParams = Type.Composite([
  ConversationParams,
  Type.Object({ callId: Type.String({ pattern: '^int_[0-9a-f]{24,32}$', description: 'Tool call (run) id' }) }),
]);

/** 202: the tool call is still running when the wait ends; follow it with `GET /v1/runs/{callId}`. */
const Running = { ...ToolCallResult, description: 'Still running: follow it with GET /v1/runs/{callId}' };

/**
 * Confirmation, barge-in and delivery reports for tool calls in flight. Each publishes a
 * control message on the conversation's lane; the session workflow acts on it.
 */
export const controlRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const answer =
    (kind: ControlRequestKind) =>
    async (req: {
      principal: { tenantId: string };
      params: { id: string; callId: string };
      otel: { context: unknown };
    }) =>
      inRequestContext(req.otel.context as never, () =>
        app.toolCalls.control({
          tenantId: req.principal.tenantId,
          conversationId: req.params.id,
          intentId: req.params.callId,
          kind,
        }),
      );

  app.post(
    '/conversations/:id/tool-calls/:callId/confirmation',
    {
      schema: {
        description:
          "Answers a tool call that waits for the user's confirmation (`awaiting_confirmation`). The first answer counts; the response is the tool call's outcome (or `running`).",
        params: ToolCallParams,
        body: Type.Object({ confirmed: Type.Boolean() }, { additionalProperties: false }),
        response: { 200: ToolCallResult, 202: Running, ...errorResponses(404, 503) },
      },
    },
    async (req, reply) => {
      const result = await answer(req.body.confirmed ? 'confirm' : 'decline')(req);
      return reply.status(result.status === 'running' ? 202 : 200).send(result);
    },
  );

  app.post(
    '/conversations/:id/tool-calls/:callId/cancel',
    {
      schema: {
        description:
          'Barge-in: cancels the tool call unless a side effect already started; then it completes and reports (event `cancelled` with `ignored: true`). Never half-done.',
        params: ToolCallParams,
        response: { 200: ToolCallResult, 202: Running, ...errorResponses(404, 503) },
      },
    },
    async (req, reply) => {
      const result = await answer('cancel')(req);
      return reply.status(result.status === 'running' ? 202 : 200).send(result);
    },
  );

  app.post(
    '/conversations/:id/tool-calls/:callId/delivered',
    {
      schema: {
        description: "The voice runtime delivered the tool call's final message: a pending end call may hang up now.",
        params: ToolCallParams,
        response: { 202: Type.Object({ id: Type.String(), status: Type.String() }), ...errorResponses(404, 503) },
      },
    },
    async (req, reply) => {
      const result = await answer('delivered')(req);
      return reply.status(202).send({ id: result.id, status: result.status });
    },
  );
};
