// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are expression sources, whose own template literals use ${…}
/**
 * Sandbox-escape corpus: every attempt must fail with a typed ExpressionError (never a raw
 * TypeError/RangeError), with the expected code, quickly, and without running host code.
 */
import { afterAll, describe, expect, it, vi } from 'vitest';
import {
  type ExpressionErrorCode as Code,
  ExpressionError,
  ExpressionErrorCode,
  type ExpressionLimits,
  evaluate,
} from './index.js';

const { Forbidden, Limit, Type, Unsupported } = ExpressionErrorCode;

/** Spies that must never be called by any expression. */
const hostGetter = vi.fn(() => 'secret');
const hostFunction = vi.fn(() => 'pwned');
const hostToString = vi.fn(() => 'pwned');

function scope(): Record<string, unknown> {
  const withGetter = {};
  Object.defineProperty(withGetter, 'token', { get: hostGetter, enumerable: true });
  return {
    x: { a: 1 },
    k: '__proto__',
    withGetter,
    withFunction: { run: hostFunction },
    run: hostFunction,
    withToString: { toString: hostToString, valueOf: hostToString },
    parsed: JSON.parse('{"__proto__": {"polluted": true}}'),
    big: Array.from({ length: 1000 }, (_, i) => i),
    longText: 'a'.repeat(50_000),
    hugeJson: `[${'1,'.repeat(60_000)}1]`,
    tooLongJson: `${' '.repeat(200_000)}1`,
    deepJson: '['.repeat(5_000) + ']'.repeat(5_000),
  };
}

interface Attempt {
  name: string;
  source: string;
  code: Code;
  limits?: ExpressionLimits;
  /** A host limit (stack overflow) was hit and translated: the error carries it as `cause`. */
  translated?: true;
}

