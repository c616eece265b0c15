/**
 * Validation of the canonical model itself, for definitions that do not come through a
 * surface parser: built-in actions assembled in code, rows read back from the database, or a
 * `CanonicalAction` received in a message. Pointers are into the canonical JSON (`/steps/0`).
 */
import type { ValidationIssue } from '@switchboard/common';
import { checkCanonicalAsyncFields } from './async-fields.js';
import { describeFound, isPlainObject, ownGet, pointerJoin } from './json.js';
import { checkActionMessages } from './messages.js';
import { ActionSources, type EffectPolicy, isValidActionName, isValidToolName, RunModes, ValueTypes } from './model.js';
import { parseTarget } from './typed.js';
import {
  checkEffectPolicy,
  checkOptionalString,
  checkUnknownProperties,
  IssueCollector,
  validateChain,
} from './validate.js';
import { ITEM_TYPES } from './value-types.js';

const ACTION_KEYS = [
  'name',
  'label',
  'description',
  'source',
  'parameters',
  'outputs',
  'steps',
  'onSuccess',
  'onFailure',
  'requireUserConfirmation',
  'includeInProgressIndicator',
  'progressMessage',
  'async',
  'respondWithinMs',
  'messages',
  'target',
  'run',
  'effectPolicy',
] as const;
const PARAMETER_KEYS = [
  'name',
  'type',
  'items',
  'required',
  'enum',
  'description',
  'default',
  'complexDataTypeName',
  'label',
] as const;
const OUTPUT_KEYS = [
  'name',
  'developerName',
  'type',
  'items',
  'label',
  'description',
  'filterFromAgent',
  'complexDataTypeName',
] as const;
const TYPES: readonly string[] = Object.values(ValueTypes);
const ITEMS: readonly string[] = ITEM_TYPES;

/**
 * Validates a value as a {@link CanonicalAction}; returns every issue (empty when valid).
 * `provider` steps are allowed here. Typed actions are held to the strict naming rule, the
 * others to the display-name rule.
 */
