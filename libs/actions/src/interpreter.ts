/**
 * The chain interpreter: runs a {@link CanonicalAction} against a conversation's state.
 *
 * It is pure and deterministic (no I/O, no clock, no randomness, no `eval`), so it runs
 * unchanged inside a Temporal workflow: every side effect — a webhook or provider call — goes
 * through the {@link EffectExecutor} the caller supplies (in a workflow: an activity with its
 * retry policy). Given the same input and the same effect results, it returns the same result.
 *
 * Semantics:
 * - **Arguments.** Defaults are applied first (an absent or `null` argument takes the
 *   parameter's `default`), then required parameters, types and enums are checked. Arguments
 *   that no parameter declares are dropped, with a `warn` log event, so `params` only ever
 *   holds declared values (built-ins must therefore declare their parameters). A failure runs
 *   `on_failure` with `error.code = 'invalid_arguments'` and `error.details.issues`.
 * - **Steps** run in order; `conditional` runs `then` when its condition is truthy (JavaScript
 *   truthiness), else `else`. A failed `validate`, an expression error, a path conflict or a
 *   failed effect stops the chain.
 * - **Partial state on failure.** Each step is atomic, and state changes of the steps before
 *   the failing one are kept (the chain is not rolled back). Earlier effects have really
 *   happened, and the context should say so; `on_failure` can compensate explicitly
 *   (e.g. `context.delete`). The input state itself is never mutated: the result carries a
 *   new state.
 * - **Callbacks.** On success, outputs are computed and remembered, then `on_success` runs;
 *   if `on_success` fails, the run fails and `on_failure` runs. On failure, `on_failure` runs
 *   with the `error` scope `{ code, message, step, retryable, details? }`; a failure inside
 *   `on_failure` stops it, is reported as an `error` log event, and the original error stays
 *   the run's error.
 * - **context.get** reads the value at its key and returns it as an output of the run, under
 *   the key as written (`{ "user.name": "Ada" }`; `null` when absent). Tools read values to
 *   tell the agent about them, and outputs are exactly what the agent gets back.
 * - **Outputs** are the `context.get` reads, plus, for actions with declared outputs, the
 *   declared outputs read from the result of the last webhook/provider step:
 *   `outputs[o.name] = result[o.developerName]` (when the result is not an object and exactly
 *   one output is declared, the whole result is that output). An `id` output also takes a
 *   number. A present output of the wrong type is left out, with a `warn` log event naming it
 *   and its pointer (`data: { code: 'invalid_output', output, pointer, result_pointer }`): the
 *   effect has happened, so the run still succeeds (an outcome never says an effect did not
 *   happen when it did). See {@link InterpretOptions.outputChecks} for the earlier rule. On
 *   success, non-empty outputs are remembered as
 *   `state.outputs[action.name]`; filtered outputs are remembered too — see
 *   {@link visibleOutputs} for what the agent may see.
 * - **Budget.** Every executed step counts (a conditional and each step of its branch); the
 *   main chain and `on_success` share `maxSteps`, `on_failure` gets its own `maxSteps` so a
 *   budget failure can still be reported. Exceeding it fails with `step_budget_exceeded`;
 *   effects are also capped (`effect_budget_exceeded`).
 * - **Pointers** name steps as in the declarative format: `/actions/1`, `/actions/2/then/0`,
 *   `/on_success/0`, `/on_failure/0` (a typed action's compiled step is `/actions/0`). Chains
 *   have no loops, so a pointer identifies one execution within a run: executors can derive
 *   idempotency keys from (run id, pointer).
 * - `requireUserConfirmation` is the caller's business (ask before calling `interpret`);
 *   `includeInProgressIndicator` makes the run emit one `progress` event before the steps.
 */
import type { JsonObject, JsonValue } from '@switchboard/common';
import { asSwitchboardError, SwitchboardError } from '@switchboard/common/errors';
import { type CompiledExpression, compileExpression, type ExpressionLimits } from './expressions.js';
import { cloneJson, FORBIDDEN_KEYS, isPlainObject, ownGet, ownSet, toJsonValue } from './json.js';
import { pickLocale } from './messages.js';
import type {
  CanonicalAction,
  EffectPolicy,
  LogLevel,
  OutputSpec,
  ProviderStep,
  Step,
  ValidateRule,
  WebhookStep,
} from './model.js';
import {
  deleteAtPath,
  getAtPath,
  type ParsedPath,
  parsePathOrThrow,
  resolvePath,
  type ScopeView,
  setAtPath,
} from './paths.js';
import { mergeEffectPolicies, readEffectPolicy, retryIntervalProblem } from './policy.js';
import { checkRule, defaultRuleMessage } from './rules.js';
import { renderTemplate, stringifyForTemplate } from './templates.js';
import { patternProblem } from './validate.js';
import { type TypeSpec, typeMismatch } from './value-types.js';
import { resolvePropertyValue } from './values.js';