const corpus: Attempt[] = [
  // Constructor chains to Function
  { name: 'array method constructor', source: "[].map.constructor('return process')()", code: Forbidden },
  { name: 'string constructor chain', source: "''.constructor.constructor('return process')()", code: Forbidden },
  { name: 'arrow function constructor', source: '(()=>{}).constructor', code: Forbidden },
  { name: 'arrow constructor call', source: "(x => x).constructor('return this')()", code: Forbidden },
  { name: 'number constructor', source: '(1).constructor', code: Forbidden },
  { name: 'computed constructor', source: "x['constr' + 'uctor']", code: Forbidden },
  { name: 'constructor from scope key', source: 'x[k]', code: Forbidden },
  { name: 'optional computed __proto__', source: "x?.['__proto__']", code: Forbidden },
  { name: 'destructured constructor', source: '(({ constructor }) => constructor)({})', code: Forbidden },
  { name: 'builtin constructor', source: 'Math.max.constructor', code: Forbidden },
  // Globals and code loading
  { name: 'this', source: 'this', code: Forbidden },
  { name: 'globalThis', source: 'globalThis', code: Forbidden },
  { name: 'process', source: 'process.env', code: Forbidden },
  { name: 'require', source: "require('child_process')", code: Forbidden },
  { name: 'dynamic import', source: "import('fs')", code: Forbidden },
  { name: 'new Function', source: "new Function('return process')()", code: Forbidden },
  { name: 'Function call', source: "Function('return process')()", code: Forbidden },
  { name: 'eval', source: "eval('process')", code: Forbidden },
  { name: 'arguments', source: 'arguments', code: Forbidden },
  { name: 'Reflect', source: 'Reflect.ownKeys(x)', code: Forbidden },
  { name: 'Proxy', source: 'new Proxy({}, {})', code: Forbidden },
  { name: 'Symbol', source: 'Symbol.iterator', code: Forbidden },
  { name: 'setTimeout', source: 'setTimeout(() => 1)', code: Forbidden },
  // Prototype reads and pollution
  { name: '__proto__ read', source: '({}).__proto__', code: Forbidden },
  { name: '__proto__ write', source: 'x.__proto__.polluted = 1', code: Forbidden },
  { name: '__proto__ literal key', source: '({ __proto__: { polluted: 1 } })', code: Forbidden },
  { name: 'quoted __proto__ key', source: "({ '__proto__': { polluted: 1 } })", code: Forbidden },
  { name: 'computed __proto__ key', source: "({ ['__pro' + 'to__']: { polluted: 1 } })", code: Forbidden },
  { name: 'spread of own __proto__', source: '({ ...parsed })', code: Forbidden },
  { name: 'fromEntries __proto__', source: "Object.fromEntries([['__proto__', { polluted: 1 }]])", code: Forbidden },
  { name: 'Object.prototype', source: 'Object.prototype', code: Forbidden },
  { name: 'Object.assign', source: 'Object.assign(x, { polluted: 1 })', code: Forbidden },
  { name: 'Object.defineProperty', source: "Object.defineProperty(x, 'a', { value: 2 })", code: Forbidden },
  { name: 'Object.getPrototypeOf', source: 'Object.getPrototypeOf(x)', code: Forbidden },
  { name: '__defineGetter__', source: "x.__defineGetter__('a', () => 1)", code: Forbidden },
  { name: '__lookupGetter__', source: "x.__lookupGetter__('a')", code: Forbidden },
  { name: 'prototype of builtin', source: 'Array.prototype', code: Forbidden },
  // Host code through the scope
  { name: 'getter on scope', source: 'withGetter.token', code: Forbidden },
  { name: 'getter via Object.values', source: 'Object.values(withGetter)', code: Forbidden },
  { name: 'getter via JSON.stringify', source: 'JSON.stringify(withGetter)', code: Forbidden },
  { name: 'getter via spread', source: '({ ...withGetter })', code: Forbidden },
  { name: 'host function method', source: 'withFunction.run()', code: Forbidden },
  { name: 'host function value', source: 'run', code: Forbidden },
  { name: 'host function call', source: 'run()', code: Forbidden },
  { name: 'toString override', source: 'withToString.toString()', code: Forbidden },
  // Reading methods as values / reflection on functions
  { name: 'method as value', source: '[].concat', code: Forbidden },
  { name: 'call on arrow', source: '(x => x).call(null, 1)', code: Forbidden },
  { name: 'bind on builtin', source: 'Math.max.bind(null)', code: Forbidden },
  { name: 'toString.call', source: 'x.toString.call(1)', code: Type },
  { name: 'function in object', source: "'' + { toString: () => 'pwn' }", code: Type },
  // Non-determinism
  { name: 'Math.random', source: 'Math.random()', code: Forbidden },
  { name: 'Date.now', source: 'Date.now()', code: Forbidden },
  { name: 'new Date', source: 'new Date()', code: Forbidden },
  // Mutation
  { name: 'side-effect comparator', source: '[3, 1, 2].sort((a, b) => (x.y = 1) || a - b)', code: Forbidden },
  { name: 'side-effect comparator (comma)', source: '[3, 1, 2].sort((a, b) => (x.y = 1, a - b))', code: Forbidden },
  { name: 'statement comparator', source: '[3, 1, 2].sort((a, b) => { x.y = 1; return a - b })', code: Unsupported },
  { name: 'delete', source: 'delete x.a', code: Forbidden },
  // Regex (ReDoS) and other unsupported constructs
  { name: 'regex literal', source: "/(a+)+$/.test('aaaa')", code: Unsupported },
  // Resource exhaustion
  { name: 'huge repeat', source: "'a'.repeat(1e8)", code: Limit },
  { name: 'huge pad', source: "'a'.padStart(1e9)", code: Limit },
  { name: 'string doubling via reduce', source: "[...'x'.repeat(40)].reduce(acc => acc + acc, 'a')", code: Limit },
  {
    name: 'template doubling via reduce',
    source: "[...'x'.repeat(40)].reduce(acc => `${acc}${acc}`, 'a')",
    code: Limit,
  },
  { name: 'array doubling via concat', source: "[...'x'.repeat(30)].reduce(acc => acc.concat(acc), [1])", code: Limit },
  {
    name: 'array doubling via spread',
    source: "[...'x'.repeat(30)].reduce(acc => [...acc, ...acc], [1])",
    code: Limit,
  },
  { name: 'replaceAll blow-up', source: "longText.replaceAll('a', 'bbb')", code: Limit },
  { name: 'split into too many parts', source: "longText.split('')", code: Limit },
  { name: 'spread of a long string', source: '[...longText]', code: Limit },
  { name: 'Object.keys of a long string', source: 'Object.keys(longText)', code: Limit },
  { name: 'Array(1e9)', source: 'Array(1e9)', code: Type },
  { name: 'new Array(1e9)', source: 'new Array(1e9)', code: Forbidden },
  { name: 'nested map explosion', source: 'big.map(a => big.map(b => a * b))', code: Limit },
  { name: 'expensive comparator', source: 'big.sort((a, b) => big.reduce((s, v) => s + v, 0))', code: Limit },
  { name: 'self-application recursion', source: '(f => f(f))(f => f(f))', code: Limit },
  { name: 'recursion through callbacks', source: '(f => [1].map(x => f(f)))(f => [1].map(x => f(f)))', code: Limit },
  {
    name: 'recursion with large depth limit',
    source: '(f => f(f))(f => f(f))',
    code: Limit,
    limits: { maxDepth: 1e9, maxSteps: 1e9 },
    translated: true,
  },
  { name: 'JSON.parse huge array', source: 'JSON.parse(hugeJson)', code: Limit },
  { name: 'JSON.parse over-long input', source: 'JSON.parse(tooLongJson)', code: Limit },
  { name: 'JSON.parse deep nesting', source: 'JSON.parse(deepJson)', code: Limit, limits: { maxStringLength: 1e6 } },
  { name: 'JSON.stringify blow-up', source: "JSON.stringify([...'x'.repeat(20)].map(() => longText))", code: Limit },
  { name: 'deep parentheses (10k)', source: `${'('.repeat(10_000)}1${')'.repeat(10_000)}`, code: Limit },
  {
    name: 'deep parentheses with a large source limit',
    source: `${'('.repeat(10_000)}1${')'.repeat(10_000)}`,
    code: Limit,
    limits: { maxSourceLength: 1e6 },
  },
  {
    name: 'deep parentheses with huge limits',
    source: `${'('.repeat(50_000)}1${')'.repeat(50_000)}`,
    code: Limit,
    limits: { maxSourceLength: 1e7, maxDepth: 1e9 },
    translated: true,
  },
  { name: 'deep arrays', source: `${'['.repeat(100)}${']'.repeat(100)}`, code: Limit },
  { name: 'deep unary chain', source: `${'!'.repeat(3_000)}1`, code: Limit },
  {
    name: 'deep unary chain with large limits',
    source: `${'-'.repeat(200_000).split('').join(' ')}1`,
    code: Limit,
    limits: { maxSourceLength: 1e7, maxDepth: 1e9 },
    translated: true,
  },
  { name: 'huge source', source: `${'1+'.repeat(100_000)}1`, code: Limit },
  { name: 'step limit on a flat chain', source: `${'1+'.repeat(1_000)}1`, code: Limit, limits: { maxSteps: 100 } },
];

