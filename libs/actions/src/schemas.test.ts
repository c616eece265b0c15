/**
 * The published JSON Schemas agree with the validators on the examples (every seed example is
 * among them). A small structural checker covers exactly the keywords the schemas use; a test
 * makes sure no other keyword sneaks in, so this check can never pass vacuously.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { validateDeclarativeTool } from './declarative.js';
import { keywordsOf, type Schema, schemaErrors } from './json-schema.test-support.js';
import { validateTypedAction } from './typed.js';

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
      expect(schemaErrors(declarativeSchema as object, doc)).toEqual([]);
      expect(validateDeclarativeTool(doc)).toEqual([]);
    } else {
      expect(schemaErrors(typedSchema as object, doc)).toEqual([]);
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
      expect(schemaErrors(declarativeSchema as object, doc).length).toBeGreaterThan(0);
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
      expect(schemaErrors(typedSchema as object, doc).length).toBeGreaterThan(0);
    }
  });
});
