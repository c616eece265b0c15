/**
 * The typed action format, mirroring Salesforce Agentforce's Agent Script action reference in
 * JSON:
 *
 * ```json
 * { "name": "log_meal", "description": "Log a meal", "target": "webhook://meal_log",
 *   "inputs":  { "dishes": { "type": "list[string]", "description": "Dishes", "is_required": true } },
 *   "outputs": { "meal_id": { "type": "id", "description": "Stored meal" } },
 *   "require_user_confirmation": false, "include_in_progress_indicator": true,
 *   "progress_indicator_message": "Saving your meal...", "run": "tool" }
 * ```
 *
 * - Names (action, inputs, outputs) follow the Agentforce developer-name rule
 *   ({@link isValidActionName}), unlike declarative tools.
 * - `label` defaults to {@link labelFromName}(name); output `label` and `description` too.
 * - `target` is `scheme://NAME`: `webhook://endpoint` compiles into one `webhook` step whose
 *   payload is `params`; `provider://family.operation` into one `provider` step whose input maps
 *   every declared input; `tool://X` and `workflow://X` have no steps and stay as `target` for a
 *   later resolver.
 * - Outputs are read from the result of the last webhook/provider step: `outputs[name] =
 *   result[developer_name ?? name]`. `developer_name` is optional here (the reference both
 *   calls it required and says it overrides a default), defaulting to the output's name.
 * - `complex_data_type_name` is required on `object` outputs, allowed on `object` and
 *   `list[object]` inputs/outputs, and refused elsewhere.
 * - `is_required` defaults to false.
 * - `timeout_ms` and `retry` (`max_attempts`, `initial_interval_ms`, `backoff`,
 *   `max_interval_ms`) set the policy of the target's webhook/provider call; they become the
 *   action's `effectPolicy`, so they also apply once a `tool://` or `workflow://` target is
 *   resolved into steps (whose own policy, if any, wins field by field).
 */
import type { ValidationIssue } from '@switchboard/common';
import { ValidationError } from '@switchboard/common/errors';
import { ASYNC_PROPERTIES, checkAsyncFields, readAsyncFields } from './async-fields.js';
import { describeFound, isPlainObject, ownGet, pointerJoin } from './json.js';
import { checkActionMessages, readActionMessages } from './messages.js';
import {
  actionNameProblems,
  type CanonicalAction,
  isValidActionName,
  isValidToolName,
  labelFromName,
  type OutputSpec,
  type ParameterSpec,
  type RunMode,
  RunModes,
  type Step,
  type TargetScheme,
  TargetSchemes,
} from './model.js';
import { readEffectPolicy } from './policy.js';
import { closestMatch } from './suggest.js';
import {
  checkEffectPolicy,
  checkOptionalBoolean,
  checkOptionalString,
  checkTemplateProperty,
  checkUnknownProperties,
  IssueCollector,
  summarizeIssues,
} from './validate.js';
import { ITEM_TYPES, parseTypedTypeName, type TypeSpec } from './value-types.js';

const ACTION_PROPERTIES = [
  '$schema',
  'name',
  'description',
  'label',
  'target',
  'inputs',
  'outputs',
  'require_user_confirmation',
  'include_in_progress_indicator',
  'progress_indicator_message',
  'delayed_message',
  'failure_message',
  'run',
  'timeout_ms',
  'retry',
  ...ASYNC_PROPERTIES,
] as const;
const INPUT_PROPERTIES = ['type', 'description', 'label', 'is_required', 'complex_data_type_name'] as const;
const OUTPUT_PROPERTIES = [
  'type',
  'description',
  'developer_name',
  'label',
  'filter_from_agent',
  'complex_data_type_name',
] as const;

/** Every concrete type name a typed action accepts (for near-miss suggestions). */
const TYPE_NAMES: readonly string[] = [
  'string',
  'number',
  'integer',
  'long',
  'boolean',
  'object',
  'date',
  'datetime',
  'time',
  'currency',
  'id',
  ...ITEM_TYPES.map((item) => `list[${item}]`),
];
const SCHEMES: readonly string[] = Object.values(TargetSchemes);
const RUN_MODES: readonly string[] = Object.values(RunModes);
const AGENTFORCE_SCHEMES: ReadonlySet<string> = new Set(['apex', 'flow', 'prompt']);
const TARGET_NAME: Record<TargetScheme, { test: (name: string) => boolean; expected: string }> = {
  tool: { test: isValidToolName, expected: 'an action name' },
  workflow: {
    test: (name) => /^[A-Za-z][A-Za-z0-9_.-]{0,99}$/.test(name),
    expected: 'a workflow name (letters, digits, _ . -)',
  },
  provider: {
    test: (name) => /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/.test(name),
    expected: "an operation such as 'calcom.book'",
  },
  webhook: {
    test: (name) => /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$/.test(name),
    expected: "an endpoint name such as 'meal_log'",
  },
};