describe('sandbox-escape corpus', () => {
  it('has at least 30 attempts', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(30);
  });

  it.each(corpus.map((a) => [a.name, a] as const))('%s', (_name, attempt) => {
    // CPU time of this process, not wall-clock: other processes loading the machine do not count.
    const started = process.cpuUsage();
    let thrown: unknown;
    try {
      evaluate(attempt.source, scope(), attempt.limits);
    } catch (err) {
      thrown = err;
    }
    const used = process.cpuUsage(started);
    const cpuMs = (used.user + used.system) / 1000;
    expect(thrown).toBeInstanceOf(ExpressionError);
    expect((thrown as ExpressionError).code).toBe(attempt.code);
    // A typed error of our own, not a translated native one (unless a host limit was the point).
    if (attempt.translated === undefined) expect((thrown as ExpressionError).cause).toBeUndefined();
    expect(cpuMs).toBeLessThan(2_000);
  });

  afterAll(() => {
    expect(hostGetter).not.toHaveBeenCalled();
    expect(hostFunction).not.toHaveBeenCalled();
    expect(hostToString).not.toHaveBeenCalled();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
    expect(Object.prototype).not.toHaveProperty('y');
  });
});

describe('conversions never run host code', () => {
  it('uses [object Object] instead of calling toString/valueOf of scope objects', () => {
    const s = scope();
    expect(evaluate("'' + withToString", s)).toBe('[object Object]');
    expect(evaluate('`${withToString}`', s)).toBe('[object Object]');
    expect(evaluate('withToString == "pwned"', s)).toBe(false);
    expect(evaluate('[withToString].join()', s)).toBe('[object Object]');
    expect(evaluate('[withToString].sort().length', s)).toBe(1);
    expect(evaluate('withToString < 1', s)).toBe(false);
    expect(hostToString).not.toHaveBeenCalled();
  });

  it('ignores toJSON of scope objects', () => {
    const toJSON = vi.fn(() => 'pwned');
    // Host functions are omitted, as JSON.stringify omits functions; none is called.
    expect(evaluate('JSON.stringify(v)', { v: { a: 1, toJSON } })).toBe('{"a":1}');
    expect(toJSON).not.toHaveBeenCalled();
  });

  it('keeps Object.keys working on objects with getters without invoking them', () => {
    expect(evaluate('Object.keys(withGetter)', scope())).toEqual(['token']);
    expect(evaluate("'token' in withGetter", scope())).toBe(true);
    expect(hostGetter).not.toHaveBeenCalled();
  });

  it('turns exotic scope values (bigint, symbol) into typed errors or numbers', () => {
    const exotic = { b: 10n, sym: Symbol('s') };
    for (const source of ['`${sym}`', 'sym + ""', 'b < sym', '-sym', 'JSON.stringify(b)']) {
      expect(() => evaluate(source, exotic)).toThrow(ExpressionError);
    }
    // Arithmetic converts bigints like Number(x) does, instead of failing on mixed types.
    expect(evaluate('b + 1', exotic)).toBe(11);
  });

  it('fails cyclic scope data with a typed error', () => {
    const cyclic: unknown[] = [];
    cyclic.push(cyclic);
    const obj: Record<string, unknown> = {};
    obj.self = obj;
    expect(() => evaluate('String(c)', { c: cyclic })).toThrow(ExpressionError);
    expect(() => evaluate('JSON.stringify(o)', { o: obj })).toThrow(ExpressionError);
  });
});
