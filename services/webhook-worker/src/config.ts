import { EnvReader } from '@switchboard/common';
import { DEFAULT_VAPI_CONTROL_HOSTS } from '@switchboard/providers';

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
    vapiControlHosts: hostList(r.optional('VAPI_CONTROL_HOSTS')) ?? DEFAULT_VAPI_CONTROL_HOSTS,
  };
  r.done();
  return options;
}

/** `a.example, b.example` → the non-empty names; undefined when none. */
function hostList(value: string | undefined): string[] | undefined {
  const hosts = (value ?? '')
    .split(',')
    .map((h) => h.trim())
    .filter((h) => h !== '');
  return hosts.length > 0 ? hosts : undefined;
}
