import { Type } from '@fastify/type-provider-typebox';
import { errorResponses } from '../responses.js';
import { ConversationParams } from './conversations.schemas.js';

export const States = Type.Union([
  Type.Literal('pending'),
  Type.Literal('undone'),
  Type.Literal('failed'),
  Type.Literal('irreversible'),
]);

export const Summary = Type.Object({
  pending: Type.Integer(),
  undone: Type.Integer(),
  failed: Type.Integer(),
  irreversible: Type.Integer(),
});

export const Effect = Type.Object({
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

const CleanupItem = Type.Object({
  id: Type.String(),
  operation: Type.String(),
  provider: Type.String(),
  providerRef: Type.Union([Type.String(), Type.Null()]),
  description: Type.String(),
  reason: Type.Union([Type.String(), Type.Null()]),
});

/** What the automatic clean-up at the end of a test call did. */
export const Cleanup = Type.Object(
  {
    status: Type.Union([Type.Literal('undone'), Type.Literal('incomplete'), Type.Literal('kept')], {
      description:
        'undone: every effect that can be undone was; incomplete: some could not be (failed; POST …/compensate tries again); kept: keep_effects said to leave them',
    }),
    trigger: Type.Union([Type.Literal('ended'), Type.Literal('idle')], {
      description: "ended: POST …/end; idle: the session's idle timeout",
    }),
    undone: Type.Array(CleanupItem, { description: 'Undone by the clean-up, newest effect first' }),
    irreversible: Type.Array(CleanupItem, { description: 'Can never be undone (SMS, transfers, custom HTTP calls)' }),
    failed: Type.Array(CleanupItem, { description: 'Could not be undone, with the reason' }),
    at: Type.String({ description: 'When it finished' }),
  },
  { description: 'What the automatic clean-up did when the test call ended; null until then' },
);

/** `POST /v1/conversations/:id/compensate`. */
export const CompensateSchema = {
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
};

/** `GET /v1/conversations/:id/sandbox-effects`. */
export const SandboxEffectsSchema = {
  description:
    'The side effects a test call recorded, oldest first, with what became of them: pending (to undo), undone, failed (the last compensation could not undo it; the next one retries) or irreversible.',
  params: ConversationParams,
  response: {
    200: Type.Object({
      sandbox: Type.Boolean(),
      keepEffects: Type.Union([Type.Boolean(), Type.Null()], {
        description: "The conversation's own keep_effects (null: its agent's decides when it ends)",
      }),
      cleanup: Type.Union([Cleanup, Type.Null()]),
      summary: Summary,
      effects: Type.Array(Effect),
    }),
    ...errorResponses(404),
  },
};
