/**
 * Effect policies: the timeout and retry policy of webhook and provider calls.
 *
 * A policy is written in two namings. Steps, declarative tools and typed actions use
 * snake_case (`timeout_ms`, `retry.max_attempts`, `retry.initial_interval_ms`, `retry.backoff`,
 * `retry.max_interval_ms`), like every other property of those formats; the canonical
 * `CanonicalAction.effectPolicy` and `EffectRequest.policy` use the camelCase
 * {@link EffectPolicy}. {@link readEffectPolicy} reads either naming, checks types and bounds
 * ({@link EffectPolicyLimits}) and converts to {@link EffectPolicy}; validators report its
 * problems, the interpreter refuses a definition that has any.
 *
 * The policy of one effect is the step's policy merged over the action's default
 * ({@link mergeEffectPolicies}): every field the step sets wins, the others come from the
 * action, and fields set nowhere are left to the executor.
 */
import { describeFound, isPlainObject, ownGet } from './json.js';
import { type EffectPolicy, EffectPolicyLimits, type EffectRetryPolicy } from './model.js';
import { closestMatch } from './suggest.js';

/** How a policy is spelled: snake_case in surface formats and steps, camelCase in the canonical action. */
export type PolicyNaming = 'snake' | 'camel';

/** A problem with a written policy, located relative to where it was read (like `ValueProblem`). */
export interface PolicyProblem {
  /** Reference tokens from the holder, e.g. `['retry', 'max_attempts']`. */
  at: string[];
  message: string;
  expected?: string;
  found?: string;
  suggestion?: string;
}

interface PolicyField<K extends string> {
  key: K;
  snake: string;
  min: number;
  max: number;
  integer: boolean;
}

const TIMEOUT_FIELD: PolicyField<'timeoutMs'> = {
  key: 'timeoutMs',
  snake: 'timeout_ms',
  ...EffectPolicyLimits.timeoutMs,
  integer: true,
};
const RETRY_FIELDS: readonly PolicyField<keyof EffectRetryPolicy>[] = [
  { key: 'maxAttempts', snake: 'max_attempts', ...EffectPolicyLimits.maxAttempts, integer: true },
  { key: 'initialIntervalMs', snake: 'initial_interval_ms', ...EffectPolicyLimits.initialIntervalMs, integer: true },
  { key: 'backoffCoefficient', snake: 'backoff', ...EffectPolicyLimits.backoffCoefficient, integer: false },
  { key: 'maximumIntervalMs', snake: 'max_interval_ms', ...EffectPolicyLimits.maximumIntervalMs, integer: true },
];

/** The property names of a policy in one naming: the timeout, the retry object, the retry fields. */
function policyKeys(naming: PolicyNaming): { timeout: string; retry: string; retryFields: string[] } {
  const name = (field: PolicyField<string>): string => (naming === 'snake' ? field.snake : field.key);
  return { timeout: name(TIMEOUT_FIELD), retry: 'retry', retryFields: RETRY_FIELDS.map(name) };
}

/**
 * Reads the policy properties of `holder`: in snake naming a step or a surface document (its
 * `timeout_ms` and `retry`; its other properties are the caller's business), in camel naming
 * an `EffectPolicy` object itself (`timeoutMs`, `retry`, nothing else). Returns the policy made
 * of the valid fields (`undefined` when none is set) and every problem found.
 */
export function readEffectPolicy(
  holder: Record<string, unknown>,
  naming: PolicyNaming,
): { policy: EffectPolicy | undefined; problems: PolicyProblem[] } {
  const problems: PolicyProblem[] = [];
  const keys = policyKeys(naming);
  if (naming === 'camel') unknownKeys(holder, [], [keys.timeout, keys.retry], 'an effect policy', naming, problems);
  const policy: EffectPolicy = {};
  const timeout = readField(holder, TIMEOUT_FIELD, naming, [], problems);
  if (timeout !== undefined) policy.timeoutMs = timeout;
  const rawRetry = ownGet(holder, keys.retry);
  if (rawRetry !== undefined) {
    if (!isPlainObject(rawRetry)) {
      problems.push({
        at: [keys.retry],
        message: `'${keys.retry}' must be an object with any of ${keys.retryFields.join(', ')}`,
        expected: 'an object',
        found: describeFound(rawRetry),
      });
    } else {
      unknownKeys(rawRetry, [keys.retry], keys.retryFields, 'a retry policy', naming, problems);
      const retry: EffectRetryPolicy = {};
      for (const field of RETRY_FIELDS) {
        const value = readField(rawRetry, field, naming, [keys.retry], problems);
        if (value !== undefined) retry[field.key] = value;
      }
      const initial = retry.initialIntervalMs;
      const maximum = retry.maximumIntervalMs;
      if (initial !== undefined && maximum !== undefined && maximum < initial) {
        const [initialKey, maximumKey] = naming === 'snake' ? RETRY_INTERVAL_SNAKE : RETRY_INTERVAL_CAMEL;
        problems.push({
          at: [keys.retry, maximumKey],
          message: `'${maximumKey}' (${maximum}) must be at least '${initialKey}' (${initial})`,
          expected: `at least ${initial}`,
          found: describeFound(maximum),
        });
        delete retry.maximumIntervalMs;
      }
      if (Object.keys(retry).length > 0) policy.retry = retry;
    }
  }
  return { policy: Object.keys(policy).length > 0 ? policy : undefined, problems };
}

