import { TaskQueues } from '@switchboard/contracts/temporal';
import { runProviderWorker } from '@switchboard/providers';
import { createTelephonyActivities } from './telephony.activities.js';

await runProviderWorker({
  service: 'telephony-worker',
  taskQueueEnv: 'TELEPHONY_TASK_QUEUE',
  defaultTaskQueue: TaskQueues.Telephony,
  concurrencyEnv: 'TELEPHONY_MAX_CONCURRENT',
  createActivities: createTelephonyActivities,
});
