// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are expression sources, whose own template literals use ${…}
import { describe, expect, it } from 'vitest';
import {
  type CompiledExpression,
  check,
  compile,
  DEFAULT_LIMITS,
  ExpressionError,
  ExpressionErrorCode,
  evaluate,
  freeVariables,
} from './index.js';

/** Evaluate and return the thrown ExpressionError (fails the test if none or another type). */
function errorOf(source: string, scope: Record<string, unknown> = {}): ExpressionError {
  try {
    evaluate(source, scope);
  } catch (err) {
    expect(err).toBeInstanceOf(ExpressionError);
    return err as ExpressionError;
  }
  throw new Error(`expected '${source}' to throw`);
}

describe('seed examples (Agent Studio)', () => {
  it('evaluates conditions on context and params', () => {
    expect(evaluate("context.user_type === 'premium'", { context: { user_type: 'premium' } })).toBe(true);
    expect(evaluate("context.user_type === 'premium'", { context: { user_type: 'free' } })).toBe(false);
    expect(evaluate('params.subscribe === true', { params: { subscribe: true } })).toBe(true);
    expect(evaluate('params.subscribe === true', { params: {} })).toBe(false);
  });

  it('evaluates the transform example', () => {
    expect(evaluate("input.map(item => item.toUpperCase()).join(', ')", { input: ['a', 'b'] })).toBe('A, B');
  });

  it('evaluates quoted literals and bare paths used as action values', () => {
    expect(evaluate("'meal_saved'", {})).toBe('meal_saved');
    const params = { meal_type: 'lunch', dishes: ['soup'] };
    expect(evaluate('params', { params })).toBe(params);
    expect(evaluate('params.meal_type', { params })).toBe('lunch');
    expect(evaluate('agents.meal.last', { agents: { meal: { last: 'x' } } })).toBe('x');
    expect(evaluate('error.message', { error: { message: 'boom' } })).toBe('boom');
  });
});

describe('literals and data', () => {
  it.each([
    ["'single'", 'single'],
    ['"double"', 'double'],
    ['42', 42],
    ['0x1f', 31],
    ['1e3', 1000],
    ['1_000', 1000],
    ['true', true],
    ['false', false],
    ['null', null],
    ['undefined', undefined],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['[1, "a", null]', [1, 'a', null]],
    ['[1, , 3]', [1, undefined, 3]],
    ['({ a: 1, "b-c": 2, 3: 4 })', { a: 1, 'b-c': 2, '3': 4 }],
    ['{ a: 1 }', { a: 1 }],
    ["{ ['x' + 1]: true }", { x1: true }],
    ['[...[1, 2], ...[3]]', [1, 2, 3]],
    ["[...'hé']", ['h', 'é']],
    ['({ ...{ a: 1, b: 2 }, b: 3 })', { a: 1, b: 3 }],
    ['({ ...null, ...undefined, ...1, a: 1 })', { a: 1 }],
    ['`plain`', 'plain'],
  ])('%s', (source, expected) => {
    expect(evaluate(source, {})).toEqual(expected);
  });

  it('returns plain objects with Object.prototype (safe for host code)', () => {
    const out = evaluate('({ a: 1 })', {}) as object;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(`${out}`).toBe('[object Object]');
  });

  it('supports shorthand properties', () => {
    expect(evaluate('[1, 2].map(x => ({ x }))', {})).toEqual([{ x: 1 }, { x: 2 }]);
  });
});

describe('template literals', () => {
  const scope = { user: { name: 'Ada', tags: ['a', 'b'] }, n: 3 };
  it.each([
    ['`Hi ${user.name}!`', 'Hi Ada!'],
    ['`${n} + 1 = ${n + 1}`', '3 + 1 = 4'],
    ['`${user.tags}`', 'a,b'],
    ['`${user.missing}`', 'undefined'],
    ['`${null}`', 'null'],
    ['`${{}}`', '[object Object]'],
    ['`a${`b${n}`}c`', 'ab3c'],
    ['`line\\nbreak`', 'line\nbreak'],
  ])('%s', (source, expected) => {
    expect(evaluate(source, scope)).toBe(expected);
  });
});

