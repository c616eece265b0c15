import { SwitchboardError } from '@switchboard/common';
import { ApplicationFailure } from '@temporalio/common';

/**
 * Stable codes of provider failures. Retryable: unavailable, timeout, rate_limited.
 * Terminal: auth_failed (the credential is wrong — the action's status becomes Error),
 * rejected (the request is invalid; retrying the same request cannot help), not_found.
 */
export const ProviderErrorCodes = {
  Unavailable: 'provider_unavailable',
  Timeout: 'provider_timeout',
  RateLimited: 'provider_rate_limited',
  AuthFailed: 'provider_auth_failed',
  Rejected: 'provider_rejected',
  NotFound: 'provider_not_found',
  Conflict: 'provider_conflict',
  ResponseTooLarge: 'provider_response_too_large',
  InvalidResponse: 'provider_invalid_response',
  InvalidInput: 'provider_invalid_input',
} as const;
export type ProviderErrorCode = (typeof ProviderErrorCodes)[keyof typeof ProviderErrorCodes];

/** A provider call failed; says whether retrying can help and, for 429/503, when. */
export class ProviderError extends SwitchboardError {
  readonly provider: string;
  readonly httpStatus: number | undefined;
  /** From `Retry-After`: the earliest moment a retry makes sense, in ms from now. */
  readonly retryAfterMs: number | undefined;

  constructor(
    provider: string,
    code: ProviderErrorCode | string,
    message: string,
    options: {
      retryable?: boolean;
      httpStatus?: number;
      retryAfterMs?: number;
      cause?: unknown;
      details?: Record<string, unknown>;
    } = {},
  ) {
    super(code, message, {
      retryable: options.retryable ?? false,
      ...(options.cause !== undefined ? { cause: options.cause } : {}),
      ...(options.details !== undefined ? { details: options.details } : {}),
    });
    this.provider = provider;
    this.httpStatus = options.httpStatus;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** `Retry-After` as seconds or an HTTP date, in ms (capped at an hour); undefined when absent or bad. */
export function retryAfterMs(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (value === null || value === undefined || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds * 1000, 3_600_000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.min(date - now, 3_600_000));
}

/**
 * The error for a non-2xx answer: 429 and 5xx are retryable (honouring Retry-After), 401/403
 * mean the credential is refused, 404 not found, 409 conflict, other 4xx the request is wrong.
 * `detail` is the provider's own message (never a secret: providers do not echo credentials).
 */
export function errorForStatus(
  provider: string,
  status: number,
  detail: string,
  headers?: { get(name: string): string | null },
): ProviderError {
  const where = `${provider} answered ${status}${detail ? `: ${detail}` : ''}`;
  const retryAfter = retryAfterMs(headers?.get('retry-after'));
  const opts = { httpStatus: status, ...(retryAfter !== undefined ? { retryAfterMs: retryAfter } : {}) };
  if (status === 429)
    return new ProviderError(provider, ProviderErrorCodes.RateLimited, where, { ...opts, retryable: true });
  if (status >= 500)
    return new ProviderError(provider, ProviderErrorCodes.Unavailable, where, { ...opts, retryable: true });
  if (status === 401 || status === 403) return new ProviderError(provider, ProviderErrorCodes.AuthFailed, where, opts);
  if (status === 404) return new ProviderError(provider, ProviderErrorCodes.NotFound, where, opts);
  if (status === 409) return new ProviderError(provider, ProviderErrorCodes.Conflict, where, opts);
  return new ProviderError(provider, ProviderErrorCodes.Rejected, where, opts);
}

/**
 * Maps any error thrown by an activity to a Temporal failure with an explicit retry decision:
 * the stable code becomes the failure type, `retryable: false` becomes non-retryable, and a
 * Retry-After becomes the next retry delay.
 */
export function toActivityFailure(err: unknown): ApplicationFailure {
  if (err instanceof ApplicationFailure) return err;
  if (err instanceof SwitchboardError) {
    const retryAfter = err instanceof ProviderError ? err.retryAfterMs : undefined;
    return ApplicationFailure.create({
      type: err.code,
      message: err.message,
      nonRetryable: !err.retryable,
      ...(err.details ? { details: [err.details] } : {}),
      ...(retryAfter !== undefined && err.retryable ? { nextRetryDelay: retryAfter } : {}),
    });
  }
  const message = err instanceof Error ? err.message : String(err);
  return ApplicationFailure.create({ type: 'internal', message, nonRetryable: false });
}
