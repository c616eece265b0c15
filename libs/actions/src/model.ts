/**
 * The canonical action model.
 *
 * Three surface formats (declarative tools, typed actions, built-ins) compile into
 * {@link CanonicalAction}; everything downstream (the orchestrator, the Temporal workflows, the
 * LLM tool exporters) sees only this model. It is plain JSON data on purpose: it is stored in
 * Postgres, carried in protobuf messages and Temporal payloads, and replayed by workflows, so it
 * must survive `JSON.stringify` → `JSON.parse` unchanged (no classes, no `undefined` semantics
 * that matter, no functions).
 *
 * Steps keep the snake_case property names of the Agent Studio format (`message_key`,
 * `result_key`, `error_message`, and the effect policy `timeout_ms` / `retry` of webhook and
 * provider steps), so a step written in a declarative tool is canonical step JSON as-is.
 */
import type { JsonValue } from '@switchboard/common';
import type { ActionMessages } from './messages.js';

/** Where a canonical action came from. */
export const ActionSources = {
  /** A declarative tool (Agent Studio JSON: parameters + step chain). */
  Tool: 'tool',
  /** A typed action (Agentforce style: typed inputs/outputs + target). */
  Typed: 'typed',
  /** A built-in action of the voice platform (transfer, end call, Cal.com, SMS, CRM...). */
  Builtin: 'builtin',
} as const;
/** One of {@link ActionSources}. */
export type ActionSource = (typeof ActionSources)[keyof typeof ActionSources];

/**
 * When a typed action runs: as a tool the LLM may choose (`tool`), deterministically every
 * turn of its topic (`every_turn`, Agentforce's `run @actions.x` in reasoning logic), or after
 * the turn (`after_turn`, Agentforce's `after_reasoning`).
 */
export const RunModes = { Tool: 'tool', EveryTurn: 'every_turn', AfterTurn: 'after_turn' } as const;
/** One of {@link RunModes}. */
export type RunMode = (typeof RunModes)[keyof typeof RunModes];

/**
 * Value types of parameters and outputs: the union of the declarative tool types (`string`,
 * `number`, `boolean`, `array`, `object`) and the Agentforce types (`integer`, `long`, `date`,
 * `datetime`, `time`, `currency`, `id`, `list[T]`).
 */
export const ValueTypes = {
  String: 'string',
  Number: 'number',
  Integer: 'integer',
  Long: 'long',
  Boolean: 'boolean',
  Object: 'object',
  /** Untyped array (declarative tools). */
  Array: 'array',
  /** `YYYY-MM-DD`. */
  Date: 'date',
  /** ISO 8601 date and time, e.g. `2025-01-31T09:30:00Z`. */
  Datetime: 'datetime',
  /** `HH:MM[:SS[.fff]]`. */
  Time: 'time',
  /** A monetary amount, carried as a JSON number. */
  Currency: 'currency',
  /** An opaque record identifier (Salesforce ID and the like), a non-empty string. */
  Id: 'id',
  /** Typed list `list[T]`; the element type is in `items`. */
  List: 'list',
} as const;
/** One of {@link ValueTypes}. */
export type ValueType = (typeof ValueTypes)[keyof typeof ValueTypes];
/** Element type of a `list[T]`: any type except another list or an untyped array. */
export type ItemType = Exclude<ValueType, 'list' | 'array'>;

/** A parameter the LLM (or the caller) supplies. */
export interface ParameterSpec {
  /** Identifier, referenced as `params.<name>`. */
  name: string;
  type: ValueType;
  /** Element type, present exactly when `type` is `list`. */
  items?: ItemType;
  required: boolean;
  /** Allowed values (scalars of `type`). */
  enum?: (string | number | boolean)[];
  /** Help text for the LLM. */
  description?: string;
  /** Applied when the argument is absent or `null`, before the required check. */
  default?: JsonValue;
  /** Agentforce complex type (e.g. `lightning__recordInfoType`) for `object` values. */
  complexDataTypeName?: string;
  /** Human-readable label. */
  label?: string;
}

/** A declared output of a typed action. */
export interface OutputSpec {
  /** Key under which the output is returned and remembered. */
  name: string;
  /**
   * The name the target returns the value under (Agentforce `developer_name`); defaults to
   * `name`. Result mapping reads `response[developerName]` into `outputs[name]`.
   */
  developerName: string;
  type: ValueType;
  /** Element type, present exactly when `type` is `list`. */
  items?: ItemType;
  /** Defaults to {@link labelFromName}(name). */
  label: string;
  /** Defaults to {@link labelFromName}(name), as Agentforce does. */
  description: string;
  /** When true the output is kept (and remembered) but hidden from the agent/LLM. */
  filterFromAgent: boolean;
  /** Required for `object` outputs. */
  complexDataTypeName?: string;
}