const RETRY_INTERVAL_SNAKE = ['initial_interval_ms', 'max_interval_ms'] as const;
const RETRY_INTERVAL_CAMEL = ['initialIntervalMs', 'maximumIntervalMs'] as const;

function readField(
  holder: Record<string, unknown>,
  field: PolicyField<string>,
  naming: PolicyNaming,
  at: string[],
  problems: PolicyProblem[],
): number | undefined {
  const name = naming === 'snake' ? field.snake : field.key;
  const value = ownGet(holder, name);
  if (value === undefined) return undefined;
  const isNumber = typeof value === 'number' && Number.isFinite(value);
  if (isNumber && (!field.integer || Number.isSafeInteger(value)) && value >= field.min && value <= field.max) {
    return value;
  }
  const kind = field.integer ? 'an integer' : 'a number';
  const expected = `${kind} from ${field.min} to ${field.max}`;
  // A duration written in seconds is the likely slip: say so when ×1000 is a valid value
  // (rounded, so that 2.5 s is 2500 ms despite binary floating point).
  const scaled = isNumber ? Math.round(value * 1000) : Number.NaN;
  const inSeconds =
    isNumber &&
    name.endsWith('ms') &&
    value < field.min &&
    Math.abs(scaled - value * 1000) < 1e-6 &&
    scaled >= field.min &&
    scaled <= field.max
      ? scaled
      : undefined;
  problems.push({
    at: [...at, name],
    message: `'${name}' must be ${expected}${inSeconds === undefined ? '' : ` (milliseconds — did you mean ${inSeconds}?)`}`,
    expected,
    found: describeFound(value),
    ...(inSeconds === undefined ? {} : { suggestion: String(inSeconds) }),
  });
  return undefined;
}

function unknownKeys(
  obj: Record<string, unknown>,
  at: string[],
  allowed: readonly string[],
  where: string,
  naming: PolicyNaming,
  problems: PolicyProblem[],
): void {
  for (const key of Object.keys(obj)) {
    if (allowed.includes(key)) continue;
    // The same field in the other naming (`max_interval_ms` in a canonical policy) is the likely slip.
    const field = [TIMEOUT_FIELD, ...RETRY_FIELDS].find((f) => (naming === 'snake' ? f.key : f.snake) === key);
    const translated = field === undefined ? undefined : naming === 'snake' ? field.snake : field.key;
    const suggestion =
      translated !== undefined && allowed.includes(translated) ? translated : closestMatch(key, allowed);
    problems.push({
      at: [...at, key],
      message: `unknown property '${key}' in ${where}${suggestion ? ` — did you mean '${suggestion}'?` : ''}`,
      expected: `one of ${allowed.join(', ')}`,
      found: `'${key}'`,
      ...(suggestion ? { suggestion } : {}),
    });
  }
}

/**
 * Merges two policies field by field: every field `override` sets wins (inside `retry` too),
 * the others come from `base`. Returns `undefined` when neither sets anything, and never an
 * empty `retry`. Inputs are not mutated; the result shares nothing with them.
 */
export function mergeEffectPolicies(
  base: EffectPolicy | undefined,
  override: EffectPolicy | undefined,
): EffectPolicy | undefined {
  const merged: EffectPolicy = {};
  const timeout = override?.timeoutMs ?? base?.timeoutMs;
  if (timeout !== undefined) merged.timeoutMs = timeout;
  const retry: EffectRetryPolicy = {};
  for (const { key } of RETRY_FIELDS) {
    const value = override?.retry?.[key] ?? base?.retry?.[key];
    if (value !== undefined) retry[key] = value;
  }
  if (Object.keys(retry).length > 0) merged.retry = retry;
  return Object.keys(merged).length > 0 ? merged : undefined;
}

/**
 * Why a (merged) policy cannot be run, or `undefined`: a maximum retry interval below the
 * initial one, which Temporal refuses when the activity is scheduled.
 */
export function retryIntervalProblem(policy: EffectPolicy | undefined): string | undefined {
  const initial = policy?.retry?.initialIntervalMs;
  const maximum = policy?.retry?.maximumIntervalMs;
  if (initial === undefined || maximum === undefined || maximum >= initial) return undefined;
  return `the retry policy waits at most ${maximum} ms between attempts but at first ${initial} ms`;
}