/** Everything a chain can read and write that outlives one run; plain JSON. */
export interface ChainState {
  /** Call context (user, contact, values chains stored). */
  context: Record<string, JsonValue>;
  flags: Record<string, boolean>;
  /** State shared by the agents of the conversation. */
  workflow: Record<string, JsonValue>;
  /** Per-agent state, by agent name. */
  agents: Record<string, Record<string, JsonValue>>;
  /** Remembered outputs, by action name. */
  outputs: Record<string, JsonValue>;
}

/** A fresh, empty state. */
export function emptyState(): ChainState {
  return { context: {}, flags: {}, workflow: {}, agents: {}, outputs: {} };
}

/** A side effect the interpreter asks the executor to perform. */
export interface EffectRequest {
  kind: 'webhook' | 'provider';
  /** Pointer of the step, e.g. `/actions/1`; unique within a run. */
  stepPointer: string;
  /** Tenant endpoint name (webhook). */
  endpoint?: string;
  /** Provider operation, e.g. `calcom.book` (provider). */
  operation?: string;
  /** The resolved payload (webhook) or input (provider); `null` when a webhook has none. */
  payload: JsonValue;
  /**
   * Timeout and retry policy of this effect: the step's own `timeout_ms`/`retry` merged over
   * the action's {@link CanonicalAction.effectPolicy}, field by field (a field the step sets
   * wins, inside `retry` too; the others come from the action). Absent when neither sets
   * anything; fields absent here are the executor's defaults to choose. Values are within
   * `EffectPolicyLimits`, and `retry.maximumIntervalMs >= retry.initialIntervalMs`
   * when both are present (a definition breaking either fails the step with
   * `invalid_definition` instead). An executor filling in its own defaults must keep that order
   * itself (e.g. lower its default initial interval to a short `maximumIntervalMs`).
   */
  policy?: EffectPolicy;
}

/** Performs effects. Throws a `SwitchboardError` on failure (its `retryable` is kept). */
export interface EffectExecutor {
  execute(request: EffectRequest): Promise<JsonValue>;
}

/** What a run tells the conversation, in order. */
export type ChainEvent =
  | { type: 'respond'; message: string }
  | { type: 'handoff'; target: string; topic?: string; message?: string }
  | { type: 'log'; level: LogLevel; message: string; data?: JsonValue }
  | { type: 'progress'; message: string }
  | {
      type: 'effect';
      kind: 'webhook' | 'provider';
      /** Endpoint or operation name. */
      name: string;
      status: 'started' | 'succeeded' | 'failed';
      error?: { code: string; message: string };
    };

/** Input of {@link interpret}. */
export interface InterpretInput {
  action: CanonicalAction;
  /** Arguments of the call (from the LLM or the caller). */
  params: Record<string, JsonValue>;
  /** State before the run; not mutated. */
  state: ChainState;
  /** The agent running the action; `agents.<agentName>` is guaranteed to exist afterwards. */
  agentName?: string;
  /** The agent's locale: which text of a per-locale failure message is said. */
  locale?: string;
}

/** Why a run failed. */
export interface ChainError {
  /** Stable code: `invalid_arguments`, `validation_failed`, an expression or effect code... */
  code: string;
  message: string;
  /** Whether running the same action again may succeed (from the failing effect). */
  retryable: boolean;
  /** Pointer of the failing step, when a step failed. */
  stepPointer?: string;
  /** Structured details (e.g. argument issues). */
  details?: JsonValue;
}

/** Result of {@link interpret}. */
export interface InterpretResult {
  status: 'succeeded' | 'failed';
  /** Every event, in order (also delivered through `onEvent` as they happen). */
  events: ChainEvent[];
  /** The state after the run. */
  state: ChainState;
  error?: ChainError;
  /** Outputs of the run (empty when it failed). */
  outputs: Record<string, JsonValue>;
}