/** The step types: the twelve of the Agent Studio format plus the internal `provider` step. */
export const StepTypes = {
  ContextSet: 'context.set',
  ContextGet: 'context.get',
  ContextDelete: 'context.delete',
  FlagSet: 'flag.set',
  FlagClear: 'flag.clear',
  Respond: 'respond',
  Handoff: 'handoff',
  Webhook: 'webhook',
  Conditional: 'conditional',
  Validate: 'validate',
  Transform: 'transform',
  Log: 'log',
  /** Internal: a built-in provider operation (`calcom.book`, `twilio.sms`...). Not in tools. */
  Provider: 'provider',
} as const;
/** One of {@link StepTypes}. */
export type StepType = (typeof StepTypes)[keyof typeof StepTypes];

/** The twelve step types a declarative tool may use (every type except `provider`). */
export const DECLARATIVE_STEP_TYPES: readonly StepType[] = Object.values(StepTypes).filter((t) => t !== 'provider');

/** Rules of the `validate` step. */
export const ValidateRules = {
  Required: 'required',
  Email: 'email',
  Phone: 'phone',
  Number: 'number',
  MinLength: 'min_length',
  MaxLength: 'max_length',
  Pattern: 'pattern',
} as const;
/** One of {@link ValidateRules}. */
export type ValidateRule = (typeof ValidateRules)[keyof typeof ValidateRules];

/** Levels of the `log` step. */
export const LogLevels = { Debug: 'debug', Info: 'info', Warn: 'warn', Error: 'error' } as const;
/** One of {@link LogLevels}. */
export type LogLevel = (typeof LogLevels)[keyof typeof LogLevels];

/**
 * A property value as written in a step: a string is a bare dot path (`"params.email"`,
 * `"params"`) or a single-quoted literal (`"'meal_saved'"`); any other JSON is a literal whose
 * string leaves (in objects and arrays) are resolved the same way, recursively.
 */
export type PropertyValue = JsonValue;

/** `context.set`: stores `value` at `key` (a write path; `key[+]` appends). */
export interface ContextSetStep {
  type: 'context.set';
  key: string;
  value: PropertyValue;
}
/** `context.get`: reads the value at `key` and returns it as an output of the run. */
export interface ContextGetStep {
  type: 'context.get';
  key: string;
}
/** `context.delete`: removes the value at `key` (no-op when absent). */
export interface ContextDeleteStep {
  type: 'context.delete';
  key: string;
}
/** `flag.set`: sets `flags.<flag>` to true. */
export interface FlagSetStep {
  type: 'flag.set';
  flag: string;
}
/** `flag.clear`: sets `flags.<flag>` to false. */
export interface FlagClearStep {
  type: 'flag.clear';
  flag: string;
}
/** `respond` with a `{{template}}` message. */
export interface RespondMessageStep {
  type: 'respond';
  message: string;
}
/** `respond` with the message read from a path (used verbatim, not re-rendered). */
export interface RespondMessageKeyStep {
  type: 'respond';
  message_key: string;
}
/** `respond`: says something to the user; exactly one of `message` / `message_key`. */
export type RespondStep = RespondMessageStep | RespondMessageKeyStep;
/**
 * `handoff`: transfers the conversation to another agent of the tenant (or to a topic of one):
 * once the run ends (unless cancelled), later tool calls and turns run the target's actions.
 */
export interface HandoffStep {
  type: 'handoff';
  /** Agent name (a literal, not a path); must name an agent of the tenant when the agent is saved. */
  target: string;
  /** Topic of the target agent the conversation moves into (a literal); none: no topic. */
  topic?: string;
  /** Optional `{{template}}` said before the transfer (one of the run's `messages`). */
  message?: string;
}
/**
 * How the executor runs one side effect (a webhook or provider call): its timeout and retry
 * policy, in the canonical camelCase form. Every field is optional; the executor applies its
 * own defaults to what is absent. Bounds are in {@link EffectPolicyLimits}.
 *
 * The policy of an effect is the step's own policy merged over the action's
 * {@link CanonicalAction.effectPolicy}, field by field (see `EffectRequest.policy`).
 */
export interface EffectPolicy {
  /** Time allowed for one attempt, in milliseconds (Temporal: `startToCloseTimeout`). */
  timeoutMs?: number;
  retry?: EffectRetryPolicy;
}

