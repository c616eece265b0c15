/**
 * The whitelist: the only methods and global functions an expression can call.
 *
 * Nothing here is a real global or a real prototype method handed to the expression. Methods are
 * looked up by name in these fixed tables (never through the receiver's prototype chain), their
 * arguments are converted with the hook-free conversions of `values.ts` before any native call,
 * and every result that can grow is checked against the limits *before* it is built.
 */
import { ExpressionErrorCode, fail } from './errors.js';
import { jsonParse, jsonStringify } from './json.js';
import {
  assertStorable,
  Builtin,
  type BuiltinImpl,
  callbackArg,
  callFunction,
  charge,
  checkArrayLength,
  checkKey,
  checkStringLength,
  describe,
  Internal,
  intArg,
  joinArray,
  Namespace,
  type Runtime,
  readOwn,
  relativeIndex,
  sameValueZero,
  snapshot,
  tick,
  toNum,
  toPropertyKey,
  toStr,
} from './values.js';

/** A whitelisted method: receives the (already type-checked) receiver and evaluated arguments. */
export type Method<T> = (rt: Runtime, pos: number, recv: T, args: readonly unknown[]) => unknown;

type ArrayMethod = Method<readonly unknown[]>;
type StringMethod = Method<string>;
type NumberMethod = Method<number>;

// ---------------------------------------------------------------------------------------------
// Array methods. All of them leave the receiver untouched (`reverse` and `sort` work on a copy).

/** Call a callback for each element, charging one step per iteration. */
function eachCall(
  rt: Runtime,
  pos: number,
  arr: readonly unknown[],
  args: readonly unknown[],
  method: string,
  visit: (result: unknown, item: unknown, index: number) => boolean,
): void {
  const fn = callbackArg(args[0], method, pos);
  const items = snapshot(rt, arr, pos);
  for (let i = 0; i < items.length; i++) {
    tick(rt, pos);
    const item = items[i];
    if (!visit(callFunction(rt, fn, [item, i, arr], pos), item, i)) return;
  }
}