/** Run limits; all optional. */
export interface InterpretLimits {
  /** Steps per phase (main chain + on_success; on_failure). Default 1000. */
  maxSteps?: number;
  /** Webhook/provider calls per run. Default 50. */
  maxEffects?: number;
  /** Limits of each expression evaluation, passed to `@switchboard/expr`. */
  expression?: ExpressionLimits;
}

/** Options of {@link interpret}. */
export interface InterpretOptions {
  /** Called with each event as it happens (awaited; an exception aborts the run). */
  onEvent?: (event: ChainEvent) => void | Promise<void>;
  limits?: InterpretLimits;
  /**
   * Asked (at most once per run) only when an output fails the strict check of earlier releases
   * (an `id` must be a string): `'strict'` fails the run with `invalid_output` as they did, which
   * a workflow replaying their history needs; `'lenient'` (the default) is the rule above.
   */
  outputChecks?: () => OutputChecks;
}

/** How outputs that fail their type are treated; see {@link InterpretOptions.outputChecks}. */
export type OutputChecks = 'strict' | 'lenient';

/** Default {@link InterpretLimits}. */
export const DEFAULT_INTERPRET_LIMITS = { maxSteps: 1000, maxEffects: 50 } as const;

const FLAG_NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/;

/** A failure while running steps, carrying the pointer of the step that failed. */
class StepFailure extends Error {
  constructor(readonly error: ChainError) {
    super(error.message);
  }
}

class Run {
  readonly events: ChainEvent[] = [];
  readonly state: ChainState;
  params: Record<string, JsonValue> = {};
  errorScope: JsonValue | undefined;
  readonly reads: Record<string, JsonValue> = {};
  lastEffectResult: JsonValue | undefined;
  steps = 0;
  effects = 0;
  private readonly compiled = new Map<string, CompiledExpression>();
  private readonly regexes = new Map<string, RegExp>();

  constructor(
    readonly input: InterpretInput,
    readonly executor: EffectExecutor,
    readonly options: InterpretOptions,
  ) {
    this.state = cloneState(input.state);
    if (
      input.agentName !== undefined &&
      !FORBIDDEN_KEYS.has(input.agentName) &&
      !isPlainObject(ownGet(this.state.agents, input.agentName))
    ) {
      ownSet(this.state.agents, input.agentName, {});
    }
  }

  get maxSteps(): number {
    return this.options.limits?.maxSteps ?? DEFAULT_INTERPRET_LIMITS.maxSteps;
  }

  view(): ScopeView {
    const view: ScopeView = {
      params: this.params,
      context: this.state.context,
      flags: this.state.flags,
      workflow: this.state.workflow,
      agents: this.state.agents,
      outputs: this.state.outputs,
    };
    if (this.errorScope !== undefined) view.error = this.errorScope;
    return view;
  }

  async emit(event: ChainEvent): Promise<void> {
    this.events.push(event);
    await this.options.onEvent?.(event);
  }

  async runChain(steps: readonly Step[], base: string): Promise<void> {
    for (const [index, step] of steps.entries()) {
      await this.runStep(step, `${base}/${index}`);
    }
  }

  private async runStep(step: Step, pointer: string): Promise<void> {
    this.steps += 1;
    if (this.steps > this.maxSteps) {
      throw new StepFailure({
        code: 'step_budget_exceeded',
        message: `the chain ran more than ${this.maxSteps} steps`,
        retryable: false,
        stepPointer: pointer,
      });
    }
    try {
      await this.execute(step, pointer);
    } catch (err) {
      if (err instanceof StepFailure) throw err;
      const failure = asSwitchboardError(err);
      const error: ChainError = {
        code: failure.code,
        message: failure.message,
        retryable: failure.retryable,
        stepPointer: pointer,
      };
      if (failure.details !== undefined) error.details = cloneJson(failure.details);
      throw new StepFailure(error);
    }
  }

