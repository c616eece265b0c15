/**
 * Value types: parsing the typed-action spelling (`list[number]`) and checking a JSON value
 * against a declared type (arguments before a run, outputs after it).
 */
import type { JsonValue } from '@switchboard/common';
import { isPlainObject } from './json.js';
import { type ItemType, type ValueType, ValueTypes } from './model.js';

/** A value type with its list element type. */
export interface TypeSpec {
  type: ValueType;
  items?: ItemType;
}

const ALL_TYPES: ReadonlySet<string> = new Set(Object.values(ValueTypes));

/** Element types allowed in `list[T]`. */
export const ITEM_TYPES: readonly ItemType[] = Object.values(ValueTypes).filter(
  (t): t is ItemType => t !== 'list' && t !== 'array',
);

/**
 * Parses an Agentforce type name: a scalar type or `list[T]` with a non-list element type.
 * Returns `undefined` for anything else (including the declarative-only `array`).
 */
export function parseTypedTypeName(text: string): TypeSpec | undefined {
  const list = /^list\[\s*([a-z]+)\s*\]$/.exec(text);
  if (list) {
    const item = list[1] ?? '';
    return (ITEM_TYPES as readonly string[]).includes(item) ? { type: 'list', items: item as ItemType } : undefined;
  }
  if (!ALL_TYPES.has(text) || text === 'list' || text === 'array') return undefined;
  return { type: text as ValueType };
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIME = /^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,9})?)?$/;
const DATETIME =
  /^(\d{4}-\d{2}-\d{2})[Tt ]([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,9})?)?([Zz]|[+-]([01]\d|2[0-3]):?[0-5]\d)?$/;

function isCalendarDate(text: string): boolean {
  const match = DATE.exec(text);
  if (!match) return false;
  const year = Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] ?? 31;
  return day <= days;
}

/**
 * Checks a value against a type; returns why it does not match, or `undefined` when it does.
 * Checks are strict (no coercion of `"42"` to 42): a wrong argument goes back to the LLM as
 * `invalid_arguments`, which is cheaper than a provider rejecting a guessed conversion.
 */
export function typeMismatch(value: JsonValue, spec: TypeSpec): string | undefined {
  const expected = spec.type === 'list' ? `list[${spec.items ?? 'string'}]` : spec.type;
  const fail = (detail?: string): string => `expected ${expected}${detail ? ` (${detail})` : ''}`;
  switch (spec.type) {
    case 'string':
      return typeof value === 'string' ? undefined : fail();
    case 'id':
      return typeof value === 'string' && value.length > 0 ? undefined : fail('a non-empty string');
    case 'number':
    case 'currency':
      return typeof value === 'number' && Number.isFinite(value) ? undefined : fail();
    case 'integer':
    case 'long':
      return typeof value === 'number' && Number.isSafeInteger(value) ? undefined : fail('a whole number');
    case 'boolean':
      return typeof value === 'boolean' ? undefined : fail();
    case 'object':
      return isPlainObject(value) ? undefined : fail();
    case 'array':
      return Array.isArray(value) ? undefined : fail();
    case 'date':
      return typeof value === 'string' && isCalendarDate(value) ? undefined : fail('YYYY-MM-DD');
    case 'time':
      return typeof value === 'string' && TIME.test(value) ? undefined : fail('HH:MM or HH:MM:SS');
    case 'datetime': {
      const match = typeof value === 'string' ? DATETIME.exec(value) : null;
      return match && isCalendarDate(match[1] ?? '') ? undefined : fail('ISO 8601, e.g. 2025-01-31T09:30:00Z');
    }
    case 'list': {
      if (!Array.isArray(value)) return fail();
      const itemType = spec.items ?? 'string';
      for (const [index, item] of value.entries()) {
        const problem = typeMismatch(item, { type: itemType });
        if (problem !== undefined) return `${fail()}: item ${index}: ${problem}`;
      }
      return undefined;
    }
    default:
      return fail();
  }
}
