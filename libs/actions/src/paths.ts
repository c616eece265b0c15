/**
 * Dot paths: how steps name values (`params.email`, `user.preferences.theme`, `logged_meals[+]`).
 *
 * A path starts with a scope name (`params`, `context`, `flags`, `workflow`, `agents`, `error`,
 * `outputs`, `input`) or, when its first segment is anything else, is relative to `context`:
 * `{{user.id}}` is `context.user.id`. Numeric segments index arrays (`items.0`). A write path
 * may end with `[+]`, which appends to the array there (creating it when absent).
 *
 * Writes never create or traverse `__proto__`, `constructor` or `prototype`: such paths are
 * rejected when a definition is validated and again when a chain runs, because the canonical
 * model can also be built without the validator (built-ins, stored definitions).
 */
import type { JsonObject, JsonValue } from '@switchboard/common';
import { SwitchboardError } from '@switchboard/common/errors';
import { FORBIDDEN_KEYS, isPlainObject, ownGet, ownSet } from './json.js';
import { closestMatch } from './suggest.js';

/** The names a path can start with. */
export const Scopes = {
  /** Arguments of the current call. Read-only. */
  Params: 'params',
  /** Call context (user, contact, anything the chain stored). The default scope. */
  Context: 'context',
  /** Boolean flags; written only by `flag.set` / `flag.clear`. */
  Flags: 'flags',
  /** State shared by all agents of the conversation's workflow. */
  Workflow: 'workflow',
  /** Per-agent state: `agents.<name>.<key>`. */
  Agents: 'agents',
  /** `{ code, message, step, details? }` of the failure; only in `on_failure`. Read-only. */
  Error: 'error',
  /** Remembered outputs of earlier runs: `outputs.<action>.<output>`. Read-only. */
  Outputs: 'outputs',
  /** The transform's input; only inside `transform.expression`. */
  Input: 'input',
} as const;
/** One of {@link Scopes}. */
export type ScopeName = (typeof Scopes)[keyof typeof Scopes];

const SCOPE_NAMES: ReadonlySet<string> = new Set(Object.values(Scopes));
/** Scopes a write path may target (`flags` has its own steps; the others are read-only). */
const WRITABLE_SCOPES: ReadonlySet<string> = new Set([Scopes.Context, Scopes.Workflow, Scopes.Agents]);
/** Scopes a typo is likely aimed at (see {@link ParsedPath.nearMissScope}). */
const SUGGESTABLE_SCOPES = ['params', 'context', 'flags', 'workflow', 'agents', 'outputs', 'error'];

/** Longest accepted path, in characters; paths are names, not data. */
export const MAX_PATH_LENGTH = 256;
/** Deepest accepted path, in segments. */
export const MAX_PATH_DEPTH = 32;

const FIRST_SEGMENT = /^[A-Za-z_][A-Za-z0-9_-]*$/;
const SEGMENT = /^[A-Za-z0-9_-]+$/;
const APPEND = '[+]';

/** A path split into its scope and the segments below it. */
export interface ParsedPath {
  /** The scope the path reads or writes. */
  scope: ScopeName;
  /** Segments below the scope (for `agents` the first one is the agent name). */
  segments: string[];
  /** True for a write path ending in `[+]`. */
  append: boolean;
  /** False when the scope was implied (`user.id` → context). */
  explicitScope: boolean;
  /**
   * Set when the scope was implied but the first segment is one typo away from a scope name
   * (`parms.email`): at run time the path still reads `context.parms.email`, but the
   * validators report it, because that is almost never what the author meant. Write
   * `context.parms` to mean the context key. Only one edit counts (`contact`, two edits from
   * `context`, is an ordinary context key).
   */
  nearMissScope?: string;
}

/** Whether a path reads a value or names a place to write one. */
export type PathMode = 'read' | 'write';

/** The outcome of {@link parsePath}: a path, or why the text is not one. */
export type PathParseResult = { ok: true; path: ParsedPath } | { ok: false; message: string };