  private async execute(step: Step, pointer: string): Promise<void> {
    const view = this.view();
    switch (step.type) {
      case 'context.set': {
        const path = writePath(step.key);
        setAtPath(this.writeRoot(path), path.segments, resolvePropertyValue(step.value, view) ?? null, path.append);
        return;
      }
      case 'context.get': {
        const value = resolvePath(view, step.key);
        ownSet(this.reads, step.key, value === undefined ? null : cloneJson(value));
        return;
      }
      case 'context.delete': {
        const path = writePath(step.key);
        if (path.append)
          throw new SwitchboardError('invalid_path', `'[+]' is not allowed in context.delete ('${step.key}')`);
        deleteAtPath(this.writeRoot(path), path.segments);
        return;
      }
      case 'flag.set':
      case 'flag.clear':
        if (!FLAG_NAME.test(step.flag) || FORBIDDEN_KEYS.has(step.flag)) {
          throw new SwitchboardError('invalid_definition', `invalid flag name '${step.flag}'`);
        }
        this.state.flags[step.flag] = step.type === 'flag.set';
        return;
      case 'respond': {
        const message =
          'message' in step
            ? renderTemplate(step.message, view)
            : stringifyForTemplate(resolvePath(view, step.message_key));
        await this.emit({ type: 'respond', message });
        return;
      }
      case 'handoff': {
        const event: ChainEvent = { type: 'handoff', target: step.target };
        if (step.topic !== undefined) event.topic = step.topic;
        if (step.message !== undefined) event.message = renderTemplate(step.message, view);
        await this.emit(event);
        return;
      }
      case 'webhook': {
        const payload = step.payload === undefined ? null : (resolvePropertyValue(step.payload, view) ?? null);
        await this.effect(
          withPolicy({ kind: 'webhook', stepPointer: pointer, endpoint: step.endpoint, payload }, this.policyOf(step)),
          step.endpoint,
          step.result_key,
        );
        return;
      }
      case 'provider': {
        const payload = isPlainObject(step.input) ? (resolvePropertyValue(step.input, view) ?? {}) : {};
        await this.effect(
          withPolicy(
            { kind: 'provider', stepPointer: pointer, operation: step.operation, payload },
            this.policyOf(step),
          ),
          step.operation,
          step.result_key,
        );
        return;
      }
      case 'conditional': {
        const value = this.evaluate(step.condition, view, undefined);
        if (value) await this.runChain(step.then, `${pointer}/then`);
        else if (step.else !== undefined) await this.runChain(step.else, `${pointer}/else`);
        return;
      }
      case 'validate': {
        const value = resolvePath(view, step.field);
        const argument =
          step.rule === 'pattern' ? this.regex(step.value) : typeof step.value === 'number' ? step.value : undefined;
        if (!checkRule(step.rule as ValidateRule, value, argument)) {
          const message =
            step.error_message !== undefined
              ? renderTemplate(step.error_message, view)
              : defaultRuleMessage(step.rule, step.field, step.value);
          throw new SwitchboardError('validation_failed', message, { details: { field: step.field, rule: step.rule } });
        }
        return;
      }
      case 'transform': {
        const inputValue = resolvePropertyValue(step.input, view);
        const result = this.evaluate(step.expression, view, inputValue === undefined ? null : inputValue);
        const converted = toJsonValue(result);
        if (!converted.ok)
          throw new SwitchboardError('transform_failed', `transform result cannot be stored: ${converted.reason}`);
        const path = writePath(step.output);
        setAtPath(this.writeRoot(path), path.segments, converted.value, path.append);
        return;
      }
      case 'log': {
        const event: ChainEvent = { type: 'log', level: step.level, message: renderTemplate(step.message, view) };
        if (step.data !== undefined) {
          const data = resolvePropertyValue(step.data, view);
          if (data !== undefined) event.data = data;
        }
        await this.emit(event);
        return;
      }
      default:
        throw new SwitchboardError(
          'invalid_definition',
          `unknown step type '${String((step as { type?: unknown }).type)}'`,
        );
    }
  }

  /**
   * The policy a webhook/provider step runs with (see {@link EffectRequest.policy}). Definitions
   * reach the interpreter without validation (stored JSON), so a policy Temporal would refuse is
   * reported here as `invalid_definition` rather than failing the workflow task.
   */
  private policyOf(step: WebhookStep | ProviderStep): EffectPolicy | undefined {
    const own = readEffectPolicy(step as unknown as Record<string, unknown>, 'snake');
    const ownProblem = own.problems[0];
    if (ownProblem !== undefined) {
      throw new SwitchboardError(
        'invalid_definition',
        `invalid effect policy (${ownProblem.at.join('.')}): ${ownProblem.message}`,
      );
    }
    const merged = mergeEffectPolicies(this.actionPolicy(), own.policy);
    const conflict = retryIntervalProblem(merged);
    if (conflict !== undefined) throw new SwitchboardError('invalid_definition', `invalid effect policy: ${conflict}`);
    return merged;
  }

