/**
 * Validation shared by the surface formats: issue collection, chains of steps, paths,
 * templates, property values, expressions and `validate.pattern` regexes.
 *
 * Validators collect every issue (they never stop at the first), locate each by a JSON pointer
 * into the document as written, and never throw on arbitrary input: every read of user data
 * goes through own-property checks and `Map`/`Set` lookups, so `{ "type": "constructor" }` is an
 * unknown step type, not a crash.
 */
import type { ValidationIssue } from '@switchboard/common';
import { checkExpression, expressionVariables } from './expressions.js';
import { describeFound, isPlainObject, ownGet, pointerJoin } from './json.js';
import {
  DECLARATIVE_STEP_TYPES,
  type EffectPolicy,
  LogLevels,
  type StepType,
  StepTypes,
  ValidateRules,
} from './model.js';
import { type PathMode, parsePath, Scopes } from './paths.js';
import { mergeEffectPolicies, type PolicyNaming, readEffectPolicy, retryIntervalProblem } from './policy.js';
import { closestMatch } from './suggest.js';
import { parseTemplate } from './templates.js';
import { checkPropertyValue, nearMissProblem, propertyValuePaths } from './values.js';

/** Collects {@link ValidationIssue}s in document order. */
export class IssueCollector {
  /** The issues found so far. */
  readonly issues: ValidationIssue[] = [];

  /** Records one issue. */
  add(pointer: string, message: string, extra: Omit<ValidationIssue, 'pointer' | 'message'> = {}): void {
    const issue: ValidationIssue = { pointer, message };
    if (extra.expected !== undefined) issue.expected = extra.expected;
    if (extra.found !== undefined) issue.found = extra.found;
    if (extra.suggestion !== undefined) issue.suggestion = extra.suggestion;
    this.issues.push(issue);
  }
}

/** Limits on the size of a definition, checked by the validators. */
export const DefinitionLimits = {
  /** Steps in one definition, counting nested `then`/`else` steps and callbacks. */
  maxSteps: 500,
  /** Nesting depth of `conditional` steps. */
  maxConditionalDepth: 16,
  /** Length of an expression, in characters. */
  maxExpressionLength: 2000,
  /** Length of a `validate.pattern` regex source. */
  maxPatternLength: 500,
  /** Length of a message template. */
  maxTemplateLength: 4000,
} as const;

/** Where a chain sits; decides which scopes and step types it may use. */
export interface ChainContext {
  /** `provider` steps are internal: allowed in canonical actions, not in declarative tools. */
  allowProvider: boolean;
  /** True inside `on_failure`, the only place the `error` scope exists. */
  inFailure: boolean;
  /**
   * The action's default effect policy (its valid fields), so that each webhook/provider step
   * is checked with the policy it will really run with (the step's merged over this).
   */
  effectDefault?: EffectPolicy;
}

interface WalkState extends ChainContext {
  depth: number;
  counter: { steps: number; reported: boolean };
}

/** Allowed and required properties of each step type, besides `type`. */
const STEP_SHAPES: ReadonlyMap<string, { required: readonly string[]; optional: readonly string[] }> = new Map<
  StepType,
  { required: readonly string[]; optional: readonly string[] }
>([
  ['context.set', { required: ['key', 'value'], optional: [] }],
  ['context.get', { required: ['key'], optional: [] }],
  ['context.delete', { required: ['key'], optional: [] }],
  ['flag.set', { required: ['flag'], optional: [] }],
  ['flag.clear', { required: ['flag'], optional: [] }],
  ['respond', { required: [], optional: ['message', 'message_key'] }],
  ['handoff', { required: ['target'], optional: ['topic', 'message'] }],
  ['webhook', { required: ['endpoint'], optional: ['payload', 'result_key', 'timeout_ms', 'retry'] }],
  ['conditional', { required: ['condition', 'then'], optional: ['else'] }],
  ['validate', { required: ['field', 'rule'], optional: ['value', 'error_message'] }],
  ['transform', { required: ['input', 'expression', 'output'], optional: [] }],
  ['log', { required: ['level', 'message'], optional: ['data'] }],
  ['provider', { required: ['operation', 'input'], optional: ['result_key', 'timeout_ms', 'retry'] }],
]);