describe('operators', () => {
  const scope = { a: 7, b: 2, s: '5', t: 'x', z: 0, n: null, arr: [1, 2], obj: { k: 1 } };
  it.each([
    // arithmetic
    ['a + b', 9],
    ['a - b', 5],
    ['a * b', 14],
    ['a / b', 3.5],
    ['a % b', 1],
    ['a ** b', 49],
    ['-a', -7],
    ['+s', 5],
    ['s + a', '57'],
    ['a + s', '75'],
    ['s - 1', 4],
    ['s * "2"', 10],
    ['t * 1', Number.NaN],
    ['1 / z', Number.POSITIVE_INFINITY],
    ['n + 1', 1],
    ['undefined + 1', Number.NaN],
    ['true + 1', 2],
    ['arr + ""', '1,2'],
    ['[] + []', ''],
    ['[] + {}', '[object Object]'],
    ['2 ** 3 ** 2', 512],
    ['(-2) ** 2', 4],
    ['7 & 3', 3],
    ['7 | 8', 15],
    ['7 ^ 1', 6],
    ['~5', -6],
    ['1 << 4', 16],
    ['-16 >> 2', -4],
    ['-1 >>> 28', 15],
    // comparison
    ['a === 7', true],
    ['a !== 7', false],
    ['s == 5', true],
    ['s === 5', false],
    ['s != 5', false],
    ['null == undefined', true],
    ['null === undefined', false],
    ['null == 0', false],
    ['arr == "1,2"', true],
    ['obj == obj', true],
    ['obj == { k: 1 }', false],
    ['NaN == NaN', false],
    ['a < b', false],
    ['a > b', true],
    ['a <= 7', true],
    ['a >= 8', false],
    ["'10' < '9'", true],
    ["'10' < 9", false],
    ["'abc' < 'abd'", true],
    ['null < 1', true],
    ['undefined < 1', false],
    // logical
    ['a && b', 2],
    ['z && b', 0],
    ['z || b', 2],
    ['a || b', 7],
    ['n ?? "d"', 'd'],
    ['z ?? "d"', 0],
    ['!a', false],
    ['!!t', true],
    ['a > 5 ? "big" : "small"', 'big'],
    ['z ? "yes" : n ? "n" : "no"', 'no'],
    // typeof / void / in
    ['typeof a', 'number'],
    ['typeof s', 'string'],
    ['typeof n', 'object'],
    ['typeof arr', 'object'],
    ['typeof missing', 'undefined'],
    ['typeof (x => x)', 'function'],
    ['typeof Math', 'object'],
    ['typeof Math.max', 'function'],
    ['void a', undefined],
    ["'k' in obj", true],
    ["'toString' in obj", false],
    ['0 in arr', true],
    ['2 in arr', false],
    ["'length' in arr", true],
  ])('%s', (source, expected) => {
    const result = evaluate(source, scope);
    if (typeof expected === 'number' && Number.isNaN(expected)) expect(result).toBeNaN();
    else expect(result).toEqual(expected);
  });

  it('short-circuits logical operators and the ternary', () => {
    // The right side would throw (unknown identifier) if it were evaluated.
    expect(evaluate('false && nope', {})).toBe(false);
    expect(evaluate('true || nope', {})).toBe(true);
    expect(evaluate('1 ?? nope', {})).toBe(1);
    expect(evaluate('true ? 1 : nope', {})).toBe(1);
  });

  it("refuses 'in' on primitives like JavaScript does", () => {
    expect(errorOf("'a' in 'abc'").code).toBe(ExpressionErrorCode.Type);
  });
});