const arrayMethods: [string, ArrayMethod][] = [
  [
    'map',
    (rt, pos, arr, args) => {
      checkArrayLength(rt, arr.length, pos);
      const out: unknown[] = [];
      eachCall(rt, pos, arr, args, 'map', (r) => {
        assertStorable(r, pos);
        out.push(r);
        return true;
      });
      return out;
    },
  ],
  [
    'filter',
    (rt, pos, arr, args) => {
      const out: unknown[] = [];
      eachCall(rt, pos, arr, args, 'filter', (r, item) => {
        if (r) out.push(item);
        return true;
      });
      checkArrayLength(rt, out.length, pos);
      return out;
    },
  ],
  [
    'find',
    (rt, pos, arr, args) => {
      let found: unknown;
      eachCall(rt, pos, arr, args, 'find', (r, item) => {
        if (r) found = item;
        return !r;
      });
      return found;
    },
  ],
  [
    'findIndex',
    (rt, pos, arr, args) => {
      let found = -1;
      eachCall(rt, pos, arr, args, 'findIndex', (r, _item, i) => {
        if (r) found = i;
        return !r;
      });
      return found;
    },
  ],
  [
    'some',
    (rt, pos, arr, args) => {
      let found = false;
      eachCall(rt, pos, arr, args, 'some', (r) => {
        if (r) found = true;
        return !r;
      });
      return found;
    },
  ],
  [
    'every',
    (rt, pos, arr, args) => {
      let all = true;
      eachCall(rt, pos, arr, args, 'every', (r) => {
        if (!r) all = false;
        return !!r;
      });
      return all;
    },
  ],
  [
    'reduce',
    (rt, pos, arr, args) => {
      const fn = callbackArg(args[0], 'reduce', pos);
      const items = snapshot(rt, arr, pos);
      let i = 0;
      let acc: unknown;
      if (args.length >= 2) {
        acc = args[1];
      } else {
        if (items.length === 0) {
          fail(ExpressionErrorCode.Type, 'reduce of an empty array with no initial value', pos);
        }
        acc = items[0];
        i = 1;
      }
      for (; i < items.length; i++) {
        tick(rt, pos);
        acc = callFunction(rt, fn, [acc, items[i], i, arr], pos);
      }
      return acc;
    },
  ],
  [
    'includes',
    (rt, pos, arr, args) => {
      const items = snapshot(rt, arr, pos);
      const start = relativeIndex(intArg(rt, args[1], 0, pos), items.length);
      for (let i = start; i < items.length; i++) if (sameValueZero(items[i], args[0])) return true;
      return false;
    },
  ],
  [
    'indexOf',
    (rt, pos, arr, args) => {
      const items = snapshot(rt, arr, pos);
      const start = relativeIndex(intArg(rt, args[1], 0, pos), items.length);
      for (let i = start; i < items.length; i++) if (items[i] === args[0]) return i;
      return -1;
    },
  ],
  ['join', (rt, pos, arr, args) => joinArray(rt, arr, args[0] === undefined ? ',' : toStr(rt, args[0], pos), pos, 0)],
  [
    'slice',
    (rt, pos, arr, args) => {
      const n = arr.length;
      const start = relativeIndex(intArg(rt, args[0], 0, pos), n);
      const end = relativeIndex(intArg(rt, args[1], n, pos), n);
      const out: unknown[] = [];
      if (end > start) {
        checkArrayLength(rt, end - start, pos);
        charge(rt, (end - start) >>> 4, pos);
        for (let i = start; i < end; i++) out.push(readOwn(arr, i, pos));
      }
      return out;
    },
  ],
  [
    'concat',
    (rt, pos, arr, args) => {
      checkArrayLength(rt, arr.length, pos);
      const out = snapshot(rt, arr, pos);
      for (const arg of args) {
        if (Array.isArray(arg)) {
          checkArrayLength(rt, out.length + arg.length, pos);
          for (const item of snapshot(rt, arg, pos)) out.push(item);
        } else {
          assertStorable(arg, pos);
          checkArrayLength(rt, out.length + 1, pos);
          out.push(arg);
        }
      }
      return out;
    },
  ],
  [
    'flat',
    (rt, pos, arr, args) => {
      const depth = intArg(rt, args[0], 1, pos);
      if (depth > 1) {
        fail(ExpressionErrorCode.Unsupported, 'flat supports a depth of at most 1', pos);
      }
      checkArrayLength(rt, arr.length, pos);
      const items = snapshot(rt, arr, pos);
      if (depth < 1) return items;
      const out: unknown[] = [];
      for (const item of items) {
        if (Array.isArray(item)) {
          checkArrayLength(rt, out.length + item.length, pos);
          for (const inner of snapshot(rt, item, pos)) out.push(inner);
        } else {
          checkArrayLength(rt, out.length + 1, pos);
          out.push(item);
        }
      }
      return out;
    },
  ],
  [
    'reverse',
    (rt, pos, arr) => {
      checkArrayLength(rt, arr.length, pos);
      return snapshot(rt, arr, pos).reverse();
    },
  ],
  [
    'sort',
    (rt, pos, arr, args) => {
      checkArrayLength(rt, arr.length, pos);
      const items = snapshot(rt, arr, pos);
      // As in JavaScript, undefined elements go last and are never passed to the comparator.
      const defined = items.filter((x) => x !== undefined);
      const undefinedCount = items.length - defined.length;
      let sorted: unknown[];
      if (args[0] === undefined) {
        // Default order: by string value, UTF-16 code units, stable. Keys are computed once,
        // with the hook-free conversion (the native default sort would call toString methods).
        charge(rt, Math.ceil((defined.length * Math.log2(defined.length + 1)) / 16), pos);
        const keyed = defined.map((value) => ({ key: toStr(rt, value, pos), value }));
        keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
        sorted = keyed.map((k) => k.value);
      } else {
        const fn = callbackArg(args[0], 'sort', pos);
        // V8's sort is deterministic for a given sequence of comparator results, and the
        // comparator is pure, so the order is reproducible even for inconsistent comparators.
        sorted = defined.sort((a, b) => {
          tick(rt, pos);
          const r = toNum(rt, callFunction(rt, fn, [a, b], pos), pos);
          return Number.isNaN(r) ? 0 : r;
        });
      }
      for (let i = 0; i < undefinedCount; i++) sorted.push(undefined);
      return sorted;
    },
  ],
  [
    'at',
    (rt, pos, arr, args) => {
      const n = arr.length;
      let i = intArg(rt, args[0], 0, pos);
      if (i < 0) i += n;
      return i >= 0 && i < n ? readOwn(arr, i, pos) : undefined;
    },
  ],
];

