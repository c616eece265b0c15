// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are expression sources, whose own template literals use ${…}
/**
 * Property-based tests (fast-check): robustness on arbitrary input, determinism, JavaScript
 * arithmetic semantics, and agreement between check() and compile().
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { check, compile, ExpressionError, type ExpressionLimits, evaluate, freeVariables } from './index.js';

/** Small limits so that anything generated finishes fast. */
const SMALL: ExpressionLimits = {
  maxSteps: 2_000,
  maxDepth: 16,
  maxStringLength: 2_000,
  maxArrayLength: 200,
  maxSourceLength: 400,
};

const SCOPE = {
  a: 3,
  b: -2,
  s: 'Hello',
  arr: [1, 2, 3],
  words: ['x', 'y'],
  obj: { k: 'v', n: { m: [true, null] } },
  params: { subscribe: true },
  context: { user_type: 'premium' },
};

/** Tokens for "almost valid" sources: enough structure to reach the interpreter often. */
const TOKENS = [
  'a',
  'b',
  's',
  'arr',
  'words',
  'obj',
  'params',
  'context',
  'x',
  'y',
  'Math',
  'JSON',
  'Object',
  'Number',
  'String',
  'constructor',
  '__proto__',
  'prototype',
  'map',
  'filter',
  'reduce',
  'join',
  'length',
  'toUpperCase',
  'repeat',
  'split',
  'slice',
  'sort',
  'keys',
  'max',
  'stringify',
  'parse',
  '1',
  '0',
  '2',
  '1e9',
  '-1',
  '"ab"',
  "'x'",
  '`t${a}`',
  'null',
  'undefined',
  'true',
  'NaN',
  '+',
  '-',
  '*',
  '/',
  '%',
  '**',
  '===',
  '==',
  '!==',
  '<',
  '>',
  '<=',
  '&&',
  '||',
  '??',
  '!',
  'typeof',
  'in',
  '?',
  ':',
  ',',
  '.',
  '?.',
  '...',
  '=>',
  'x =>',
  '(a, b) =>',
  '(',
  ')',
  '[',
  ']',
  '{',
  '}',
  '=',
  'new',
  'this',
  'function',
  ';',
];

