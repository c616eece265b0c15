import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { inRequestContext } from '../request-context.js';
import type { ControlRequestKind } from '../tool-calls.js';
import { CancelToolCallSchema, ConfirmToolCallSchema, ToolCallDeliveredSchema } from './controls.schemas.js';

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
      schema: ConfirmToolCallSchema,
    },
    async (req, reply) => {
      const result = await answer(req.body.confirmed ? 'confirm' : 'decline')(req);
      return reply.status(result.status === 'running' ? 202 : 200).send(result);
    },
  );

  app.post(
    '/conversations/:id/tool-calls/:callId/cancel',
    {
      schema: CancelToolCallSchema,
    },
    async (req, reply) => {
      const result = await answer('cancel')(req);
      return reply.status(result.status === 'running' ? 202 : 200).send(result);
    },
  );

  app.post(
    '/conversations/:id/tool-calls/:callId/delivered',
    {
      schema: ToolCallDeliveredSchema,
    },
    async (req, reply) => {
      const result = await answer('delivered')(req);
      return reply.status(202).send({ id: result.id, status: result.status });
    },
  );
};
