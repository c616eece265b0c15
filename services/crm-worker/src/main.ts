/** The CRM worker process: HubSpot operations on the CRM task queue. */
import { TaskQueues } from '@switchboard/contracts/temporal';
import { runProviderWorker } from '@switchboard/providers';
import { createCrmActivities } from './crm.activities.js';

await runProviderWorker({
  service: 'crm-worker',
  taskQueueEnv: 'CRM_TASK_QUEUE',
  defaultTaskQueue: TaskQueues.Crm,
  concurrencyEnv: 'CRM_MAX_CONCURRENT',
  createActivities: createCrmActivities,
});
