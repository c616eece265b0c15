/** The CRM worker process: HubSpot operations on the CRM task queue. */
import { runProviderWorker } from '@switchboard/providers';
import { createCrmActivities } from './crm.activities.js';

await runProviderWorker({
  service: 'crm-worker',
  family: 'Crm',
  concurrencyEnv: 'CRM_MAX_CONCURRENT',
  createActivities: createCrmActivities,
});
