/**
 * The run-time value model and the abstract operations of the interpreter.
 *
 * Values are plain JavaScript primitives, arrays and objects, plus three internal classes
 * ({@link Lambda}, {@link Builtin}, {@link Namespace}) that stand for functions. Host functions
 * are never values: the interpreter cannot obtain one (reads of function-valued or accessor
 * properties are refused), so it can never call into host code. Every conversion that JavaScript
 * would route through user-overridable hooks (`valueOf`, `toString`, `toJSON`, getters,
 * `Symbol.toPrimitive`) is reimplemented here over data only.
 */
import { ExpressionErrorCode, fail } from './errors.js';

/** Per-evaluation state: the scope, the budgets and the counters charged against them. */
export interface Runtime {
  /** The caller's scope object; read through own data properties only. */
  readonly scope: object;
  /** Steps used so far. */
  steps: number;
  /** Arrow-function call depth right now. */
  depth: number;
  /** `ExpressionLimits.maxSteps`. */
  readonly maxSteps: number;
  /** `ExpressionLimits.maxDepth`. */
  readonly maxDepth: number;
  /** `ExpressionLimits.maxStringLength`. */
  readonly maxStr: number;
  /** `ExpressionLimits.maxArrayLength`. */
  readonly maxArr: number;
}

/** One frame of arrow-function parameters; `parent` is the frame the arrow was created in. */
export interface Env {
  readonly vars: unknown[];
  readonly parent: Env | null;
}

/** A compiled AST node: evaluates in a runtime and an environment. */
export type Fn = (rt: Runtime, env: Env | null) => unknown;

/** Binds one parameter (from the call's argument list) into a fresh frame. */
export type ParamBinder = (rt: Runtime, env: Env, args: readonly unknown[]) => void;

/** Returned by an optional link (`a?.b`) that hit null/undefined; the chain turns it into `undefined`. */
export const SHORT: unique symbol = Symbol('short-circuit');

/** Base of the values that stand for functions; they may not be stored in arrays or objects. */
export abstract class Internal {}

/** Compile-time description of an arrow function. */
export interface LambdaDef {
  /** Source offset, for errors. */
  readonly pos: number;
  /** Number of variables in the frame (every name bound by the parameter patterns). */
  readonly slots: number;
  /** When every parameter is a plain identifier, their count: arguments are copied directly. */
  readonly simple: number;
  /** Otherwise one binder per parameter (destructuring, defaults, rest). */
  readonly binders: readonly ParamBinder[];
  /** The compiled body expression. */
  readonly body: Fn;
}

/** An arrow function value: its definition and the frame it closes over. */
export class Lambda extends Internal {
  constructor(
    readonly def: LambdaDef,
    readonly env: Env | null,
  ) {
    super();
  }
}

/** Implementation of a whitelisted global function (`Number`, `Math.max`, `JSON.parse`, …). */
export type BuiltinImpl = (rt: Runtime, pos: number, args: readonly unknown[]) => unknown;

/** A whitelisted global function. `members` holds its static properties (`Number.isInteger`). */
export class Builtin extends Internal {
  constructor(
    readonly name: string,
    readonly impl: BuiltinImpl,
    readonly members?: ReadonlyMap<string, unknown>,
  ) {
    super();
  }
}

/** A whitelisted global object (`Math`, `JSON`, `Object`, `Array`): a fixed map of members. */
export class Namespace extends Internal {
  constructor(
    readonly name: string,
    readonly members: ReadonlyMap<string, unknown>,
    /** Known-but-refused members with the reason, for better messages (`Math.random`). */
    readonly refused: ReadonlyMap<string, string> = new Map(),
  ) {
    super();
  }
}

/**
 * Property names that lead to prototypes or their mutation. Refused everywhere: dot and computed
 * access, object-literal keys, destructuring and spread, whatever the receiver.
 */
