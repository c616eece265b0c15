import {
  type CompensationReport,
  SANDBOX_COMPENSATION_WORKFLOW,
  type SandboxCompensationInput,
  sandboxCompensationWorkflowId,
} from '@switchboard/chains';
import type { TaskQueueNames } from '@switchboard/contracts';
import type { Client, WorkflowHandle } from '@temporalio/client';

/** Where compensations run: the chains queue, and the deployment's queues for the undo operations. */
export interface CompensationDeps {
  temporal: Client;
  taskQueue: string;
  /** Default names when absent. */
  taskQueues?: TaskQueueNames;
}

/**
 * Starts the clean-up of a sandbox conversation (a `CONTROL_KIND_COMPENSATE` control): the
 * `sandboxCompensation` workflow, one per (tenant, conversation). Idempotent: while one runs, a
 * second request (a retried API call, a redelivered control) joins it; once it has finished, a
 * new request runs it again, which undoes only what is still pending (usually nothing).
 * Resolves once Temporal has durably accepted the start, so the control can be acked.
 */
export async function startCompensation(
  deps: CompensationDeps,
  control: { tenantId: string; conversationId: string; controlId: string },
): Promise<void> {
  await startCompensationWorkflow(deps, control);
}

/** {@link startCompensation}, returning the workflow's handle (tests and tools wait on it). */
export async function startCompensationWorkflow(
  deps: CompensationDeps,
  control: { tenantId: string; conversationId: string; controlId?: string },
): Promise<WorkflowHandle<(input: SandboxCompensationInput) => Promise<CompensationReport>>> {
  const input: SandboxCompensationInput = {
    tenantId: control.tenantId,
    conversationId: control.conversationId,
    ...(control.controlId !== undefined ? { controlId: control.controlId } : {}),
    ...(deps.taskQueues !== undefined ? { taskQueues: deps.taskQueues } : {}),
  };
  return deps.temporal.workflow.start(SANDBOX_COMPENSATION_WORKFLOW, {
    workflowId: sandboxCompensationWorkflowId(control.tenantId, control.conversationId),
    taskQueue: deps.taskQueue,
    args: [input],
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    // Undo operations retry on their own; a compensation stuck longer than this is abandoned,
    // and its rows stay pending or failed for the next request.
    workflowExecutionTimeout: '1 hour',
  });
}