const VALIDATE_RULES: readonly string[] = Object.values(ValidateRules);
const LOG_LEVELS: readonly string[] = Object.values(LogLevels);
const SCOPE_NAMES: ReadonlySet<string> = new Set(Object.values(Scopes));
const SUGGESTABLE_SCOPES = ['params', 'context', 'flags', 'workflow', 'agents', 'outputs', 'error'];
const FLAG_NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/;
const ENDPOINT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$/;
/** What a topic name must match: a letter first, then letters, digits or `_`; at most 80 characters. */
export const TOPIC_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_]{0,79}$/;
const OPERATION_NAME = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/;

/**
 * Validates a chain (an array of steps) at `pointer`, appending issues to `out`. Counts steps
 * across calls through `counter` so the size limit covers the whole definition.
 */
export function validateChain(
  value: unknown,
  pointer: string,
  out: IssueCollector,
  context: ChainContext,
  counter: { steps: number; reported: boolean } = { steps: 0, reported: false },
): void {
  walkChain(value, pointer, out, { ...context, depth: 0, counter });
}

function walkChain(value: unknown, pointer: string, out: IssueCollector, state: WalkState): void {
  if (!Array.isArray(value)) {
    out.add(pointer, 'expected an array of steps', { expected: 'an array of steps', found: describeFound(value) });
    return;
  }
  value.forEach((step, index) => {
    walkStep(step, pointerJoin(pointer, index), out, state);
  });
}

function walkStep(step: unknown, pointer: string, out: IssueCollector, state: WalkState): void {
  state.counter.steps += 1;
  if (state.counter.steps > DefinitionLimits.maxSteps && !state.counter.reported) {
    state.counter.reported = true;
    out.add(pointer, `definition has more than ${DefinitionLimits.maxSteps} steps`);
  }
  if (!isPlainObject(step)) {
    out.add(pointer, 'step must be an object with a "type"', { expected: 'an object', found: describeFound(step) });
    return;
  }
  const typeValue = ownGet(step, 'type');
  const typePointer = pointerJoin(pointer, 'type');
  if (typeValue === undefined) {
    out.add(typePointer, 'step has no "type"', {
      expected: `one of ${allowedTypes(state).join(', ')}`,
      found: 'nothing',
    });
    return;
  }
  if (typeof typeValue !== 'string') {
    out.add(typePointer, 'step "type" must be a string', { expected: 'a string', found: describeFound(typeValue) });
    return;
  }
  const shape = STEP_SHAPES.get(typeValue);
  if (shape === undefined || (typeValue === StepTypes.Provider && !state.allowProvider)) {
    if (typeValue === StepTypes.Provider) {
      out.add(typePointer, "'provider' steps are internal to built-in actions; call an API with a 'webhook' step", {
        expected: `one of ${allowedTypes(state).join(', ')}`,
        found: `'${typeValue}'`,
        suggestion: 'webhook',
      });
      return;
    }
    const suggestion = closestMatch(typeValue, allowedTypes(state));
    out.add(typePointer, `unknown step type '${typeValue}'${suggestion ? ` — did you mean '${suggestion}'?` : ''}`, {
      expected: `one of ${allowedTypes(state).join(', ')}`,
      found: `'${typeValue}'`,
      ...(suggestion ? { suggestion } : {}),
    });
    return;
  }
  const allowed = ['type', ...shape.required, ...shape.optional];
  for (const key of Object.keys(step)) {
    if (allowed.includes(key)) continue;
    const suggestion = closestMatch(key, allowed);
    out.add(
      pointerJoin(pointer, key),
      `unknown property '${key}' in a '${typeValue}' step${suggestion ? ` — did you mean '${suggestion}'?` : ''}`,
      {
        expected: `one of ${allowed.join(', ')}`,
        found: `'${key}'`,
        ...(suggestion ? { suggestion } : {}),
      },
    );
  }
  for (const key of shape.required) {
    if (ownGet(step, key) === undefined) {
      out.add(pointerJoin(pointer, key), `'${typeValue}' step is missing required property '${key}'`, {
        expected: key,
        found: 'nothing',
      });
    }
  }
  checkStepProperties(typeValue as StepType, step, pointer, out, state);
}

function allowedTypes(state: ChainContext): readonly string[] {
  return state.allowProvider ? Object.values(StepTypes) : DECLARATIVE_STEP_TYPES;
}