export const FORBIDDEN_PROPERTIES: ReadonlySet<string> = new Set([
  'constructor',
  '__proto__',
  'prototype',
  '__defineGetter__',
  '__defineSetter__',
  '__lookupGetter__',
  '__lookupSetter__',
]);

const getDescriptor = Object.getOwnPropertyDescriptor;

// ---------------------------------------------------------------------------------------------
// Budgets

/** Charge one step. */
export function tick(rt: Runtime, pos: number): void {
  if (++rt.steps > rt.maxSteps) stepLimit(rt, pos);
}

/** Charge `n` steps at once (bulk builtins). */
export function charge(rt: Runtime, n: number, pos: number): void {
  rt.steps += n;
  if (rt.steps > rt.maxSteps) stepLimit(rt, pos);
}

function stepLimit(rt: Runtime, pos: number): never {
  fail(ExpressionErrorCode.Limit, `expression exceeded the step limit of ${rt.maxSteps}`, pos);
}

/** Refuse a string of `length` characters before it is built. */
export function checkStringLength(rt: Runtime, length: number, pos: number): void {
  if (length > rt.maxStr) {
    fail(ExpressionErrorCode.Limit, `string of ${length} characters exceeds the limit of ${rt.maxStr}`, pos);
  }
}

/** Refuse an array of `length` elements before (or right after) it is built. */
export function checkArrayLength(rt: Runtime, length: number, pos: number): void {
  if (length > rt.maxArr) {
    fail(ExpressionErrorCode.Limit, `array of ${length} elements exceeds the limit of ${rt.maxArr}`, pos);
  }
}

/** Concatenate two strings within the string budget; long results also cost steps. */
export function concatStrings(rt: Runtime, a: string, b: string, pos: number): string {
  const length = a.length + b.length;
  if (length > 256) {
    checkStringLength(rt, length, pos);
    charge(rt, length >>> 8, pos);
  }
  return a + b;
}

// ---------------------------------------------------------------------------------------------
// Reading data

/** Refuse a (run-time computed) property name that leads to prototypes. */
export function checkKey(key: string, pos: number): string {
  if (FORBIDDEN_PROPERTIES.has(key)) forbiddenKey(key, pos);
  return key;
}

/** The error for a prototype-related name. */
function forbiddenKey(key: string, pos: number): never {
  fail(ExpressionErrorCode.Forbidden, `'${key}' is not accessible`, pos);
}

/**
 * Read an OWN data property. Never runs host code: accessors (getters/setters) are refused
 * instead of invoked, inherited properties are invisible, and a function-valued property is
 * refused because handing out a host function would let the expression call it.
 */
export function readOwn(obj: object, key: string | number, pos: number): unknown {
  const d = getDescriptor(obj, key);
  if (d === undefined) return undefined;
  if (d.get !== undefined || d.set !== undefined) {
    fail(
      ExpressionErrorCode.Forbidden,
      `property '${String(key)}' is an accessor (getter/setter) and cannot be read`,
      pos,
    );
  }
  const v: unknown = d.value;
  if (typeof v === 'function') {
    fail(
      ExpressionErrorCode.Forbidden,
      `property '${String(key)}' holds a host function, which expressions cannot access`,
      pos,
    );
  }
  return v;
}

/** A dense copy of an array, read safely element by element (holes become `undefined`). */
export function snapshot(rt: Runtime, arr: readonly unknown[], pos: number): unknown[] {
  const n = arr.length;
  charge(rt, n >>> 4, pos);
  const out: unknown[] = [];
  for (let i = 0; i < n; i++) out.push(readOwn(arr, i, pos));
  return out;
}

/**
 * The code points of a string, as spread (`[...s]`) and array destructuring see them. A string
 * has at least `length / 2` code points, so an over-long one is refused before it is split.
 */
export function codePoints(rt: Runtime, s: string, pos: number): string[] {
  charge(rt, s.length >>> 8, pos);
  checkArrayLength(rt, Math.ceil(s.length / 2), pos);
  const out = Array.from(s);
  checkArrayLength(rt, out.length, pos);
  return out;
}