/** A parsed `scheme://NAME` target. */
export interface ParsedTarget {
  scheme: TargetScheme;
  name: string;
}

/** Parses a typed-action target; `undefined` when it is not `scheme://NAME` with a known scheme and valid name. */
export function parseTarget(target: string): ParsedTarget | undefined {
  const match = /^([a-z]+):\/\/(.+)$/s.exec(target);
  if (!match) return undefined;
  const scheme = match[1] as TargetScheme;
  const name = match[2] ?? '';
  if (!SCHEMES.includes(scheme) || !TARGET_NAME[scheme].test(name)) return undefined;
  return { scheme, name };
}

/**
 * Why a typed action cannot run here, located at `/target`, or `undefined` when it can: a
 * `tool://` or `workflow://` target is valid Agentforce but this runtime does not resolve it
 * (it compiles to no steps, and every call would fail with `unresolved_target`). Agents refuse
 * such an action at save, and an action stored before that has status Error, so it is never
 * called ({@link validateAnyAction}, {@link actionStatus}).
 */
export function unrunnableTargetIssue(doc: unknown): ValidationIssue | undefined {
  const target = isPlainObject(doc) ? ownGet(doc, 'target') : undefined;
  const parsed = typeof target === 'string' ? parseTarget(target) : undefined;
  if (parsed?.scheme !== 'tool' && parsed?.scheme !== 'workflow') return undefined;
  return {
    pointer: '/target',
    message: `target '${String(target)}' cannot run here: ${parsed.scheme}:// targets are not resolved by this runtime, so every call would fail`,
    expected: 'webhook://ENDPOINT or provider://family.operation',
    found: JSON.stringify(target),
    suggestion:
      parsed.scheme === 'tool'
        ? `let the agent call '${parsed.name}' itself, or give this action a webhook:// or provider:// target`
        : 'expose the workflow behind a webhook endpoint and use webhook://ENDPOINT',
  };
}

/**
 * Validates a typed action document without throwing. Returns every issue found, each
 * located by a JSON pointer; an empty array means {@link parseTypedAction} will succeed.
 */
export function validateTypedAction(json: unknown): ValidationIssue[] {
  const out = new IssueCollector();
  if (!isPlainObject(json)) {
    out.add('', 'a typed action must be a JSON object', { expected: 'an object', found: describeFound(json) });
    return out.issues;
  }
  checkUnknownProperties(json, '', ACTION_PROPERTIES, out, 'a typed action');
  checkOptionalString(json, '$schema', '', out);
  checkStrictName(ownGet(json, 'name'), '/name', out, 'action', true);
  checkOptionalString(json, 'description', '', out);
  checkOptionalString(json, 'label', '', out, true);
  checkTarget(ownGet(json, 'target'), out);
  checkOptionalBoolean(json, 'require_user_confirmation', '', out);
  checkOptionalBoolean(json, 'include_in_progress_indicator', '', out);
  const progress = ownGet(json, 'progress_indicator_message');
  if (progress !== undefined)
    checkTemplateProperty(progress, '/progress_indicator_message', out, { allowProvider: false, inFailure: false });
  checkActionMessages(json, '', out);
  const run = ownGet(json, 'run');
  if (run !== undefined && (typeof run !== 'string' || !RUN_MODES.includes(run))) {
    const suggestion = typeof run === 'string' ? closestMatch(run, RUN_MODES) : undefined;
    out.add('/run', `unknown run mode ${describeFound(run)}${suggestion ? ` — did you mean '${suggestion}'?` : ''}`, {
      expected: `one of ${RUN_MODES.join(', ')}`,
      found: describeFound(run),
      ...(suggestion ? { suggestion } : {}),
    });
  }
  checkFields(ownGet(json, 'inputs'), '/inputs', 'input', out);
  checkFields(ownGet(json, 'outputs'), '/outputs', 'output', out);
  checkEffectPolicy(json, '', out, 'snake');
  checkAsyncFields(json, '', out);
  return out.issues;
}

/**
 * Parses a typed action into the canonical model. Throws a {@link ValidationError} listing
 * every issue when the document is invalid.
 */