function checkStepProperties(
  type: StepType,
  step: Record<string, unknown>,
  pointer: string,
  out: IssueCollector,
  state: WalkState,
): void {
  const at = (key: string): string => pointerJoin(pointer, key);
  const get = (key: string): unknown => ownGet(step, key);
  switch (type) {
    case 'context.set':
      checkPathProperty(get('key'), at('key'), out, state, 'write', true);
      if (get('value') !== undefined) checkValueProperty(get('value'), at('value'), out, state);
      return;
    case 'context.get':
      checkPathProperty(get('key'), at('key'), out, state, 'read', false);
      return;
    case 'context.delete':
      checkPathProperty(get('key'), at('key'), out, state, 'write', false);
      return;
    case 'flag.set':
    case 'flag.clear':
      checkFlag(get('flag'), at('flag'), out);
      return;
    case 'respond': {
      const hasMessage = get('message') !== undefined;
      const hasKey = get('message_key') !== undefined;
      if (hasMessage === hasKey) {
        out.add(
          pointer,
          hasMessage
            ? "'respond' step has both 'message' and 'message_key'; keep one"
            : "'respond' step needs 'message' or 'message_key'",
          {
            expected: "exactly one of 'message', 'message_key'",
          },
        );
      }
      if (hasMessage) checkTemplateProperty(get('message'), at('message'), out, state);
      if (hasKey) checkPathProperty(get('message_key'), at('message_key'), out, state, 'read', false);
      return;
    }
    case 'handoff': {
      const target = get('target');
      if (
        target !== undefined &&
        (typeof target !== 'string' || target.trim().length === 0 || target.trim() !== target || target.length > 80)
      ) {
        out.add(
          at('target'),
          "'target' must be an agent name (non-empty, at most 80 characters, no surrounding spaces)",
          {
            expected: 'an agent name',
            found: describeFound(target),
          },
        );
      }
      const topic = get('topic');
      if (topic !== undefined && (typeof topic !== 'string' || !TOPIC_NAME_PATTERN.test(topic))) {
        out.add(at('topic'), "'topic' must be a topic name of the target agent (a letter, then letters, digits, '_')", {
          expected: 'a topic name',
          found: describeFound(topic),
        });
      }
      if (get('message') !== undefined) checkTemplateProperty(get('message'), at('message'), out, state);
      return;
    }
    case 'webhook': {
      const endpoint = get('endpoint');
      if (endpoint !== undefined && (typeof endpoint !== 'string' || !ENDPOINT_NAME.test(endpoint))) {
        out.add(
          at('endpoint'),
          "'endpoint' must be the name of a tenant webhook endpoint (letters, digits, '_', '-', '.', ':')",
          {
            expected: 'an endpoint name such as meal_log',
            found: describeFound(endpoint),
          },
        );
      }
      if (get('payload') !== undefined) checkValueProperty(get('payload'), at('payload'), out, state);
      if (get('result_key') !== undefined)
        checkPathProperty(get('result_key'), at('result_key'), out, state, 'write', true);
      checkStepPolicy(step, pointer, out, state);
      return;
    }
    case 'provider': {
      const operation = get('operation');
      if (operation !== undefined && (typeof operation !== 'string' || !OPERATION_NAME.test(operation))) {
        out.add(at('operation'), "'operation' must be 'family.operation' in lower case, e.g. 'calcom.book'", {
          expected: 'family.operation',
          found: describeFound(operation),
        });
      }
      const input = get('input');
      if (input !== undefined) {
        if (!isPlainObject(input))
          out.add(at('input'), "'input' must be an object", { expected: 'an object', found: describeFound(input) });
        else checkValueProperty(input, at('input'), out, state);
      }
      if (get('result_key') !== undefined)
        checkPathProperty(get('result_key'), at('result_key'), out, state, 'write', true);
      checkStepPolicy(step, pointer, out, state);
      return;
    }
    case 'conditional': {
      if (get('condition') !== undefined) checkExpressionProperty(get('condition'), at('condition'), out, state, false);
      if (state.depth + 1 > DefinitionLimits.maxConditionalDepth) {
        out.add(pointer, `conditionals are nested deeper than ${DefinitionLimits.maxConditionalDepth} levels`);
        return;
      }
      const nested: WalkState = { ...state, depth: state.depth + 1 };
      if (get('then') !== undefined) walkChain(get('then'), at('then'), out, nested);
      if (get('else') !== undefined) walkChain(get('else'), at('else'), out, nested);
      return;
    }
    case 'validate':
      checkValidateStep(step, pointer, out, state);
      return;
    case 'transform':
      if (get('input') !== undefined) checkValueProperty(get('input'), at('input'), out, state);
      if (get('expression') !== undefined)
        checkExpressionProperty(get('expression'), at('expression'), out, state, true);
      checkPathProperty(get('output'), at('output'), out, state, 'write', true);
      return;
    case 'log': {
      const level = get('level');
      if (level !== undefined && (typeof level !== 'string' || !LOG_LEVELS.includes(level))) {
        const suggestion = typeof level === 'string' ? closestMatch(level, LOG_LEVELS) : undefined;
        out.add(
          at('level'),
          `unknown log level ${describeFound(level)}${suggestion ? ` — did you mean '${suggestion}'?` : ''}`,
          {
            expected: `one of ${LOG_LEVELS.join(', ')}`,
            found: describeFound(level),
            ...(suggestion ? { suggestion } : {}),
          },
        );
      }
      if (get('message') !== undefined) checkTemplateProperty(get('message'), at('message'), out, state);
      if (get('data') !== undefined) checkValueProperty(get('data'), at('data'), out, state);
      return;
    }
  }
}