const tokenSoup = fc.array(fc.constantFrom(...TOKENS), { maxLength: 25 }).map((t) => t.join(' '));
const tightSoup = fc.array(fc.constantFrom(...TOKENS), { maxLength: 25 }).map((t) => t.join(''));
const anySource = fc.oneof(
  fc.string({ maxLength: 60 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  tokenSoup,
  tightSoup,
);

/** Run `fn`; return its result or the ExpressionError it threw; rethrow anything else. */
function outcome(fn: () => unknown): { ok: true; value: unknown } | { ok: false; error: ExpressionError } {
  try {
    return { ok: true, value: fn() };
  } catch (err) {
    if (!(err instanceof ExpressionError)) throw err;
    return { ok: false, error: err };
  }
}

/** Valid expressions over the keys of a generated scope (`v` is a JSON value, `l` a list). */
const validExpression: fc.Arbitrary<string> = fc.letrec<{ e: string }>((tie) => ({
  e: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.integer({ min: -1000, max: 1000 }).map((n) => `(${n})`),
    fc.string({ maxLength: 8 }).map((s) => JSON.stringify(s)),
    fc.constantFrom('true', 'false', 'null', 'undefined', 'v', 'l', 'l.length', 'v?.a', 'l[0]', 'o.k', 'o["k"]'),
    fc.tuple(fc.constantFrom('!', '-', '+', 'typeof '), tie('e')).map(([op, e]) => `(${op}${e})`),
    fc
      .tuple(
        tie('e'),
        fc.constantFrom('+', '-', '*', '/', '%', '===', '!==', '==', '<', '>=', '&&', '||', '??'),
        tie('e'),
      )
      .map(([l, op, r]) => `(${l} ${op} ${r})`),
    fc.tuple(tie('e'), tie('e'), tie('e')).map(([c, t, f]) => `(${c} ? ${t} : ${f})`),
    fc.tuple(tie('e'), tie('e')).map(([x, y]) => `[${x}, ${y}]`),
    fc.tuple(tie('e'), tie('e')).map(([x, y]) => `({ a: ${x}, b: ${y} })`),
    fc.tuple(tie('e'), tie('e')).map(([x, y]) => `\`${'${'}${x}}-${'${'}${y}}\``),
    tie('e').map((e) => `String(${e}).toUpperCase()`),
    tie('e').map((e) => `JSON.stringify(${e})`),
    tie('e').map((e) => `l.map((x, i) => [x, i, ${e}])`),
    tie('e').map((e) => `l.filter(x => x !== ${e}).length`),
    tie('e').map((e) => `l.reduce((acc, x) => acc + String(x), ${e})`),
    fc.constant('Object.keys(o).sort()'),
    fc.constant('Object.entries(o).map(([k, x]) => k + typeof x)'),
    fc.constant('[...l].sort()'),
  ),
})).e;

const METHODS = [
  'map',
  'filter',
  'find',
  'findIndex',
  'some',
  'every',
  'reduce',
  'includes',
  'indexOf',
  'join',
  'slice',
  'concat',
  'flat',
  'reverse',
  'sort',
  'at',
  'toUpperCase',
  'toLowerCase',
  'trim',
  'trimStart',
  'trimEnd',
  'split',
  'substring',
  'startsWith',
  'endsWith',
  'replace',
  'replaceAll',
  'padStart',
  'padEnd',
  'repeat',
  'charAt',
  'toFixed',
  'toString',
  'push',
  'call',
  'valueOf',
  'constructor',
  '__proto__',
  'hasOwnProperty',
  'length',
  '0',
];
const FUNCTIONS = [
  'Number',
  'String',
  'Boolean',
  'parseInt',
  'parseFloat',
  'isNaN',
  'isFinite',
  'Math.abs',
  'Math.max',
  'Math.min',
  'Math.round',
  'Math.pow',
  'Math.sqrt',
  'Math.random',
  'JSON.stringify',
  'JSON.parse',
  'Object.keys',
  'Object.values',
  'Object.entries',
  'Object.fromEntries',
  'Object.assign',
  'Array.isArray',
  'Number.isInteger',
  'Math',
];

/** Calls of every method and builtin on arbitrary receivers with arbitrary arguments. */
const chaosExpression: fc.Arbitrary<string> = fc.letrec<{ e: string; args: string }>((tie) => ({
  e: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom(
      'v',
      'l',
      'o',
      '1',
      '-1',
      '2.5',
      '1e6',
      'NaN',
      '""',
      '"a,b"',
      'null',
      'undefined',
      '[]',
      '({})',
      'true',
    ),
    fc
      .tuple(tie('e'), fc.constantFrom(...METHODS), tie('args'))
      .map(([r, m, a]) => (/^\d/.test(m) ? `(${r})[${m}](${a})` : `(${r}).${m}(${a})`)),
    fc
      .tuple(tie('e'), fc.constantFrom(...METHODS), tie('args'))
      .map(([r, m, a]) => `(${r})?.[${JSON.stringify(m)}]?.(${a})`),
    fc.tuple(tie('e'), fc.constantFrom(...METHODS)).map(([r, m]) => `(${r})[${JSON.stringify(m)}]`),
    fc.tuple(fc.constantFrom(...FUNCTIONS), tie('args')).map(([f, a]) => `${f}(${a})`),
    fc.tuple(tie('e'), tie('e')).map(([x, y]) => `(${x} + ${y})`),
    fc.tuple(tie('e'), tie('e')).map(([x, y]) => `[${x}, ...${y}]`),
    fc.tuple(tie('e'), tie('e')).map(([x, y]) => `({ ...${x}, k: ${y} })`),
  ),
  args: fc.oneof(
    fc.constant(''),
    tie('e'),
    tie('e').map((e) => `x => ${e}`),
    tie('e').map((e) => `(a, b) => ${e}`),
    fc.tuple(tie('e'), tie('e')).map(([x, y]) => `${x}, ${y}`),
    fc.tuple(tie('e'), tie('e')).map(([x, y]) => `(acc, x) => ${x}, ${y}`),
  ),
})).e;

const jsonScope = fc.record({
  v: fc.jsonValue({ maxDepth: 3 }),
  l: fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 5 }),
  o: fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 5 }),
});

describe('robustness', () => {
  it('arbitrary sources only ever throw ExpressionError, and finish quickly', () => {
    fc.assert(
      fc.property(anySource, (source) => {
        // CPU time of this process (not wall-clock, which a loaded machine stretches).
        const started = process.cpuUsage();
        const r = outcome(() => evaluate(source, SCOPE, SMALL));
        if (!r.ok) {
          // Our own typed errors, not translated native ones (acorn's SyntaxError is expected).
          expect(r.error.cause instanceof TypeError || r.error.cause instanceof RangeError).toBe(false);
        }
        const used = process.cpuUsage(started);
        expect((used.user + used.system) / 1000).toBeLessThan(1_000);
      }),
      { numRuns: 3_000 },
    );
  });

  it('calling any method or builtin with any arguments only throws our own errors', () => {
    fc.assert(
      fc.property(chaosExpression, jsonScope, (source, scope) => {
        const r = outcome(() => evaluate(source, scope, SMALL));
        if (!r.ok) {
          expect(r.error.cause instanceof TypeError || r.error.cause instanceof RangeError).toBe(false);
          expect(r.error.code).not.toBe('expr_syntax');
        }
      }),
      { numRuns: 3_000 },
    );
  });

  it('check() and freeVariables() never throw anything but ExpressionError', () => {
    fc.assert(
      fc.property(anySource, (source) => {
        expect(Array.isArray(check(source))).toBe(true);
        outcome(() => freeVariables(source));
      }),
      { numRuns: 1_000 },
    );
  });
});

