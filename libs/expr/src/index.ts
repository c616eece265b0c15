/**
 * `@switchboard/expr` — a safe, deterministic, JavaScript-like expression language for the
 * conditions and transforms of action chains (`context.user_type === 'premium'`,
 * `input.map(item => item.toUpperCase()).join(', ')`).
 *
 * It runs inside Temporal workflows, so it is pure: no clock, no randomness, no I/O, no globals,
 * never `eval`/`Function`. Sources are parsed with acorn and compiled into closures over a
 * whitelist; all work is bounded by {@link ExpressionLimits}.
 *
 * Semantics worth knowing (they differ from JavaScript on purpose):
 * - reading a property of `null`/`undefined` yields `undefined` instead of throwing, because
 *   agent state is often partial; calling a method on it still throws (or use `?.`);
 * - only own data properties of objects and arrays are visible; getters are refused, not run;
 * - `reverse` and `sort` return sorted/reversed copies; `replace`/`replaceAll` take string
 *   patterns and literal replacements (no `$&` patterns);
 * - functions (arrow functions, `Math.max`, …) can be called and passed as callbacks but not
 *   stored in arrays/objects nor returned as the result.
 */

import { GLOBALS } from './builtins.js';
import { compileAst, type Issue } from './compiler.js';
import { ExpressionError, ExpressionErrorCode } from './errors.js';
import { DEFAULT_LIMITS, type ExpressionLimits, limitsKey, resolveLimits } from './limits.js';
import { parseExpression } from './parser.js';
import { describe, type Fn, Internal, type Runtime } from './values.js';

export { ExpressionError, ExpressionErrorCode, type ExpressionErrorOptions } from './errors.js';
export { DEFAULT_LIMITS, type ExpressionLimits } from './limits.js';

/** A parsed and compiled expression; evaluate it as often as needed (it is immutable). */
export interface CompiledExpression {
  /** The source it was compiled from. */
  readonly source: string;
  /**
   * Evaluate against a scope (e.g. `{ params, context, flags }`). Returns plain data
   * (`undefined` for missing paths). Throws {@link ExpressionError} on any failure.
   */
  evaluate(scope: Record<string, unknown>): unknown;
}

/** One problem reported by {@link check}. */
export interface ExpressionIssue {
  /** What is wrong, in one sentence. */
  message: string;
  /** Offset in the source, when known. */
  position?: number;
  /** The code `compile` would throw with. */
  code: ExpressionErrorCode;
}

class Compiled implements CompiledExpression {
  constructor(
    readonly source: string,
    private readonly fn: Fn,
    private readonly limits: Required<ExpressionLimits>,
  ) {
    Object.freeze(this);
  }

  evaluate(scope: Record<string, unknown>): unknown {
    if (typeof scope !== 'object' || scope === null) {
      throw new ExpressionError(ExpressionErrorCode.Type, `scope must be an object, got ${describe(scope)}`);
    }
    const l = this.limits;
    const rt: Runtime = {
      scope,
      steps: 0,
      depth: 0,
      maxSteps: l.maxSteps,
      maxDepth: l.maxDepth,
      maxStr: l.maxStringLength,
      maxArr: l.maxArrayLength,
    };
    let result: unknown;
    try {
      result = this.fn(rt, null);
    } catch (err) {
      throw asExpressionError(err);
    }
    if (result instanceof Internal) {
      throw new ExpressionError(
        ExpressionErrorCode.Type,
        `the expression evaluated to ${describe(result)}, which is not data; call it instead`,
      );
    }
    return result;
  }
}

/**
 * Safety net: the interpreter raises ExpressionError itself, but a stack overflow or a native
 * TypeError from an exotic scope value (a bigint mixed with a number, a symbol) must still
 * surface as a typed error, never as a raw one.
 */
