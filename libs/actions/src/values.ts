/**
 * Property values of steps (`context.set.value`, `webhook.payload`, `transform.input`,
 * `log.data`, `provider.input`).
 *
 * - A string is a bare dot path (`"params"`, `"params.email"`, `"user.id"`), or a quoted
 *   literal when wrapped in single quotes (`"'meal_saved'"` is the string `meal_saved`; inside,
 *   `\'` is a quote and `\\` a backslash).
 * - Numbers, booleans and `null` are themselves.
 * - Objects and arrays are literals whose string leaves are resolved the same way, recursively
 *   (`{ "meal": "params" }`).
 *
 * A path that resolves to nothing yields `undefined`: an object member is then omitted and an
 * array element becomes `null`, so the result is always JSON.
 */
import type { JsonObject, JsonValue } from '@switchboard/common';
import { cloneJson, isPlainObject, ownSet } from './json.js';
import { type ParsedPath, parsePath, resolvePath, type ScopeView } from './paths.js';

/** Deepest literal object/array accepted in a property value. */
const MAX_VALUE_DEPTH = 32;

/** A problem in a property value; `at` is relative to the value (JSON pointer tokens). */
export interface ValueProblem {
  at: (string | number)[];
  message: string;
  expected?: string;
  found?: string;
  suggestion?: string;
}

/** What a string property value means. */
export type StringValueMeaning =
  | { kind: 'literal'; value: string }
  | { kind: 'path'; path: ParsedPath }
  | { kind: 'invalid'; message: string };

/** Classifies a string property value as a quoted literal, a path, or neither. */
export function interpretStringValue(text: string): StringValueMeaning {
  if (text.startsWith("'")) {
    if (text.length < 2 || !text.endsWith("'") || (text.endsWith("\\'") && !text.endsWith("\\\\'"))) {
      return { kind: 'invalid', message: 'quoted literal is not terminated (expected a closing single quote)' };
    }
    return { kind: 'literal', value: unescapeLiteral(text.slice(1, -1)) };
  }
  const parsed = parsePath(text, 'read');
  if (!parsed.ok) return { kind: 'invalid', message: parsed.message };
  return { kind: 'path', path: parsed.path };
}

/** Quotes a string as a literal property value (the inverse of the literal form). */
export function quoteLiteral(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** Lists the problems of a property value (empty when valid). */
export function checkPropertyValue(value: unknown): ValueProblem[] {
  const problems: ValueProblem[] = [];
  walk(value, [], 0, problems);
  return problems;
}

/** The read paths a property value references (for linting and dependency analysis). */
export function propertyValuePaths(value: unknown): ParsedPath[] {
  const paths: ParsedPath[] = [];
  const visit = (v: unknown, depth: number): void => {
    if (depth > MAX_VALUE_DEPTH) return;
    if (typeof v === 'string') {
      const meaning = interpretStringValue(v);
      if (meaning.kind === 'path') paths.push(meaning.path);
    } else if (Array.isArray(v)) {
      for (const item of v) visit(item, depth + 1);
    } else if (isPlainObject(v)) {
      for (const key of Object.keys(v)) visit(v[key], depth + 1);
    }
  };
  visit(value, 0);
  return paths;
}

/**
 * Resolves a property value against the scopes. Resolved values are copies: mutating the
 * result never changes the state it was read from. Throws an `invalid_path` error for a string
 * that is neither a path nor a quoted literal (only reachable when the definition was not
 * validated).
 */
export function resolvePropertyValue(value: JsonValue, view: ScopeView): JsonValue | undefined {
  return resolve(value, view, 0);
}

function resolve(value: JsonValue, view: ScopeView, depth: number): JsonValue | undefined {
  if (typeof value === 'string') {
    const meaning = interpretStringValue(value);
    if (meaning.kind === 'literal') return meaning.value;
    if (meaning.kind === 'invalid') return resolvePath(view, value); // throws invalid_path with the reason
    const found = resolvePath(view, meaning.path);
    return found === undefined ? undefined : cloneJson(found);
  }
  if (typeof value === 'number') return Number.isFinite(value) ? value + 0 : null;
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_VALUE_DEPTH) return null;
  if (Array.isArray(value)) return value.map((item) => resolve(item, view, depth + 1) ?? null);
  const out: JsonObject = {};
  for (const key of Object.keys(value)) {
    const member = value[key];
    if (member === undefined) continue;
    const resolved = resolve(member, view, depth + 1);
    if (resolved !== undefined) ownSet(out, key, resolved);
  }
  return out;
}

function walk(value: unknown, at: (string | number)[], depth: number, problems: ValueProblem[]): void {
  if (depth > MAX_VALUE_DEPTH) {
    problems.push({ at, message: `value is nested deeper than ${MAX_VALUE_DEPTH} levels` });
    return;
  }
  if (typeof value === 'string') {
    const meaning = interpretStringValue(value);
    if (meaning.kind === 'invalid') {
      const quoted = value.startsWith("'") ? undefined : quoteLiteral(value);
      problems.push({
        at,
        message: `${JSON.stringify(value)} is neither a dot path nor a quoted literal: ${meaning.message}${
          quoted === undefined ? '' : ` — did you mean the literal ${JSON.stringify(quoted)}?`
        }`,
        expected: "a dot path (params.email) or a quoted literal ('text')",
        found: JSON.stringify(value),
        ...(quoted === undefined ? {} : { suggestion: quoted }),
      });
    } else if (meaning.kind === 'path' && meaning.path.nearMissScope !== undefined) {
      problems.push(nearMissProblem(value, meaning.path.nearMissScope, at));
    } else if (meaning.kind === 'path' && meaning.path.scope === 'input') {
      problems.push({ at, message: `'${value}': the 'input' scope exists only inside transform expressions` });
    }
    return;
  }
  if (value === null || typeof value === 'number' || typeof value === 'boolean') {
    if (typeof value === 'number' && !Number.isFinite(value)) problems.push({ at, message: 'number must be finite' });
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((item, index) => {
      walk(item, [...at, index], depth + 1, problems);
    });
    return;
  }
  if (isPlainObject(value)) {
    for (const key of Object.keys(value)) walk(value[key], [...at, key], depth + 1, problems);
    return;
  }
  problems.push({ at, message: 'value is not JSON', found: typeof value });
}

/** The issue for a path whose implied-context first segment is a typo of a scope name. */
export function nearMissProblem(pathText: string, scope: string, at: (string | number)[] = []): ValueProblem {
  const dot = pathText.indexOf('.');
  const fixed = `${scope}${dot < 0 ? '' : pathText.slice(dot)}`;
  return {
    at,
    message: `'${pathText}' reads context key '${dot < 0 ? pathText : pathText.slice(0, dot)}' — did you mean '${fixed}'? (write 'context.${pathText}' if the context key is intended)`,
    expected: `a scope name (${scope})`,
    found: pathText,
    suggestion: fixed,
  };
}

function unescapeLiteral(inner: string): string {
  return inner.replace(/\\([\\'])/g, '$1');
}