export function parseTypedAction(json: unknown): CanonicalAction {
  const issues = validateTypedAction(json);
  if (issues.length > 0) {
    const name =
      isPlainObject(json) && typeof ownGet(json, 'name') === 'string'
        ? `typed action '${String(ownGet(json, 'name'))}'`
        : 'typed action';
    throw new ValidationError(summarizeIssues(name, issues), issues);
  }
  const doc = json as Record<string, unknown>;
  const name = doc.name as string;
  const target = doc.target as string;
  const inputs = isPlainObject(doc.inputs) ? (doc.inputs as Record<string, Record<string, unknown>>) : {};
  const outputs = isPlainObject(doc.outputs) ? (doc.outputs as Record<string, Record<string, unknown>>) : {};
  const parameters = Object.keys(inputs).map((inputName) => toParameterSpec(inputName, inputs[inputName] ?? {}));
  const action: CanonicalAction = {
    name,
    label: typeof doc.label === 'string' ? doc.label : labelFromName(name),
    description: typeof doc.description === 'string' ? doc.description : '',
    source: 'typed',
    parameters,
    outputs: Object.keys(outputs).map((outputName) => toOutputSpec(outputName, outputs[outputName] ?? {})),
    steps: compileTarget(target, parameters),
    onSuccess: [],
    onFailure: [],
    requireUserConfirmation: doc.require_user_confirmation === true,
    includeInProgressIndicator: doc.include_in_progress_indicator === true,
    target,
  };
  if (typeof doc.progress_indicator_message === 'string') action.progressMessage = doc.progress_indicator_message;
  const messages = readActionMessages(doc);
  if (messages !== undefined) action.messages = messages;
  if (typeof doc.run === 'string') action.run = doc.run as RunMode;
  Object.assign(action, readAsyncFields(doc));
  const effectPolicy = readEffectPolicy(doc, 'snake').policy;
  if (effectPolicy !== undefined) action.effectPolicy = effectPolicy;
  return action;
}

function compileTarget(target: string, parameters: ParameterSpec[]): Step[] {
  const parsed = parseTarget(target);
  if (parsed?.scheme === 'webhook') return [{ type: 'webhook', endpoint: parsed.name, payload: 'params' }];
  if (parsed?.scheme === 'provider') {
    const input: Record<string, string> = {};
    for (const param of parameters) input[param.name] = `params.${param.name}`;
    return [{ type: 'provider', operation: parsed.name, input }];
  }
  return [];
}

function toParameterSpec(name: string, raw: Record<string, unknown>): ParameterSpec {
  const type = parseTypedTypeName(raw.type as string) as TypeSpec;
  const spec: ParameterSpec = { name, type: type.type, required: raw.is_required === true };
  if (type.items !== undefined) spec.items = type.items;
  if (typeof raw.description === 'string') spec.description = raw.description;
  if (typeof raw.label === 'string') spec.label = raw.label;
  if (typeof raw.complex_data_type_name === 'string') spec.complexDataTypeName = raw.complex_data_type_name;
  return spec;
}

function toOutputSpec(name: string, raw: Record<string, unknown>): OutputSpec {
  const type = parseTypedTypeName(raw.type as string) as TypeSpec;
  const spec: OutputSpec = {
    name,
    developerName: typeof raw.developer_name === 'string' ? raw.developer_name : name,
    type: type.type,
    label: typeof raw.label === 'string' ? raw.label : labelFromName(name),
    description: typeof raw.description === 'string' ? raw.description : labelFromName(name),
    filterFromAgent: raw.filter_from_agent === true,
  };
  if (type.items !== undefined) spec.items = type.items;
  if (typeof raw.complex_data_type_name === 'string') spec.complexDataTypeName = raw.complex_data_type_name;
  return spec;
}

function checkStrictName(name: unknown, pointer: string, out: IssueCollector, what: string, required: boolean): void {
  if (name === undefined) {
    if (required)
      out.add(pointer, `a typed action needs a '${what === 'action' ? 'name' : what}'`, {
        expected: 'a name such as log_meal',
        found: 'nothing',
      });
    return;
  }
  if (typeof name !== 'string') {
    out.add(pointer, `${what} name must be a string`, { expected: 'a string', found: describeFound(name) });
    return;
  }
  if (isValidActionName(name)) {
    if (what !== 'action' && (name === 'constructor' || name === 'prototype')) {
      out.add(pointer, `${what} name '${name}' is reserved`, { found: JSON.stringify(name) });
    }
    return;
  }
  const fixed = name
    .trim()
    .replace(/[^A-Za-z0-9_]+/g, '_')
    .replace(/_+/g, '_')
    .replace(/^[^A-Za-z]+/, '')
    .replace(/_+$/, '')
    .slice(0, 80)
    .replace(/_+$/, '');
  out.add(pointer, `${what} name '${name}' ${actionNameProblems(name).join('; ')}`, {
    expected:
      'a letter, then letters, digits and single underscores, not ending in an underscore, at most 80 characters',
    found: JSON.stringify(name),
    ...(isValidActionName(fixed) ? { suggestion: fixed } : {}),
  });
}

