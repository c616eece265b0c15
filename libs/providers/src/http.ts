import { currentTraceHeaders, SpanKind, type Tracer, withSpan } from '@switchboard/telemetry';
import { ProviderError, ProviderErrorCodes } from './errors.js';
import { measureProviderRequest } from './request-metrics.js';

/** One HTTP request to a provider. */
export interface ProviderRequest {
  /** Provider name for errors and spans, e.g. `calcom`. */
  provider: string;
  /** Operation for the span name, e.g. `calcom.book`. */
  operation: string;
  method: string;
  url: string | URL;
  headers?: Record<string, string>;
  /** Already-encoded body (JSON text or form-encoded). */
  body?: string;
  timeoutMs?: number;
  maxResponseBytes?: number;
}

/** A provider's answer, read completely (bounded). */
export interface ProviderResponse {
  status: number;
  headers: Headers;
  text: string;
  /** Parses the body as JSON, or fails with `provider_invalid_response`. */
  json<T = unknown>(): T;
}

/**
 * Sends provider requests: one client span and one `switchboard_provider_request_duration_seconds`
 * observation each, W3C context propagated, bounded time and size.
 */
export interface ProviderHttp {
  send(request: ProviderRequest): Promise<ProviderResponse>;
}

/**
 * Creates the HTTP client every provider client uses. Network errors and timeouts become
 * retryable {@link ProviderError}s; status codes are left to the caller (see `errorForStatus`).
 * Request headers are never put on spans or in errors: they carry credentials.
 */
export function createProviderHttp(options: { tracer: Tracer; fetch?: typeof fetch }): ProviderHttp {
  const doFetch = options.fetch ?? fetch;
  return {
    send(req) {
      return measureProviderRequest({ provider: req.provider, operation: req.operation }, () => sendOnce(req));
    },
  };

  async function sendOnce(req: ProviderRequest): Promise<ProviderResponse> {
    const url = new URL(req.url);
    const timeoutMs = req.timeoutMs ?? 10_000;
    return withSpan(
      options.tracer,
      `${req.method} ${req.operation}`,
      {
        kind: SpanKind.CLIENT,
        attributes: { 'http.request.method': req.method, 'server.address': url.hostname, 'url.path': url.pathname },
      },
      async (span) => {
        const trace = currentTraceHeaders();
        const headers: Record<string, string> = { ...req.headers, traceparent: trace.traceparent };
        if (trace.tracestate) headers.tracestate = trace.tracestate;
        let response: Response;
        try {
          response = await doFetch(url, {
            method: req.method,
            headers,
            ...(req.body !== undefined ? { body: req.body } : {}),
            signal: AbortSignal.timeout(timeoutMs),
            redirect: 'manual',
          });
        } catch (err) {
          const name = (err as Error).name;
          if (name === 'TimeoutError' || name === 'AbortError') {
            throw new ProviderError(
              req.provider,
              ProviderErrorCodes.Timeout,
              `${req.provider} did not answer within ${timeoutMs} ms`,
              {
                retryable: true,
              },
            );
          }
          throw new ProviderError(
            req.provider,
            ProviderErrorCodes.Unavailable,
            `${req.provider} is unreachable: ${(err as Error).message}`,
            {
              retryable: true,
              cause: err,
            },
          );
        }
        span.setAttribute('http.response.status_code', response.status);
        const text = await readBounded(req.provider, response, req.maxResponseBytes ?? 2 * 1_048_576);
        return {
          status: response.status,
          headers: response.headers,
          text,
          json<T>() {
            try {
              return JSON.parse(text) as T;
            } catch {
              throw new ProviderError(
                req.provider,
                ProviderErrorCodes.InvalidResponse,
                `${req.provider} sent invalid JSON`,
                {
                  retryable: true,
                  httpStatus: response.status,
                },
              );
            }
          },
        };
      },
    );
  }
}

async function readBounded(provider: string, response: Response, max: number): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      throw new ProviderError(
        provider,
        ProviderErrorCodes.ResponseTooLarge,
        `${provider} response larger than ${max} bytes`,
      );
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