describe('member access and optional chaining', () => {
  const scope = {
    context: { user: { name: 'Ada', emails: ['a@x.io'] }, list: [{ id: 1 }, { id: 2 }] },
    key: 'name',
  };
  it.each([
    ['context.user.name', 'Ada'],
    ['context["user"]["name"]', 'Ada'],
    ['context.user[key]', 'Ada'],
    ['context.user.emails[0]', 'a@x.io'],
    ['context.user.emails.length', 1],
    ['context.list[1].id', 2],
    ['context.list[-1]', undefined],
    ['context.list[5]', undefined],
    ['context.user.name[0]', 'A'],
    ['context.user.name.length', 3],
    // lenient: missing paths are undefined, not errors
    ['context.missing', undefined],
    ['context.missing.deeper.still', undefined],
    ['context.user.name.nope', undefined],
    // optional chaining
    ['context?.user?.name', 'Ada'],
    ['context.missing?.deeper', undefined],
    ['context.missing?.[0]', undefined],
    ['context.missing?.toUpperCase()', undefined],
    ['context.missing?.a.b.c.toUpperCase()', undefined],
    ['context.user.name?.toUpperCase()', 'ADA'],
    ['context.user.missing?.()', undefined],
    ['(context.missing?.a)?.b', undefined],
  ])('%s', (source, expected) => {
    expect(evaluate(source, scope)).toEqual(expected);
  });

  it('throws a typed error when calling a method on a missing value without ?.', () => {
    const err = errorOf('context.missing.toUpperCase()', scope);
    expect(err.code).toBe(ExpressionErrorCode.Type);
    expect(err.message).toBe("cannot call method 'toUpperCase' of undefined");
    expect(err.position).toBe(16);
  });

  it('only sees own properties', () => {
    expect(evaluate('obj.toString', { obj: {} })).toBeUndefined();
    expect(evaluate('obj.hasOwnProperty', { obj: {} })).toBeUndefined();
    class Thing {
      own = 1;
      inherited(): number {
        return 2;
      }
    }
    expect(evaluate('t.own', { t: new Thing() })).toBe(1);
    expect(evaluate('t.inherited', { t: new Thing() })).toBeUndefined();
  });
});

describe('arrow functions and closures', () => {
  it.each([
    ['(x => x * 2)(21)', 42],
    ['((a, b) => a + b)(1, 2)', 3],
    ['(() => 5)()', 5],
    ['(x => { return x + 1 })(1)', 2],
    ['(x => y => x + y)(1)(2)', 3],
    [
      '[1, 2, 3].map(x => [4, 5].map(y => x * y))',
      [
        [4, 5],
        [8, 10],
        [12, 15],
      ],
    ],
    ['((a = 10, b = a + 1) => b)()', 11],
    ['((...xs) => xs.length)(1, 2, 3)', 3],
    ['(([a, b]) => a + b)([1, 2])', 3],
    ['(({ a, b: { c } }) => a + c)({ a: 1, b: { c: 2 } })', 3],
    ['(({ a, ...rest }) => rest)({ a: 1, b: 2, c: 3 })', { b: 2, c: 3 }],
    ['(([first, ...others]) => others)([1, 2, 3])', [2, 3]],
    ['(({ a = 5 }) => a)({})', 5],
    ['((x, x2 = x * 2) => x2)(4)', 8],
    ['(undefined => undefined)(3)', 3],
    ['Object.entries({ a: 1, b: 2 }).map(([k, v]) => k + "=" + v).join("&")', 'a=1&b=2'],
  ])('%s', (source, expected) => {
    expect(evaluate(source, {})).toEqual(expected);
  });

  it('closes over outer parameters and the scope', () => {
    const scope = { params: { factor: 3 }, input: [1, 2] };
    expect(evaluate('input.map(x => input.map(y => x * y * params.factor))', scope)).toEqual([
      [3, 6],
      [6, 12],
    ]);
  });

  it('lets parameters shadow scope names and builtins', () => {
    expect(evaluate('[1].map(context => context + 1)', { context: 'outer' })).toEqual([2]);
    expect(evaluate('[1].map(Math => Math)', {})).toEqual([1]);
  });

  it('accepts builtins as callbacks', () => {
    expect(evaluate("['1', '2', 'x'].map(Number)", {})).toEqual([1, 2, Number.NaN]);
    expect(evaluate("[0, 1, '', 'a', null].filter(Boolean)", {})).toEqual([1, 'a']);
    expect(evaluate('[-1, 2].map(Math.abs)', {})).toEqual([1, 2]);
  });

  it('refuses functions as results or as stored data', () => {
    expect(errorOf('x => x').code).toBe(ExpressionErrorCode.Type);
    expect(errorOf('Math.max').code).toBe(ExpressionErrorCode.Type);
    expect(errorOf('[x => x]').code).toBe(ExpressionErrorCode.Type);
    expect(errorOf('({ f: x => x })').code).toBe(ExpressionErrorCode.Type);
    expect(errorOf('[1].map(x => y => y)').code).toBe(ExpressionErrorCode.Type);
    expect(errorOf('[].concat(Math.max)').code).toBe(ExpressionErrorCode.Type);
    expect(errorOf('((...f) => f)(x => x)').code).toBe(ExpressionErrorCode.Type);
  });
});