function asExpressionError(err: unknown): ExpressionError {
  if (err instanceof ExpressionError) return err;
  if (err instanceof RangeError) {
    return new ExpressionError(ExpressionErrorCode.Limit, `evaluation exceeded a host limit: ${err.message}`, {
      cause: err,
    });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new ExpressionError(ExpressionErrorCode.Type, message, { cause: err });
}

/** Parse and compile, collecting issues instead of throwing (shared by compile and check). */
function analyze(source: string, limits: Required<ExpressionLimits>): { fn: Fn; issues: Issue[]; free: string[] } {
  let ast: ReturnType<typeof parseExpression>;
  try {
    ast = parseExpression(source, limits.maxSourceLength, limits.maxDepth);
  } catch (err) {
    const e = asExpressionError(err);
    return { fn: () => undefined, issues: [{ code: e.code, message: e.message, position: e.position ?? 0 }], free: [] };
  }
  return compileAst(ast, source, limits.maxDepth);
}

/** The issue `compile` throws: a safety refusal first, otherwise the first one found. */
function firstIssue(issues: readonly Issue[]): Issue | undefined {
  return issues.find((i) => i.code === ExpressionErrorCode.Forbidden) ?? issues[0];
}

/**
 * Parse once (cacheable), evaluate many times.
 *
 * @throws {ExpressionError} `expr_syntax`, `expr_unsupported`, `expr_forbidden` or `expr_limit`
 *   (source too long or nested too deeply).
 */
export function compile(source: string, limits?: ExpressionLimits): CompiledExpression {
  const resolved = resolveLimits(limits);
  const { fn, issues } = analyze(source, resolved);
  const issue = firstIssue(issues);
  if (issue !== undefined) {
    throw new ExpressionError(issue.code, issue.message, { position: issue.position });
  }
  return new Compiled(source, fn, resolved);
}

/** Bounded LRU of compiled expressions used by {@link evaluate} (a Map keeps insertion order). */
const CACHE_SIZE = 500;
const cache = new Map<string, CompiledExpression>();

function cached(source: string, limits: ExpressionLimits | undefined): CompiledExpression {
  const key = limits === undefined ? source : `${limitsKey(resolveLimits(limits))}\u0000${source}`;
  const hit = cache.get(key);
  if (hit !== undefined) {
    // Refresh recency.
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  const compiled = compile(source, limits);
  cache.set(key, compiled);
  if (cache.size > CACHE_SIZE) {
    const oldest = cache.keys().next().value;
    if (oldest !== undefined) cache.delete(oldest);
  }
  return compiled;
}

/**
 * Compile (cached by source and limits) and evaluate. Results are plain JSON-compatible values;
 * `undefined` is returned for missing paths.
 *
 * @throws {ExpressionError} any code.
 */
export function evaluate(source: string, scope: Record<string, unknown>, limits?: ExpressionLimits): unknown {
  return cached(source, limits).evaluate(scope);
}

/**
 * Static check without evaluating (default limits): every problem `compile` would object to, in
 * source order; empty when the expression compiles. Unknown identifiers are not reported, since
 * they depend on the scope; see {@link freeVariables}.
 */
export function check(source: string): ExpressionIssue[] {
  const { issues } = analyze(source, DEFAULT_LIMITS);
  return [...issues]
    .sort((a, b) => a.position - b.position)
    .map((i) => ({ message: i.message, position: i.position, code: i.code }));
}

/**
 * Identifiers at the root of the expression that refer to the scope (e.g. `['context',
 * 'params']`), in order of first use: not arrow parameters, not language constants, not the
 * builtin whitelist (`Math`, `JSON`, …).
 *
 * @throws {ExpressionError} when the expression does not compile.
 */
export function freeVariables(source: string): string[] {
  const { issues, free } = analyze(source, DEFAULT_LIMITS);
  const issue = firstIssue(issues);
  if (issue !== undefined) throw new ExpressionError(issue.code, issue.message, { position: issue.position });
  return free.filter((name) => !GLOBALS.has(name));
}
