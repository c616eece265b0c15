/** Starting a run's result delivery from outside a workflow (the orchestrator's local activity). */
import { type Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import { RESULT_DELIVERY_WORKFLOW, type ResultDeliveryInput, resultDeliveryWorkflowId } from './result-delivery.js';

/**
 * Starts `resultDelivery` for the run on `taskQueue` (the chains task queue). Idempotent: a
 * delivery of this intent that runs or completed is not started again (a retried local
 * activity, a replayed session); one that failed or was terminated may be.
 */
export async function startResultDeliveryWorkflow(
  client: Client,
  taskQueue: string,
  input: ResultDeliveryInput,
): Promise<void> {
  try {
    await client.workflow.start(RESULT_DELIVERY_WORKFLOW, {
      workflowId: resultDeliveryWorkflowId(input.intentId),
      taskQueue,
      args: [input],
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
}
