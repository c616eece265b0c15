/**
 * Contracts of async result delivery: when a tool call was answered before its chain ended (an
 * `async` action, or one past its `respond_within_ms`), the final result is delivered by a
 * workflow of its own, started by the session once the outcome is published (so a restart of
 * any service in between loses nothing: Temporal holds the delivery). The workflow imports these
 * as types only; the webhook worker implements the activities.
 */
import type { TaskQueueNames } from '@switchboard/contracts/temporal';

/** Workflow type name of {@link ResultDeliveryInput} runs (`resultDelivery`). */
export const RESULT_DELIVERY_WORKFLOW = 'resultDelivery';

/** Workflow id of one run's delivery: one per intent, so a repeated start joins it. */
export function resultDeliveryWorkflowId(intentId: string): string {
  return `result-delivery:${intentId}`;
}

/** Input of the delivery workflow. */
export interface ResultDeliveryInput {
  tenantId: string;
  intentId: string;
  /** The deployment's task queues (the deliveries run on the webhook queue); default names when absent. */
  taskQueues?: TaskQueueNames;
}

/** Where a result goes: the agent's result webhook, the Vapi call's control URL. */
export type ResultDeliveryTarget = 'webhook' | 'vapi';

/**
 * Attempts of one target's delivery (1 s, 2 s, 4 s … at most 60 s apart: about 5 minutes in
 * all). The activity records the outcome itself: on its last attempt, or on a permanent
 * refusal (a 4xx other than 408/429), it records `failed` and returns instead of throwing.
 */
export const RESULT_DELIVERY_MAX_ATTEMPTS = 10;

/** Activities of the webhook task queue that deliver results. */
export interface ResultDeliveryActivities {
  /** The targets this run's result goes to; none when its tool call was answered with the result. */
  planResultDelivery(input: { intentId: string }): Promise<ResultDeliveryTarget[]>;
  /** Delivers to one target and records the outcome on the run (see {@link RESULT_DELIVERY_MAX_ATTEMPTS}). */
  deliverResult(input: { intentId: string; target: ResultDeliveryTarget }): Promise<'delivered' | 'failed'>;
}
