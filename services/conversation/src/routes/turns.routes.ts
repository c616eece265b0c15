import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { runConversationTurn, type TurnOutcome } from '../agent-loop/turn-service.js';
import { inRequestContext } from '../request-context.js';
import { Scopes } from '../scopes.js';
import { TurnSchema } from './turns.schemas.js';

/** The agent's own LLM loop: one request per user utterance. */
export const turnRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/conversations/:id/turns',
    {
      config: { scope: Scopes.Conversations },
      schema: TurnSchema,
    },
    async (req, reply) => {
      const key = req.headers['idempotency-key'];
      const outcome = await inRequestContext(req.otel.context, () =>
        runConversationTurn(
          { db: app.deps.db, toolCalls: app.toolCalls, keyring: app.deps.keyring, log: req.log },
          {
            tenantId: req.principal.tenantId,
            conversationId: req.params.id,
            text: req.body.text,
            ...(req.body.confirmation !== undefined ? { confirmation: req.body.confirmation } : {}),
            ...(req.body.topic !== undefined ? { topic: req.body.topic } : {}),
            ...(key !== undefined ? { idempotencyKey: key } : {}),
          },
        ),
      );
      if (outcome.replayed === true) void reply.header('idempotent-replayed', 'true');
      return toApi(outcome);
    },
  );
};

function toApi(outcome: TurnOutcome) {
  const pending = outcome.pendingConfirmation;
  return {
    turn_id: outcome.turnId,
    text: outcome.text,
    actions: outcome.actions.map((a) => ({
      call_id: a.callId,
      name: a.name,
      trigger: a.trigger,
      arguments: a.arguments,
      status: a.status,
      messages: a.messages,
      outputs: a.outputs,
      events: a.events,
      ...(a.error ? { error: a.error } : {}),
    })),
    events: outcome.actions.flatMap((a) => a.events.map((e) => ({ ...e, call_id: a.callId, action: a.name }))),
    ...(pending
      ? { pending_confirmation: { call_id: pending.callId, action: pending.action, arguments: pending.arguments } }
      : {}),
    rounds: outcome.rounds,
    nudged: outcome.nudged,
  };
}
