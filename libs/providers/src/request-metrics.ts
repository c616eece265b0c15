/**
 * Provider request metrics (`switchboard_provider_request_duration_seconds`), recorded in the
 * shared HTTP paths every provider client sends through (`createProviderHttp`, and the webhook
 * worker's own hardened sender), so no activity records them itself.
 */
import { recordProviderRequest } from '@switchboard/telemetry';
import { asyncLocalStorage } from '@temporalio/activity';
import { activityOperation } from './call-log.js';
import { ProviderError } from './errors.js';

/** The operation of the activity running now (as the call log names it), if any. */
export function currentOperation(): string | undefined {
  const type = asyncLocalStorage.getStore()?.info.activityType;
  return type === undefined ? undefined : activityOperation(type);
}

/**
 * The `error_type` of a request that got no HTTP status: the provider error's code without its
 * `provider_` prefix (`timeout`, `unavailable`, `response_too_large`, …), else `error`.
 */
export function requestErrorType(err: unknown): string {
  if (err instanceof ProviderError) return err.code.replace(/^provider_/, '');
  return 'error';
}

/**
 * Sends one provider request through `send`, recording its duration with the response's
 * status, or with the error's HTTP status (a body that failed after the status came) or its
 * `errorType` when none came.
 */
export async function measureProviderRequest<T extends { status: number }>(
  labels: { provider: string; operation: string },
  send: () => Promise<T>,
  errorType: (err: unknown) => string = requestErrorType,
): Promise<T> {
  const startMs = performance.now();
  try {
    const response = await send();
    recordProviderRequest({ ...labels, durationMs: performance.now() - startMs, statusCode: response.status });
    return response;
  } catch (err) {
    const status = err instanceof ProviderError ? err.httpStatus : undefined;
    recordProviderRequest({
      ...labels,
      durationMs: performance.now() - startMs,
      ...(status !== undefined ? { statusCode: status } : { errorType: errorType(err) }),
    });
    throw err;
  }
}
