/**
 * Bounds on the work one expression may do. Every bound, when exceeded, raises an
 * `ExpressionError` with code `expr_limit`; nothing is truncated silently.
 */
export interface ExpressionLimits {
  /**
   * Evaluation budget. One step is charged per AST node evaluated and per callback iteration;
   * bulk builtins (join, slice, repeat, JSON, …) are charged in proportion to the data they touch
   * (one step per 16 array elements or per 256 characters), so total CPU and memory are bounded.
   */
  maxSteps?: number;
  /**
   * Maximum nesting: of the source (brackets and AST nodes), of arrow-function calls at run time,
   * and of values processed recursively (JSON, array-to-string conversion).
   */
  maxDepth?: number;
  /**
   * Longest string the expression may build (concatenation, templates, repeat, padding, join,
   * replace, case mapping, JSON). Substrings of scope strings (`slice`, `trim`) allocate nothing
   * new and are not checked; reading a long string from the scope is fine.
   */
  maxStringLength?: number;
  /**
   * Largest array the expression may build (literals, spread, map, concat, split, Object.keys,
   * JSON.parse, …); also bounds the number of keys of objects built with spread.
   */
  maxArrayLength?: number;
  /** Longest accepted source text, checked before parsing. */
  maxSourceLength?: number;
}

/** The limits used when none (or only some) are given. */
export const DEFAULT_LIMITS: Readonly<Required<ExpressionLimits>> = Object.freeze({
  maxSteps: 10_000,
  maxDepth: 64,
  maxStringLength: 100_000,
  maxArrayLength: 10_000,
  maxSourceLength: 4_000,
});

/** Fill in defaults and reject nonsensical values (negative, NaN) by falling back to defaults. */
export function resolveLimits(limits: ExpressionLimits | undefined): Required<ExpressionLimits> {
  if (limits === undefined) return DEFAULT_LIMITS;
  return {
    maxSteps: pick(limits.maxSteps, DEFAULT_LIMITS.maxSteps),
    maxDepth: pick(limits.maxDepth, DEFAULT_LIMITS.maxDepth),
    maxStringLength: pick(limits.maxStringLength, DEFAULT_LIMITS.maxStringLength),
    maxArrayLength: pick(limits.maxArrayLength, DEFAULT_LIMITS.maxArrayLength),
    maxSourceLength: pick(limits.maxSourceLength, DEFAULT_LIMITS.maxSourceLength),
  };
}

function pick(value: number | undefined, fallback: number): number {
  return typeof value === 'number' && value >= 0 && !Number.isNaN(value) ? Math.floor(value) : fallback;
}

/** A stable cache key for a resolved set of limits. */
export function limitsKey(l: Required<ExpressionLimits>): string {
  return `${l.maxSteps}|${l.maxDepth}|${l.maxStringLength}|${l.maxArrayLength}|${l.maxSourceLength}`;
}