/**
 * Parses a dot path. `write` mode additionally allows a trailing `[+]` and requires a
 * writable scope (`context`, `workflow`, `agents.<name>`) with at least one key below it.
 */
export function parsePath(text: string, mode: PathMode = 'read'): PathParseResult {
  if (text.length === 0) return { ok: false, message: 'path is empty' };
  if (text.length > MAX_PATH_LENGTH) return { ok: false, message: `path is longer than ${MAX_PATH_LENGTH} characters` };
  let body = text;
  let append = false;
  if (body.endsWith(APPEND)) {
    if (mode === 'read') return { ok: false, message: "'[+]' (append) is only allowed in a path that is written" };
    append = true;
    body = body.slice(0, -APPEND.length);
  }
  if (body.includes('[')) {
    return { ok: false, message: "'[+]' may only appear once, at the end of the path (use dots for indexes: items.0)" };
  }
  const parts = body.split('.');
  if (parts.length > MAX_PATH_DEPTH) return { ok: false, message: `path is deeper than ${MAX_PATH_DEPTH} segments` };
  for (const [index, part] of parts.entries()) {
    if (part.length === 0) return { ok: false, message: 'path has an empty segment' };
    if (FORBIDDEN_KEYS.has(part)) return { ok: false, message: `path segment '${part}' is not allowed` };
    if (!(index === 0 ? FIRST_SEGMENT : SEGMENT).test(part)) {
      return {
        ok: false,
        message:
          index === 0
            ? `path must start with a letter or underscore, found '${part}'`
            : `path segment '${part}' may contain only letters, digits, '_' and '-'`,
      };
    }
  }
  const first = parts[0] ?? '';
  const explicitScope = SCOPE_NAMES.has(first);
  const scope = (explicitScope ? first : Scopes.Context) as ScopeName;
  const segments = explicitScope ? parts.slice(1) : parts;
  const path: ParsedPath = { scope, segments, append, explicitScope };
  if (!explicitScope) {
    const near = closestMatch(first, SUGGESTABLE_SCOPES, 1);
    if (near !== undefined) path.nearMissScope = near;
  }
  if (mode === 'write') {
    if (!WRITABLE_SCOPES.has(scope)) {
      return {
        ok: false,
        message:
          scope === Scopes.Flags
            ? "flags are written with 'flag.set' and 'flag.clear', not by path"
            : `the '${scope}' scope is read-only`,
      };
    }
    const needed = scope === Scopes.Agents ? 2 : 1;
    if (segments.length < needed) {
      return {
        ok: false,
        message:
          scope === Scopes.Agents
            ? 'write path must name an agent and a key: agents.<agent>.<key>'
            : `write path must name a key below '${scope}'`,
      };
    }
  }
  return { ok: true, path };
}

/** Parses a path or throws a non-retryable `invalid_path` {@link SwitchboardError}. */
export function parsePathOrThrow(text: string, mode: PathMode = 'read'): ParsedPath {
  const parsed = parsePath(text, mode);
  if (!parsed.ok) throw new SwitchboardError('invalid_path', `invalid path '${text}': ${parsed.message}`);
  return parsed.path;
}

/** Reads below `root` along `segments`; `undefined` when anything on the way is missing. */
export function getAtPath(root: unknown, segments: readonly string[]): JsonValue | undefined {
  let current: unknown = root;
  for (const segment of segments) {
    if (FORBIDDEN_KEYS.has(segment)) return undefined;
    if (Array.isArray(current)) {
      const index = arrayIndex(segment);
      current = index === undefined ? undefined : current[index];
    } else if (isPlainObject(current)) {
      current = ownGet(current, segment);
    } else {
      return undefined;
    }
    if (current === undefined) return undefined;
  }
  return current as JsonValue;
}

/**
 * Writes `value` below `root` along `segments`, creating missing intermediate objects. With
 * `append`, the value is pushed onto the array at the path (created when absent or `null`).
 * Throws a non-retryable `path_conflict` error instead of overwriting a non-container on the
 * way (writing `a.b` where `a` is a string), because silently replacing data is worse than
 * failing the chain; and `forbidden_path` for prototype keys.
 */
