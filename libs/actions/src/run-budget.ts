/**
 * How long a run of an action may take at most, from its canonical definition: every side
 * effect's attempts, timeouts and retry waits, and the user's confirmation where the action asks
 * for one. A run still unfinished well after its budget is *stuck* (the runs API and the
 * orchestrator's sweeper use it); the executor applies the same defaults, so the budget is what
 * the definition allows, not a guess.
 */
import { isPlainObject } from './json.js';
import type { CanonicalAction, EffectPolicy, EffectRetryPolicy, Step } from './model.js';
import { mergeEffectPolicies, readEffectPolicy } from './policy.js';

/** Every field of an effect policy, as the executor's defaults. */
export type EffectDefaults = Required<EffectRetryPolicy> & { timeoutMs: number };

/** Defaults of a webhook step's activity; an action's or step's `timeout_ms` / `retry` override them. */
export const WEBHOOK_EFFECT_DEFAULTS: EffectDefaults = {
  timeoutMs: 30_000,
  initialIntervalMs: 200,
  backoffCoefficient: 2,
  maximumIntervalMs: 10_000,
  maxAttempts: 5,
};

/** Defaults of a provider step's activity (every built-in operation, `http.request` included). */
export const PROVIDER_EFFECT_DEFAULTS: EffectDefaults = {
  timeoutMs: 30_000,
  initialIntervalMs: 250,
  backoffCoefficient: 2,
  maximumIntervalMs: 15_000,
  maxAttempts: 6,
};

/**
 * The policy an effect runs with: the definition's fields over the defaults, field by field. A
 * definition that sets only a small maximum interval lowers the initial interval with it
 * (Temporal refuses maximum < initial).
 */
export function effectivePolicy(defaults: EffectDefaults, policy: EffectPolicy | undefined): EffectDefaults {
  const retry = policy?.retry ?? {};
  const maximumIntervalMs = retry.maximumIntervalMs ?? defaults.maximumIntervalMs;
  return {
    timeoutMs: policy?.timeoutMs ?? defaults.timeoutMs,
    initialIntervalMs: Math.min(retry.initialIntervalMs ?? defaults.initialIntervalMs, maximumIntervalMs),
    backoffCoefficient: retry.backoffCoefficient ?? defaults.backoffCoefficient,
    maximumIntervalMs,
    maxAttempts: retry.maxAttempts ?? defaults.maxAttempts,
  };
}

/**
 * The longest one effect can take: every attempt running into its timeout, and the retry
 * waits between them (`initial × coefficient^n`, capped at the maximum interval). A provider's
 * `Retry-After` can ask for a longer wait than the policy's; such a run may outlive its budget
 * (and shows as stuck meanwhile).
 */
export function effectBudgetMs(policy: EffectDefaults): number {
  let total = policy.maxAttempts * policy.timeoutMs;
  let wait = policy.initialIntervalMs;
  for (let retry = 1; retry < policy.maxAttempts; retry++) {
    total += Math.min(wait, policy.maximumIntervalMs);
    wait *= policy.backoffCoefficient;
  }
  return total;
}

/** A side effect a chain can make, as the definition states it (see {@link actionEffects}). */
export interface ActionEffect {
  /** JSON pointer of the step in the canonical action, e.g. `/steps/0/then/1`. */
  stepPointer: string;
  kind: 'webhook' | 'provider';
  /** The provider operation (`calcom.book`, `sms.send`, …) of a provider step. */
  operation?: string;
  /** The step's policy merged over the action's (invalid fields left out: the executor refuses those). */
  policy: EffectPolicy | undefined;
}

/**
 * Every webhook and provider step of the action, in `steps`, `onSuccess` and `onFailure`, both
 * branches of every conditional included: what a run *can* call, not what one run does.
 */
export function actionEffects(action: CanonicalAction): ActionEffect[] {
  const rawActionPolicy: unknown = action.effectPolicy;
  const actionPolicy = isPlainObject(rawActionPolicy) ? readEffectPolicy(rawActionPolicy, 'camel').policy : undefined;
  const effects: ActionEffect[] = [];
  const walk = (steps: unknown, pointer: string): void => {
    if (!Array.isArray(steps)) return;
    steps.forEach((raw: unknown, i) => {
      if (!isPlainObject(raw)) return;
      const step = raw as unknown as Step;
      const at = `${pointer}/${i}`;
      if (step.type === 'webhook' || step.type === 'provider') {
        const own = readEffectPolicy(raw, 'snake').policy;
        effects.push({
          stepPointer: at,
          kind: step.type,
          ...(step.type === 'provider' && typeof step.operation === 'string' ? { operation: step.operation } : {}),
          policy: mergeEffectPolicies(actionPolicy, own),
        });
      } else if (step.type === 'conditional') {
        walk(step.then, `${at}/then`);
        walk(step.else, `${at}/else`);
      }
    });
  };
  walk(action.steps, '/steps');
  walk(action.onSuccess, '/onSuccess');
  walk(action.onFailure, '/onFailure');
  return effects;
}

/** What the budget depends on besides the definition: the executor's settings. */
export interface RunBudgetSettings {
  /** How long the executor waits for the user's confirmation (`CONFIRMATION_TIMEOUT_MS`). */
  confirmationTimeoutMs: number;
}

/**
 * The longest a run of `action` can take from acceptance to its result when nothing is wrong
 * with the system: the confirmation wait (when the action requires one) plus the
 * {@link effectBudgetMs} of every effect it can make, one after another. Operations the
 * session answers itself (`session.*`) take no time. Pure steps are not counted: they run in
 * microseconds inside the workflow. Time a run waits behind earlier calls of its conversation
 * is not counted either: callers add a grace margin for it.
 */
export function runBudgetMs(action: CanonicalAction, settings: RunBudgetSettings): number {
  let total = action.requireUserConfirmation === true ? settings.confirmationTimeoutMs : 0;
  for (const effect of actionEffects(action)) {
    if (effect.kind === 'provider' && effect.operation?.startsWith('session.')) continue;
    const defaults = effect.kind === 'webhook' ? WEBHOOK_EFFECT_DEFAULTS : PROVIDER_EFFECT_DEFAULTS;
    total += effectBudgetMs(effectivePolicy(defaults, effect.policy));
  }
  return total;
}
