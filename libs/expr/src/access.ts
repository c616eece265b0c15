/**
 * Property reads, method lookup and `in`: the places where an expression touches its data.
 *
 * Rules: only OWN data properties of objects and arrays are visible (plus `length` and indices of
 * strings); prototype-related names are refused; methods exist only in the whitelist tables and
 * can be called but never read as values; reading through `null`/`undefined` yields `undefined`
 * (agent state is often partial, so `context.user.name` must not throw when `user` is missing).
 */
import { ARRAY_METHODS, type Method, NUMBER_METHODS, STRING_METHODS } from './builtins.js';
import { ExpressionErrorCode, fail } from './errors.js';
import {
  Builtin,
  checkKey,
  describe,
  Internal,
  Lambda,
  Namespace,
  type Runtime,
  readOwn,
  SHORT,
  toPropertyKey,
} from './values.js';

/** The canonical array index a string denotes, or -1 (`'01'`, `'1.0'`, `'-1'` are not indices). */
function indexOfKey(key: string): number {
  const n = Number(key);
  return Number.isInteger(n) && n >= 0 && String(n) === key ? n : -1;
}

function methodAsValue(key: string, kind: string, pos: number): never {
  fail(
    ExpressionErrorCode.Forbidden,
    `method '${key}' of ${kind} cannot be used as a value; call it, e.g. x.${key}(…)`,
    pos,
  );
}

function listOf(map: ReadonlyMap<string, unknown>): string {
  return [...map.keys()].join(', ');
}

/** Read a member of a builtin namespace or function (`Math.PI`, `Math.abs`, `Number.isInteger`). */
function internalMember(obj: Internal, key: string, pos: number): unknown {
  if (obj instanceof Namespace) {
    const v = obj.members.get(key);
    if (v !== undefined) return v;
    const reason = obj.refused.get(key);
    fail(
      ExpressionErrorCode.Forbidden,
      reason === undefined
        ? `'${obj.name}.${key}' is not available — allowed: ${listOf(obj.members)}`
        : `'${obj.name}.${key}' is not available: ${reason}`,
      pos,
    );
  }
  if (obj instanceof Builtin && obj.members !== undefined) {
    const v = obj.members.get(key);
    if (v !== undefined) return v;
    fail(ExpressionErrorCode.Forbidden, `'${obj.name}.${key}' is not available — allowed: ${listOf(obj.members)}`, pos);
  }
  return fail(ExpressionErrorCode.Forbidden, `functions have no accessible properties ('${key}')`, pos);
}

/**
 * `obj.key` for a key already known not to be forbidden (checked at compile time for dot access,
 * by {@link getComputed} otherwise).
 */
export function getProp(obj: unknown, key: string, pos: number): unknown {
  if (typeof obj === 'object') {
    if (obj === null) return undefined;
    if (obj instanceof Internal) return internalMember(obj, key, pos);
    if (Array.isArray(obj)) {
      if (key === 'length') return obj.length;
      const v = readOwn(obj, key, pos);
      if (v === undefined && ARRAY_METHODS.has(key)) methodAsValue(key, 'arrays', pos);
      return v;
    }
    return readOwn(obj, key, pos);
  }
  if (typeof obj === 'string') {
    if (key === 'length') return obj.length;
    const i = indexOfKey(key);
    if (i >= 0) return i < obj.length ? obj[i] : undefined;
    if (STRING_METHODS.has(key)) methodAsValue(key, 'strings', pos);
    return undefined;
  }
  if (typeof obj === 'number' && NUMBER_METHODS.has(key)) methodAsValue(key, 'numbers', pos);
  if (typeof obj === 'function') {
    fail(ExpressionErrorCode.Forbidden, 'host functions cannot be used in expressions', pos);
  }
  return undefined;
}

