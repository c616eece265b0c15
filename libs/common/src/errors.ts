/**
 * The one error taxonomy of Switchboard.
 *
 * Every failure that crosses a module boundary is a {@link SwitchboardError}: it carries a
 * stable machine-readable `code`, says whether retrying the same operation can help
 * (`retryable`), and keeps the underlying `cause`. Transport layers map it: HTTP to a status
 * code and a JSON body, Temporal to a retryable or non-retryable `ApplicationFailure`.
 */
export class SwitchboardError extends Error {
  /** Stable code, e.g. `validation_failed`, `provider_unavailable`. Never reworded. */
  readonly code: string;
  /** True when the same request, retried later, may succeed (timeouts, 5xx, 429). */
  readonly retryable: boolean;
  /** Structured, secret-free details that are safe to return to a caller. */
  readonly details: Record<string, unknown> | undefined;

  constructor(
    code: string,
    message: string,
    options: { retryable?: boolean; cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.details = options.details;
  }

  /** A JSON shape that is safe to send to API clients (no stack, no cause). */
  toJSON(): { code: string; message: string; retryable: boolean; details?: Record<string, unknown> } {
    return {
      code: this.code,
      message: this.message,
      retryable: this.retryable,
      ...(this.details === undefined ? {} : { details: this.details }),
    };
  }
}

/** One problem found while validating user input, located by a JSON pointer. */
export interface ValidationIssue {
  /** RFC 6901 JSON pointer to the offending place, `""` for the whole document. */
  pointer: string;
  /** What is wrong, in one sentence. */
  message: string;
  /** What was expected there, when it can be said. */
  expected?: string;
  /** What was found there, when it can be said. */
  found?: string;
  /** A likely fix, e.g. a near-miss name. */
  suggestion?: string;
}

/** Input was rejected; lists every problem found, not only the first. Never retryable. */
export class ValidationError extends SwitchboardError {
  readonly issues: readonly ValidationIssue[];
  constructor(message: string, issues: readonly ValidationIssue[]) {
    super('validation_failed', message, { retryable: false, details: { issues } });
    this.issues = issues;
  }
}

/** A named thing (agent, conversation, action, endpoint) does not exist for this tenant. */
export class NotFoundError extends SwitchboardError {
  constructor(what: string, id: string) {
    super('not_found', `${what} '${id}' was not found`, { retryable: false, details: { what, id } });
  }
}

/** A dependency (provider, bus, database) is unavailable or timed out; retrying may help. */
export class UnavailableError extends SwitchboardError {
  constructor(message: string, cause?: unknown, code = 'unavailable') {
    super(code, message, { retryable: true, cause });
  }
}

/** Narrow an unknown thrown value to a SwitchboardError, wrapping anything else as internal. */
export function asSwitchboardError(err: unknown): SwitchboardError {
  if (err instanceof SwitchboardError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new SwitchboardError('internal', message, { retryable: false, cause: err });
}