/** Whitelisted array methods by name. */
export const ARRAY_METHODS: ReadonlyMap<string, ArrayMethod> = new Map(arrayMethods);

// ---------------------------------------------------------------------------------------------
// String methods

/** Optional string argument (search strings, separators). */
function strArg(rt: Runtime, v: unknown, pos: number): string {
  if (v instanceof Internal) {
    fail(ExpressionErrorCode.Unsupported, `${describe(v)} is not supported as an argument here; pass a string`, pos);
  }
  return toStr(rt, v, pos);
}

/** Optional numeric argument passed on to a native method (a primitive, so no hooks run). */
function numArg(rt: Runtime, v: unknown, pos: number): number | undefined {
  return v === undefined ? undefined : toNum(rt, v, pos);
}

/** Charge for scanning a (possibly long, scope-provided) string; returns it for chaining. */
function scan(rt: Runtime, s: string, pos: number): string {
  if (s.length > 256) charge(rt, s.length >>> 8, pos);
  return s;
}

/** Bound a string result that may be longer than its input (case mapping can expand 'ß'). */
function produced(rt: Runtime, s: string, pos: number): string {
  checkStringLength(rt, s.length, pos);
  return s;
}

/** Count non-overlapping occurrences of a non-empty `pattern`. */
function countOccurrences(s: string, pattern: string): number {
  let count = 0;
  for (let i = s.indexOf(pattern); i !== -1; i = s.indexOf(pattern, i + pattern.length)) count++;
  return count;
}

const stringMethods: [string, StringMethod][] = [
  ['toUpperCase', (rt, pos, s) => produced(rt, scan(rt, s, pos).toUpperCase(), pos)],
  ['toLowerCase', (rt, pos, s) => produced(rt, scan(rt, s, pos).toLowerCase(), pos)],
  ['trim', (rt, pos, s) => scan(rt, s, pos).trim()],
  ['trimStart', (rt, pos, s) => scan(rt, s, pos).trimStart()],
  ['trimEnd', (rt, pos, s) => scan(rt, s, pos).trimEnd()],
  [
    'split',
    (rt, pos, s, args) => {
      const limit = args[1] === undefined ? 2 ** 32 - 1 : toNum(rt, args[1], pos) >>> 0;
      if (args[0] === undefined) return limit === 0 ? [] : [s];
      const sep = strArg(rt, args[0], pos);
      scan(rt, s, pos);
      // Ask for one element more than allowed: getting it back means the limit is exceeded,
      // and the native split stops there instead of materialising a huge array.
      const parts = s.split(sep, Math.min(limit, rt.maxArr + 1));
      checkArrayLength(rt, parts.length, pos);
      charge(rt, parts.length >>> 4, pos);
      return parts;
    },
  ],
  ['slice', (rt, pos, s, args) => s.slice(numArg(rt, args[0], pos), numArg(rt, args[1], pos))],
  ['substring', (rt, pos, s, args) => s.substring(numArg(rt, args[0], pos) ?? 0, numArg(rt, args[1], pos))],
  ['startsWith', (rt, pos, s, args) => scan(rt, s, pos).startsWith(strArg(rt, args[0], pos), numArg(rt, args[1], pos))],
  ['endsWith', (rt, pos, s, args) => scan(rt, s, pos).endsWith(strArg(rt, args[0], pos), numArg(rt, args[1], pos))],
  ['includes', (rt, pos, s, args) => scan(rt, s, pos).includes(strArg(rt, args[0], pos), numArg(rt, args[1], pos))],
  ['indexOf', (rt, pos, s, args) => scan(rt, s, pos).indexOf(strArg(rt, args[0], pos), numArg(rt, args[1], pos))],
  [
    'replace',
    (rt, pos, s, args) => {
      // String patterns, literal replacement: no `$&`/`$1` expansion, no regular expressions.
      const pattern = strArg(rt, args[0], pos);
      const replacement = strArg(rt, args[1], pos);
      scan(rt, s, pos);
      const i = s.indexOf(pattern);
      if (i === -1) return s;
      checkStringLength(rt, s.length - pattern.length + replacement.length, pos);
      return s.slice(0, i) + replacement + s.slice(i + pattern.length);
    },
  ],
  [
    'replaceAll',
    (rt, pos, s, args) => {
      const pattern = strArg(rt, args[0], pos);
      const replacement = strArg(rt, args[1], pos);
      scan(rt, s, pos);
      // Compute the result length first, so that a blow-up is refused before it is built.
      const count = pattern === '' ? s.length + 1 : countOccurrences(s, pattern);
      if (count === 0) return s;
      const length = s.length + count * (replacement.length - pattern.length);
      checkStringLength(rt, length, pos);
      charge(rt, length >>> 8, pos);
      if (pattern === '') return replacement + s.split('').join(replacement) + (s === '' ? '' : replacement);
      return s.split(pattern).join(replacement);
    },
  ],
  ['padStart', (rt, pos, s, args) => pad(rt, pos, s, args, true)],
  ['padEnd', (rt, pos, s, args) => pad(rt, pos, s, args, false)],
  [
    'repeat',
    (rt, pos, s, args) => {
      const count = intArg(rt, args[0], 0, pos);
      if (count < 0 || count === Number.POSITIVE_INFINITY) {
        fail(ExpressionErrorCode.Type, `repeat count must be a non-negative finite number, got ${count}`, pos);
      }
      if (s.length === 0 || count === 0) return '';
      checkStringLength(rt, s.length * count, pos);
      charge(rt, (s.length * count) >>> 8, pos);
      return s.repeat(count);
    },
  ],
  ['charAt', (rt, pos, s, args) => s.charAt(numArg(rt, args[0], pos) ?? 0)],
  ['at', (rt, pos, s, args) => s.at(numArg(rt, args[0], pos) ?? 0)],
];

