/**
 * Delivers the final result of a tool call that was answered before its chain ended (see
 * `result-delivery.ts`): each target (result webhook, Vapi control URL) by an activity on the
 * webhook queue with bounded retries; the activities record every outcome on the run.
 */
import { TaskQueues } from '@switchboard/contracts/temporal';
import { proxyActivities } from '@temporalio/workflow';
import {
  RESULT_DELIVERY_MAX_ATTEMPTS,
  type ResultDeliveryActivities,
  type ResultDeliveryInput,
} from '../result-delivery.js';

export async function resultDelivery(input: ResultDeliveryInput): Promise<string[]> {
  const taskQueue = (input.taskQueues ?? TaskQueues).Webhook;
  const plan = proxyActivities<ResultDeliveryActivities>({
    taskQueue,
    startToCloseTimeout: '30 seconds',
    retry: { initialInterval: '1 second', maximumInterval: '30 seconds', maximumAttempts: 20 },
  });
  const deliver = proxyActivities<ResultDeliveryActivities>({
    taskQueue,
    // One POST (10 s timeout) and its bookkeeping.
    startToCloseTimeout: '30 seconds',
    retry: {
      initialInterval: '1 second',
      backoffCoefficient: 2,
      maximumInterval: '60 seconds',
      maximumAttempts: RESULT_DELIVERY_MAX_ATTEMPTS,
    },
  });
  const targets = await plan.planResultDelivery({ intentId: input.intentId });
  const outcomes = await Promise.all(
    targets.map(async (target) => {
      try {
        return `${target}:${await deliver.deliverResult({ intentId: input.intentId, target })}`;
      } catch {
        // Only when the activity could not even record its last attempt (database down).
        return `${target}:failed`;
      }
    }),
  );
  return outcomes;
}
