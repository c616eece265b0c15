import { EnvReader } from '@switchboard/common';

/**
 * Settings of the webhook worker beyond those every provider worker reads (`runProviderWorker`
 * reads the Temporal, database, credentials, task queue and concurrency variables).
 */
export interface WebhookWorkerOptions {
  /** `WEBHOOK_MAX_RESPONSE_BYTES`: largest response body read; larger responses fail the call. */
  maxResponseBytes: number;
  /** `WEBHOOK_MAX_REDIRECTS`: redirects `http.request` follows (0–5; webhooks follow none). */
  maxRedirects: number;
}

/** Reads {@link WebhookWorkerOptions}, failing with every bad variable named. */
export function loadWebhookOptions(env: NodeJS.ProcessEnv = process.env): WebhookWorkerOptions {
  const r = new EnvReader(env);
  const options: WebhookWorkerOptions = {
    maxResponseBytes: r.int('WEBHOOK_MAX_RESPONSE_BYTES', 1_048_576, 1024, 100 * 1_048_576),
    maxRedirects: r.int('WEBHOOK_MAX_REDIRECTS', 5, 0, 5),
  };
  r.done();
  return options;
}
