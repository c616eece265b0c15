/**
 * The task queue variables, read in one place by the orchestrator and by every provider worker,
 * so the queues workflows schedule on and the queues workers poll come from the same names.
 */
import type { EnvReader } from '@switchboard/common';
import { type TaskQueueNames, TaskQueues } from './temporal.js';

/**
 * Reads the deployment's task queue names (`CHAINS_TASK_QUEUE`, `WEBHOOK_TASK_QUEUE`,
 * `CALCOM_TASK_QUEUE`, `TELEPHONY_TASK_QUEUE`, `CRM_TASK_QUEUE`; each defaults to
 * {@link TaskQueues}). Two families on one queue would hand each worker the other's activities,
 * so names that are not distinct are a problem of `r`.
 */
export function readTaskQueues(r: EnvReader): TaskQueueNames {
  const queues: TaskQueueNames = {
    Chains: r.string('CHAINS_TASK_QUEUE', TaskQueues.Chains),
    Webhook: r.string('WEBHOOK_TASK_QUEUE', TaskQueues.Webhook),
    Calcom: r.string('CALCOM_TASK_QUEUE', TaskQueues.Calcom),
    Telephony: r.string('TELEPHONY_TASK_QUEUE', TaskQueues.Telephony),
    Crm: r.string('CRM_TASK_QUEUE', TaskQueues.Crm),
  };
  const names = Object.values(queues);
  const shared = names.filter((name, i) => names.indexOf(name) !== i);
  if (shared.length > 0) {
    r.problem(`each *_TASK_QUEUE must name its own queue; '${[...new Set(shared)].join("', '")}' is named twice`);
  }
  return queues;
}
