import { readdirSync, readFileSync } from 'node:fs';
import { type JsonValue, SwitchboardError, ValidationError } from '@switchboard/common';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validateCanonicalAction } from './canonical.js';
import { parseDeclarativeTool, validateDeclarativeTool } from './declarative.js';
import { type ChainState, type EffectExecutor, type EffectRequest, emptyState, interpret } from './interpreter.js';
import { parseTypedAction, validateTypedAction } from './typed.js';

const examplesDir = new URL('../schemas/examples/', import.meta.url);
const examples = readdirSync(examplesDir).map(
  (f) => [f, JSON.parse(readFileSync(new URL(f, examplesDir), 'utf8')) as JsonValue] as const,
);
const tools = examples.filter(([f]) => f.endsWith('.tool.json')).map(([, d]) => d);
const typed = examples.filter(([f]) => f.endsWith('.action.json')).map(([, d]) => d);

/** Replaces one random subtree of a document with arbitrary JSON: near-valid documents. */
function mutate(doc: JsonValue, path: number[], replacement: JsonValue): JsonValue {
  if (path.length === 0 || doc === null || typeof doc !== 'object') return replacement;
  const [head = 0, ...rest] = path;
  if (Array.isArray(doc)) {
    if (doc.length === 0) return replacement;
    const i = head % doc.length;
    return doc.map((item, j) => (j === i ? mutate(item, rest, replacement) : item));
  }
  const keys = Object.keys(doc);
  if (keys.length === 0) return replacement;
  const key = keys[head % keys.length] as string;
  return { ...doc, [key]: mutate(doc[key] as JsonValue, rest, replacement) };
}

const nearMiss = (docs: JsonValue[]) =>
  fc
    .tuple(fc.constantFrom(...docs), fc.array(fc.nat(), { maxLength: 6 }), fc.jsonValue({ maxDepth: 3 }))
    .map(([doc, path, replacement]) => mutate(doc, path, replacement as JsonValue));

function expectOnlyValidationErrors(parse: () => unknown): void {
  try {
    parse();
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
  }
}

describe('validators never throw on arbitrary input', () => {
  it('arbitrary JSON and arbitrary values', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.anything()), (value) => {
        expect(Array.isArray(validateDeclarativeTool(value))).toBe(true);
        expect(Array.isArray(validateTypedAction(value))).toBe(true);
        expect(Array.isArray(validateCanonicalAction(value))).toBe(true);
        expectOnlyValidationErrors(() => parseDeclarativeTool(value));
        expectOnlyValidationErrors(() => parseTypedAction(value));
      }),
      { numRuns: 300 },
    );
  });

  it('near-valid documents (one subtree replaced); parse agrees with validate', () => {
    fc.assert(
      fc.property(nearMiss(tools), (doc) => {
        const issues = validateDeclarativeTool(doc);
        if (issues.length === 0) {
          const action = parseDeclarativeTool(doc);
          expect(validateCanonicalAction(action)).toEqual([]);
        } else {
          expect(() => parseDeclarativeTool(doc)).toThrow(ValidationError);
        }
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(nearMiss(typed), (doc) => {
        const issues = validateTypedAction(doc);
        if (issues.length === 0) expect(validateCanonicalAction(parseTypedAction(doc))).toEqual([]);
        else expect(() => parseTypedAction(doc)).toThrow(ValidationError);
      }),
      { numRuns: 500 },
    );
  });

  it('documents with hostile keys', () => {
    const hostile = JSON.parse(
      '{"name":"t","description":"d","__proto__":{"x":1},"actions":[{"type":"constructor"},{"type":"toString"},{"__proto__":1,"type":"log","level":"info","message":"x"}]}',
    );
    const issues = validateDeclarativeTool(hostile);
    expect(issues.map((i) => i.pointer)).toEqual([
      '/__proto__',
      '/actions/0/type',
      '/actions/1/type',
      '/actions/2/__proto__',
    ]);
  });
});

/** An executor whose answer depends only on the request, so runs are reproducible. */
class EchoExecutor implements EffectExecutor {
  async execute(request: EffectRequest): Promise<JsonValue> {
    if (request.endpoint === 'subscribe') throw new SwitchboardError('http_500', 'down', { retryable: true });
    return { echoed: request.payload, id: 'x', total_calories: 1 };
  }
}

const jsonRecord = fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 3 })) as fc.Arbitrary<
  Record<string, JsonValue>
>;
const stateArb: fc.Arbitrary<ChainState> = fc.record({
  context: jsonRecord,
  flags: fc.dictionary(fc.string({ maxLength: 8 }), fc.boolean()),
  workflow: jsonRecord,
  agents: fc.dictionary(fc.string({ maxLength: 8 }), jsonRecord),
  outputs: jsonRecord,
});

describe('interpreter', () => {
  const actions = [...tools.map((d) => parseDeclarativeTool(d)), ...typed.map((d) => parseTypedAction(d))];

  it('is deterministic and never throws, for arbitrary params and state', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...actions), jsonRecord, stateArb, async (action, params, state) => {
        const snapshot = structuredClone(state);
        const first = await interpret({ action, params, state, agentName: 'agent' }, new EchoExecutor());
        const second = await interpret({ action, params, state, agentName: 'agent' }, new EchoExecutor());
        expect(second).toEqual(first);
        expect(state).toEqual(snapshot);
        expect(JSON.parse(JSON.stringify(first))).toEqual(first);
      }),
      { numRuns: 200 },
    );
  });

  it('is deterministic for well-typed arguments too', async () => {
    const action = parseDeclarativeTool(tools.find((d) => (d as { name: string }).name === 'save_email'));
    await fc.assert(
      fc.asyncProperty(
        fc.record({ email: fc.emailAddress(), subscribe: fc.boolean() }),
        stateArb,
        async (params, state) => {
          const first = await interpret({ action, params, state }, new EchoExecutor());
          const second = await interpret({ action, params, state: structuredClone(state) }, new EchoExecutor());
          expect(second).toEqual(first);
          expect(first.status).toBe(params.subscribe ? 'failed' : 'succeeded');
        },
      ),
      { numRuns: 100 },
    );
  });

  it('starts from an empty state', () => {
    expect(emptyState()).toEqual({ context: {}, flags: {}, workflow: {}, agents: {}, outputs: {} });
    expect(emptyState()).not.toBe(emptyState());
  });
});
