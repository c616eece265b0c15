import { ConfigError, EnvReader } from '@switchboard/common';
import { vapiControlHostsFrom } from '@switchboard/providers';

/**
 * Settings of the webhook worker beyond those every provider worker reads (`runProviderWorker`
 * reads the Temporal, database, credentials, task queue and concurrency variables).
 */
export interface WebhookWorkerOptions {
  /** `WEBHOOK_MAX_RESPONSE_BYTES`: largest response body read; larger responses fail the call. */
  maxResponseBytes: number;
  /** `WEBHOOK_MAX_REDIRECTS`: redirects `http.request` follows (0–5; webhooks follow none). */
  maxRedirects: number;
  /**
   * `VAPI_CONTROL_HOSTS`: comma-separated hosts (and their subdomains) a Vapi call's control
   * URL may point at, for async results delivered by `add-message` (default `vapi.ai`).
   */
  vapiControlHosts: readonly string[];
}

/** Reads {@link WebhookWorkerOptions}, failing with every bad variable named. */
export function loadWebhookOptions(env: NodeJS.ProcessEnv = process.env): WebhookWorkerOptions {
  const r = new EnvReader(env);
  const options: WebhookWorkerOptions = {
    maxResponseBytes: r.int('WEBHOOK_MAX_RESPONSE_BYTES', 1_048_576, 1024, 100 * 1_048_576),
    maxRedirects: r.int('WEBHOOK_MAX_REDIRECTS', 5, 0, 5),
    vapiControlHosts: vapiControlHostsFrom(r.optional('VAPI_CONTROL_HOSTS')),
  };
  r.done();
  if (options.vapiControlHosts.length === 0) throw new ConfigError(['VAPI_CONTROL_HOSTS must name at least one host']);
  return options;
}
