/**
 * Limits on JSON that enters Switchboard: how deep it may nest, and which strings it may hold.
 *
 * Everything a caller sends travels on: as `google.protobuf.Struct` in bus messages (each JSON
 * level costs two message levels, and protobuf-es refuses to decode past 100), as `jsonb` in
 * Postgres (which refuses U+0000 and unpaired surrogates), in Temporal payloads. A value that
 * passes {@link checkJson} can go everywhere; one that does not is refused where it enters,
 * with a pointer to the place, instead of failing somewhere later where nobody is waiting.
 */
import type { ValidationIssue } from './errors.js';

/**
 * The deepest JSON Switchboard accepts: objects and arrays count one level each, the document
 * itself is level 1 (`{"a": [1]}` has depth 2). A bus message carrying three values of this
 * depth (arguments, action, call context) still decodes (2 × 32 + 1 < 100).
 */
export const JSON_MAX_DEPTH = 32;

/** Options of {@link checkJson}. */
export interface JsonCheckOptions {
  /** Default {@link JSON_MAX_DEPTH}. */
  maxDepth?: number;
  /** The walk stops after this many issues. Default 10. */
  maxIssues?: number;
  /** Pointer of `value` in its document, prefixed to every issue's pointer. Default `""`. */
  pointer?: string;
  /** Names the place in messages, e.g. `path parameter`; default none (the pointer says it). */
  label?: (pointer: string) => string;
}

/**
 * One container or value still to visit. Its pointer is `prefix + token`; the prefix is its
 * container's pointer, built once per container. (A frame does not link to its parent frame:
 * Biome 2.3's type inference runs out of memory on such a self-referencing walk.)
 */
interface Frame {
  value: unknown;
  depth: number;
  /** The pointer of the container holding this value (`""` at the top). */
  prefix: string;
  /** The pointer token leading here (`/3`, `/name`); built from `key` for object members. */
  token: string;
  /** The member's key, checked when the member is visited (so issues come in document order). */
  key?: string;
}

/**
 * The problems of a JSON value (as `JSON.parse` returns it), in document order: nesting deeper
 * than the limit (reported once, at the first container too deep, which is not entered),
 * strings and object keys holding U+0000 or an unpaired surrogate, numbers that overflowed to
 * ±Infinity. The walk is iterative, so no input can exhaust the stack, and never goes below the
 * depth limit, so it costs time linear in the part of the value it may accept.
 */
export function checkJson(value: unknown, options: JsonCheckOptions = {}): ValidationIssue[] {
  const maxDepth = options.maxDepth ?? JSON_MAX_DEPTH;
  const maxIssues = options.maxIssues ?? 10;
  const issues: ValidationIssue[] = [];
  const pointerOf = (frame: Frame): string => (options.pointer ?? '') + frame.prefix + frame.token;
  const add = (frame: Frame, issue: Omit<ValidationIssue, 'pointer'>) => {
    const pointer = pointerOf(frame);
    const message = options.label ? `${options.label(pointer)} ${issue.message}` : issue.message;
    issues.push({ pointer, ...issue, message });
  };

  const stack: Frame[] = [{ value, depth: 0, prefix: '', token: '' }];
  while (stack.length > 0 && issues.length < maxIssues) {
    const frame = stack.pop() as Frame;
    if (frame.key !== undefined) {
      frame.token = `/${escapeToken(frame.key)}`;
      const bad = unstorableChar(frame.key);
      if (bad) {
        add(frame, { message: `key must not contain ${bad.what}`, found: bad.found });
        if (issues.length >= maxIssues) break;
      }
    }
    const v = frame.value;
    if (typeof v === 'string') {
      const bad = unstorableChar(v);
      if (bad) add(frame, { message: `must not contain ${bad.what}`, found: bad.found });
      continue;
    }
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) {
        add(frame, {
          message: 'must be a finite number',
          expected: 'a number within the range of a double',
          found: String(v),
        });
      }
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    const depth = frame.depth + 1;
    if (depth > maxDepth) {
      add(frame, {
        message: `must not nest deeper than ${maxDepth} levels of objects and arrays`,
        expected: `at most ${maxDepth} levels`,
        found: `${Array.isArray(v) ? 'an array' : 'an object'} at level ${depth}`,
      });
      continue;
    }
    // Children are pushed last-first, so they are visited (and reported) in document order.
    const here = frame.prefix + frame.token;
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i], depth, prefix: here, token: `/${i}` });
      continue;
    }
    const keys = Object.keys(v);
    for (let i = keys.length - 1; i >= 0; i--) {
      const key = keys[i] as string;
      stack.push({ value: (v as Record<string, unknown>)[key], depth, prefix: here, token: '', key });
    }
  }
  return issues;
}

/**
 * The first character of `text` that cannot be stored or carried — U+0000, which Postgres
 * refuses, or an unpaired surrogate, which is not Unicode — or `undefined`. `what` names it for
 * a message, `found` adds its index (in UTF-16 code units).
 */
export function unstorableChar(text: string): { what: string; found: string } | undefined {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0) return { what: 'U+0000 (NUL)', found: `U+0000 at index ${i}` };
    if (c < 0xd800 || c > 0xdfff) continue;
    if (c <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
    }
    const code = `U+${c.toString(16).toUpperCase()}`;
    return { what: `an unpaired surrogate (${code})`, found: `${code} at index ${i}` };
  }
  return undefined;
}

/**
 * `text` with every U+0000 and unpaired surrogate replaced by U+FFFD: for text that must be kept
 * although nobody can be asked to fix it (a model's words).
 */
export function toStorableText(text: string): string {
  return unstorableChar(text) === undefined
    ? text
    : // biome-ignore lint/suspicious/noControlCharactersInRegex: U+0000 is what this replaces
      text.replace(/\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}

/** RFC 6901: `~` → `~0`, `/` → `~1`. */
function escapeToken(key: string): string {
  return key.replaceAll('~', '~0').replaceAll('/', '~1');
}
