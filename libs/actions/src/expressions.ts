/**
 * The only module that talks to `@switchboard/expr`: conditions (`conditional.condition`) and
 * transforms (`transform.expression`) are checked and evaluated here, so the rest of the
 * package does not depend on the expression library's surface.
 */
import { type CompiledExpression, check, compile, type ExpressionLimits, freeVariables } from '@switchboard/expr';

/** Resource limits of one expression evaluation (steps, depth, sizes), from `@switchboard/expr`. */
export type { CompiledExpression, ExpressionLimits };

/** A syntax or safety problem of an expression. */
export interface ExpressionProblem {
  message: string;
  /** Character offset in the source, when known. */
  position?: number;
  code: string;
}

/** Checks an expression without evaluating it; never throws. */
export function checkExpression(source: string): ExpressionProblem[] {
  try {
    return check(source).map((problem) => ({
      message: problem.message,
      code: problem.code,
      ...(typeof problem.position === 'number' ? { position: problem.position } : {}),
    }));
  } catch (err) {
    return [{ message: err instanceof Error ? err.message : String(err), code: 'expression_invalid' }];
  }
}

/** The variables an expression reads from its scope (empty when it does not parse). */
export function expressionVariables(source: string): string[] {
  try {
    return freeVariables(source);
  } catch {
    return [];
  }
}

/**
 * Compiles an expression. Throws the library's `ExpressionError` (a `SwitchboardError`) on a
 * syntax error; evaluation throws it on a runtime error or when a limit is exceeded.
 */
export function compileExpression(source: string, limits?: ExpressionLimits): CompiledExpression {
  return compile(source, limits);
}
