/**
 * The published JSON Schemas agree with the validators on the examples (every seed example is
 * among them). A small structural checker covers exactly the keywords the schemas use; a test
 * makes sure no other keyword sneaks in, so this check can never pass vacuously.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { validateDeclarativeTool } from './declarative.js';
import { validateTypedAction } from './typed.js';

type Schema = boolean | { [keyword: string]: unknown };

const schemasDir = new URL('../schemas/', import.meta.url);
const load = (name: string): Record<string, unknown> => JSON.parse(readFileSync(new URL(name, schemasDir), 'utf8'));
const declarativeSchema = load('declarative-tool.schema.json');
const typedSchema = load('typed-action.schema.json');
const examples = readdirSync(new URL('examples/', schemasDir)).map((f) => [f, load(`examples/${f}`)] as const);

const KNOWN = new Set([
  '$schema',
  '$id',
  '$defs',
  '$ref',
  'title',
  'description',
  'type',
  'enum',
  'const',
  'properties',
  'required',
  'additionalProperties',
  'propertyNames',
  'items',
  'minItems',
  'minLength',
  'maxLength',
  'minimum',
  'pattern',
  'allOf',
  'anyOf',
  'oneOf',
  'not',
  'if',
  'then',
  'else',
]);
const SCHEMA_VALUED = new Set(['additionalProperties', 'propertyNames', 'items', 'not', 'if', 'then', 'else']);
const SCHEMA_LISTS = new Set(['allOf', 'anyOf', 'oneOf']);
const SCHEMA_MAPS = new Set(['properties', '$defs']);

function keywordsOf(schema: Schema, out = new Set<string>()): Set<string> {
  if (typeof schema === 'boolean') return out;
  for (const [key, value] of Object.entries(schema)) {
    out.add(key);
    if (SCHEMA_VALUED.has(key)) keywordsOf(value as Schema, out);
    if (SCHEMA_LISTS.has(key)) for (const s of value as Schema[]) keywordsOf(s, out);
    if (SCHEMA_MAPS.has(key)) for (const s of Object.values(value as Record<string, Schema>)) keywordsOf(s, out);
  }
  return out;
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

/** Returns the JSON pointers where `value` violates `schema` (empty when it conforms). */
function check(schema: Schema, value: unknown, root: Record<string, unknown>, at = ''): string[] {
  if (schema === true) return [];
  if (schema === false) return [at];
  const errors: string[] = [];
  const s = schema;
  if (typeof s.$ref === 'string') {
    const name = s.$ref.replace('#/$defs/', '');
    errors.push(...check((root.$defs as Record<string, Schema>)[name] as Schema, value, root, at));
  }
  if (s.type !== undefined) {
    const types = Array.isArray(s.type) ? (s.type as string[]) : [s.type as string];
    const actual = typeOf(value);
    if (!types.includes(actual) && !(actual === 'integer' && types.includes('number')))
      return [...errors, `${at} (type)`];
  }
  if (s.enum !== undefined && !(s.enum as unknown[]).some((e) => JSON.stringify(e) === JSON.stringify(value)))
    errors.push(`${at} (enum)`);
  if (s.const !== undefined && JSON.stringify(s.const) !== JSON.stringify(value)) errors.push(`${at} (const)`);
  if (typeof value === 'string') {
    if (typeof s.minLength === 'number' && [...value].length < s.minLength) errors.push(`${at} (minLength)`);
    if (typeof s.maxLength === 'number' && [...value].length > s.maxLength) errors.push(`${at} (maxLength)`);
    if (typeof s.pattern === 'string' && !new RegExp(s.pattern, 'u').test(value)) errors.push(`${at} (pattern)`);
  }
  if (typeof value === 'number' && typeof s.minimum === 'number' && value < s.minimum) errors.push(`${at} (minimum)`);
  if (Array.isArray(value)) {
    if (typeof s.minItems === 'number' && value.length < s.minItems) errors.push(`${at} (minItems)`);
    if (s.items !== undefined)
      value.forEach((item, i) => {
        errors.push(...check(s.items as Schema, item, root, `${at}/${i}`));
      });
  }
  if (typeOf(value) === 'object') {
    const obj = value as Record<string, unknown>;
    const props = (s.properties ?? {}) as Record<string, Schema>;
    for (const key of (s.required ?? []) as string[])
      if (!Object.hasOwn(obj, key)) errors.push(`${at}/${key} (required)`);
    for (const [key, member] of Object.entries(obj)) {
      if (s.propertyNames !== undefined)
        errors.push(...check(s.propertyNames as Schema, key, root, `${at}/${key} (name)`));
      if (Object.hasOwn(props, key)) errors.push(...check(props[key] as Schema, member, root, `${at}/${key}`));
      else if (s.additionalProperties !== undefined)
        errors.push(...check(s.additionalProperties as Schema, member, root, `${at}/${key}`));
    }
  }
  for (const sub of (s.allOf ?? []) as Schema[]) errors.push(...check(sub, value, root, at));
  if (s.anyOf !== undefined && !(s.anyOf as Schema[]).some((sub) => check(sub, value, root, at).length === 0))
    errors.push(`${at} (anyOf)`);
  if (
    s.oneOf !== undefined &&
    (s.oneOf as Schema[]).filter((sub) => check(sub, value, root, at).length === 0).length !== 1
  )
    errors.push(`${at} (oneOf)`);
  if (s.not !== undefined && check(s.not as Schema, value, root, at).length === 0) errors.push(`${at} (not)`);
  if (s.if !== undefined) {
    const branch = check(s.if as Schema, value, root, at).length === 0 ? s.then : s.else;
    if (branch !== undefined) errors.push(...check(branch as Schema, value, root, at));
  }
  return errors;
}