describe('determinism', () => {
  it('the same source and scope give the same result every time', () => {
    fc.assert(
      fc.property(validExpression, jsonScope, (source, scope) => {
        const first = outcome(() => evaluate(source, scope, SMALL));
        const again = outcome(() => evaluate(source, scope, SMALL));
        const fresh = outcome(() => compile(source, SMALL).evaluate(structuredClone(scope)));
        for (const other of [again, fresh]) {
          expect(other.ok).toBe(first.ok);
          if (first.ok && other.ok) expect(other.value).toEqual(first.value);
          if (!first.ok && !other.ok) {
            expect(other.error.code).toBe(first.error.code);
            expect(other.error.message).toBe(first.error.message);
          }
        }
      }),
      { numRuns: 1_000 },
    );
  });

  it('generated expressions compile, and evaluation fails only with limits or type errors', () => {
    fc.assert(
      fc.property(validExpression, jsonScope, (source, scope) => {
        expect(check(source)).toEqual([]);
        const r = outcome(() => compile(source).evaluate(scope));
        if (!r.ok) expect(['expr_limit', 'expr_type']).toContain(r.error.code);
      }),
      { numRuns: 500 },
    );
  });
});

describe('arithmetic matches JavaScript', () => {
  const ops: Record<string, (a: number, b: number) => unknown> = {
    '+': (a, b) => a + b,
    '-': (a, b) => a - b,
    '*': (a, b) => a * b,
    '/': (a, b) => a / b,
    '%': (a, b) => a % b,
    '**': (a, b) => a ** b,
    '<': (a, b) => a < b,
    '<=': (a, b) => a <= b,
    '>': (a, b) => a > b,
    '>=': (a, b) => a >= b,
    '===': (a, b) => a === b,
    '!==': (a, b) => a !== b,
    // biome-ignore lint/suspicious/noDoubleEquals: comparing against JavaScript's own operator
    '==': (a, b) => a == b,
    '&': (a, b) => a & b,
    '|': (a, b) => a | b,
    '^': (a, b) => a ^ b,
    '<<': (a, b) => a << b,
    '>>': (a, b) => a >> b,
    '>>>': (a, b) => a >>> b,
  };
  const op = fc.constantFrom(...Object.keys(ops));
  const literal = (n: number) => (Object.is(n, -0) ? '(-0)' : n < 0 ? `(${n})` : String(n));

  it('on integer literals', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer(), op, (a, b, o) => {
        const expected = (ops[o] as (a: number, b: number) => unknown)(a, b);
        expect(Object.is(evaluate(`${literal(a)} ${o} ${literal(b)}`, {}), expected)).toBe(true);
      }),
      { numRuns: 2_000 },
    );
  });

  it('on doubles from the scope, including NaN, infinities and -0', () => {
    fc.assert(
      fc.property(fc.double(), fc.double(), op, (a, b, o) => {
        const expected = (ops[o] as (a: number, b: number) => unknown)(a, b);
        expect(Object.is(evaluate(`a ${o} b`, { a, b }), expected)).toBe(true);
      }),
      { numRuns: 2_000 },
    );
  });

  it('unary operators and mixed string/number addition', () => {
    fc.assert(
      fc.property(fc.integer(), fc.string({ maxLength: 10 }), (n, s) => {
        expect(Object.is(evaluate('-n', { n }), -n)).toBe(true);
        expect(evaluate('~n', { n })).toBe(~n);
        expect(evaluate('s + n', { s, n })).toBe(s + n);
        expect(evaluate('n + s', { s, n })).toBe(n + s);
        expect(Object.is(evaluate('+s', { s }), +s)).toBe(true);
        expect(Object.is(evaluate('s * 1', { s }), (s as unknown as number) * 1)).toBe(true);
      }),
      { numRuns: 1_000 },
    );
  });
});

describe('check() agrees with compile()', () => {
  it('issues are empty exactly when compile succeeds', () => {
    fc.assert(
      fc.property(fc.oneof(anySource, validExpression), (source) => {
        const issues = check(source);
        const compiled = outcome(() => compile(source));
        expect(issues.length === 0).toBe(compiled.ok);
        if (!compiled.ok) {
          expect(issues.map((i) => i.code)).toContain(compiled.error.code);
        }
      }),
      { numRuns: 3_000 },
    );
  });
});