/**
 * Checks the `timeout_ms`/`retry` of a webhook or provider step, then the policy the step will
 * run with: a step interval that conflicts with the action's default is reported at the step's
 * field (a conflict inside the step is already reported by {@link readEffectPolicy}).
 */
function checkStepPolicy(step: Record<string, unknown>, pointer: string, out: IssueCollector, state: WalkState): void {
  const own = checkEffectPolicy(step, pointer, out, 'snake');
  const initial = own?.retry?.initialIntervalMs;
  const maximum = own?.retry?.maximumIntervalMs;
  if ((initial === undefined) === (maximum === undefined)) return;
  const merged = mergeEffectPolicies(state.effectDefault, own);
  if (retryIntervalProblem(merged) === undefined) return;
  if (initial !== undefined) {
    const limit = merged?.retry?.maximumIntervalMs;
    out.add(
      pointerJoin(pointer, 'retry', 'initial_interval_ms'),
      `'initial_interval_ms' (${initial}) is above the action's default max_interval_ms (${limit}); the first wait cannot exceed the longest one — lower it or set 'max_interval_ms' on this step too`,
      { expected: `at most ${limit}`, found: describeFound(initial) },
    );
  } else {
    const floor = merged?.retry?.initialIntervalMs;
    out.add(
      pointerJoin(pointer, 'retry', 'max_interval_ms'),
      `'max_interval_ms' (${maximum}) is below the action's default initial_interval_ms (${floor}); the longest wait cannot be shorter than the first one — raise it or set 'initial_interval_ms' on this step too`,
      { expected: `at least ${floor}`, found: describeFound(maximum) },
    );
  }
}

/**
 * Checks the effect-policy properties of `holder` at `pointer` (see {@link readEffectPolicy}
 * for the namings) and returns its valid part. Exported for the surface formats' top-level
 * defaults and the canonical `effectPolicy`.
 */
export function checkEffectPolicy(
  holder: Record<string, unknown>,
  pointer: string,
  out: IssueCollector,
  naming: PolicyNaming,
): EffectPolicy | undefined {
  const { policy, problems } = readEffectPolicy(holder, naming);
  for (const problem of problems) {
    out.add(pointerJoin(pointer, ...problem.at), problem.message, {
      expected: problem.expected,
      found: problem.found,
      suggestion: problem.suggestion,
    });
  }
  return policy;
}