describe('JSON Schemas', () => {
  it.each([
    ['declarative-tool.schema.json', declarativeSchema],
    ['typed-action.schema.json', typedSchema],
  ])('%s is a draft 2020-12 schema with a switchboard.dev $id, using only checked keywords', (file, schema) => {
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.$id).toBe(`https://switchboard.dev/schemas/${file}`);
    const unknown = [...keywordsOf(schema as Schema)].filter((k) => !KNOWN.has(k));
    expect(unknown).toEqual([]);
    for (const pattern of JSON.stringify(schema).match(/"pattern":"(?:[^"\\]|\\.)*"/g) ?? []) {
      expect(() => new RegExp(JSON.parse(`{${pattern}}`).pattern, 'u')).not.toThrow();
    }
  });

  it('has at least one example of every declarative step type and of both formats', () => {
    const json = JSON.stringify(examples.filter(([f]) => f.endsWith('.tool.json')).map(([, d]) => d));
    for (const type of [
      'context.set',
      'context.get',
      'context.delete',
      'flag.set',
      'flag.clear',
      'respond',
      'handoff',
      'webhook',
      'conditional',
      'validate',
      'transform',
      'log',
    ]) {
      expect(json).toContain(`"type":"${type}"`);
    }
    expect(examples.some(([f]) => f.endsWith('.action.json'))).toBe(true);
  });

  it.each(examples)('example %s validates against its schema and its validator', (file, doc) => {
    if (file.endsWith('.tool.json')) {
      expect(check(declarativeSchema, doc, declarativeSchema)).toEqual([]);
      expect(validateDeclarativeTool(doc)).toEqual([]);
    } else {
      expect(check(typedSchema, doc, typedSchema)).toEqual([]);
      expect(validateTypedAction(doc)).toEqual([]);
    }
  });

  it('rejects the same mistakes as the declarative validator', () => {
    const cases: unknown[] = [
      { name: 't', description: 'd', actions: [{ type: 'context.sett', key: 'a', value: 1 }] },
      { name: 't', description: 'd', actions: [{ type: 'webhook', endpont: 'x' }] },
      { name: 't', description: 'd', actions: [{ type: 'respond', message: 'a', message_key: 'b' }] },
      { name: 't', description: 'd', actions: [{ type: 'respond' }] },
      { name: 't', description: 'd', actions: [{ type: 'validate', field: 'params.x', rule: 'min_length' }] },
      { name: 't', description: 'd', actions: [{ type: 'validate', field: 'params.x', rule: 'email', value: 3 }] },
      { name: 't', description: 'd', actions: [{ type: 'context.set', key: 'a[+].b', value: 1 }] },
      { name: 't', description: 'd', actions: [{ type: 'log', level: 'warning', message: 'x' }] },
      { name: 't', description: 'd', actions: [{ type: 'context.set', key: 'a', value: 'hello world' }] },
      { name: 't', description: 'd', parameters: [{ name: 'x', type: 'integer' }] },
      { name: ' t', description: 'd' },
      { name: 't' },
    ];
    for (const doc of cases) {
      expect(validateDeclarativeTool(doc).length).toBeGreaterThan(0);
      expect(check(declarativeSchema, doc, declarativeSchema).length).toBeGreaterThan(0);
    }
  });

  it('rejects the same mistakes as the typed validator', () => {
    const base = { name: 'log_meal', target: 'webhook://meal_log' };
    const cases: unknown[] = [
      { ...base, name: 'log__meal' },
      { ...base, name: 'log_meal_' },
      { ...base, name: '_log' },
      { ...base, name: 'x'.repeat(81) },
      { ...base, target: 'flow://x' },
      { ...base, inputs: { x: { type: 'list[list[string]]' } } },
      { ...base, outputs: { info: { type: 'object' } } },
      { ...base, outputs: { 'bad-name': { type: 'string' } } },
      { ...base, run: 'always' },
      { name: 'x' },
    ];
    for (const doc of cases) {
      expect(validateTypedAction(doc).length).toBeGreaterThan(0);
      expect(check(typedSchema, doc, typedSchema).length).toBeGreaterThan(0);
    }
  });
});
