import type { ProviderActivities } from '@switchboard/chains';
import { runProviderWorker } from '@switchboard/providers';
import { loadWebhookOptions } from './config.js';
import { createResultDeliveryActivities } from './result-delivery.activities.js';
import { asProviderActivities, createWebhookActivities } from './webhook.activities.js';

// Read before anything connects, so a bad variable stops the process at once.
const options = loadWebhookOptions();

await runProviderWorker({
  service: 'webhook-worker',
  family: 'Webhook',
  concurrencyEnv: 'WEBHOOK_MAX_CONCURRENT',
  defaultConcurrency: 200,
  createActivities: (ctx) => ({
    ...asProviderActivities(createWebhookActivities({ ...ctx, ...options })),
    // Async results: the delivery of a result that was not in the tool call's answer.
    ...(createResultDeliveryActivities({ ...ctx, ...options }) as unknown as ProviderActivities),
  }),
});
