/**
 * The declarative tool format (Agent Studio): `name`, `description`, `parameters[]`, and the
 * `actions` / `on_success` / `on_failure` chains of the twelve step types.
 *
 * ```json
 * { "name": "save_meal", "description": "Log a meal the user consumed",
 *   "parameters": [{ "name": "dishes", "type": "array", "required": true }],
 *   "actions": [{ "type": "context.set", "key": "logged_meals[+]", "value": "params" }],
 *   "on_success": [{ "type": "respond", "message": "Got it!" }] }
 * ```
 *
 * Effects: `webhook` steps take an optional `timeout_ms` and `retry` (`max_attempts`,
 * `initial_interval_ms`, `backoff`, `max_interval_ms`); the same two properties at the top
 * level are the default of every webhook step, overridden field by field by the step's own.
 *
 * Naming: a tool name may be a display name ("Transfer to Support") because agent
 * instructions quote tools by their exact name; it must be non-empty, at most 80 characters,
 * without surrounding whitespace or control characters ({@link isValidToolName}). Parameter
 * names are identifiers, since steps reference them as `params.<name>`.
 */
import type { JsonValue, ValidationIssue } from '@switchboard/common';
import { ValidationError } from '@switchboard/common/errors';
import { ASYNC_PROPERTIES, checkAsyncFields, readAsyncFields } from './async-fields.js';
import { cloneJson, describeFound, isPlainObject, ownGet, pointerJoin } from './json.js';
import { checkActionMessages, readActionMessages } from './messages.js';
import {
  type CanonicalAction,
  isValidToolName,
  labelFromName,
  type ParameterSpec,
  type Step,
  type ValueType,
} from './model.js';
import { readEffectPolicy } from './policy.js';
import { closestMatch } from './suggest.js';
import {
  checkEffectPolicy,
  checkOptionalString,
  checkUnknownProperties,
  IssueCollector,
  summarizeIssues,
  validateChain,
} from './validate.js';
import { parseTypedTypeName, typeMismatch } from './value-types.js';

/** Top-level properties of a declarative tool (`$schema` lets editors find the JSON Schema). */
const TOOL_PROPERTIES = [
  '$schema',
  'name',
  'description',
  'parameters',
  'actions',
  'on_success',
  'on_failure',
  'delayed_message',
  'failure_message',
  'timeout_ms',
  'retry',
  ...ASYNC_PROPERTIES,
] as const;
const PARAMETER_PROPERTIES = ['name', 'type', 'required', 'enum', 'description', 'default'] as const;
/** Parameter types of the declarative format, as the Agent Studio reference lists them. */
export const DECLARATIVE_PARAMETER_TYPES = ['string', 'number', 'boolean', 'array', 'object'] as const;
/** One of {@link DECLARATIVE_PARAMETER_TYPES}. */
export type DeclarativeParameterType = (typeof DECLARATIVE_PARAMETER_TYPES)[number];

/** Parameter names are identifiers: steps read them as `params.<name>`. */
const PARAMETER_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const RESERVED_NAMES: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Validates a declarative tool document without throwing. Returns every issue found, each
 * located by a JSON pointer into `json`; an empty array means {@link parseDeclarativeTool}
 * will succeed.
 */
export function validateDeclarativeTool(json: unknown): ValidationIssue[] {
  const out = new IssueCollector();
  if (!isPlainObject(json)) {
    out.add('', 'a declarative tool must be a JSON object', { expected: 'an object', found: describeFound(json) });
    return out.issues;
  }
  checkUnknownProperties(json, '', TOOL_PROPERTIES, out, 'a declarative tool');
  checkOptionalString(json, '$schema', '', out);

  const name = ownGet(json, 'name');
  if (name === undefined) {
    out.add('/name', "a declarative tool needs a 'name'", { expected: 'a name', found: 'nothing' });
  } else if (typeof name !== 'string' || !isValidToolName(name)) {
    out.add(
      '/name',
      "'name' must be non-empty, at most 80 characters, without leading/trailing whitespace or control characters",
      {
        expected: 'a tool name such as save_meal',
        found: describeFound(name),
        ...(typeof name === 'string' && name.trim() !== name && isValidToolName(name.trim())
          ? { suggestion: name.trim() }
          : {}),
      },
    );
  }
  const description = ownGet(json, 'description');
  if (description === undefined) {
    out.add(
      '/description',
      "a declarative tool needs a 'description' (the LLM uses it to decide when to call the tool)",
      {
        expected: 'a string',
        found: 'nothing',
      },
    );
  } else {
    checkOptionalString(json, 'description', '', out);
  }

  const parameters = ownGet(json, 'parameters');
  if (parameters !== undefined) validateParameters(parameters, out);

  const effectDefault = checkEffectPolicy(json, '', out, 'snake');
  checkAsyncFields(json, '', out);
  const counter = { steps: 0, reported: false };
  for (const key of ['actions', 'on_success'] as const) {
    const chain = ownGet(json, key);
    if (chain !== undefined)
      validateChain(chain, `/${key}`, out, { allowProvider: false, inFailure: false, effectDefault }, counter);
  }
  const onFailure = ownGet(json, 'on_failure');
  if (onFailure !== undefined)
    validateChain(onFailure, '/on_failure', out, { allowProvider: false, inFailure: true, effectDefault }, counter);
  checkActionMessages(json, '', out);
  return out.issues;
}