function checkValidateStep(
  step: Record<string, unknown>,
  pointer: string,
  out: IssueCollector,
  state: WalkState,
): void {
  const at = (key: string): string => pointerJoin(pointer, key);
  checkPathProperty(ownGet(step, 'field'), at('field'), out, state, 'read', false);
  const rule = ownGet(step, 'rule');
  const value = ownGet(step, 'value');
  if (ownGet(step, 'error_message') !== undefined)
    checkTemplateProperty(ownGet(step, 'error_message'), at('error_message'), out, state);
  if (rule === undefined) return;
  if (typeof rule !== 'string' || !VALIDATE_RULES.includes(rule)) {
    const suggestion = typeof rule === 'string' ? closestMatch(rule, VALIDATE_RULES) : undefined;
    out.add(
      at('rule'),
      `unknown validation rule ${describeFound(rule)}${suggestion ? ` — did you mean '${suggestion}'?` : ''}`,
      {
        expected: `one of ${VALIDATE_RULES.join(', ')}`,
        found: describeFound(rule),
        ...(suggestion ? { suggestion } : {}),
      },
    );
    return;
  }
  if (rule === 'min_length' || rule === 'max_length') {
    if (value === undefined) {
      out.add(at('value'), `rule '${rule}' needs a 'value' (the length)`, {
        expected: 'a non-negative integer',
        found: 'nothing',
      });
    } else if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
      out.add(at('value'), `rule '${rule}' needs a non-negative integer 'value'`, {
        expected: 'a non-negative integer',
        found: describeFound(value),
      });
    }
  } else if (rule === 'pattern') {
    if (typeof value !== 'string') {
      out.add(at('value'), "rule 'pattern' needs a 'value' with the regular expression", {
        expected: 'a regular expression source',
        found: describeFound(value),
      });
    } else {
      const problem = patternProblem(value);
      if (problem !== undefined)
        out.add(at('value'), problem, { expected: 'a safe regular expression', found: JSON.stringify(value) });
    }
  } else if (value !== undefined) {
    out.add(at('value'), `rule '${rule}' takes no 'value'`, { found: describeFound(value) });
  }
}

/**
 * Why a `validate.pattern` regex is refused, or `undefined`. Patterns run inside workflows on
 * user-controlled input, so they must compile and must not risk catastrophic backtracking:
 * nested quantifiers (`(a+)+`) and backreferences are rejected, and the length is bounded.
 */
export function patternProblem(source: string): string | undefined {
  if (source.length > DefinitionLimits.maxPatternLength)
    return `pattern is longer than ${DefinitionLimits.maxPatternLength} characters`;
  try {
    new RegExp(source);
  } catch (err) {
    return `pattern is not a valid regular expression: ${err instanceof Error ? err.message : String(err)}`;
  }
  if (/\\[1-9]|\\k</.test(source)) return 'pattern uses a backreference, which can take exponential time';
  // Track, per open group, whether it contains a quantifier; a quantified group that does is
  // the classic exponential-backtracking shape.
  const stack: boolean[] = [];
  let lastGroupHadQuantifier = false;
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const ch = source[i];
    if (ch === '\\') {
      i += 1;
      lastGroupHadQuantifier = false;
      continue;
    }
    if (inClass) {
      if (ch === ']') inClass = false;
      continue;
    }
    if (ch === '[') {
      inClass = true;
      lastGroupHadQuantifier = false;
      continue;
    }
    if (ch === '(') {
      stack.push(false);
      lastGroupHadQuantifier = false;
      continue;
    }
    if (ch === ')') {
      lastGroupHadQuantifier = stack.pop() ?? false;
      if (lastGroupHadQuantifier && stack.length > 0) stack[stack.length - 1] = true;
      continue;
    }
    const unbounded = ch === '*' || ch === '+' || (ch === '{' && /^\{\d*,\d*\}/.test(source.slice(i)));
    if (unbounded) {
      if (lastGroupHadQuantifier) return 'pattern has nested quantifiers (like (a+)+), which can take exponential time';
      if (stack.length > 0) stack[stack.length - 1] = true;
    }
    lastGroupHadQuantifier = false;
  }
  return undefined;
}

function checkFlag(flag: unknown, pointer: string, out: IssueCollector): void {
  if (flag === undefined) return;
  if (typeof flag === 'string' && flag.startsWith('flags.') && FLAG_NAME.test(flag.slice(6))) {
    const suggestion = flag.slice(6);
    out.add(pointer, `flag names have no scope prefix — did you mean '${suggestion}'?`, {
      expected: 'a flag name',
      found: `'${flag}'`,
      suggestion,
    });
    return;
  }
  if (
    typeof flag !== 'string' ||
    !FLAG_NAME.test(flag) ||
    flag === 'constructor' ||
    flag === 'prototype' ||
    flag === '__proto__'
  ) {
    out.add(
      pointer,
      'flag must be a name (a letter or underscore, then letters, digits, "_" or "-"; at most 64 characters)',
      {
        expected: 'a flag name such as subscribed',
        found: describeFound(flag),
      },
    );
  }
}

