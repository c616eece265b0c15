import type { SandboxCompensationActivities, SandboxEffectView } from '@switchboard/chains';
import { listSandboxEffects, markSandboxEffect, type Queryable, type SandboxEffect } from '@switchboard/db';

/** A recorded effect as plain JSON for the workflow (no dates: it does not need them). */
function toView(e: SandboxEffect): SandboxEffectView {
  return {
    id: e.id,
    intentId: e.intentId,
    stepPointer: e.stepPointer,
    operation: e.operation,
    provider: e.provider,
    providerRef: e.providerRef,
    description: e.description,
    undo: e.undo,
    state: e.state,
    reason: e.reason,
  };
}

/**
 * The database side of the sandbox compensation workflow, on the chains task queue. Both are
 * safe to retry: listing reads, and marking only moves an effect that is still to undo.
 */
export function createSandboxCompensationActivities(deps: { db: Queryable }): SandboxCompensationActivities {
  return {
    async listSandboxEffects({ tenantId, conversationId }) {
      const effects = await listSandboxEffects(deps.db, tenantId, conversationId, { newestFirst: true });
      return effects.map(toView);
    },
    async markSandboxEffect({ tenantId, id, state, reason }) {
      await markSandboxEffect(deps.db, tenantId, id, state, reason);
    },
  };
}