/**
 * Parses a declarative tool into the canonical model. Throws a {@link ValidationError}
 * listing every issue when the document is invalid.
 */
export function parseDeclarativeTool(json: unknown): CanonicalAction {
  const issues = validateDeclarativeTool(json);
  const doc = json as Record<string, unknown>;
  if (issues.length > 0) {
    const name =
      isPlainObject(json) && typeof ownGet(json, 'name') === 'string'
        ? `declarative tool '${String(ownGet(json, 'name'))}'`
        : 'declarative tool';
    throw new ValidationError(summarizeIssues(name, issues), issues);
  }
  const name = doc.name as string;
  const parameters = Array.isArray(doc.parameters)
    ? (doc.parameters as Record<string, unknown>[]).map(toParameterSpec)
    : [];
  const chain = (key: string): Step[] => {
    const value = ownGet(doc, key);
    return value === undefined ? [] : (cloneJson(value) as unknown as Step[]);
  };
  const action: CanonicalAction = {
    name,
    label: /\s/.test(name) ? name : labelFromName(name),
    description: doc.description as string,
    source: 'tool',
    parameters,
    outputs: [],
    steps: chain('actions'),
    onSuccess: chain('on_success'),
    onFailure: chain('on_failure'),
    requireUserConfirmation: false,
    includeInProgressIndicator: false,
    ...readAsyncFields(doc),
  };
  const messages = readActionMessages(doc);
  if (messages !== undefined) action.messages = messages;
  const effectPolicy = readEffectPolicy(doc, 'snake').policy;
  if (effectPolicy !== undefined) action.effectPolicy = effectPolicy;
  return action;
}

function toParameterSpec(raw: Record<string, unknown>): ParameterSpec {
  const spec: ParameterSpec = {
    name: raw.name as string,
    type: raw.type as ValueType,
    required: raw.required === true,
  };
  if (Array.isArray(raw.enum)) spec.enum = cloneJson(raw.enum) as (string | number | boolean)[];
  if (typeof raw.description === 'string') spec.description = raw.description;
  if (raw.default !== undefined) spec.default = cloneJson(raw.default);
  return spec;
}