describe('array methods', () => {
  const scope = {
    nums: [3, 1, 2],
    words: ['b', 'a', 'c'],
    items: [
      { id: 1, ok: true },
      { id: 2, ok: false },
    ],
  };
  it.each([
    ['nums.map(n => n * 10)', [30, 10, 20]],
    ['nums.map((n, i) => i)', [0, 1, 2]],
    ['nums.filter(n => n > 1)', [3, 2]],
    ['items.find(i => !i.ok).id', 2],
    ['items.find(i => i.id === 9)', undefined],
    ['items.findIndex(i => i.id === 2)', 1],
    ['items.findIndex(i => i.id === 9)', -1],
    ['nums.some(n => n > 2)', true],
    ['nums.every(n => n > 2)', false],
    ['[].every(n => false)', true],
    ['nums.reduce((a, n) => a + n, 0)', 6],
    ['nums.reduce((a, n) => a + n)', 6],
    ['nums.reduce((acc, n, i) => acc + i, "")', '012'],
    ['items.reduce((acc, i) => ({ ...acc, [i.id]: i.ok }), {})', { '1': true, '2': false }],
    ['nums.includes(2)', true],
    ['[NaN].includes(NaN)', true],
    ['[NaN].indexOf(NaN)', -1],
    ['nums.indexOf(1)', 1],
    ['nums.indexOf(3, 1)', -1],
    ['nums.join()', '3,1,2'],
    ['nums.join(" - ")', '3 - 1 - 2'],
    ['[null, undefined, 1, [2, [3]]].join("|")', '||1|2,3'],
    ['nums.slice(1)', [1, 2]],
    ['nums.slice(-2, -1)', [1]],
    ['nums.slice()', [3, 1, 2]],
    ['nums.concat([4, 5], 6)', [3, 1, 2, 4, 5, 6]],
    ['[[1, 2], 3, [[4]]].flat()', [1, 2, 3, [4]]],
    ['[[1], [2]].flat(0)', [[1], [2]]],
    ['nums.reverse()', [2, 1, 3]],
    ['words.sort()', ['a', 'b', 'c']],
    ['[10, 9, 1, 100].sort()', [1, 10, 100, 9]],
    ['[3, undefined, 1].sort()', [1, 3, undefined]],
    ['nums.sort((a, b) => b - a)', [3, 2, 1]],
    ['items.sort((a, b) => b.id - a.id).map(i => i.id)', [2, 1]],
    ['nums.at(-1)', 2],
    ['nums.at(5)', undefined],
    ['nums.length', 3],
  ])('%s', (source, expected) => {
    expect(evaluate(source, scope)).toEqual(expected);
  });

  it('never mutates the receiver (reverse and sort return copies)', () => {
    const nums = [3, 1, 2];
    evaluate('nums.reverse()', { nums });
    evaluate('nums.sort()', { nums });
    expect(nums).toEqual([3, 1, 2]);
  });

  it('sorts stably', () => {
    const people = [
      { n: 'a', age: 30 },
      { n: 'b', age: 20 },
      { n: 'c', age: 30 },
      { n: 'd', age: 20 },
    ];
    expect(evaluate('people.sort((x, y) => x.age - y.age).map(p => p.n).join("")', { people })).toBe('bdac');
  });

  it('lists the allowed methods when one is refused', () => {
    const err = errorOf('[1].push(2)');
    expect(err.code).toBe(ExpressionErrorCode.Forbidden);
    expect(err.message).toBe(
      "method 'push' is not allowed on arrays — allowed: map, filter, find, findIndex, some, every, reduce, includes, indexOf, join, slice, concat, flat, reverse, sort, at",
    );
    expect(err.position).toBe(4);
  });

  it('refuses reading a method as a value', () => {
    const err = errorOf('x.map', { x: [] });
    expect(err.code).toBe(ExpressionErrorCode.Forbidden);
    expect(err.message).toContain("method 'map' of arrays cannot be used as a value");
  });

  it('refuses flat deeper than 1 and reduce of an empty array', () => {
    expect(errorOf('[[[1]]].flat(2)').code).toBe(ExpressionErrorCode.Unsupported);
    expect(errorOf('[].reduce((a, b) => a)').code).toBe(ExpressionErrorCode.Type);
    expect(errorOf('[1].map(5)').code).toBe(ExpressionErrorCode.Type);
  });
});

