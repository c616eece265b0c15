/**
 * Small JSON helpers shared by the parser and the interpreter.
 *
 * Everything here is pure and safe on arbitrary input: it never walks a prototype chain, never
 * calls user-supplied methods, and treats `__proto__` as an ordinary own key (JSON.parse
 * produces such keys; assigning them with `obj[key] = …` would change the prototype instead).
 */
import type { JsonObject, JsonValue } from '@switchboard/common';

/** Keys that a write may never create or traverse: they reach `Object.prototype`. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** True for a non-null, non-array object (a JSON object, or anything that looks like one). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads an own property only; inherited members such as `constructor` read as `undefined`. */
export function ownGet(obj: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}

/** Sets an own, enumerable data property even when `key` is `__proto__`. */
export function ownSet(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    obj[key] = value;
  }
}

/**
 * Deep copy of a JSON value. `undefined` members of objects are dropped (as `JSON.stringify`
 * would); non-JSON leaves (functions, symbols, bigints) are not expected here and become `null`.
 */
export function cloneJson<T extends JsonValue>(value: T): T;
export function cloneJson(value: unknown): JsonValue;
export function cloneJson(value: unknown): JsonValue {
  if (value === null) return null;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      // JSON has no -0 and no non-finite numbers; normalise so a JSON round trip is exact.
      return Number.isFinite(value) ? value + 0 : null;
    case 'object': {
      if (Array.isArray(value)) return value.map((item) => (item === undefined ? null : cloneJson(item)));
      const out: JsonObject = {};
      for (const key of Object.keys(value)) {
        const member = (value as Record<string, unknown>)[key];
        if (member !== undefined) ownSet(out, key, cloneJson(member));
      }
      return out;
    }
    default:
      return null;
  }
}

/**
 * Converts a value produced by an expression into JSON, or says why it cannot be.
 * `undefined` becomes `null` (a transform that yields nothing stores an explicit nothing).
 */
export function toJsonValue(value: unknown, depth = 0): { ok: true; value: JsonValue } | { ok: false; reason: string } {
  if (depth > 64) return { ok: false, reason: 'value is nested too deeply' };
  if (value === undefined || value === null) return { ok: true, value: null };
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return { ok: true, value };
    case 'number':
      return Number.isFinite(value)
        ? { ok: true, value: value + 0 }
        : { ok: false, reason: `${String(value)} is not a JSON number` };
    case 'object': {
      if (Array.isArray(value)) {
        const items: JsonValue[] = [];
        for (const item of value) {
          const converted = toJsonValue(item, depth + 1);
          if (!converted.ok) return converted;
          items.push(converted.value);
        }
        return { ok: true, value: items };
      }
      const proto = Object.getPrototypeOf(value) as unknown;
      if (proto !== Object.prototype && proto !== null) return { ok: false, reason: 'value is not a plain object' };
      const out: JsonObject = {};
      for (const key of Object.keys(value)) {
        const member = (value as Record<string, unknown>)[key];
        if (member === undefined) continue;
        const converted = toJsonValue(member, depth + 1);
        if (!converted.ok) return converted;
        ownSet(out, key, converted.value);
      }
      return { ok: true, value: out };
    }
    default:
      return { ok: false, reason: `a ${typeof value} is not JSON` };
  }
}

/** A short description of what was found, for `ValidationIssue.found`. */
export function describeFound(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'string':
      return `string ${JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value)}`;
    case 'number':
      return `number ${String(value)}`;
    case 'boolean':
      return `boolean ${String(value)}`;
    case 'object':
      return 'an object';
    default:
      return `a ${typeof value}`;
  }
}

/** RFC 6901 escaping of one reference token. */
function escapePointerToken(token: string | number): string {
  return String(token).replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Appends reference tokens to a JSON pointer. */
export function pointerJoin(base: string, ...tokens: (string | number)[]): string {
  return tokens.reduce<string>((acc, token) => `${acc}/${escapePointerToken(token)}`, base);
}