/** Checks a path property (read or write) including scope rules; exported for the typed format. */
function checkPathProperty(
  value: unknown,
  pointer: string,
  out: IssueCollector,
  context: ChainContext,
  mode: PathMode,
  allowAppend: boolean,
): void {
  if (value === undefined) return;
  if (typeof value !== 'string') {
    out.add(pointer, 'expected a dot path', {
      expected: 'a dot path such as params.email',
      found: describeFound(value),
    });
    return;
  }
  const parsed = parsePath(value, mode);
  if (!parsed.ok) {
    out.add(pointer, `invalid path '${value}': ${parsed.message}`, {
      expected: 'a dot path such as user.email',
      found: JSON.stringify(value),
    });
    return;
  }
  if (parsed.path.append && !allowAppend) {
    out.add(pointer, `'[+]' (append) is not allowed here`, {
      found: JSON.stringify(value),
      suggestion: value.slice(0, -3),
    });
    return;
  }
  if (parsed.path.nearMissScope !== undefined) {
    const problem = nearMissProblem(value.replace(/\[\+\]$/, ''), parsed.path.nearMissScope);
    out.add(pointer, problem.message, {
      expected: problem.expected,
      found: problem.found,
      suggestion: problem.suggestion,
    });
  }
  checkScopeUse(parsed.path.scope, value, pointer, out, context);
}

function checkScopeUse(scope: string, text: string, pointer: string, out: IssueCollector, context: ChainContext): void {
  if (scope === Scopes.Error && !context.inFailure) {
    out.add(pointer, `'${text}' reads the 'error' scope, which exists only in on_failure`, { found: text });
  } else if (scope === Scopes.Input) {
    out.add(pointer, `'${text}' reads the 'input' scope, which exists only inside transform expressions`, {
      found: text,
    });
  }
}

function checkValueProperty(value: unknown, pointer: string, out: IssueCollector, context: ChainContext): void {
  for (const problem of checkPropertyValue(value)) {
    out.add(pointerJoin(pointer, ...problem.at), problem.message, {
      expected: problem.expected,
      found: problem.found,
      suggestion: problem.suggestion,
    });
  }
  for (const path of propertyValuePaths(value)) {
    if (path.scope === Scopes.Error && !context.inFailure) {
      out.add(pointer, `the value reads the 'error' scope, which exists only in on_failure`);
    }
  }
}

/**
 * Checks a `{{template}}` property; exported for the typed format's progress message and the
 * builtins' template settings. `filters: false` refuses filters (`| spoken_datetime: …`): for
 * templates compiled into request parts rather than rendered as messages.
 */
export function checkTemplateProperty(
  value: unknown,
  pointer: string,
  out: IssueCollector,
  context: ChainContext,
  options: { filters?: boolean } = {},
): void {
  if (typeof value !== 'string') {
    out.add(pointer, 'expected a message string', { expected: 'a string', found: describeFound(value) });
    return;
  }
  if (value.length > DefinitionLimits.maxTemplateLength) {
    out.add(pointer, `message is longer than ${DefinitionLimits.maxTemplateLength} characters`);
    return;
  }
  const { parts, problems } = parseTemplate(value);
  for (const problem of problems) {
    out.add(pointer, `template: ${problem.message} (at offset ${problem.offset})`, {
      found: JSON.stringify(value),
      ...(problem.suggestion ? { suggestion: problem.suggestion } : {}),
    });
  }
  for (const part of parts) {
    if (part.kind !== 'path') continue;
    checkScopeUse(part.path.scope, `{{${part.source}}}`, pointer, out, context);
    if (part.filter === undefined) continue;
    if (options.filters === false) {
      out.add(pointer, `'{{${part.source} | ${part.filter.name}}}': filters work only in spoken messages`, {
        found: JSON.stringify(value),
        suggestion: `{{${part.source}}}`,
      });
    }
    for (const arg of part.filter.args) {
      if (arg.kind === 'path') checkScopeUse(arg.path.scope, `{{${arg.source}}}`, pointer, out, context);
    }
  }
}