describe('string methods', () => {
  const scope = { s: '  Hello World  ', w: 'hello' };
  it.each([
    ['w.toUpperCase()', 'HELLO'],
    ["'ÀB'.toLowerCase()", 'àb'],
    ['s.trim()', 'Hello World'],
    ['s.trimStart()', 'Hello World  '],
    ['s.trimEnd()', '  Hello World'],
    ["'a,b,,c'.split(',')", ['a', 'b', '', 'c']],
    ["'a,b,c'.split(',', 2)", ['a', 'b']],
    ["'abc'.split('')", ['a', 'b', 'c']],
    ["'abc'.split()", ['abc']],
    ['w.slice(1, 3)', 'el'],
    ['w.slice(-2)', 'lo'],
    ['w.substring(3, 1)', 'el'],
    ["w.startsWith('he')", true],
    ["w.startsWith('l', 2)", true],
    ["w.endsWith('lo')", true],
    ["w.includes('ll')", true],
    ["w.indexOf('l')", 2],
    ["w.indexOf('z')", -1],
    ["w.replace('l', 'L')", 'heLlo'],
    ["w.replaceAll('l', 'L')", 'heLLo'],
    ["w.replace('l', '$&$&')", 'he$&$&lo'],
    ["'abc'.replaceAll('', '-')", '-a-b-c-'],
    ["'5'.padStart(3, '0')", '005'],
    ["'5'.padEnd(3)", '5  '],
    ["'ab'.repeat(3)", 'ababab'],
    ["'ab'.repeat(0)", ''],
    ['w.charAt(1)', 'e'],
    ['w.at(-1)', 'o'],
    ['w.length', 5],
    ['w[1]', 'e'],
  ])('%s', (source, expected) => {
    expect(evaluate(source, scope)).toEqual(expected);
  });

  it('refuses methods outside the whitelist', () => {
    const err = errorOf("'a'.localeCompare('b')");
    expect(err.code).toBe(ExpressionErrorCode.Forbidden);
    expect(err.message).toMatch(/^method 'localeCompare' is not allowed on strings — allowed: toUpperCase, /);
    expect(errorOf("'a'.repeat(-1)").code).toBe(ExpressionErrorCode.Type);
  });
});