  private actionPolicy(): EffectPolicy | undefined {
    const raw: unknown = this.input.action.effectPolicy;
    if (raw === undefined) return undefined;
    if (!isPlainObject(raw))
      throw new SwitchboardError('invalid_definition', 'invalid effect policy (effectPolicy): must be an object');
    const { policy, problems } = readEffectPolicy(raw, 'camel');
    const problem = problems[0];
    if (problem !== undefined) {
      throw new SwitchboardError(
        'invalid_definition',
        `invalid effect policy (effectPolicy.${problem.at.join('.')}): ${problem.message}`,
      );
    }
    return policy;
  }

  private async effect(request: EffectRequest, name: string, resultKey: string | undefined): Promise<void> {
    this.effects += 1;
    const maxEffects = this.options.limits?.maxEffects ?? DEFAULT_INTERPRET_LIMITS.maxEffects;
    if (this.effects > maxEffects) {
      throw new SwitchboardError(
        'effect_budget_exceeded',
        `the chain made more than ${maxEffects} webhook/provider calls`,
      );
    }
    const resultPath = resultKey === undefined ? undefined : writePath(resultKey);
    await this.emit({ type: 'effect', kind: request.kind, name, status: 'started' });
    let result: JsonValue;
    try {
      result = await this.executor.execute(request);
    } catch (err) {
      const failure = asSwitchboardError(err);
      await this.emit({
        type: 'effect',
        kind: request.kind,
        name,
        status: 'failed',
        error: { code: failure.code, message: failure.message },
      });
      throw failure;
    }
    const converted = toJsonValue(result);
    const value = converted.ok ? converted.value : null;
    this.lastEffectResult = value;
    if (resultPath !== undefined) setAtPath(this.writeRoot(resultPath), resultPath.segments, value, resultPath.append);
    await this.emit({ type: 'effect', kind: request.kind, name, status: 'succeeded' });
  }

  private evaluate(source: string, view: ScopeView, input: JsonValue | undefined): unknown {
    let compiled = this.compiled.get(source);
    if (compiled === undefined) {
      compiled = compileExpression(source, this.options.limits?.expression);
      this.compiled.set(source, compiled);
    }
    return compiled.evaluate(expressionScope(view, input));
  }

  private regex(source: string | number | undefined): RegExp {
    const text = String(source ?? '');
    let regex = this.regexes.get(text);
    if (regex === undefined) {
      const problem = patternProblem(text);
      if (problem !== undefined) throw new SwitchboardError('invalid_definition', problem);
      regex = new RegExp(text);
      this.regexes.set(text, regex);
    }
    return regex;
  }

  /** The object a write path's segments are relative to. */
  writeRoot(path: ParsedPath): JsonObject {
    switch (path.scope) {
      case 'context':
        return this.state.context as JsonObject;
      case 'workflow':
        return this.state.workflow as JsonObject;
      case 'agents':
        return this.state.agents as unknown as JsonObject;
      default:
        throw new SwitchboardError('invalid_path', `the '${path.scope}' scope is read-only`);
    }
  }
}

function withPolicy(request: EffectRequest, policy: EffectPolicy | undefined): EffectRequest {
  if (policy !== undefined) request.policy = policy;
  return request;
}

function writePath(text: string): ParsedPath {
  return parsePathOrThrow(text, 'write');
}

/**
 * The variables an expression sees: the top-level context keys (as in paths, a name that is
 * not a scope means a context key), overlaid by every scope name — scopes always win, and
 * `error`/`input` are `undefined` where they do not exist. Values are copies, so an expression
 * can never change the state.
 */
function expressionScope(view: ScopeView, input: JsonValue | undefined): Record<string, unknown> {
  const scope: Record<string, unknown> = {};
  for (const key of Object.keys(view.context)) ownSet(scope, key, cloneJson(view.context[key] as JsonValue));
  scope.params = cloneJson(view.params);
  scope.context = cloneJson(view.context);
  scope.flags = cloneJson(view.flags);
  scope.workflow = cloneJson(view.workflow);
  scope.agents = cloneJson(view.agents as JsonObject);
  scope.outputs = cloneJson(view.outputs);
  scope.error = view.error === undefined ? undefined : cloneJson(view.error);
  scope.input = input;
  return scope;
}

