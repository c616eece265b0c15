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
  const stack: Frame[] = [{ value, depth: 1, key: '', parent: undefined }];
  for (let frame = stack.pop(); frame !== undefined; frame = stack.pop()) {
    const v = frame.value;
    if (v === null || typeof v !== 'object') continue;
    if (frame.depth > limit) return { pointer: pointerOf(frame), limit };
    const entries: [string, unknown][] = Array.isArray(v)
      ? v.map((item, i) => [String(i), item])
      : Object.entries(v as Record<string, unknown>);
    // Pushed in reverse, so the walk (and the pointer reported) follows document order.
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, item] = entries[i] as [string, unknown];
      if (item !== null && typeof item === 'object') stack.push({ value: item, depth: frame.depth + 1, key, parent: frame });
    }
  }
  return undefined;
}

/** A value on the walk's stack; the parent chain spells its pointer. */
interface Frame {
  value: unknown;
  depth: number;
  key: string;
  parent: Frame | undefined;
}

function pointerOf(frame: Frame): string {
  const keys: string[] = [];
  for (let f: Frame | undefined = frame; f?.parent !== undefined; f = f.parent) keys.push(f.key);
  return keys
    .reverse()
    .map((k) => `/${k.replaceAll('~', '~0').replaceAll('/', '~1')}`)
    .join('');
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