describe('number methods and global functions', () => {
  it.each([
    ['(1.005).toFixed(2)', '1.00'],
    ['(3.14159).toFixed(2)', '3.14'],
    ['(255).toString(16)', 'ff'],
    ['(12).toString()', '12'],
    ["Number('42')", 42],
    ["Number('')", 0],
    ['Number([5])', 5],
    ['Number()', 0],
    ['String(12)', '12'],
    ['String([1, [2]])', '1,2'],
    ['String(null)', 'null'],
    ["Boolean('')", false],
    ['Boolean([])', true],
    ["parseInt('42px')", 42],
    ["parseInt('ff', 16)", 255],
    ["parseFloat('3.5kg')", 3.5],
    ["isNaN('x')", true],
    ["isFinite('12')", true],
    ['Number.isInteger(5)', true],
    ["Number.isInteger('5')", false],
    ['Number.MAX_SAFE_INTEGER', Number.MAX_SAFE_INTEGER],
    ['Math.abs(-3)', 3],
    ['Math.ceil(1.2)', 2],
    ['Math.floor(1.8)', 1],
    ['Math.round(2.5)', 3],
    ['Math.min(3, 1, 2)', 1],
    ['Math.max(...[3, 1, 2])', 3],
    ['Math.max()', Number.NEGATIVE_INFINITY],
    ['Math.pow(2, 10)', 1024],
    ['Math.sqrt(16)', 4],
    ['Math.trunc(-1.7)', -1],
    ['Math.sign(-3)', -1],
    ['Math.PI', Math.PI],
    ['Array.isArray([])', true],
    ['Array.isArray("a")', false],
    ['Object.keys({ a: 1, b: 2 })', ['a', 'b']],
    ['Object.values({ a: 1, b: 2 })', [1, 2]],
    ['Object.entries({ a: 1 })', [['a', 1]]],
    ['Object.keys([7, 8])', ['0', '1']],
    ["Object.keys('ab')", ['0', '1']],
    ['Object.keys(5)', []],
    ["Object.fromEntries([['a', 1], ['b', [2]]])", { a: 1, b: [2] }],
    ['JSON.stringify({ a: [1, "x", null, true], b: { c: undefined } })', '{"a":[1,"x",null,true],"b":{}}'],
    ['JSON.stringify([undefined, NaN])', '[null,null]'],
    ['JSON.stringify("q\\"")', '"q\\""'],
    ['JSON.stringify(undefined)', undefined],
    ['JSON.stringify({ a: [1] }, null, 2)', '{\n  "a": [\n    1\n  ]\n}'],
    ['JSON.stringify([], null, 2)', '[]'],
    ['JSON.parse(\'{"a": [1, {"b": null}]}\')', { a: [1, { b: null }] }],
    ['JSON.parse(JSON.stringify({ x: "y" })).x', 'y'],
  ])('%s', (source, expected) => {
    expect(evaluate(source, {})).toEqual(expected);
  });

  it('lets the scope shadow builtins', () => {
    expect(evaluate('Math', { Math: 'mine' })).toBe('mine');
    expect(evaluate('JSON.x', { JSON: { x: 1 } })).toBe(1);
  });

  it('reports invalid JSON as a typed error', () => {
    expect(errorOf("JSON.parse('{bad')").code).toBe(ExpressionErrorCode.Type);
  });
});

describe('errors: codes, messages, positions', () => {
  it('reports unknown identifiers with the name, position and a suggestion', () => {
    const err = errorOf('1 + foo');
    expect(err.code).toBe(ExpressionErrorCode.Reference);
    expect(err.message).toBe("unknown identifier 'foo'");
    expect(err.position).toBe(4);
    expect(err.retryable).toBe(false);
    expect(err.details).toEqual({ position: 4 });
    expect(errorOf('parms.x', { params: {} }).message).toBe("unknown identifier 'parms' — did you mean 'params'?");
  });

  it('reports syntax errors with a position', () => {
    const err = errorOf('a +');
    expect(err.code).toBe(ExpressionErrorCode.Syntax);
    expect(err.position).toBe(3);
    expect(errorOf('a b').code).toBe(ExpressionErrorCode.Syntax);
    expect(errorOf('').code).toBe(ExpressionErrorCode.Syntax);
    expect(errorOf('if (a) b').code).toBe(ExpressionErrorCode.Syntax);
  });

  it('rejects statements and multiple expressions, accepts one trailing semicolon and comments', () => {
    expect(errorOf('a; b', { a: 1, b: 2 }).code).toBe(ExpressionErrorCode.Syntax);
    expect(evaluate('a;', { a: 1 })).toBe(1);
    expect(evaluate('a /* why */ // note', { a: 1 })).toBe(1);
    expect(errorOf('a, b', { a: 1, b: 2 }).code).toBe(ExpressionErrorCode.Unsupported);
  });

  it.each([
    ['/ab+c/.test(x)', ExpressionErrorCode.Unsupported],
    ['10n', ExpressionErrorCode.Unsupported],
    ['(function () { return 1 })()', ExpressionErrorCode.Unsupported],
    ['(class {})', ExpressionErrorCode.Unsupported],
    ['(async x => x)', ExpressionErrorCode.Unsupported],
    ['(x => { const y = x; return y })(1)', ExpressionErrorCode.Unsupported],
    ['String.raw`x`', ExpressionErrorCode.Unsupported],
    ['({ get x() { return 1 } })', ExpressionErrorCode.Unsupported],
    ['({ m() { return 1 } })', ExpressionErrorCode.Unsupported],
    ['a = 1', ExpressionErrorCode.Forbidden],
    ['a.b = 1', ExpressionErrorCode.Forbidden],
    ['a++', ExpressionErrorCode.Forbidden],
    ['delete a.b', ExpressionErrorCode.Forbidden],
    ['a instanceof Object', ExpressionErrorCode.Forbidden],
    ['new Date()', ExpressionErrorCode.Forbidden],
    ['Date.now()', ExpressionErrorCode.Forbidden],
    ['this.x', ExpressionErrorCode.Forbidden],
  ])('compile(%s) fails with %s', (source, code) => {
    expect(() => compile(source)).toThrow(ExpressionError);
    try {
      compile(source);
    } catch (err) {
      expect((err as ExpressionError).code).toBe(code);
    }
  });
});