function pad(rt: Runtime, pos: number, s: string, args: readonly unknown[], start: boolean): string {
  const target = intArg(rt, args[0], 0, pos);
  if (target <= s.length) return s;
  const filler = args[1] === undefined ? ' ' : strArg(rt, args[1], pos);
  if (filler === '') return s;
  checkStringLength(rt, target, pos);
  charge(rt, target >>> 8, pos);
  return start ? s.padStart(target, filler) : s.padEnd(target, filler);
}

/** Whitelisted string methods by name. */
export const STRING_METHODS: ReadonlyMap<string, StringMethod> = new Map(stringMethods);

// ---------------------------------------------------------------------------------------------
// Number methods

const numberMethods: [string, NumberMethod][] = [
  [
    'toFixed',
    (rt, pos, n, args) => {
      const digits = intArg(rt, args[0], 0, pos);
      if (digits < 0 || digits > 100) {
        fail(ExpressionErrorCode.Type, `toFixed digits must be between 0 and 100, got ${digits}`, pos);
      }
      return n.toFixed(digits);
    },
  ],
  [
    'toString',
    (rt, pos, n, args) => {
      const radix = intArg(rt, args[0], 10, pos);
      if (radix < 2 || radix > 36) {
        fail(ExpressionErrorCode.Type, `toString radix must be between 2 and 36, got ${radix}`, pos);
      }
      return n.toString(radix);
    },
  ],
];

/** Whitelisted number methods by name. */
export const NUMBER_METHODS: ReadonlyMap<string, NumberMethod> = new Map(numberMethods);

// ---------------------------------------------------------------------------------------------
// Global functions and namespaces

function fn(name: string, impl: BuiltinImpl, members?: ReadonlyMap<string, unknown>): Builtin {
  return Object.freeze(new Builtin(name, impl, members));
}

/** `Math.x(a, b, …)` over numbers converted without hooks. */
function mathFn(name: string, op: (...xs: number[]) => number): Builtin {
  return fn(`Math.${name}`, (rt, pos, args) => {
    if (args.length > 2) charge(rt, args.length >>> 4, pos);
    return op(...args.map((a) => toNum(rt, a, pos)));
  });
}

const parseIntFn = fn('parseInt', (rt, pos, args) =>
  Number.parseInt(toStr(rt, args[0], pos), args[1] === undefined ? undefined : toNum(rt, args[1], pos)),
);
const parseFloatFn = fn('parseFloat', (rt, pos, args) => Number.parseFloat(toStr(rt, args[0], pos)));