/** Refuse to put a function value into an array or object (keeps results JSON-compatible). */
export function assertStorable(v: unknown, pos: number): void {
  if (v instanceof Internal) {
    fail(ExpressionErrorCode.Type, `${describe(v)} cannot be stored in an array or object; call it instead`, pos);
  }
}

// ---------------------------------------------------------------------------------------------
// Conversions (JavaScript semantics, over data only)

/** A short human description of a value's type, for messages. */
export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (Array.isArray(v)) return 'an array';
  if (v instanceof Lambda) return 'an arrow function';
  if (v instanceof Builtin) return `the function '${v.name}'`;
  if (v instanceof Namespace) return `'${v.name}'`;
  switch (typeof v) {
    case 'string':
      return 'a string';
    case 'number':
      return 'a number';
    case 'boolean':
      return 'a boolean';
    case 'bigint':
      return 'a bigint';
    case 'symbol':
      return 'a symbol';
    case 'function':
      return 'a host function';
    default:
      return 'an object';
  }
}

/** `typeof`, with internal function values reported as `'function'`. */
export function typeOf(v: unknown): string {
  if (v instanceof Internal) return v instanceof Namespace ? 'object' : 'function';
  return typeof v;
}

/**
 * ToPrimitive without hooks: arrays join with `,` (as `Array.prototype.toString` would), other
 * objects become `'[object Object]'`, functions are refused.
 */
export function toPrimitive(rt: Runtime, v: unknown, pos: number): unknown {
  if (typeof v !== 'object' || v === null) {
    if (typeof v === 'function') {
      fail(ExpressionErrorCode.Forbidden, 'host functions cannot be used in expressions', pos);
    }
    return v;
  }
  if (Array.isArray(v)) return joinArray(rt, v, ',', pos, 0);
  if (v instanceof Lambda || v instanceof Builtin) {
    fail(ExpressionErrorCode.Type, `cannot convert ${describe(v)} to a primitive value`, pos);
  }
  return '[object Object]';
}

/** ToString without hooks. */
export function toStr(rt: Runtime, v: unknown, pos: number): string {
  switch (typeof v) {
    case 'string':
      return v;
    case 'number':
    case 'boolean':
    case 'bigint':
    case 'undefined':
      return String(v);
    case 'symbol':
      return fail(ExpressionErrorCode.Type, 'cannot convert a symbol to a string', pos);
    default:
      return v === null ? 'null' : (toPrimitive(rt, v, pos) as string);
  }
}

/** ToNumber without hooks (`Number(x)` semantics). */
export function toNum(rt: Runtime, v: unknown, pos: number): number {
  if (typeof v === 'number') return v;
  const p = toPrimitive(rt, v, pos);
  if (typeof p === 'symbol') fail(ExpressionErrorCode.Type, 'cannot convert a symbol to a number', pos);
  return Number(p);
}

/** ToIntegerOrInfinity of a number (NaN → 0). */
export function toInteger(n: number): number {
  const t = Math.trunc(n);
  return Number.isNaN(t) ? 0 : t + 0;
}

/** An optional integer argument (e.g. `slice(start)`), `fallback` when undefined. */
export function intArg(rt: Runtime, v: unknown, fallback: number, pos: number): number {
  return v === undefined ? fallback : toInteger(toNum(rt, v, pos));
}

/** Resolve a relative index (negative counts from the end) into [0, length]. */
export function relativeIndex(i: number, length: number): number {
  return i < 0 ? Math.max(length + i, 0) : Math.min(i, length);
}

/** ToPropertyKey (without symbols, which the language cannot create). */
export function toPropertyKey(rt: Runtime, v: unknown, pos: number): string {
  return typeof v === 'string' ? v : toStr(rt, v, pos);
}

/**
 * `Array.prototype.join` over data: null/undefined become '', nested arrays join with ','.
 * Bounded by the string limit, charged in steps, and a cycle hits the depth limit.
 */
