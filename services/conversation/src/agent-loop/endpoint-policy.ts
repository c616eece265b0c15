import { firstNonPublicAddress, SwitchboardError } from '@switchboard/common';

/**
 * Refuses an LLM base URL whose host resolves to a non-public address, unless the agent allows
 * private endpoints. Checked before each turn's first request; the resolution is not pinned to
 * the connection, so this stops configuration mistakes and plain internal URLs, not a
 * DNS-rebinding attacker (the webhook worker's connect-time guard does that for webhooks).
 *
 * @throws {SwitchboardError} `llm_endpoint_not_allowed` (not retryable).
 */
export async function assertLlmEndpointAllowed(baseUrl: string, allowPrivate: boolean): Promise<void> {
  if (allowPrivate) return;
  const host = new URL(baseUrl).hostname;
  // A name that does not resolve is not refused here: the request itself will fail, retryably.
  const bad = await firstNonPublicAddress(host).catch(() => undefined);
  if (bad !== undefined) {
    throw new SwitchboardError(
      'llm_endpoint_not_allowed',
      `the agent's LLM endpoint ${host} is on a non-public address; set llm.allow_private to use it`,
      { retryable: false, details: { host } },
    );
  }
}