/** Retry policy of an effect (Temporal's `RetryPolicy`, with milliseconds). */
export interface EffectRetryPolicy {
  /** Attempts in total, the first included; `1` means no retry. */
  maxAttempts?: number;
  /** Wait before the first retry, in milliseconds. */
  initialIntervalMs?: number;
  /** Factor applied to the wait after each retry. */
  backoffCoefficient?: number;
  /** Upper bound of the wait between retries, in milliseconds; at least `initialIntervalMs`. */
  maximumIntervalMs?: number;
}

/**
 * A retry policy as written in the surface formats and in steps (snake_case, like every step
 * property). It maps one to one onto {@link EffectRetryPolicy}.
 */
export interface RetryPolicySpec {
  /** {@link EffectRetryPolicy.maxAttempts}. */
  max_attempts?: number;
  /** {@link EffectRetryPolicy.initialIntervalMs}. */
  initial_interval_ms?: number;
  /** {@link EffectRetryPolicy.backoffCoefficient}. */
  backoff?: number;
  /** {@link EffectRetryPolicy.maximumIntervalMs}. */
  max_interval_ms?: number;
}

/**
 * Bounds of every {@link EffectPolicy} field (inclusive). Validators refuse values outside
 * them; all but `backoffCoefficient` are integers.
 */
export const EffectPolicyLimits = {
  timeoutMs: { min: 100, max: 600_000 },
  maxAttempts: { min: 1, max: 20 },
  initialIntervalMs: { min: 10, max: 60_000 },
  backoffCoefficient: { min: 1, max: 10 },
  maximumIntervalMs: { min: 100, max: 600_000 },
} as const;

/** The optional effect-policy properties of `webhook` and `provider` steps. */
export interface EffectPolicySpec {
  /** {@link EffectPolicy.timeoutMs}; overrides the action's default. */
  timeout_ms?: number;
  /** Retry policy; each field present overrides the same field of the action's default. */
  retry?: RetryPolicySpec;
}

/** `webhook`: calls a tenant-configured endpoint (by name) through the effect executor. */
export interface WebhookStep extends EffectPolicySpec {
  type: 'webhook';
  /** Endpoint name, resolved per tenant (Settings > Webhook Endpoints). */
  endpoint: string;
  payload?: PropertyValue;
  /** Write path for the response (context-relative unless it starts with a scope). */
  result_key?: string;
}
/** `conditional`: runs `then` when `condition` (an expression) is truthy, else `else`. */
export interface ConditionalStep {
  type: 'conditional';
  condition: string;
  then: Step[];
  else?: Step[];
}
/** `validate`: checks a value; failure stops the chain and runs `on_failure`. */
export interface ValidateStep {
  type: 'validate';
  /** Read path of the value checked, e.g. `params.email`. */
  field: string;
  rule: ValidateRule;
  /** Rule argument: a length for `min_length`/`max_length`, a regex source for `pattern`. */
  value?: string | number;
  /** `{{template}}` used as the error message. */
  error_message?: string;
}
/** `transform`: evaluates `expression` with `input` bound, stores the result at `output`. */
export interface TransformStep {
  type: 'transform';
  input: PropertyValue;
  expression: string;
  /** Write path. */
  output: string;
}
/** `log`: emits a log event (never spoken). */
export interface LogStep {
  type: 'log';
  level: LogLevel;
  /** `{{template}}`. */
  message: string;
  data?: PropertyValue;
}
/**
 * Internal `provider` step: a built-in provider operation, executed like a webhook through the
 * effect executor (an activity on that provider's task queue).
 */
export interface ProviderStep extends EffectPolicySpec {
  type: 'provider';
  /** `family.operation`, e.g. `calcom.book`, `twilio.sms`, `hubspot.contact_lookup`. */
  operation: string;
  /** Operation input; each value is a {@link PropertyValue}. */
  input: Record<string, PropertyValue>;
  /** Write path for the result. */
  result_key?: string;
}

/** One step of a chain, discriminated by `type`. */
export type Step =
  | ContextSetStep
  | ContextGetStep
  | ContextDeleteStep
  | FlagSetStep
  | FlagClearStep
  | RespondStep
  | HandoffStep
  | WebhookStep
  | ConditionalStep
  | ValidateStep
  | TransformStep
  | LogStep
  | ProviderStep;

/** Target schemes of typed actions (`scheme://NAME`). */
export const TargetSchemes = {
  /** Another action/tool by name; resolved later (stays as `target`). */
  Tool: 'tool',
  /** A durable workflow by name; resolved later (stays as `target`). */
  Workflow: 'workflow',
  /** A built-in provider operation; compiles into one `provider` step. */
  Provider: 'provider',
  /** A tenant webhook endpoint; compiles into one `webhook` step. */
  Webhook: 'webhook',
} as const;
/** One of {@link TargetSchemes}. */
export type TargetScheme = (typeof TargetSchemes)[keyof typeof TargetSchemes];

