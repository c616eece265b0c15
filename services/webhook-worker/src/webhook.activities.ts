import type { WebhookActivities, WebhookCall } from '@switchboard/chains';
import { toApplicationFailure } from '@switchboard/chains';
import { type JsonValue, SwitchboardError } from '@switchboard/common';
import { type Endpoint, findEndpoint, type Queryable } from '@switchboard/db';
import { currentTraceHeaders, SpanKind, type Tracer, withSpan } from '@switchboard/telemetry';
import { ApplicationFailure } from '@temporalio/common';
import { firstNonPublicAddress } from './address-policy.js';

/** Dependencies of the webhook activities (injected so tests can pass their own). */
export interface WebhookDeps {
  db: Queryable;
  tracer: Tracer;
  maxResponseBytes: number;
  fetch?: typeof fetch;
}

/** Stable codes of webhook failures. */
export const WebhookErrorCodes = {
  EndpointNotFound: 'endpoint_not_found',
  EndpointForbidden: 'endpoint_forbidden',
  Unreachable: 'webhook_unreachable',
  Timeout: 'webhook_timeout',
  RateLimited: 'webhook_rate_limited',
  ServerError: 'webhook_server_error',
  Rejected: 'webhook_rejected',
  Unauthorized: 'webhook_unauthorized',
  ResponseTooLarge: 'webhook_response_too_large',
} as const;

/** Builds the activities served on the webhook task queue. */
export function createWebhookActivities(deps: WebhookDeps): WebhookActivities {
  const doFetch = deps.fetch ?? fetch;
  return {
    async callWebhook(call: WebhookCall): Promise<JsonValue> {
      try {
        const endpoint = await findEndpoint(deps.db, call.tenantId, call.endpoint);
        if (!endpoint) {
          throw new SwitchboardError(
            WebhookErrorCodes.EndpointNotFound,
            `webhook endpoint '${call.endpoint}' is not configured for this tenant`,
          );
        }
        return await send(deps, doFetch, endpoint, call);
      } catch (err) {
        throw toFailure(err);
      }
    },
  };
}

class RetryAfter extends SwitchboardError {
  constructor(
    code: string,
    message: string,
    readonly delayMs: number | undefined,
  ) {
    super(code, message, { retryable: true });
  }
}

async function send(
  deps: WebhookDeps,
  doFetch: typeof fetch,
  endpoint: Endpoint,
  call: WebhookCall,
): Promise<JsonValue> {
  const url = new URL(endpoint.url);
  if (!endpoint.allowPrivate) {
    const bad = await firstNonPublicAddress(url.hostname);
    if (bad !== undefined) {
      throw new SwitchboardError(
        WebhookErrorCodes.EndpointForbidden,
        `endpoint '${endpoint.name}' resolves to a non-public address (${bad}); allow it explicitly in the endpoint settings`,
      );
    }
  }
  const method = endpoint.method.toUpperCase();
  return withSpan(
    deps.tracer,
    `${method} ${endpoint.name}`,
    {
      kind: SpanKind.CLIENT,
      attributes: {
        'http.request.method': method,
        'server.address': url.hostname,
        'switchboard.endpoint': endpoint.name,
      },
    },
    async (span) => {
      const trace = currentTraceHeaders();
      const headers: Record<string, string> = {
        ...endpoint.headers,
        'content-type': 'application/json',
        accept: 'application/json',
        // Lets the receiver drop a repeat if our retry crosses its success.
        'idempotency-key': `${call.intentId}:${call.stepPointer}`,
        traceparent: trace.traceparent,
      };
      if (trace.tracestate) headers.tracestate = trace.tracestate;
      let response: Response;
      try {
        response = await doFetch(url, {
          method,
          headers,
          ...(method === 'GET' || method === 'HEAD' ? {} : { body: JSON.stringify(call.payload) }),
          signal: AbortSignal.timeout(endpoint.timeoutMs),
          redirect: 'manual',
        });
      } catch (err) {
        const name = (err as Error).name;
        if (name === 'TimeoutError' || name === 'AbortError') {
          throw new SwitchboardError(
            WebhookErrorCodes.Timeout,
            `'${endpoint.name}' did not answer within ${endpoint.timeoutMs} ms`,
            {
              retryable: true,
            },
          );
        }
        throw new SwitchboardError(
          WebhookErrorCodes.Unreachable,
          `'${endpoint.name}' is unreachable: ${(err as Error).message}`,
          {
            retryable: true,
            cause: err,
          },
        );
      }
      span.setAttribute('http.response.status_code', response.status);
      const text = await readBounded(response, deps.maxResponseBytes);
      if (response.status === 429 || response.status >= 500) {
        const code = response.status === 429 ? WebhookErrorCodes.RateLimited : WebhookErrorCodes.ServerError;
        throw new RetryAfter(
          code,
          `'${endpoint.name}' answered ${response.status}`,
          retryAfterMs(response.headers.get('retry-after')),
        );
      }
      if (response.status === 401 || response.status === 403) {
        throw new SwitchboardError(
          WebhookErrorCodes.Unauthorized,
          `'${endpoint.name}' refused our credentials (${response.status})`,
        );
      }
      if (response.status >= 300) {
        throw new SwitchboardError(
          WebhookErrorCodes.Rejected,
          `'${endpoint.name}' answered ${response.status}: ${text.slice(0, 200)}`,
        );
      }
      if (text === '') return null;
      const type = response.headers.get('content-type') ?? '';
      if (type.includes('json')) {
        try {
          return JSON.parse(text) as JsonValue;
        } catch {
          throw new SwitchboardError(WebhookErrorCodes.Rejected, `'${endpoint.name}' sent invalid JSON`);
        }
      }
      return { status: response.status, body: text };
    },
  );
}

async function readBounded(response: Response, max: number): Promise<string> {
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
      throw new SwitchboardError(WebhookErrorCodes.ResponseTooLarge, `response larger than ${max} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** `Retry-After` as seconds or an HTTP date, in milliseconds; undefined when absent or bad. */
export function retryAfterMs(value: string | null, now: number = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds * 1000, 3_600_000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.min(date - now, 3_600_000));
}

function toFailure(err: unknown): ApplicationFailure {
  if (err instanceof RetryAfter && err.delayMs !== undefined) {
    return ApplicationFailure.create({
      type: err.code,
      message: err.message,
      nonRetryable: false,
      nextRetryDelay: err.delayMs,
    });
  }
  return toApplicationFailure(err);
}
