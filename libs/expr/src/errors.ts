import { SwitchboardError } from '@switchboard/common/errors';

/**
 * Stable codes of {@link ExpressionError}. They are part of the public contract: validators and
 * workflow code branch on them, so they are never reworded.
 */
export const ExpressionErrorCode = {
  /** The source is not a well-formed expression (acorn rejected it, or there is trailing input). */
  Syntax: 'expr_syntax',
  /** Valid JavaScript, but a construct this language does not implement (regex, classes, …). */
  Unsupported: 'expr_unsupported',
  /** Deliberately blocked for safety: prototype access, `this`, `new`, mutation, host globals. */
  Forbidden: 'expr_forbidden',
  /** A runtime value has the wrong type for the operation (calling a number, `in` on a string). */
  Type: 'expr_type',
  /** A bound was exceeded: steps, nesting/call depth, string or array size, source length. */
  Limit: 'expr_limit',
  /** An identifier is neither an arrow parameter, a scope variable nor a whitelisted builtin. */
  Reference: 'expr_reference',
} as const;

/** One of the {@link ExpressionErrorCode} values. */
export type ExpressionErrorCode = (typeof ExpressionErrorCode)[keyof typeof ExpressionErrorCode];

/** Options of the {@link ExpressionError} constructor. */
export interface ExpressionErrorOptions {
  /** Offset (UTF-16 code units) in the expression source where the problem is. */
  position?: number;
  /** The underlying error, when one was translated (e.g. an acorn SyntaxError). */
  cause?: unknown;
}

/**
 * Every failure of this package, at compile time or at run time.
 *
 * Never retryable: expressions are pure, so the same source and scope fail the same way again.
 * `position` (also copied into `details.position`) points into the source when it is known.
 */
export class ExpressionError extends SwitchboardError {
  declare readonly code: ExpressionErrorCode;
  /** Offset in the expression source, when the failure can be located. */
  readonly position: number | undefined;

  constructor(code: ExpressionErrorCode, message: string, options: ExpressionErrorOptions = {}) {
    super(code, message, {
      retryable: false,
      cause: options.cause,
      details: options.position === undefined ? undefined : { position: options.position },
    });
    this.position = options.position;
  }
}

/** Shorthand used throughout the interpreter; `never` lets call sites stay expression-shaped. */
export function fail(code: ExpressionErrorCode, message: string, position?: number): never {
  throw new ExpressionError(code, message, position === undefined ? {} : { position });
}
