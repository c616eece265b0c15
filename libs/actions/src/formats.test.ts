import { checkJson, JSON_MAX_DEPTH, type JsonValue } from '@switchboard/common';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseAnyAction, validateAnyAction } from './formats.js';

/**
 * The deepest an action can be where users write it: inside a `PUT /v1/agents/:name` body
 * (`{"actions": [action]}`: the action is level 3 of a body held to JSON_MAX_DEPTH).
 */
const DEEPEST_ACTION = JSON_MAX_DEPTH - 2;

function depthOf(v: unknown): number {
  if (v === null || typeof v !== 'object') return 0;
  return 1 + Math.max(0, ...(Array.isArray(v) ? v : Object.values(v)).map(depthOf));
}

/**
 * `value` with every string a quoted literal (a bare string in a step is a dot path). Takes
 * fast-check's JSON values too (their objects' properties are optional).
 */
function literal(value: JsonValue | fc.JsonValue): JsonValue {
  if (typeof value === 'string') return `'${value.replace(/[^A-Za-z0-9 ]/g, '')}'`;
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(literal);
  return Object.fromEntries(
    Object.entries(value).flatMap(([k, v]) => (v === undefined ? [] : [[k, literal(v)] as const])),
  );
}

/** A declarative tool whose steps are `levels` conditionals inside each other. */
function nestedConditionals(levels: number, leaf: JsonValue = 'x'): JsonValue {
  let steps: JsonValue[] = [{ type: 'context.set', key: 'k', value: leaf }];
  for (let i = 0; i < levels; i++)
    // biome-ignore lint/suspicious/noThenProperty: 'then' is the conditional step's property in the seed format
    steps = [{ type: 'conditional', condition: 'true', then: steps, else: [] }];
  return { name: 'deep', description: 'Nested steps', parameters: [], actions: steps };
}

/** A custom API call whose body template nests `levels` objects. */
function deepBody(levels: number): JsonValue {
  let body: JsonValue = 'params.sku';
  for (let i = 0; i < levels; i++) body = { a: body };
  return {
    type: 'custom_api',
    name: 'create_order',
    description: 'Places an order.',
    config: {
      endpoint: 'orders_api',
      method: 'POST',
      path: '/orders',
      parameters: [{ name: 'sku', type: 'string', required: true, description: 'Product code' }],
      body,
    },
  };
}

describe('canonical actions within the JSON limits', () => {
  it('every action deep enough to fill an agent body compiles to a canonical form the bus can carry', () => {
    // Nested conditionals and literal values: the canonical step JSON is the source's.
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 13 }), fc.jsonValue({ maxDepth: 8 }), (levels, value) => {
        const doc = nestedConditionals(levels, literal(value));
        fc.pre(depthOf(doc) <= DEEPEST_ACTION);
        expect(validateAnyAction(doc).issues).toEqual([]);
        expect(checkJson(parseAnyAction(doc).action)).toEqual([]);
      }),
      { numRuns: 200 },
    );
    // A built-in's config moves into a provider step: two levels deeper, still within the limit.
    const builtin = deepBody(DEEPEST_ACTION - 2);
    expect(depthOf(builtin)).toBe(DEEPEST_ACTION);
    expect(validateAnyAction(builtin).issues).toEqual([]);
    expect(depthOf(parseAnyAction(builtin).action)).toBe(JSON_MAX_DEPTH);
  });

  it('refuses a definition whose canonical form would nest too deep, pointing into it', () => {
    const doc = deepBody(DEEPEST_ACTION - 1);
    const { issues } = validateAnyAction(doc);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({
      pointer: '',
      message: expect.stringMatching(
        /^compiles to an action that cannot be carried: at \/steps\/0\/input\/body(\/a)+ of its canonical form, it must not nest deeper than 32 levels/,
      ),
      found: 'an object at level 33',
    });
  });
});

describe('targets this runtime cannot run', () => {
  it.each([
    ['tool://lookup_customer', 'tool'],
    ['workflow://business_hours', 'workflow'],
  ])('refuses %s at /target, though the typed format allows it', (target, scheme) => {
    const { format, issues } = validateAnyAction({ name: 'check_it', description: 'Checks', target });
    expect(format).toBe('typed');
    expect(issues).toEqual([
      expect.objectContaining({
        pointer: '/target',
        message: `target '${target}' cannot run here: ${scheme}:// targets are not resolved by this runtime, so every call would fail`,
        expected: 'webhook://ENDPOINT or provider://family.operation',
      }),
    ]);
  });

  it('takes webhook:// and provider:// targets', () => {
    expect(validateAnyAction({ name: 'a', description: 'A', target: 'webhook://meal_log' }).issues).toEqual([]);
  });
});