/** The one model every surface format compiles into. */
export interface CanonicalAction {
  /** Exact, case-sensitive name agents and instructions use (see {@link isValidActionName}). */
  name: string;
  /** Display label; auto-generated from the name when not given. */
  label: string;
  /** What the action does (shown to the LLM). */
  description: string;
  source: ActionSource;
  parameters: ParameterSpec[];
  /** Declared outputs (typed actions); empty for declarative tools, whose outputs are `context.get` reads. */
  outputs: OutputSpec[];
  /** The main chain (`actions` in the Agent Studio format). */
  steps: Step[];
  onSuccess: Step[];
  onFailure: Step[];
  /** The caller must obtain the user's confirmation before running the action. */
  requireUserConfirmation: boolean;
  /** The caller shows a progress indicator (the interpreter emits a `progress` event). */
  includeInProgressIndicator: boolean;
  /** `{{template}}` for the progress indicator; defaults to the label. */
  progressMessage?: string;
  /** A tool call answers at once (`running`); the result is delivered when the chain ends (see `async-fields.ts`). */
  async?: boolean;
  /** A tool call waits at most this long for the result, then answers as an async one would. */
  respondWithinMs?: number;
  /** What the agent says while a side effect is slow, and when the action fails (see `messages.ts`). */
  messages?: ActionMessages;
  /** `scheme://NAME` reference to what executes the action (typed actions). */
  target?: string;
  /** When the action runs (typed actions); absent means `tool`. */
  run?: RunMode;
  /**
   * Default policy of every effect (webhook/provider step) of the action; a step's own
   * `timeout_ms`/`retry` fields override it field by field. Absent: executor defaults.
   */
  effectPolicy?: EffectPolicy;
}

/** Maximum length of any action name. */
export const MAX_ACTION_NAME_LENGTH = 80;

const STRICT_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;

/**
 * The Agentforce (Salesforce developer name) rule, enforced for typed actions and their
 * input/output names: begins with a letter; only ASCII letters, digits and underscores; no
 * trailing underscore; no consecutive underscores; at most 80 characters.
 */
export function isValidActionName(name: string): boolean {
  return (
    name.length > 0 &&
    name.length <= MAX_ACTION_NAME_LENGTH &&
    STRICT_NAME.test(name) &&
    !name.endsWith('_') &&
    !name.includes('__')
  );
}

/**
 * The looser rule for declarative tools and built-ins, whose names are often display names
 * that instructions quote verbatim ("use the 'Transfer to Support' action"): non-empty, at most
 * 80 characters, no leading/trailing whitespace, no control characters.
 */
export function isValidToolName(name: string): boolean {
  return (
    name.length > 0 &&
    name.length <= MAX_ACTION_NAME_LENGTH &&
    name.trim() === name &&
    // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
    !/[\u0000-\u001f\u007f]/.test(name)
  );
}

/**
 * Says what is wrong with a name under the Agentforce rule, one sentence per broken rule
 * (empty when valid). Used for precise validation messages.
 */
export function actionNameProblems(name: string): string[] {
  const problems: string[] = [];
  if (name.length === 0) return ['must not be empty'];
  if (!/^[A-Za-z]/.test(name)) problems.push('must begin with a letter');
  if (/[^A-Za-z0-9_]/.test(name)) problems.push('may contain only letters, digits and underscores');
  if (name.endsWith('_')) problems.push('must not end with an underscore');
  if (name.includes('__')) problems.push('must not contain consecutive underscores');
  if (name.length > MAX_ACTION_NAME_LENGTH) problems.push(`must be at most ${MAX_ACTION_NAME_LENGTH} characters`);
  return problems;
}

/**
 * A display label from a developer name, as Agentforce generates it: underscores become spaces
 * and every word starts with a capital (`my_action` → `My Action`, `error_code` → `Error Code`).
 * The rest of each word is kept (`get_URL` → `Get URL`).
 */
export function labelFromName(name: string): string {
  return name
    .split(/[_\s]+/)
    .filter((word) => word.length > 0)
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join(' ');
}

/** Serialises a value type for messages and exports: `list[number]`, `string`. */
export function formatValueType(spec: { type: ValueType; items?: ItemType }): string {
  return spec.type === 'list' ? `list[${spec.items ?? 'string'}]` : spec.type;
}
