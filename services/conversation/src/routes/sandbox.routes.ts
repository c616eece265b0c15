import { createHash, randomBytes } from 'node:crypto';
import type { FastifyPluginAsyncTypebox, Static } from '@fastify/type-provider-typebox';
import { NotFoundError } from '@switchboard/common';
import { ControlKind } from '@switchboard/contracts';
import { findConversation, findTestCallCleanup, listSandboxEffects, type SandboxEffectState } from '@switchboard/db';
import { publishControl } from '../controls.js';
import { ConflictError } from '../errors.js';
import { inRequestContext } from '../request-context.js';
import { type Cleanup, CompensateSchema, SandboxEffectsSchema } from './sandbox.schemas.js';

/** The control id of a compensate request: derived from its Idempotency-Key, else random. */
export function compensateControlId(tenantId: string, conversationId: string, idempotencyKey?: string): string {
  if (idempotencyKey === undefined) return `ctl_${randomBytes(16).toString('hex')}`;
  const digest = createHash('sha256')
    .update(`${tenantId}\u0000${conversationId}\u0000compensate\u0000${idempotencyKey}`)
    .digest('hex');
  return `ctl_${digest.slice(0, 32)}`;
}

function summarize(states: SandboxEffectState[]): Record<SandboxEffectState, number> {
  const summary = { pending: 0, undone: 0, failed: 0, irreversible: 0 };
  for (const s of states) summary[s]++;
  return summary;
}

/**
 * Test calls (sandbox conversations): the side effects they recorded, and their clean-up.
 * Compensation runs in the orchestrator (a Temporal workflow); this service only asks for it,
 * with a `ConversationControl` on the conversation's lane.
 */
export const sandboxRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/conversations/:id/compensate',
    {
      schema: CompensateSchema,
    },
    async (req, reply) => {
      const tenantId = req.principal.tenantId;
      const conversation = await findConversation(app.deps.db, tenantId, req.params.id);
      if (!conversation) throw new NotFoundError('conversation', req.params.id);
      if (!conversation.sandbox) {
        throw new ConflictError(
          `conversation ${conversation.id} is not a test call: its side effects were not recorded and are not undone (create test calls with "sandbox": true)`,
        );
      }
      const controlId = compensateControlId(tenantId, conversation.id, req.headers['idempotency-key']);
      await inRequestContext(req.otel.context, () =>
        publishControl(app.deps, {
          controlId,
          tenantId,
          conversationId: conversation.id,
          kind: ControlKind.COMPENSATE,
        }),
      );
      const effects = await listSandboxEffects(app.deps.db, tenantId, conversation.id);
      reply.header('location', `/v1/conversations/${conversation.id}/sandbox-effects`);
      return reply
        .status(202)
        .send({ id: controlId, status: 'accepted', effects: summarize(effects.map((e) => e.state)) });
    },
  );

  app.get(
    '/conversations/:id/sandbox-effects',
    {
      schema: SandboxEffectsSchema,
    },
    async (req) => {
      const tenantId = req.principal.tenantId;
      const conversation = await findConversation(app.deps.db, tenantId, req.params.id);
      if (!conversation) throw new NotFoundError('conversation', req.params.id);
      const [effects, cleanup] = await Promise.all([
        listSandboxEffects(app.deps.db, tenantId, conversation.id),
        findTestCallCleanup(app.deps.db, tenantId, conversation.id),
      ]);
      return {
        sandbox: conversation.sandbox,
        keepEffects: cleanup?.keepEffects ?? null,
        cleanup: (cleanup?.cleanup ?? null) as Static<typeof Cleanup> | null,
        summary: summarize(effects.map((e) => e.state)),
        effects: effects.map((e) => ({
          id: e.id,
          runId: e.intentId,
          step: e.stepPointer,
          operation: e.operation,
          provider: e.provider,
          providerRef: e.providerRef,
          description: e.description,
          undoOperation: e.undo?.operation ?? null,
          state: e.state,
          reason: e.reason,
          createdAt: e.createdAt.toISOString(),
          updatedAt: e.updatedAt.toISOString(),
        })),
      };
    },
  );
};
