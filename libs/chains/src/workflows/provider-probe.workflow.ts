/**
 * Runs one provider operation through Temporal with a given retry policy and reports the
 * outcome instead of failing. Used by the provider workers' integration tests and by operators
 * who want to try a provider call (a credential check, a sandbox fault) without an agent.
 */
import type { JsonValue } from '@switchboard/common';
import { ActivityFailure, ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { ProviderActivities, ProviderCall } from '../activity-types.js';

/** Input of {@link providerProbe}. */
export interface ProbeInput {
  call: ProviderCall;
  taskQueue: string;
  maximumAttempts?: number;
  initialIntervalMs?: number;
  startToCloseTimeoutMs?: number;
}

/** Outcome of {@link providerProbe}. */
export type ProbeOutcome =
  | { ok: true; result: JsonValue }
  | { ok: false; error: { code: string; message: string; retryable: boolean } };

export async function providerProbe(input: ProbeInput): Promise<ProbeOutcome> {
  const acts = proxyActivities<ProviderActivities>({
    taskQueue: input.taskQueue,
    startToCloseTimeout: input.startToCloseTimeoutMs ?? 30_000,
    retry: {
      initialInterval: input.initialIntervalMs ?? 100,
      backoffCoefficient: 2,
      maximumInterval: 2_000,
      maximumAttempts: input.maximumAttempts ?? 5,
    },
  });
  try {
    return { ok: true, result: await acts[input.call.operation]!(input.call) };
  } catch (err) {
    const cause = err instanceof ActivityFailure ? err.cause : err;
    if (cause instanceof ApplicationFailure) {
      return {
        ok: false,
        error: { code: cause.type ?? 'unknown', message: cause.message, retryable: !cause.nonRetryable },
      };
    }
    return {
      ok: false,
      error: { code: 'unknown', message: String((cause as Error)?.message ?? cause), retryable: true },
    };
  }
}
