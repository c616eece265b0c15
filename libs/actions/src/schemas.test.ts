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
  'maximum',
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

  it('accepts effect policies at their bounds in both formats', () => {
    const low = { max_attempts: 1, initial_interval_ms: 10, backoff: 1, max_interval_ms: 100 };
    const high = { max_attempts: 20, initial_interval_ms: 60000, backoff: 10, max_interval_ms: 600000 };
    for (const [timeout, retry] of [
      [100, low],
      [600000, high],
    ] as const) {
      const tool = {
        name: 't',
        description: 'd',
        timeout_ms: timeout,
        retry,
        actions: [{ type: 'webhook', endpoint: 'x', timeout_ms: timeout, retry }],
      };
      expect(validateDeclarativeTool(tool)).toEqual([]);
      expect(schemaErrors(declarativeSchema as object, tool)).toEqual([]);
      const typed = { name: 'a', target: 'webhook://x', timeout_ms: timeout, retry };
      expect(validateTypedAction(typed)).toEqual([]);
      expect(schemaErrors(typedSchema as object, typed)).toEqual([]);
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
      // Effect policies: bounds, integers, unknown keys, on steps and at the top level.
      { name: 't', description: 'd', actions: [{ type: 'webhook', endpoint: 'x', timeout_ms: 99 }] },
      { name: 't', description: 'd', actions: [{ type: 'webhook', endpoint: 'x', timeout_ms: 600001 }] },
      { name: 't', description: 'd', actions: [{ type: 'webhook', endpoint: 'x', timeout_ms: 1000.5 }] },
      { name: 't', description: 'd', actions: [{ type: 'webhook', endpoint: 'x', timeoutMs: 1000 }] },
      { name: 't', description: 'd', actions: [{ type: 'webhook', endpoint: 'x', retry: 3 }] },
      { name: 't', description: 'd', actions: [{ type: 'webhook', endpoint: 'x', retry: { max_attempts: 0 } }] },
      { name: 't', description: 'd', actions: [{ type: 'webhook', endpoint: 'x', retry: { max_attempts: 21 } }] },
      { name: 't', description: 'd', actions: [{ type: 'webhook', endpoint: 'x', retry: { max_atempts: 2 } }] },
      { name: 't', description: 'd', retry: { initial_interval_ms: 9 } },
      { name: 't', description: 'd', retry: { initial_interval_ms: 60001 } },
      { name: 't', description: 'd', retry: { backoff: 0.5 } },
      { name: 't', description: 'd', retry: { backoff: 10.5 } },
      { name: 't', description: 'd', retry: { max_interval_ms: 99 } },
      { name: 't', description: 'd', retry: { max_interval_ms: 600001 } },
      { name: 't', description: 'd', retry: { backoff_coefficient: 2 } },
      { name: 't', description: 'd', timeout_ms: '5000' },
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
      { ...base, timeout_ms: 50 },
      { ...base, timeout_ms: 700000 },
      { ...base, retry: { max_attempts: 1.5 } },
      { ...base, retry: { backoff: 11 } },
      { ...base, retry: { maxAttempts: 3 } },
      { ...base, retry: [] },
    ];
    for (const doc of cases) {
      expect(validateTypedAction(doc).length).toBeGreaterThan(0);
      expect(schemaErrors(typedSchema as object, doc).length).toBeGreaterThan(0);
    }
  });
});