const numberFn = fn(
  'Number',
  (rt, pos, args) => (args.length === 0 ? 0 : toNum(rt, args[0], pos)),
  new Map<string, unknown>([
    ['isInteger', fn('Number.isInteger', (_rt, _pos, args) => Number.isInteger(args[0]))],
    ['isSafeInteger', fn('Number.isSafeInteger', (_rt, _pos, args) => Number.isSafeInteger(args[0]))],
    ['isFinite', fn('Number.isFinite', (_rt, _pos, args) => Number.isFinite(args[0]))],
    ['isNaN', fn('Number.isNaN', (_rt, _pos, args) => Number.isNaN(args[0]))],
    ['parseInt', parseIntFn],
    ['parseFloat', parseFloatFn],
    ['MAX_SAFE_INTEGER', Number.MAX_SAFE_INTEGER],
    ['MIN_SAFE_INTEGER', Number.MIN_SAFE_INTEGER],
    ['EPSILON', Number.EPSILON],
    ['MAX_VALUE', Number.MAX_VALUE],
    ['MIN_VALUE', Number.MIN_VALUE],
    ['POSITIVE_INFINITY', Number.POSITIVE_INFINITY],
    ['NEGATIVE_INFINITY', Number.NEGATIVE_INFINITY],
    ['NaN', Number.NaN],
  ]),
);

/** Own enumerable keys of a value, as `Object.keys` sees them, without running host code. */
function ownKeys(rt: Runtime, pos: number, v: unknown, fnName: string): string[] {
  if (v === null || v === undefined) {
    fail(ExpressionErrorCode.Type, `${fnName} cannot be called on ${v}`, pos);
  }
  if (v instanceof Internal) fail(ExpressionErrorCode.Type, `${fnName} cannot be called on ${describe(v)}`, pos);
  let keys: string[];
  if (typeof v === 'string') {
    checkArrayLength(rt, v.length, pos);
    keys = [];
    for (let i = 0; i < v.length; i++) keys.push(String(i));
  } else if (typeof v === 'object') {
    // Object.keys reads names and enumerability only; it never invokes getters.
    keys = Object.keys(v);
  } else {
    keys = [];
  }
  checkArrayLength(rt, keys.length, pos);
  charge(rt, keys.length >>> 4, pos);
  return keys;
}

function ownValue(v: unknown, key: string, pos: number): unknown {
  return typeof v === 'string' ? v[Number(key)] : readOwn(v as object, key, pos);
}

const objectNamespace = new Namespace(
  'Object',
  new Map<string, unknown>([
    ['keys', fn('Object.keys', (rt, pos, args) => ownKeys(rt, pos, args[0], 'Object.keys'))],
    [
      'values',
      fn('Object.values', (rt, pos, args) =>
        ownKeys(rt, pos, args[0], 'Object.values').map((k) => ownValue(args[0], k, pos)),
      ),
    ],
    [
      'entries',
      fn('Object.entries', (rt, pos, args) =>
        ownKeys(rt, pos, args[0], 'Object.entries').map((k) => [k, ownValue(args[0], k, pos)]),
      ),
    ],
    [
      'fromEntries',
      fn('Object.fromEntries', (rt, pos, args) => {
        const entries = args[0];
        if (!Array.isArray(entries)) {
          fail(
            ExpressionErrorCode.Type,
            `Object.fromEntries expects an array of [key, value] pairs, got ${describe(entries)}`,
            pos,
          );
        }
        checkArrayLength(rt, entries.length, pos);
        const out: Record<string, unknown> = {};
        for (const entry of snapshot(rt, entries, pos)) {
          if (!Array.isArray(entry)) {
            fail(
              ExpressionErrorCode.Type,
              `Object.fromEntries: each entry must be a [key, value] array, got ${describe(entry)}`,
              pos,
            );
          }
          // checkKey refuses '__proto__' (whose assignment would set the prototype) and friends.
          const key = checkKey(toPropertyKey(rt, readOwn(entry, 0, pos), pos), pos);
          out[key] = readOwn(entry, 1, pos);
        }
        return out;
      }),
    ],
  ]),
  new Map([
    ['assign', 'it mutates objects'],
    ['defineProperty', 'it mutates objects'],
    ['defineProperties', 'it mutates objects'],
    ['setPrototypeOf', 'it exposes prototypes'],
    ['getPrototypeOf', 'it exposes prototypes'],
    ['create', 'it exposes prototypes'],
    ['getOwnPropertyDescriptor', 'it exposes accessors'],
    ['getOwnPropertyDescriptors', 'it exposes accessors'],
    ['freeze', 'it mutates objects'],
  ]),
);

