import { readdirSync, readFileSync } from 'node:fs';
import { ValidationError } from '@switchboard/common';
import { describe, expect, it } from 'vitest';
import { parseDeclarativeTool, validateDeclarativeTool } from './declarative.js';

const examplesDir = new URL('../schemas/examples/', import.meta.url);
const toolExamples = readdirSync(examplesDir)
  .filter((f) => f.endsWith('.tool.json'))
  .map((f) => [f, JSON.parse(readFileSync(new URL(f, examplesDir), 'utf8')) as unknown] as const);

function issuesOf(doc: unknown) {
  return validateDeclarativeTool(doc);
}

describe('seed examples', () => {
  it.each(toolExamples)('%s is valid', (_file, doc) => {
    expect(issuesOf(doc)).toEqual([]);
    expect(() => parseDeclarativeTool(doc)).not.toThrow();
  });

  it('save_meal compiles into the canonical model; steps are the seed JSON as-is', () => {
    const doc = toolExamples.find(([f]) => f === 'save_meal.tool.json')?.[1] as Record<string, unknown>;
    const action = parseDeclarativeTool(doc);
    expect(action).toEqual({
      name: 'save_meal',
      label: 'Save Meal',
      description: 'Log a meal the user consumed',
      source: 'tool',
      parameters: [
        { name: 'meal_type', type: 'string', required: false, enum: ['breakfast', 'lunch', 'dinner'] },
        { name: 'dishes', type: 'array', required: true },
      ],
      outputs: [],
      steps: doc.actions,
      onSuccess: doc.on_success,
      onFailure: doc.on_failure,
      requireUserConfirmation: false,
      includeInProgressIndicator: false,
    });
    // The canonical action is plain JSON.
    expect(JSON.parse(JSON.stringify(action))).toEqual(action);
  });

  it('keeps display names as labels', () => {
    const doc = toolExamples.find(([f]) => f === 'transfer_to_support.tool.json')?.[1];
    expect(parseDeclarativeTool(doc)).toMatchObject({ name: 'Transfer to Support', label: 'Transfer to Support' });
  });
});

