import { createHash, randomBytes } from 'node:crypto';
import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { NotFoundError } from '@switchboard/common';
import { ControlKind } from '@switchboard/contracts';
import { findConversation, listSandboxEffects, type SandboxEffectState } from '@switchboard/db';
import { publishControl } from '../controls.js';
import { ConflictError } from '../errors.js';
import { inRequestContext } from '../request-context.js';
import { errorResponses } from '../responses.js';
import { ConversationParams } from './conversations.routes.js';

const States = Type.Union([
  Type.Literal('pending'),
  Type.Literal('undone'),
  Type.Literal('failed'),
  Type.Literal('irreversible'),
]);
const Summary = Type.Object({
  pending: Type.Integer(),
  undone: Type.Integer(),
  failed: Type.Integer(),
  irreversible: Type.Integer(),
});
const Effect = Type.Object({
  id: Type.String({ description: 'Creation order; compensation undoes the highest first' }),
  runId: Type.String({ description: 'The tool call (run) that made it' }),
  step: Type.String({ description: 'JSON pointer of the step in the action' }),
  operation: Type.String({ description: 'e.g. calcom.book, crm.ticket, sms.send' }),
  provider: Type.String(),
  providerRef: Type.Union([Type.String(), Type.Null()], { description: 'Booking uid, ticket id, message SID…' }),
  description: Type.String(),
  undoOperation: Type.Union([Type.String(), Type.Null()], { description: 'Null when it cannot be undone' }),
  state: States,
  reason: Type.Union([Type.String(), Type.Null()], {
    description: 'Why it is irreversible, why its undo failed, or how it was undone',
  }),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});

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
      schema: {
        description:
          'Undoes every side effect of a test call (created with `sandbox: true`), newest first: bookings are cancelled, tickets and contacts created are archived, contact updates are reverted. Effects that cannot be undone (SMS, transfers, ended calls, custom HTTP calls) are reported. Asynchronous: follow `GET /v1/conversations/{id}/sandbox-effects`. Repeating it is harmless.',
        params: ConversationParams,
        headers: Type.Object({ 'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 255 })) }),
        response: {
          202: Type.Object({
            id: Type.String({ description: 'Id of the compensation request' }),
            status: Type.Literal('accepted'),
            effects: Summary,
          }),
          // 409: not a test call.
          ...errorResponses(404, 409, 503),
        },
      },
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
      schema: {
        description:
          'The side effects a test call recorded, oldest first, with what became of them: pending (to undo), undone, failed (the last compensation could not undo it; the next one retries) or irreversible.',
        params: ConversationParams,
        response: {
          200: Type.Object({ sandbox: Type.Boolean(), summary: Summary, effects: Type.Array(Effect) }),
          ...errorResponses(404),
        },
      },
    },
    async (req) => {
      const tenantId = req.principal.tenantId;
      const conversation = await findConversation(app.deps.db, tenantId, req.params.id);
      if (!conversation) throw new NotFoundError('conversation', req.params.id);
      const effects = await listSandboxEffects(app.deps.db, tenantId, conversation.id);
      return {
        sandbox: conversation.sandbox,
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