function checkExpressionProperty(
  value: unknown,
  pointer: string,
  out: IssueCollector,
  context: ChainContext,
  isTransform: boolean,
): void {
  if (typeof value !== 'string' || value.trim().length === 0) {
    out.add(pointer, 'expected an expression', {
      expected: 'an expression such as params.subscribe === true',
      found: describeFound(value),
    });
    return;
  }
  if (value.length > DefinitionLimits.maxExpressionLength) {
    out.add(pointer, `expression is longer than ${DefinitionLimits.maxExpressionLength} characters`);
    return;
  }
  const problems = checkExpression(value);
  for (const problem of problems) {
    out.add(
      pointer,
      `invalid expression: ${problem.message}${problem.position === undefined ? '' : ` (at offset ${problem.position})`}`,
      {
        found: JSON.stringify(value),
      },
    );
  }
  if (problems.length > 0) return;
  for (const name of expressionVariables(value)) {
    if (SCOPE_NAMES.has(name)) {
      if (name === Scopes.Error && !context.inFailure)
        out.add(pointer, "expression reads 'error', which exists only in on_failure", { found: JSON.stringify(value) });
      if (name === Scopes.Input && !isTransform)
        out.add(pointer, "expression reads 'input', which exists only in transform expressions", {
          found: JSON.stringify(value),
        });
      continue;
    }
    const near = closestMatch(name, isTransform ? [...SUGGESTABLE_SCOPES, 'input'] : SUGGESTABLE_SCOPES, 1);
    if (near !== undefined) {
      out.add(
        pointer,
        `expression reads '${name}' (a context key) — did you mean '${near}'? (write 'context.${name}' if the context key is intended)`,
        {
          expected: `a scope name (${near})`,
          found: name,
          suggestion: near,
        },
      );
    }
  }
}

/** Builds the {@link ValidationError} message: what was invalid and the first few issues. */
export function summarizeIssues(what: string, issues: readonly ValidationIssue[]): string {
  const shown = issues.slice(0, 3).map((issue) => `${issue.pointer || '/'}: ${issue.message}`);
  const more = issues.length > shown.length ? `; and ${issues.length - shown.length} more` : '';
  return `${what} is invalid (${issues.length} issue${issues.length === 1 ? '' : 's'}): ${shown.join('; ')}${more}`;
}

/** Reports properties of `obj` that are not in `allowed`, with near-miss suggestions. */
export function checkUnknownProperties(
  obj: Record<string, unknown>,
  pointer: string,
  allowed: readonly string[],
  out: IssueCollector,
  where: string,
): void {
  for (const key of Object.keys(obj)) {
    if (allowed.includes(key)) continue;
    const suggestion = closestMatch(key, allowed);
    out.add(
      pointerJoin(pointer, key),
      `unknown property '${key}' in ${where}${suggestion ? ` — did you mean '${suggestion}'?` : ''}`,
      {
        expected: `one of ${allowed.join(', ')}`,
        found: `'${key}'`,
        ...(suggestion ? { suggestion } : {}),
      },
    );
  }
}

/** Checks that an optional property, when present, is a string (optionally non-empty). */
export function checkOptionalString(
  obj: Record<string, unknown>,
  key: string,
  pointer: string,
  out: IssueCollector,
  nonEmpty = false,
): string | undefined {
  const value = ownGet(obj, key);
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || (nonEmpty && value.trim().length === 0)) {
    out.add(pointerJoin(pointer, key), `'${key}' must be a ${nonEmpty ? 'non-empty ' : ''}string`, {
      expected: 'a string',
      found: describeFound(value),
    });
    return undefined;
  }
  return value;
}

/** Checks that an optional property, when present, is a boolean. */
export function checkOptionalBoolean(
  obj: Record<string, unknown>,
  key: string,
  pointer: string,
  out: IssueCollector,
): boolean | undefined {
  const value = ownGet(obj, key);
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') {
    out.add(pointerJoin(pointer, key), `'${key}' must be true or false`, {
      expected: 'a boolean',
      found: describeFound(value),
    });
    return undefined;
  }
  return value;
}
