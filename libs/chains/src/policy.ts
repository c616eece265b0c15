/**
 * Activity options of side effects: what an action definition's `timeout_ms` / `retry` mean
 * for Temporal. Pure (no workflow APIs), so workflows and tests share it.
 */
import type { EffectPolicy, EffectRetryPolicy } from '@switchboard/actions';
import type { ActivityOptions } from '@temporalio/workflow';

/** Every field of an effect policy, as the executor's defaults. */
export type EffectDefaults = Required<EffectRetryPolicy> & { timeoutMs: number };

/** Defaults of an effect's activity; an action's or step's `timeout_ms` / `retry` override them. */
export const WEBHOOK_DEFAULTS: EffectDefaults = {
  timeoutMs: 30_000,
  initialIntervalMs: 200,
  backoffCoefficient: 2,
  maximumIntervalMs: 10_000,
  maxAttempts: 5,
};
export const PROVIDER_DEFAULTS: EffectDefaults = {
  timeoutMs: 30_000,
  initialIntervalMs: 250,
  backoffCoefficient: 2,
  maximumIntervalMs: 15_000,
  maxAttempts: 6,
};

/**
 * Activity options of an effect: the definition's policy over the defaults, field by field.
 * A definition that sets only a small maximum interval lowers the initial interval with it
 * (Temporal refuses maximum < initial).
 */
export function activityOptionsFor(
  queue: string,
  defaults: EffectDefaults,
  policy: EffectPolicy | undefined,
): ActivityOptions {
  const retry = policy?.retry ?? {};
  const maximumIntervalMs = retry.maximumIntervalMs ?? defaults.maximumIntervalMs;
  const initialIntervalMs = Math.min(retry.initialIntervalMs ?? defaults.initialIntervalMs, maximumIntervalMs);
  return {
    taskQueue: queue,
    startToCloseTimeout: policy?.timeoutMs ?? defaults.timeoutMs,
    retry: {
      initialInterval: initialIntervalMs,
      backoffCoefficient: retry.backoffCoefficient ?? defaults.backoffCoefficient,
      maximumInterval: maximumIntervalMs,
      maximumAttempts: retry.maxAttempts ?? defaults.maxAttempts,
    },
  };
}
