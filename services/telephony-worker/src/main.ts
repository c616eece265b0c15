import { runProviderWorker } from '@switchboard/providers';
import { createTelephonyActivities } from './telephony.activities.js';

await runProviderWorker({
  service: 'telephony-worker',
  family: 'Telephony',
  concurrencyEnv: 'TELEPHONY_MAX_CONCURRENT',
  createActivities: createTelephonyActivities,
});
