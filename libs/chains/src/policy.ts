/**
 * Activity options of side effects: what an action definition's `timeout_ms` / `retry` mean
 * for Temporal. Pure (no workflow APIs), so workflows and tests share it. The defaults and the
 * merge live in `@switchboard/actions` (`effectivePolicy`), where the run budget that says when
 * a run is stuck is computed from the same numbers.
 */
import {
  type EffectDefaults,
  type EffectPolicy,
  effectivePolicy,
  PROVIDER_EFFECT_DEFAULTS,
  WEBHOOK_EFFECT_DEFAULTS,
} from '@switchboard/actions';
import type { ActivityOptions } from '@temporalio/workflow';

export type { EffectDefaults };

/** Defaults of an effect's activity; an action's or step's `timeout_ms` / `retry` override them. */
export const WEBHOOK_DEFAULTS: EffectDefaults = WEBHOOK_EFFECT_DEFAULTS;
export const PROVIDER_DEFAULTS: EffectDefaults = PROVIDER_EFFECT_DEFAULTS;

/** Activity options of an effect: the definition's policy over the defaults, field by field. */
export function activityOptionsFor(
  queue: string,
  defaults: EffectDefaults,
  policy: EffectPolicy | undefined,
): ActivityOptions {
  const effective = effectivePolicy(defaults, policy);
  return {
    taskQueue: queue,
    startToCloseTimeout: effective.timeoutMs,
    retry: {
      initialInterval: effective.initialIntervalMs,
      backoffCoefficient: effective.backoffCoefficient,
      maximumInterval: effective.maximumIntervalMs,
      maximumAttempts: effective.maxAttempts,
    },
  };
}