/** Whitelisted global names. The scope shadows them when it defines the same name. */
export const GLOBALS: ReadonlyMap<string, Internal> = new Map<string, Internal>([
  ['Number', numberFn],
  ['String', fn('String', (rt, pos, args) => (args.length === 0 ? '' : toStr(rt, args[0], pos)))],
  ['Boolean', fn('Boolean', (_rt, _pos, args) => !!args[0])],
  ['parseInt', parseIntFn],
  ['parseFloat', parseFloatFn],
  ['isNaN', fn('isNaN', (rt, pos, args) => Number.isNaN(toNum(rt, args[0], pos)))],
  ['isFinite', fn('isFinite', (rt, pos, args) => Number.isFinite(toNum(rt, args[0], pos)))],
  [
    'Math',
    new Namespace(
      'Math',
      new Map<string, unknown>([
        ['abs', mathFn('abs', Math.abs)],
        ['ceil', mathFn('ceil', Math.ceil)],
        ['floor', mathFn('floor', Math.floor)],
        ['round', mathFn('round', Math.round)],
        ['min', mathFn('min', Math.min)],
        ['max', mathFn('max', Math.max)],
        ['pow', mathFn('pow', Math.pow)],
        ['sqrt', mathFn('sqrt', Math.sqrt)],
        ['trunc', mathFn('trunc', Math.trunc)],
        ['sign', mathFn('sign', Math.sign)],
        ['PI', Math.PI],
        ['E', Math.E],
      ]),
      new Map([['random', 'expressions must be deterministic']]),
    ),
  ],
  [
    'JSON',
    new Namespace(
      'JSON',
      new Map<string, unknown>([
        ['stringify', fn('JSON.stringify', jsonStringify)],
        ['parse', fn('JSON.parse', jsonParse)],
      ]),
    ),
  ],
  ['Object', objectNamespace],
  [
    'Array',
    new Namespace(
      'Array',
      new Map<string, unknown>([['isArray', fn('Array.isArray', (_rt, _pos, args) => Array.isArray(args[0]))]]),
      new Map([
        ['from', 'it iterates arbitrary values'],
        ['of', 'use an array literal [a, b]'],
      ]),
    ),
  ],
]);

/**
 * Names that are refused outright (expr_forbidden) unless bound as arrow parameters: host
 * globals and the non-deterministic `Date`. Everything else unknown is expr_reference.
 */
export const FORBIDDEN_GLOBALS: ReadonlyMap<string, string> = new Map([
  ['globalThis', 'expressions have no access to host globals'],
  ['global', 'expressions have no access to host globals'],
  ['window', 'expressions have no access to host globals'],
  ['process', 'expressions have no access to the host process'],
  ['require', 'expressions cannot load modules'],
  ['eval', 'expressions cannot evaluate code'],
  ['Function', 'expressions cannot create functions from code'],
  ['Reflect', 'expressions have no reflection'],
  ['Proxy', 'expressions have no reflection'],
  ['Symbol', 'expressions have no symbols'],
  ['Date', 'expressions must be deterministic (pass the time in the scope instead)'],
  ['performance', 'expressions must be deterministic'],
  ['crypto', 'expressions must be deterministic'],
  ['Intl', 'locale-dependent formatting is not deterministic'],
  ['setTimeout', 'expressions cannot schedule work'],
  ['setInterval', 'expressions cannot schedule work'],
  ['setImmediate', 'expressions cannot schedule work'],
  ['queueMicrotask', 'expressions cannot schedule work'],
  ['fetch', 'expressions cannot do I/O'],
  ['WebAssembly', 'expressions cannot load code'],
  ['Buffer', 'expressions have no access to host globals'],
  ['arguments', 'arrow functions have no arguments object'],
]);
