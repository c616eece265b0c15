import { DEFAULT_LIMITS } from '@switchboard/expr';

/**
 * The deepest JSON the CLI reads (`--scope`, definition files) or prints (expression results,
 * exported tools): the evaluator's own nesting limit, so that every scope the CLI accepts is one
 * the evaluator can serialise, and nothing deeper ever reaches the recursive `JSON.stringify`
 * or the validators (which overflowed the stack at a few thousand levels).
 */
export const MAX_JSON_DEPTH = DEFAULT_LIMITS.maxDepth;

/** Where a JSON value nests too deeply. */
export interface TooDeep {
  /** JSON pointer of the first array or object (in document order) below the limit. */
  pointer: string;
  limit: number;
}

/**
 * The first array or object nested deeper than `limit` (the outermost value is level 1), or
 * `undefined` when there is none. Walks with an explicit stack, so any depth is safe to check.
 *
 * The one place the CLI decides "too deep": when `@switchboard/common` has a shared JSON depth
 * checker, this function is to delegate to it.
 */
export function findTooDeep(value: unknown, limit: number = MAX_JSON_DEPTH): TooDeep | undefined {
  if (!isContainer(value)) return undefined;
  if (limit < 1) return { pointer: '', limit };
  // One level per open container: its members and the next one to visit. `path` holds the key
  // of each open container below the top one, so it spells the pointer of the innermost.
  const open: OpenContainer[] = [{ members: membersOf(value), next: 0 }];
  const path: string[] = [];
  while (open.length > 0) {
    const top = open[open.length - 1] as OpenContainer;
    const member = top.members[top.next++];
    if (member === undefined) {
      open.pop();
      path.pop();
      continue;
    }
    const [key, item] = member;
    if (!isContainer(item)) continue;
    path.push(key);
    if (open.length + 1 > limit) return { pointer: path.map(segment).join(''), limit };
    open.push({ members: membersOf(item), next: 0 });
  }
  return undefined;
}

interface OpenContainer {
  members: [string, unknown][];
  next: number;
}

function isContainer(v: unknown): v is object {
  return typeof v === 'object' && v !== null;
}

function membersOf(v: object): [string, unknown][] {
  return Array.isArray(v) ? v.map((item, i) => [String(i), item]) : Object.entries(v);
}

/** One reference token of a JSON pointer, with its slash (RFC 6901 escapes). */
function segment(key: string): string {
  return `/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`;
}

/** `JSON.stringify`, or where the value nests deeper than {@link MAX_JSON_DEPTH}. */
export function printJson(value: unknown, indent?: number): { text: string } | { tooDeep: TooDeep } {
  const tooDeep = findTooDeep(value);
  return tooDeep === undefined ? { text: JSON.stringify(value, null, indent) } : { tooDeep };
}

/** `nested deeper than 64 levels at /a/0/0/…` */
export function describeTooDeep(t: TooDeep): string {
  return `nested deeper than ${t.limit} levels at ${t.pointer === '' ? 'the top' : t.pointer}`;
}