describe('check()', () => {
  it('is empty for valid expressions (unknown identifiers depend on the scope)', () => {
    expect(check("context.user_type === 'premium'")).toEqual([]);
    expect(check('whatever.you.like')).toEqual([]);
  });

  it('reports every problem, in source order, with codes and positions', () => {
    const issues = check('[this, a = 1, /re/, x.constructor]');
    expect(issues.map((i) => i.code)).toEqual([
      ExpressionErrorCode.Forbidden,
      ExpressionErrorCode.Forbidden,
      ExpressionErrorCode.Unsupported,
      ExpressionErrorCode.Forbidden,
    ]);
    expect(issues.map((i) => i.position)).toEqual([1, 7, 14, 22]);
    expect(issues[3]?.message).toBe("'constructor' is not accessible");
  });

  it('reports syntax errors and limits', () => {
    expect(check('a +')).toEqual([{ code: ExpressionErrorCode.Syntax, message: expect.any(String), position: 3 }]);
    expect(check('x'.repeat(DEFAULT_LIMITS.maxSourceLength + 1))[0]?.code).toBe(ExpressionErrorCode.Limit);
  });
});

describe('freeVariables()', () => {
  it('lists scope roots in order of first use, without parameters and builtins', () => {
    expect(freeVariables("context.user_type === 'premium' && params.subscribe")).toEqual(['context', 'params']);
    expect(freeVariables('input.map(item => item.toUpperCase() + Math.abs(x) + JSON.stringify(flags))')).toEqual([
      'input',
      'x',
      'flags',
    ]);
    expect(freeVariables('`${a}${b}${a}` + typeof c + { d }.d + undefined')).toEqual(['a', 'b', 'c', 'd']);
    expect(freeVariables('((x, { y = z }) => x + y)(1, {})')).toEqual(['z']);
    expect(freeVariables('42')).toEqual([]);
  });

  it('throws for invalid expressions', () => {
    expect(() => freeVariables('a +')).toThrow(ExpressionError);
  });
});

describe('compile() and evaluate()', () => {
  it('compiles once and evaluates many times', () => {
    const c: CompiledExpression = compile('x * 2');
    expect(c.source).toBe('x * 2');
    expect(c.evaluate({ x: 1 })).toBe(2);
    expect(c.evaluate({ x: 21 })).toBe(42);
  });

  it('caches compilations inside evaluate (results stay correct)', () => {
    for (let i = 0; i < 600; i++) expect(evaluate(`${i} + x`, { x: 1 })).toBe(i + 1);
    expect(evaluate('0 + x', { x: 5 })).toBe(5);
    expect(evaluate('0 + x', { x: 5 }, { maxSteps: 3 })).toBe(5);
    expect(() => evaluate('0 + x', { x: 5 }, { maxSteps: 2 })).toThrow(ExpressionError);
    expect(() => evaluate('[1, 2, 3].map(x => x)', {}, { maxSteps: 5 })).toThrow(ExpressionError);
  });

  it('refuses a non-object scope with a typed error', () => {
    expect(() => compile('1').evaluate(null as unknown as Record<string, unknown>)).toThrow(ExpressionError);
  });

  it('returns data from the scope as is', () => {
    const arr = [1, 2];
    expect(evaluate('a', { a: arr })).toBe(arr);
  });

  it('exports the default limits', () => {
    expect(DEFAULT_LIMITS).toEqual({
      maxSteps: 10_000,
      maxDepth: 64,
      maxStringLength: 100_000,
      maxArrayLength: 10_000,
      maxSourceLength: 4_000,
    });
    expect(Object.isFrozen(DEFAULT_LIMITS)).toBe(true);
  });
});