export function setAtPath(root: JsonObject, segments: readonly string[], value: JsonValue, append = false): void {
  if (segments.length === 0) throw new SwitchboardError('invalid_path', 'cannot write to an empty path');
  let current: JsonObject | JsonValue[] = root;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i] as string;
    if (FORBIDDEN_KEYS.has(segment)) {
      throw new SwitchboardError('forbidden_path', `path segment '${segment}' is not allowed`);
    }
    const last = i === segments.length - 1;
    const existing = readChild(current, segment, segments, i);
    if (last && !append) {
      writeChild(current, segment, value, segments);
      return;
    }
    if (last) {
      if (existing === undefined || existing === null) {
        writeChild(current, segment, [value], segments);
      } else if (Array.isArray(existing)) {
        existing.push(value);
      } else {
        throw conflict(segments, i, 'an array to append to');
      }
      return;
    }
    if (Array.isArray(existing) || isPlainObject(existing)) {
      current = existing as JsonObject | JsonValue[];
    } else if (existing === undefined || existing === null) {
      const created: JsonObject = {};
      writeChild(current, segment, created, segments);
      current = created;
    } else {
      throw conflict(segments, i, 'an object');
    }
  }
}

/** Removes the value at the path (an array element is spliced out); a missing path is a no-op. */
export function deleteAtPath(root: JsonObject, segments: readonly string[]): void {
  if (segments.length === 0) return;
  const parent = getAtPath(root, segments.slice(0, -1));
  const last = segments[segments.length - 1] as string;
  if (FORBIDDEN_KEYS.has(last)) throw new SwitchboardError('forbidden_path', `path segment '${last}' is not allowed`);
  if (Array.isArray(parent)) {
    const index = arrayIndex(last);
    if (index !== undefined && index < parent.length) parent.splice(index, 1);
  } else if (isPlainObject(parent) && Object.hasOwn(parent, last)) {
    delete parent[last];
  }
}

/** Everything a path can read, one member per scope. */
export interface ScopeView {
  params: Record<string, JsonValue>;
  context: Record<string, JsonValue>;
  flags: Record<string, boolean>;
  workflow: Record<string, JsonValue>;
  agents: Record<string, Record<string, JsonValue>>;
  outputs: Record<string, JsonValue>;
  /** Present only while `on_failure` runs. */
  error?: JsonValue;
  /** Present only inside a transform expression. */
  input?: JsonValue;
}

/** Resolves a read path (text or parsed) against the scopes; `undefined` when missing. */
export function resolvePath(view: ScopeView, path: string | ParsedPath): JsonValue | undefined {
  const parsed = typeof path === 'string' ? parsePathOrThrow(path, 'read') : path;
  const root = view[parsed.scope];
  return getAtPath(root, parsed.segments);
}

function arrayIndex(segment: string): number | undefined {
  return /^(0|[1-9][0-9]{0,8})$/.test(segment) ? Number(segment) : undefined;
}

function readChild(
  container: JsonObject | JsonValue[],
  segment: string,
  segments: readonly string[],
  i: number,
): JsonValue | undefined {
  if (Array.isArray(container)) {
    const index = arrayIndex(segment);
    if (index === undefined) throw conflict(segments, i - 1, 'an object (found an array)');
    return container[index];
  }
  return ownGet(container, segment) as JsonValue | undefined;
}

function writeChild(
  container: JsonObject | JsonValue[],
  segment: string,
  value: JsonValue,
  segments: readonly string[],
): void {
  if (Array.isArray(container)) {
    const index = arrayIndex(segment);
    if (index === undefined || index > container.length) {
      throw new SwitchboardError(
        'path_conflict',
        `cannot write '${segments.join('.')}': index '${segment}' is outside the array`,
      );
    }
    container[index] = value;
    return;
  }
  ownSet(container, segment, value);
}

function conflict(segments: readonly string[], i: number, expected: string): SwitchboardError {
  const at = segments.slice(0, i + 1).join('.');
  return new SwitchboardError('path_conflict', `cannot write '${segments.join('.')}': '${at}' is not ${expected}`);
}