function checkTarget(target: unknown, out: IssueCollector): void {
  const expected = 'scheme://NAME with scheme tool, workflow, provider or webhook';
  if (target === undefined) {
    out.add('/target', "a typed action needs a 'target'", { expected, found: 'nothing' });
    return;
  }
  if (typeof target !== 'string') {
    out.add('/target', "'target' must be a string", { expected, found: describeFound(target) });
    return;
  }
  const match = /^([^:/]*):\/\/(.*)$/s.exec(target);
  if (!match) {
    out.add('/target', `target '${target}' is not of the form scheme://NAME`, {
      expected,
      found: JSON.stringify(target),
    });
    return;
  }
  const scheme = match[1] ?? '';
  const name = match[2] ?? '';
  if (!SCHEMES.includes(scheme)) {
    const near = closestMatch(scheme, SCHEMES);
    const hint = AGENTFORCE_SCHEMES.has(scheme) ? ' (Agentforce apex/flow/prompt targets do not run here)' : '';
    out.add('/target', `unknown target scheme '${scheme}'${hint}${near ? ` — did you mean '${near}'?` : ''}`, {
      expected,
      found: JSON.stringify(target),
      ...(near ? { suggestion: `${near}://${name}` } : {}),
    });
    return;
  }
  const rule = TARGET_NAME[scheme as TargetScheme];
  if (!rule.test(name)) {
    out.add('/target', `target name '${name}' is not valid for '${scheme}://'`, {
      expected: rule.expected,
      found: JSON.stringify(target),
    });
  }
}

function checkFields(value: unknown, pointer: string, kind: 'input' | 'output', out: IssueCollector): void {
  if (value === undefined) return;
  if (!isPlainObject(value)) {
    out.add(pointer, `'${kind}s' must be an object keyed by ${kind} name`, {
      expected: 'an object',
      found: describeFound(value),
    });
    return;
  }
  for (const name of Object.keys(value)) {
    const fieldPointer = pointerJoin(pointer, name);
    checkStrictName(name, fieldPointer, out, kind, true);
    const field = value[name];
    if (!isPlainObject(field)) {
      out.add(fieldPointer, `${kind} '${name}' must be an object with at least a 'type'`, {
        expected: 'an object',
        found: describeFound(field),
      });
      continue;
    }
    checkUnknownProperties(
      field,
      fieldPointer,
      kind === 'input' ? INPUT_PROPERTIES : OUTPUT_PROPERTIES,
      out,
      `${kind} '${name}'`,
    );
    const type = checkType(ownGet(field, 'type'), pointerJoin(fieldPointer, 'type'), out);
    checkOptionalString(field, 'description', fieldPointer, out);
    checkOptionalString(field, 'label', fieldPointer, out, true);
    const complex = checkOptionalString(field, 'complex_data_type_name', fieldPointer, out, true);
    if (kind === 'input') {
      checkOptionalBoolean(field, 'is_required', fieldPointer, out);
    } else {
      checkOptionalBoolean(field, 'filter_from_agent', fieldPointer, out);
      // Not held to the naming rule: it is whatever the target returns (`Customer_Info__c`, `customerId`).
      checkOptionalString(field, 'developer_name', fieldPointer, out, true);
    }
    if (type === undefined) continue;
    const isComplex = type.type === 'object' || (type.type === 'list' && type.items === 'object');
    if (kind === 'output' && type.type === 'object' && ownGet(field, 'complex_data_type_name') === undefined) {
      out.add(
        pointerJoin(fieldPointer, 'complex_data_type_name'),
        `output '${name}' has type object, so it needs 'complex_data_type_name' (the type the target returns)`,
        {
          expected: 'a complex type name such as lightning__recordInfoType',
          found: 'nothing',
        },
      );
    } else if (complex !== undefined && !isComplex) {
      out.add(
        pointerJoin(fieldPointer, 'complex_data_type_name'),
        "'complex_data_type_name' applies only to object and list[object] types",
        {
          found: JSON.stringify(complex),
        },
      );
    }
  }
}

function checkType(type: unknown, pointer: string, out: IssueCollector): TypeSpec | undefined {
  if (type === undefined) {
    out.add(pointer, "a 'type' is required", {
      expected: `one of ${TYPE_NAMES.slice(0, 11).join(', ')} or list[<type>]`,
      found: 'nothing',
    });
    return undefined;
  }
  if (typeof type === 'string') {
    const parsed = parseTypedTypeName(type);
    if (parsed !== undefined) return parsed;
  }
  let suggestion = typeof type === 'string' ? closestMatch(type.replace(/\s+/g, ''), TYPE_NAMES) : undefined;
  if (type === 'array' || type === 'list') suggestion = 'list[string]';
  out.add(pointer, `unknown type ${describeFound(type)}${suggestion ? ` — did you mean '${suggestion}'?` : ''}`, {
    expected: `one of ${TYPE_NAMES.slice(0, 11).join(', ')} or list[<type>]`,
    found: describeFound(type),
    ...(suggestion ? { suggestion } : {}),
  });
  return undefined;
}