export function joinArray(rt: Runtime, arr: readonly unknown[], sep: string, pos: number, depth: number): string {
  if (depth > rt.maxDepth) {
    fail(ExpressionErrorCode.Limit, `value nested deeper than the limit of ${rt.maxDepth}`, pos);
  }
  const n = arr.length;
  charge(rt, n >>> 4, pos);
  let out = '';
  for (let i = 0; i < n; i++) {
    const e = readOwn(arr, i, pos);
    let s: string;
    if (e === null || e === undefined) s = '';
    else if (typeof e === 'string') s = e;
    else if (Array.isArray(e)) s = joinArray(rt, e, ',', pos, depth + 1);
    else s = toStr(rt, e, pos);
    const length = out.length + (i > 0 ? sep.length : 0) + s.length;
    checkStringLength(rt, length, pos);
    out = i > 0 ? out + sep + s : out + s;
  }
  charge(rt, out.length >>> 8, pos);
  return out;
}

/** `==` without hooks: objects compare by identity, or through {@link toPrimitive} with a primitive. */
export function looseEquals(rt: Runtime, a: unknown, b: unknown, pos: number): boolean {
  if (a === b) return true;
  const aObj = typeof a === 'object' && a !== null;
  const bObj = typeof b === 'object' && b !== null;
  if (aObj && bObj) return false;
  if (aObj || bObj) {
    const other = aObj ? b : a;
    const obj = aObj ? a : b;
    if (other === null || other === undefined) return false;
    if (obj instanceof Lambda || obj instanceof Builtin) return false;
    // biome-ignore lint/suspicious/noDoubleEquals: loose equality is the operator being implemented
    return toPrimitive(rt, obj, pos) == other;
  }
  // Both primitives: the native operator cannot reach host code.
  // biome-ignore lint/suspicious/noDoubleEquals: loose equality is the operator being implemented
  return a == b;
}

/** `SameValueZero` (used by `includes`). */
export function sameValueZero(a: unknown, b: unknown): boolean {
  return a === b || (Number.isNaN(a) && Number.isNaN(b));
}

// ---------------------------------------------------------------------------------------------
// Calls

/** Call a function value (arrow function or builtin) with already-evaluated arguments. */
export function callFunction(rt: Runtime, fn: unknown, args: readonly unknown[], pos: number): unknown {
  if (fn instanceof Lambda) return callLambda(rt, fn, args, pos);
  if (fn instanceof Builtin) return fn.impl(rt, pos, args);
  return fail(ExpressionErrorCode.Type, `${describe(fn)} is not a function`, pos);
}

/**
 * Run an arrow function: a new frame, parameters bound, body evaluated. The call depth is
 * bounded (runaway recursion such as `(f => f(f))(f => f(f))` stops with `expr_limit`). No
 * `finally` is needed to restore the depth: any error aborts the whole evaluation.
 */
function callLambda(rt: Runtime, fn: Lambda, args: readonly unknown[], pos: number): unknown {
  if (++rt.depth > rt.maxDepth) {
    fail(
      ExpressionErrorCode.Limit,
      `function calls nested deeper than the limit of ${rt.maxDepth} (runaway recursion?)`,
      pos,
    );
  }
  const def = fn.def;
  const vars: unknown[] = new Array(def.slots);
  const env: Env = { vars, parent: fn.env };
  if (def.simple >= 0) {
    for (let i = 0; i < def.simple; i++) vars[i] = args[i];
  } else {
    for (const bind of def.binders) bind(rt, env, args);
  }
  const result = def.body(rt, env);
  rt.depth--;
  return result;
}

/** Require a callback argument. */
export function callbackArg(v: unknown, method: string, pos: number): Lambda | Builtin {
  if (v instanceof Lambda || v instanceof Builtin) return v;
  return fail(ExpressionErrorCode.Type, `${method} expects a function (e.g. x => x.id), got ${describe(v)}`, pos);
}
