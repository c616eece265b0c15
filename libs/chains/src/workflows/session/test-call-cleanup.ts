/**
 * The end of a test call's session: its side effects undone (the sandbox compensation as a child
 * workflow, so it is as durable as the session) unless `keep_effects`, and the outcome recorded
 * on the conversation. Not a fire-and-forget from the HTTP handler: a crash anywhere between the
 * end and the last undo resumes here.
 */

import { ChildWorkflowFailure, executeChild, proxyActivities } from '@temporalio/workflow';
import { sandboxCompensationWorkflowId } from '../../sandbox-compensation.js';
import type { TestCallCleanup, TestCallCleanupActivities, TestCallEndTrigger } from '../../test-call-cleanup.js';
import { sandboxCompensation } from '../sandbox-compensation.workflow.js';

/** Patch id of the clean-up step: sessions that ended before it ended without one. */
export const TEST_CALL_CLEANUP_PATCH = 'seedmisc-test-call-cleanup';

const records = proxyActivities<TestCallCleanupActivities>({
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumInterval: '10 seconds' },
});

/** Cleans up after a sandbox conversation whose session ends (see the file comment). */
export async function cleanUpTestCall(
  tenantId: string,
  conversationId: string,
  trigger: TestCallEndTrigger,
): Promise<void> {
  const policy = await records.testCallEndPolicy({ tenantId, conversationId });
  if (!policy.sandbox) return;
  const at = () => new Date(Date.now()).toISOString();
  let cleanup: TestCallCleanup;
  if (policy.keepEffects) {
    cleanup = { status: 'kept', trigger, undone: [], irreversible: [], failed: [], at: at() };
  } else {
    try {
      const report = await executeChild(sandboxCompensation, {
        // Its own id: a compensation asked for by the API may be running (undoing is idempotent).
        workflowId: `${sandboxCompensationWorkflowId(tenantId, conversationId)}:end`,
        args: [{ tenantId, conversationId, ...(policy.taskQueues ? { taskQueues: policy.taskQueues } : {}) }],
        workflowExecutionTimeout: '1 hour',
      });
      cleanup = {
        status: report.failed.length > 0 ? 'incomplete' : 'undone',
        trigger,
        ...report,
        at: at(),
      };
    } catch (err) {
      // The compensation itself gave up (its hour ran out): nothing it did is lost (each undo
      // marked its record), and what is left is still pending for POST …/compensate.
      const reason = err instanceof ChildWorkflowFailure ? (err.cause?.message ?? err.message) : String(err);
      cleanup = {
        status: 'incomplete',
        trigger,
        undone: [],
        irreversible: [],
        failed: [
          {
            id: '',
            operation: 'sandboxCompensation',
            provider: '',
            providerRef: null,
            description: 'the automatic clean-up did not finish',
            reason,
          },
        ],
        at: at(),
      };
    }
  }
  await records.recordTestCallCleanup({ tenantId, conversationId, cleanup });
}