function cloneState(state: ChainState): ChainState {
  const source = isPlainObject(state) ? state : emptyState();
  const part = <T>(value: unknown): T => (isPlainObject(value) ? (cloneJson(value) as T) : ({} as T));
  const flags: Record<string, boolean> = {};
  const rawFlags = part<Record<string, JsonValue>>(source.flags);
  for (const key of Object.keys(rawFlags)) {
    if (typeof rawFlags[key] === 'boolean') ownSet(flags, key, rawFlags[key]);
  }
  return {
    context: part(source.context),
    flags,
    workflow: part(source.workflow),
    agents: part(source.agents),
    outputs: part(source.outputs),
  };
}

/** Applies defaults, drops undeclared arguments, and lists argument problems. */
function prepareArguments(
  action: CanonicalAction,
  raw: Record<string, JsonValue>,
): { params: Record<string, JsonValue>; issues: { pointer: string; message: string }[]; ignored: string[] } {
  const params: Record<string, JsonValue> = {};
  const issues: { pointer: string; message: string }[] = [];
  const source = isPlainObject(raw) ? raw : {};
  const declared = new Set(action.parameters.map((p) => p.name));
  const ignored = Object.keys(source).filter((key) => !declared.has(key));
  for (const spec of action.parameters) {
    let value = ownGet(source, spec.name) as JsonValue | undefined;
    if ((value === undefined || value === null) && spec.default !== undefined) value = spec.default;
    const pointer = `/params/${spec.name.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    if (value === undefined || value === null) {
      if (spec.required) issues.push({ pointer, message: `missing required argument '${spec.name}'` });
      continue;
    }
    const mismatch = typeMismatch(
      value,
      spec.items === undefined ? { type: spec.type } : { type: spec.type, items: spec.items },
    );
    if (mismatch !== undefined) {
      issues.push({ pointer, message: `argument '${spec.name}': ${mismatch}` });
      continue;
    }
    if (spec.enum !== undefined && !spec.enum.some((allowed) => allowed === value)) {
      issues.push({
        pointer,
        message: `argument '${spec.name}' must be one of ${spec.enum.map((v) => JSON.stringify(v)).join(', ')}`,
      });
      continue;
    }
    ownSet(params, spec.name, cloneJson(value));
  }
  return { params, issues, ignored };
}

/** A JSON pointer segment (RFC 6901). */
function pointerSegment(name: string): string {
  return name.replace(/~/g, '~0').replace(/\//g, '~1');
}

async function mapOutputs(run: Run, outputs: readonly OutputSpec[]): Promise<Record<string, JsonValue>> {
  const mapped: Record<string, JsonValue> = { ...run.reads };
  if (outputs.length === 0 || run.lastEffectResult === undefined) return mapped;
  const result = run.lastEffectResult;
  let checks: OutputChecks | undefined;
  for (const spec of outputs) {
    let value: JsonValue | undefined;
    const whole = !isPlainObject(result);
    if (!whole) value = ownGet(result, spec.developerName) as JsonValue | undefined;
    else if (outputs.length === 1) value = result;
    if (value === undefined || value === null) continue;
    const type: TypeSpec = spec.items === undefined ? { type: spec.type } : { type: spec.type, items: spec.items };
    const strict = typeMismatch(value, type);
    if (strict !== undefined) {
      checks ??= run.options.outputChecks?.() ?? 'lenient';
      if (checks === 'strict') {
        throw new StepFailure({
          code: 'invalid_output',
          message: `output '${spec.name}': ${strict}`,
          retryable: false,
        });
      }
      const mismatch = typeMismatch(value, type, { numericIds: true });
      if (mismatch !== undefined) {
        await run.emit({
          type: 'log',
          level: 'warn',
          message: `output '${spec.name}' left out: ${mismatch}`,
          data: {
            code: 'invalid_output',
            output: spec.name,
            pointer: `/outputs/${pointerSegment(spec.name)}`,
            result_pointer: whole ? '' : `/${pointerSegment(spec.developerName)}`,
          },
        });
        continue;
      }
    }
    ownSet(mapped, spec.name, cloneJson(value));
  }
  return mapped;
}

function unresolvedTarget(action: CanonicalAction): string | undefined {
  if (action.steps.length > 0 || action.target === undefined) return undefined;
  return /^(tool|workflow):\/\//.test(action.target) ? action.target : undefined;
}

/**
 * Runs an action: arguments, steps, outputs, then `on_success` or `on_failure`. Never throws
 * for a failing chain (the result says `failed`); it rejects only when `onEvent` throws.
 */
export async function interpret(
  input: InterpretInput,
  executor: EffectExecutor,
  options: InterpretOptions = {},
): Promise<InterpretResult> {
  const run = new Run(input, executor, options);
  const { action } = input;
  let failure: ChainError | undefined;
  let outputs: Record<string, JsonValue> = {};

  const prepared = prepareArguments(action, input.params);
  run.params = prepared.params;
  for (const name of prepared.ignored) {
    await run.emit({ type: 'log', level: 'warn', message: `ignored undeclared argument '${name}'` });
  }
  const target = unresolvedTarget(action);
  if (prepared.issues.length > 0) {
    failure = {
      code: 'invalid_arguments',
      message: prepared.issues.map((issue) => issue.message).join('; '),
      retryable: false,
      details: { issues: prepared.issues },
    };
  } else if (target !== undefined) {
    failure = {
      code: 'unresolved_target',
      message: `target '${target}' must be resolved into steps before the action runs`,
      retryable: false,
    };
  }

  if (failure === undefined) {
    try {
      if (action.includeInProgressIndicator) {
        await run.emit({
          type: 'progress',
          message: renderTemplate(action.progressMessage ?? action.label, run.view()),
        });
      }
      await run.runChain(action.steps, '/actions');
      outputs = await mapOutputs(run, action.outputs);
      if (Object.keys(outputs).length > 0 || action.outputs.length > 0)
        ownSet(run.state.outputs, action.name, cloneJson(outputs));
      await run.runChain(action.onSuccess, '/on_success');
    } catch (err) {
      if (!(err instanceof StepFailure)) throw err;
      failure = err.error;
    }
  }

  if (failure === undefined) {
    return { status: 'succeeded', events: run.events, state: run.state, outputs };
  }

  const errorScope: JsonObject = { code: failure.code, message: failure.message, retryable: failure.retryable };
  if (failure.stepPointer !== undefined) errorScope.step = failure.stepPointer;
  if (failure.details !== undefined) errorScope.details = cloneJson(failure.details);
  run.errorScope = errorScope;
  run.steps = 0;
  try {
    await run.runChain(action.onFailure, '/on_failure');
  } catch (err) {
    if (!(err instanceof StepFailure)) throw err;
    await run.emit({
      type: 'log',
      level: 'error',
      message: `on_failure stopped at ${err.error.stepPointer ?? '?'}: ${err.error.message}`,
      data: { code: err.error.code },
    });
  }
  // The action's own failure message (per action, by locale), said after on_failure.
  const failedMessage = pickLocale(action.messages?.failed, input.locale);
  if (failedMessage !== undefined && failedMessage !== '') {
    await run.emit({ type: 'respond', message: renderTemplate(failedMessage, run.view()) });
  }
  return { status: 'failed', events: run.events, state: run.state, error: failure, outputs: {} };
}

/**
 * The outputs the agent may see: drops every output declared with `filterFromAgent`. The
 * dropped ones are still returned by {@link interpret} and remembered in `state.outputs`.
 */
export function visibleOutputs(action: CanonicalAction, outputs: Record<string, JsonValue>): Record<string, JsonValue> {
  const hidden = new Set(action.outputs.filter((o) => o.filterFromAgent).map((o) => o.name));
  const visible: Record<string, JsonValue> = {};
  for (const key of Object.keys(outputs)) {
    if (!hidden.has(key)) ownSet(visible, key, outputs[key] as JsonValue);
  }
  return visible;
}

/**
 * What a run says, in order: every `respond` message and the message of a `handoff` (the
 * transfer is announced, so the caller hears it like any other message). A run's `messages`.
 */
export function spokenMessages(events: readonly ChainEvent[]): string[] {
  return events.flatMap((e) =>
    e.type === 'respond' ? [e.message] : e.type === 'handoff' && e.message !== undefined ? [e.message] : [],
  );
}

/** Reads a remembered output of an earlier run (`state.outputs[action][output]`). */
export function rememberedOutput(state: ChainState, actionName: string, outputName: string): JsonValue | undefined {
  return getAtPath(state.outputs, [actionName, outputName]);
}
