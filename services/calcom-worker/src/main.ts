/** Entry point of the Cal.com worker process: all wiring lives in `runProviderWorker`. */
import { TaskQueues } from '@switchboard/contracts/temporal';
import { runProviderWorker } from '@switchboard/providers';
import { createCalcomActivities } from './calcom.activities.js';

await runProviderWorker({
  service: 'calcom-worker',
  taskQueueEnv: 'CALCOM_TASK_QUEUE',
  defaultTaskQueue: TaskQueues.Calcom,
  concurrencyEnv: 'CALCOM_MAX_CONCURRENT',
  createActivities: createCalcomActivities,
});