function validateParameters(parameters: unknown, out: IssueCollector): void {
  if (!Array.isArray(parameters)) {
    out.add('/parameters', "'parameters' must be an array", {
      expected: 'an array of parameters',
      found: describeFound(parameters),
    });
    return;
  }
  const seen = new Map<string, number>();
  parameters.forEach((param: unknown, index) => {
    const pointer = pointerJoin('/parameters', index);
    if (!isPlainObject(param)) {
      out.add(pointer, 'a parameter must be an object', {
        expected: 'an object with name and type',
        found: describeFound(param),
      });
      return;
    }
    checkUnknownProperties(param, pointer, PARAMETER_PROPERTIES, out, 'a parameter');
    const name = ownGet(param, 'name');
    if (name === undefined) {
      out.add(pointerJoin(pointer, 'name'), "a parameter needs a 'name'", {
        expected: 'an identifier',
        found: 'nothing',
      });
    } else if (typeof name !== 'string' || !PARAMETER_NAME.test(name) || RESERVED_NAMES.has(name)) {
      out.add(
        pointerJoin(pointer, 'name'),
        'a parameter name must be an identifier (letter or underscore, then letters, digits, underscores; at most 64 characters)',
        {
          expected: 'an identifier such as meal_type',
          found: describeFound(name),
        },
      );
    } else if (seen.has(name)) {
      out.add(
        pointerJoin(pointer, 'name'),
        `duplicate parameter '${name}' (first declared at /parameters/${seen.get(name)})`,
        { found: `'${name}'` },
      );
    } else {
      seen.set(name, index);
    }
    const type = checkParameterType(ownGet(param, 'type'), pointerJoin(pointer, 'type'), out);
    const required = ownGet(param, 'required');
    if (required !== undefined && typeof required !== 'boolean') {
      out.add(pointerJoin(pointer, 'required'), "'required' must be true or false", {
        expected: 'a boolean',
        found: describeFound(required),
      });
    }
    checkOptionalString(param, 'description', pointer, out);
    const enumValues = checkEnum(ownGet(param, 'enum'), type, pointerJoin(pointer, 'enum'), out);
    const fallback = ownGet(param, 'default');
    if (fallback !== undefined && type !== undefined) {
      const mismatch = typeMismatch(fallback as JsonValue, { type });
      if (mismatch !== undefined) {
        out.add(pointerJoin(pointer, 'default'), `default does not match the parameter type: ${mismatch}`, {
          expected: type,
          found: describeFound(fallback),
        });
      } else if (enumValues !== undefined && !enumValues.some((v) => v === fallback)) {
        out.add(pointerJoin(pointer, 'default'), 'default is not one of the enum values', {
          expected: `one of ${JSON.stringify(enumValues)}`,
          found: describeFound(fallback),
        });
      }
    }
  });
}

function checkParameterType(type: unknown, pointer: string, out: IssueCollector): DeclarativeParameterType | undefined {
  const allowed: readonly string[] = DECLARATIVE_PARAMETER_TYPES;
  if (type === undefined) {
    out.add(pointer, "a parameter needs a 'type'", { expected: `one of ${allowed.join(', ')}`, found: 'nothing' });
    return undefined;
  }
  if (typeof type === 'string' && allowed.includes(type)) return type as DeclarativeParameterType;
  let suggestion = typeof type === 'string' ? closestMatch(type, allowed) : undefined;
  let hint = '';
  if (typeof type === 'string' && suggestion === undefined && parseTypedTypeName(type) !== undefined) {
    // A typed-action type in a declarative tool: name the nearest declarative equivalent.
    const parsed = parseTypedTypeName(type);
    suggestion =
      parsed?.type === 'list'
        ? 'array'
        : ['integer', 'long', 'currency'].includes(type)
          ? 'number'
          : parsed?.type === 'object'
            ? 'object'
            : 'string';
    hint = ' (that is a typed-action type)';
  }
  out.add(
    pointer,
    `unknown parameter type ${describeFound(type)}${hint}${suggestion ? ` — did you mean '${suggestion}'?` : ''}`,
    {
      expected: `one of ${allowed.join(', ')}`,
      found: describeFound(type),
      ...(suggestion ? { suggestion } : {}),
    },
  );
  return undefined;
}

function checkEnum(
  value: unknown,
  type: DeclarativeParameterType | undefined,
  pointer: string,
  out: IssueCollector,
): unknown[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.length === 0) {
    out.add(pointer, "'enum' must be a non-empty array of allowed values", {
      expected: 'a non-empty array',
      found: describeFound(value),
    });
    return undefined;
  }
  if (type === 'array' || type === 'object') {
    out.add(pointer, `'enum' applies to string, number and boolean parameters, not ${type}`);
    return undefined;
  }
  const seen: unknown[] = [];
  let ok = true;
  value.forEach((item: unknown, index) => {
    const itemPointer = pointerJoin(pointer, index);
    const scalar =
      typeof item === 'string' || typeof item === 'boolean' || (typeof item === 'number' && Number.isFinite(item));
    if (!scalar || (type !== undefined && typeof item !== type)) {
      ok = false;
      out.add(itemPointer, `enum value must be a ${type ?? 'string, number or boolean'}`, {
        expected: type ?? 'a scalar',
        found: describeFound(item),
      });
    } else if (seen.includes(item)) {
      ok = false;
      out.add(itemPointer, `duplicate enum value ${describeFound(item)}`);
    } else {
      seen.push(item);
    }
  });
  return ok ? seen : undefined;
}