export function validateCanonicalAction(value: unknown): ValidationIssue[] {
  const out = new IssueCollector();
  if (!isPlainObject(value)) {
    out.add('', 'a canonical action must be an object', { expected: 'an object', found: describeFound(value) });
    return out.issues;
  }
  checkUnknownProperties(value, '', ACTION_KEYS, out, 'a canonical action');
  const source = ownGet(value, 'source');
  const sources: readonly string[] = Object.values(ActionSources);
  if (typeof source !== 'string' || !sources.includes(source)) {
    out.add('/source', 'unknown action source', { expected: sources.join(', '), found: describeFound(source) });
  }
  const name = ownGet(value, 'name');
  const strict = source === 'typed';
  if (typeof name !== 'string' || !(strict ? isValidActionName(name) : isValidToolName(name))) {
    out.add('/name', strict ? 'typed action names follow the developer-name rule' : 'invalid action name', {
      found: describeFound(name),
    });
  }
  for (const key of ['label', 'description'] as const) {
    if (typeof ownGet(value, key) !== 'string')
      out.add(`/${key}`, `'${key}' must be a string`, { found: describeFound(ownGet(value, key)) });
  }
  for (const key of ['requireUserConfirmation', 'includeInProgressIndicator'] as const) {
    if (typeof ownGet(value, key) !== 'boolean')
      out.add(`/${key}`, `'${key}' must be a boolean`, { found: describeFound(ownGet(value, key)) });
  }
  checkOptionalString(value, 'progressMessage', '', out);
  checkCanonicalAsyncFields(value, out);
  const messages = ownGet(value, 'messages');
  if (messages !== undefined) {
    if (isPlainObject(messages)) {
      checkUnknownProperties(messages, '/messages', ['delayed', 'failed'], out, 'the messages');
      checkActionMessages(messages, '/messages', out, { delayed: 'delayed', failed: 'failed' });
    } else {
      out.add('/messages', "'messages' must be an object", { found: describeFound(messages) });
    }
  }
  const target = ownGet(value, 'target');
  if (target !== undefined && (typeof target !== 'string' || parseTarget(target) === undefined)) {
    out.add('/target', 'target must be scheme://NAME with scheme tool, workflow, provider or webhook', {
      found: describeFound(target),
    });
  }
  const run = ownGet(value, 'run');
  const runModes: readonly string[] = Object.values(RunModes);
  if (run !== undefined && (typeof run !== 'string' || !runModes.includes(run))) {
    out.add('/run', 'unknown run mode', { expected: runModes.join(', '), found: describeFound(run) });
  }
  checkSpecs(ownGet(value, 'parameters'), '/parameters', PARAMETER_KEYS, out, (spec, pointer) => {
    if (typeof ownGet(spec, 'required') !== 'boolean')
      out.add(pointerJoin(pointer, 'required'), "'required' must be a boolean");
    const enumValues = ownGet(spec, 'enum');
    if (enumValues !== undefined && !Array.isArray(enumValues))
      out.add(pointerJoin(pointer, 'enum'), "'enum' must be an array");
    checkOptionalString(spec, 'description', pointer, out);
    checkOptionalString(spec, 'label', pointer, out);
  });
  checkSpecs(ownGet(value, 'outputs'), '/outputs', OUTPUT_KEYS, out, (spec, pointer) => {
    for (const key of ['developerName', 'label', 'description'] as const) {
      if (typeof ownGet(spec, key) !== 'string') out.add(pointerJoin(pointer, key), `'${key}' must be a string`);
    }
    if (typeof ownGet(spec, 'filterFromAgent') !== 'boolean')
      out.add(pointerJoin(pointer, 'filterFromAgent'), "'filterFromAgent' must be a boolean");
  });
  let effectDefault: EffectPolicy | undefined;
  const effectPolicy = ownGet(value, 'effectPolicy');
  if (effectPolicy !== undefined) {
    if (isPlainObject(effectPolicy)) effectDefault = checkEffectPolicy(effectPolicy, '/effectPolicy', out, 'camel');
    else
      out.add('/effectPolicy', "'effectPolicy' must be an object", {
        expected: 'an object with timeoutMs and/or retry',
        found: describeFound(effectPolicy),
      });
  }
  const counter = { steps: 0, reported: false };
  const main = { allowProvider: true, inFailure: false, effectDefault };
  validateChain(ownGet(value, 'steps'), '/steps', out, main, counter);
  validateChain(ownGet(value, 'onSuccess'), '/onSuccess', out, main, counter);
  validateChain(ownGet(value, 'onFailure'), '/onFailure', out, { ...main, inFailure: true }, counter);
  return out.issues;
}

function checkSpecs(
  value: unknown,
  pointer: string,
  keys: readonly string[],
  out: IssueCollector,
  extra: (spec: Record<string, unknown>, pointer: string) => void,
): void {
  if (!Array.isArray(value)) {
    out.add(pointer, 'expected an array', { found: describeFound(value) });
    return;
  }
  value.forEach((spec: unknown, index) => {
    const at = pointerJoin(pointer, index);
    if (!isPlainObject(spec)) {
      out.add(at, 'expected an object', { found: describeFound(spec) });
      return;
    }
    checkUnknownProperties(spec, at, keys, out, 'a spec');
    const name = ownGet(spec, 'name');
    if (
      typeof name !== 'string' ||
      !/^[A-Za-z_][A-Za-z0-9_]{0,79}$/.test(name) ||
      name === 'constructor' ||
      name === 'prototype'
    ) {
      out.add(pointerJoin(at, 'name'), 'name must be an identifier', { found: describeFound(name) });
    }
    const type = ownGet(spec, 'type');
    if (typeof type !== 'string' || !TYPES.includes(type)) {
      out.add(pointerJoin(at, 'type'), 'unknown type', { expected: TYPES.join(', '), found: describeFound(type) });
    }
    const items = ownGet(spec, 'items');
    if (type === 'list' ? typeof items !== 'string' || !ITEMS.includes(items) : items !== undefined) {
      out.add(
        pointerJoin(at, 'items'),
        "'items' is required for list types (a non-list type) and not allowed otherwise",
        { found: describeFound(items) },
      );
    }
    checkOptionalString(spec, 'complexDataTypeName', at, out);
    extra(spec, at);
  });
}