/** `obj[key]` with a run-time key: array/string index fast path, otherwise checked then {@link getProp}. */
export function getComputed(rt: Runtime, obj: unknown, key: unknown, pos: number): unknown {
  if (typeof key === 'number' && Number.isInteger(key) && key >= 0) {
    if (Array.isArray(obj)) return readOwn(obj, key, pos);
    if (typeof obj === 'string') return key < obj.length ? obj[key] : undefined;
  }
  return getProp(obj, checkKey(toPropertyKey(rt, key, pos), pos), pos);
}

/**
 * Find the method `recv.key(…)` would call: a whitelisted method implementation (a host function
 * from our own tables, never exposed as a value), a callable value (`Math.max`), or {@link SHORT}
 * for an optional call on something missing. Refuses everything else with a message listing
 * what is allowed.
 */
export function lookupMethod(recv: unknown, key: string, pos: number, optionalCall: boolean): unknown {
  switch (typeof recv) {
    case 'string': {
      const m = STRING_METHODS.get(key);
      if (m !== undefined) return m;
      if (key === 'length' || indexOfKey(key) >= 0) notAFunction(key, pos);
      return notAllowed(key, 'strings', STRING_METHODS, pos);
    }
    case 'number': {
      const m = NUMBER_METHODS.get(key);
      if (m !== undefined) return m;
      return notAllowed(key, 'numbers', NUMBER_METHODS, pos);
    }
    case 'undefined':
      if (optionalCall) return SHORT;
      return fail(ExpressionErrorCode.Type, `cannot call method '${key}' of undefined`, pos);
    case 'object':
      break;
    default:
      return fail(
        ExpressionErrorCode.Forbidden,
        `method '${key}' is not allowed on ${describe(recv).replace(/^an? /, '')}s — they have no methods`,
        pos,
      );
  }
  if (recv === null) {
    if (optionalCall) return SHORT;
    return fail(ExpressionErrorCode.Type, `cannot call method '${key}' of null`, pos);
  }
  if (Array.isArray(recv)) {
    const m = ARRAY_METHODS.get(key);
    if (m !== undefined) return m;
    if (key === 'length' || indexOfKey(key) >= 0) notAFunction(key, pos);
    return notAllowed(key, 'arrays', ARRAY_METHODS, pos);
  }
  if (recv instanceof Lambda) {
    return fail(ExpressionErrorCode.Forbidden, `functions have no methods ('${key}'); call the function directly`, pos);
  }
  if (recv instanceof Internal) {
    const member = internalMember(recv, key, pos);
    if (member instanceof Lambda || member instanceof Builtin) return member;
    return notAFunction(`${(recv as Namespace | Builtin).name}.${key}`, pos);
  }
  // A plain object: it has no methods; an own property holds data, never a function.
  const own = readOwn(recv, key, pos);
  if (own === undefined || own === null) {
    if (optionalCall) return SHORT;
    if (own === undefined && !Object.hasOwn(recv, key)) {
      return fail(
        ExpressionErrorCode.Forbidden,
        `method '${key}' is not allowed on objects — objects have no methods; use Object.keys, Object.values or Object.entries`,
        pos,
      );
    }
  }
  return notAFunction(key, pos);
}

function notAllowed(key: string, kind: string, table: ReadonlyMap<string, Method<never>>, pos: number): never {
  fail(ExpressionErrorCode.Forbidden, `method '${key}' is not allowed on ${kind} — allowed: ${listOf(table)}`, pos);
}

function notAFunction(what: string, pos: number): never {
  fail(ExpressionErrorCode.Type, `'${what}' is not a function`, pos);
}

/** `key in obj`: own properties only; like JavaScript, the right side must be an object. */
export function hasProperty(rt: Runtime, key: unknown, obj: unknown, pos: number): boolean {
  if (typeof obj !== 'object' || obj === null) {
    fail(ExpressionErrorCode.Type, `'in' needs an object or array on its right side, got ${describe(obj)}`, pos);
  }
  const k = toPropertyKey(rt, key, pos);
  if (obj instanceof Namespace) return obj.members.has(k);
  if (obj instanceof Internal) {
    fail(ExpressionErrorCode.Type, `'in' needs an object or array on its right side, got ${describe(obj)}`, pos);
  }
  return Object.hasOwn(obj, k);
}
