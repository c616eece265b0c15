/** Entry point of the Cal.com worker process: all wiring lives in `runProviderWorker`. */
import { runProviderWorker } from '@switchboard/providers';
import { createCalcomActivities } from './calcom.activities.js';

await runProviderWorker({
  service: 'calcom-worker',
  family: 'Calcom',
  concurrencyEnv: 'CALCOM_MAX_CONCURRENT',
  createActivities: createCalcomActivities,
});
