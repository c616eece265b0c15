import type { SandboxCompensationActivities, SandboxEffectView, TestCallCleanupActivities } from '@switchboard/chains';
import type { JsonObject } from '@switchboard/common';
import type { TaskQueueNames } from '@switchboard/contracts';
import {
  findTestCallEndPolicy,
  listSandboxEffects,
  markSandboxEffect,
  type Queryable,
  recordTestCallCleanup,
  type SandboxEffect,
} from '@switchboard/db';

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

/**
 * The database side of a test call's automatic clean-up (the session's end step): the decision
 * (sandbox, keep_effects, where the undo operations run) and the record of what it did. Both are
 * safe to retry: one reads, the other overwrites with the same value.
 */
export function createTestCallCleanupActivities(deps: {
  db: Queryable;
  taskQueues?: TaskQueueNames;
}): TestCallCleanupActivities {
  return {
    async testCallEndPolicy({ tenantId, conversationId }) {
      const policy = await findTestCallEndPolicy(deps.db, tenantId, conversationId);
      return { ...policy, ...(deps.taskQueues ? { taskQueues: deps.taskQueues } : {}) };
    },
    async recordTestCallCleanup({ tenantId, conversationId, cleanup }) {
      await recordTestCallCleanup(deps.db, tenantId, conversationId, cleanup as unknown as JsonObject);
    },
  };
}