describe('precise errors', () => {
  const broken = {
    name: 'save_meal',
    descripton: 'Log a meal',
    parameters: [
      { name: 'meal type', type: 'strng' },
      { name: 'dishes', type: 'array', enum: ['a'] },
      { name: 'dishes', type: 'integer' },
    ],
    actions: [
      { type: 'context.sett', key: 'meals[+]', value: 'params' },
      { type: 'webhook', endpont: 'meal_log' },
      {
        type: 'conditional',
        condition: 'params.subscribe ===',
        // biome-ignore lint/suspicious/noThenProperty: 'then' is the conditional step's property in the seed format
        then: [{ type: 'respond', message: 'Hi {{user.name' }],
      },
      { type: 'validate', field: 'params.email', rule: 'emial' },
      {
        type: 'transform',
        input: 'params.items',
        expression: 'input.map(x => x.toUpperCase())',
        output: 'params.items',
      },
      { type: 'log', level: 'warning', message: 'x', data: 'hello world' },
      { type: 'context.set', key: 'a.__proto__.x', value: 1 },
      { type: 'respond', message: 'x', message_key: 'y' },
      { type: 'flag.set', flag: 'flags.subscribed' },
      { type: 'respond', message: 'Oops: {{error.message}}' },
      { type: 'provider', operation: 'calcom.book', input: {} },
      { type: 'validate', field: 'params.zip', rule: 'pattern', value: '(a+)+$' },
      { type: 'validate', field: 'params.name', rule: 'min_length' },
      { type: 'context.delete', key: 'temp.draft[+]' },
      // biome-ignore lint/suspicious/noThenProperty: 'then' is the conditional step's property in the seed format
      { type: 'conditional', condition: 'parms.subscribe', then: [] },
      'not a step',
      { key: 'x' },
    ],
    on_failure: [{ type: 'respond', message: 'Sorry: {{error.message}}' }],
  };

  it('reports every issue with its pointer, expected/found and suggestions', () => {
    const issues = issuesOf(broken);
    const at = (pointer: string) => issues.filter((i) => i.pointer === pointer);

    expect(at('/descripton')[0]).toMatchObject({
      message: "unknown property 'descripton' in a declarative tool — did you mean 'description'?",
      suggestion: 'description',
    });
    expect(at('/description')[0]?.message).toContain("needs a 'description'");
    expect(at('/parameters/0/name')[0]?.message).toContain('identifier');
    expect(at('/parameters/0/type')[0]).toMatchObject({ suggestion: 'string', found: 'string "strng"' });
    expect(at('/parameters/1/enum')[0]?.message).toContain('not array');
    expect(at('/parameters/2/name')[0]?.message).toContain("duplicate parameter 'dishes'");
    expect(at('/parameters/2/type')[0]).toMatchObject({ suggestion: 'number' });
    expect(at('/actions/0/type')[0]).toMatchObject({
      message: "unknown step type 'context.sett' — did you mean 'context.set'?",
      suggestion: 'context.set',
      found: "'context.sett'",
    });
    expect(at('/actions/1/endpont')[0]).toMatchObject({
      message: "unknown property 'endpont' in a 'webhook' step — did you mean 'endpoint'?",
      suggestion: 'endpoint',
    });
    expect(at('/actions/1/endpoint')[0]?.message).toContain("missing required property 'endpoint'");
    expect(at('/actions/2/condition')[0]?.message).toMatch(/^invalid expression: /);
    expect(at('/actions/2/then/0/message')[0]?.message).toContain("unclosed '{{'");
    expect(at('/actions/3/rule')[0]).toMatchObject({ suggestion: 'email' });
    expect(at('/actions/4/output')[0]?.message).toContain("'params' scope is read-only");
    expect(at('/actions/5/level')[0]).toMatchObject({ suggestion: 'warn' });
    expect(at('/actions/5/data')[0]).toMatchObject({ suggestion: "'hello world'" });
    expect(at('/actions/6/key')[0]?.message).toContain("'__proto__' is not allowed");
    expect(at('/actions/7')[0]?.message).toContain("both 'message' and 'message_key'");
    expect(at('/actions/8/flag')[0]).toMatchObject({ suggestion: 'subscribed' });
    expect(at('/actions/9/message')[0]?.message).toContain('only in on_failure');
    expect(at('/actions/10/type')[0]?.message).toContain('internal');
    expect(at('/actions/11/value')[0]?.message).toContain('nested quantifiers');
    expect(at('/actions/12/value')[0]?.message).toContain('needs a');
    expect(at('/actions/13/key')[0]?.message).toContain('not allowed here');
    expect(at('/actions/14/condition')[0]).toMatchObject({ suggestion: 'params' });
    expect(at('/actions/15')[0]?.message).toContain('must be an object');
    expect(at('/actions/16/type')[0]?.message).toContain('no "type"');
    // error scope inside on_failure is fine
    expect(at('/on_failure/0/message')).toEqual([]);
    // every issue has a pointer and a message
    for (const issue of issues) {
      expect(issue.pointer).toMatch(/^(\/|$)/);
      expect(issue.message.length).toBeGreaterThan(0);
    }
  });

  it('parse throws a ValidationError carrying all the issues', () => {
    let thrown: unknown;
    try {
      parseDeclarativeTool(broken);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ValidationError);
    const error = thrown as ValidationError;
    expect(error.code).toBe('validation_failed');
    expect(error.retryable).toBe(false);
    expect(error.issues).toEqual(issuesOf(broken));
    expect(error.issues.length).toBeGreaterThanOrEqual(25);
    expect(error.message).toMatch(/^declarative tool 'save_meal' is invalid \(\d+ issues\): /);
  });

  it('rejects non-objects at the root pointer', () => {
    expect(issuesOf(null)).toEqual([
      { pointer: '', message: 'a declarative tool must be a JSON object', expected: 'an object', found: 'null' },
    ]);
    expect(issuesOf([])[0]?.found).toBe('an array');
  });

  it('escapes pointer tokens (RFC 6901)', () => {
    const issues = issuesOf({ name: 'x', description: 'y', 'a/b~c': 1 });
    expect(issues[0]?.pointer).toBe('/a~1b~0c');
  });

  it('checks tool names (display names allowed, padding not)', () => {
    expect(issuesOf({ name: ' save_meal', description: 'd' })[0]).toMatchObject({
      pointer: '/name',
      suggestion: 'save_meal',
    });
    expect(issuesOf({ name: '', description: 'd' })[0]?.pointer).toBe('/name');
    expect(issuesOf({ name: 'x'.repeat(81), description: 'd' })[0]?.pointer).toBe('/name');
    expect(issuesOf({ name: 'Book 30-Minute Consultation', description: 'd' })).toEqual([]);
  });

  it('checks defaults against type and enum', () => {
    const issues = issuesOf({
      name: 't',
      description: 'd',
      parameters: [
        { name: 'a', type: 'number', default: 'x' },
        { name: 'b', type: 'string', enum: ['x', 'y'], default: 'z' },
        { name: 'c', type: 'string', enum: ['x', 'x', 1] },
      ],
    });
    expect(issues.map((i) => i.pointer)).toEqual([
      '/parameters/0/default',
      '/parameters/1/default',
      '/parameters/2/enum/1',
      '/parameters/2/enum/2',
    ]);
  });

  it('validates key[+] syntax and scopes of write paths', () => {
    const step = (key: string) =>
      issuesOf({ name: 't', description: 'd', actions: [{ type: 'context.set', key, value: 1 }] });
    expect(step('logged_meals[+]')).toEqual([]);
    expect(step('a.b.c[+]')).toEqual([]);
    expect(step('workflow.meals[+]')).toEqual([]);
    expect(step('agents.meal.last')).toEqual([]);
    expect(step('a[+].b')[0]?.message).toContain('[+]');
    expect(step('a[+')[0]?.pointer).toBe('/actions/0/key');
    expect(step('flags.x')[0]?.message).toContain('flag.set');
    expect(step('outputs.x')[0]?.message).toContain('read-only');
    expect(step('constructor')[0]?.message).toContain('not allowed');
  });

  it('validates the seven validate rules and their values', () => {
    const v = (rule: unknown, value?: unknown) =>
      issuesOf({
        name: 't',
        description: 'd',
        actions: [{ type: 'validate', field: 'params.x', rule, ...(value === undefined ? {} : { value }) }],
      });
    for (const rule of ['required', 'email', 'phone', 'number']) {
      expect(v(rule)).toEqual([]);
      expect(v(rule, 3)[0]?.message).toContain('takes no');
    }
    expect(v('min_length', 2)).toEqual([]);
    expect(v('max_length', 10)).toEqual([]);
    expect(v('max_length', -1)[0]?.pointer).toBe('/actions/0/value');
    expect(v('min_length', '2')[0]?.pointer).toBe('/actions/0/value');
    expect(v('pattern', '^\\d{5}$')).toEqual([]);
    expect(v('pattern', '([')[0]?.message).toContain('not a valid regular expression');
    expect(v('pattern', '(a)\\1')[0]?.message).toContain('backreference');
    expect(v('pattern', '(\\d+)*x')[0]?.message).toContain('nested quantifiers');
    expect(v('Email')[0]).toMatchObject({ suggestion: 'email' });
  });

  it('accepts expressions the expression language accepts, and locates the ones it rejects', () => {
    const cond = (condition: string) =>
      // biome-ignore lint/suspicious/noThenProperty: 'then' is the conditional step's property in the seed format
      issuesOf({ name: 't', description: 'd', actions: [{ type: 'conditional', condition, then: [] }] });
    expect(cond("context.user_type === 'premium'")).toEqual([]);
    expect(cond('user_type === "premium" && flags.subscribed')).toEqual([]);
    expect(cond('contact.status == "vip"')).toEqual([]);
    expect(cond('params.x ===')[0]).toMatchObject({ pointer: '/actions/0/condition' });
    expect(cond('input.length > 0')[0]?.message).toContain("'input'");
    expect(cond('error.code')[0]?.message).toContain('on_failure');
    expect(cond('')[0]?.message).toContain('expected an expression');
  });

  it('limits nesting depth', () => {
    let chain: unknown[] = [{ type: 'respond', message: 'deep' }];
    // biome-ignore lint/suspicious/noThenProperty: 'then' is the conditional step's property in the seed format
    for (let i = 0; i < 20; i++) chain = [{ type: 'conditional', condition: 'true', then: chain }];
    const issues = issuesOf({ name: 't', description: 'd', actions: chain });
    expect(issues).toHaveLength(1);
    expect(issues[0]?.message).toContain('nested deeper');
  });
});
