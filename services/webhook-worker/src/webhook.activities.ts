import { BuiltinOperations } from '@switchboard/actions';
import type { ProviderActivities, ProviderCall, WebhookActivities, WebhookCall } from '@switchboard/chains';
import type { JsonValue } from '@switchboard/common';
import type { Endpoint } from '@switchboard/db';
import {
  noteSandboxEffect,
  ProviderError,
  recordIrreversibleEffects,
  retryAfterMs,
  toActivityFailure,
} from '@switchboard/providers';
import {
  endpointSigningCredential,
  excerpt,
  literalHeaders,
  loadEndpoint,
  parseBody,
  sendWithSpan,
  signer,
  type WebhookDeps,
} from './endpoints.js';
import { runHttpRequest } from './http-request.js';
import { OAuth2TokenCache } from './oauth2-cache.js';
import { OutboundError, type OutboundFailure, OutboundFailures, type OutboundResponse } from './outbound.js';
import { Signing } from './signing.js';

export type { WebhookDeps } from './endpoints.js';

/** Provider name on webhook errors. */
const PROVIDER = 'webhook';

/** Why a test call's custom HTTP call is not undone: the receiver's semantics are unknown. */
const IRREVERSIBLE_REASON = 'a custom HTTP call cannot be undone generically';

/** Stable codes of webhook failures (unchanged: stored in action runs and shown to tenants). */
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

/** The activities of the webhook task queue: `callWebhook` and the `http.request` operation. */
export interface WebhookWorkerActivities extends WebhookActivities {
  [BuiltinOperations.HttpRequest]: (call: ProviderCall) => Promise<JsonValue>;
}

/**
 * Builds the activities served on the webhook task queue. Every failure leaves as a Temporal
 * failure with an explicit retry decision (`toActivityFailure`): a `Retry-After` becomes the
 * next retry delay.
 */
export function createWebhookActivities(deps: WebhookDeps): WebhookWorkerActivities {
  // One token cache for every call this worker makes: tokens are reused across calls.
  const withTokens = { ...deps, oauth2: deps.oauth2 ?? new OAuth2TokenCache() };
  // A test call's request is recorded as irreversible once it succeeded (the clean-up report lists it).
  const httpRequest = recordIrreversibleEffects(
    deps.db,
    { [BuiltinOperations.HttpRequest]: (call) => runHttpRequest(withTokens, call) },
    {
      [BuiltinOperations.HttpRequest]: {
        provider: 'http',
        reason: IRREVERSIBLE_REASON,
        describe: (call) => `custom HTTP call (${describeEndpoint(call.payload)})`,
      },
    },
  )[BuiltinOperations.HttpRequest] as (call: ProviderCall) => Promise<JsonValue>;
  return {
    async callWebhook(call: WebhookCall): Promise<JsonValue> {
      try {
        const result = await callWebhook(deps, call);
        if (call.sandbox && call.conversationId !== undefined) {
          await noteSandboxEffect(
            deps.db,
            { ...call, conversationId: call.conversationId, operation: 'webhook', sandbox: true },
            'http',
            { irreversible: IRREVERSIBLE_REASON, description: `webhook '${call.endpoint}'` },
          );
        }
        return result;
      } catch (err) {
        throw toActivityFailure(err);
      }
    },
    async [BuiltinOperations.HttpRequest](call: ProviderCall): Promise<JsonValue> {
      try {
        return await httpRequest(call);
      } catch (err) {
        throw toActivityFailure(err);
      }
    },
  };
}

/** `METHOD endpoint` of an `http.request` payload, for the clean-up report. */
function describeEndpoint(payload: JsonValue): string {
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) return '?';
  const method = typeof payload.method === 'string' ? payload.method : '?';
  const endpoint = typeof payload.endpoint === 'string' ? payload.endpoint : '?';
  return `${method} ${endpoint}`;
}

/**
 * The activities keyed by activity type, as `runProviderWorker` registers them. Temporal
 * dispatches by name and passes what the workflow sent, so `callWebhook` still receives the
 * `WebhookCall` its workflow proxy sends; only the static type is widened here.
 */
export function asProviderActivities(activities: WebhookWorkerActivities): ProviderActivities {
  return activities as unknown as ProviderActivities;
}

/**
 * POSTs (or the endpoint's method) the payload as JSON to the endpoint URL. Redirects are not
 * followed (a 3xx is a rejection, as before); a non-public address is refused unless the
 * endpoint allows it. Signed when the endpoint names a signing credential.
 */
async function callWebhook(deps: WebhookDeps, call: WebhookCall): Promise<JsonValue> {
  const endpoint = await loadEndpoint(deps.db, call.tenantId, call.endpoint);
  if (!endpoint) {
    throw new ProviderError(
      PROVIDER,
      WebhookErrorCodes.EndpointNotFound,
      `webhook endpoint '${call.endpoint}' is not configured for this tenant`,
    );
  }
  let url: URL;
  try {
    url = new URL(endpoint.url);
  } catch {
    throw new ProviderError(PROVIDER, WebhookErrorCodes.Rejected, `endpoint '${endpoint.name}' has an invalid URL`);
  }
  const method = endpoint.method.toUpperCase();
  const literal = literalHeaders(endpoint.headers ?? {});
  if ('invalid' in literal) {
    throw new ProviderError(PROVIDER, WebhookErrorCodes.Rejected, `endpoint header '${literal.invalid}' is invalid`);
  }
  const secrets: string[] = [];
  const signingCredential = endpointSigningCredential(endpoint);
  let sign: ((body: string) => Record<string, string>) | undefined;
  if (signingCredential !== undefined) {
    const secret = (await deps.credentials.get(call.tenantId, signingCredential, 'http'))[Signing.SecretField];
    if (!secret) {
      throw new ProviderError(
        PROVIDER,
        WebhookErrorCodes.Rejected,
        `credential '${signingCredential}' has no '${Signing.SecretField}' field to sign with`,
      );
    }
    secrets.push(secret);
    sign = signer(secret);
  }
  const body = method === 'GET' || method === 'HEAD' ? undefined : JSON.stringify(call.payload);
  let response: OutboundResponse;
  try {
    response = await sendWithSpan(deps.tracer, endpoint, {
      method,
      url,
      headers: {
        ...literal.plain,
        'content-type': 'application/json',
        accept: 'application/json',
        // Lets the receiver drop a repeat if our retry crosses its success.
        'idempotency-key': `${call.intentId}:${call.stepPointer}`,
      },
      secretHeaders: literal.secret,
      ...(body === undefined ? {} : { body }),
      ...(sign === undefined ? {} : { sign }),
      timeoutMs: endpoint.timeoutMs,
      maxResponseBytes: deps.maxResponseBytes,
      allowPrivate: endpoint.allowPrivate,
      maxRedirects: 0,
    });
  } catch (err) {
    if (err instanceof OutboundError) throw webhookFailure(endpoint, err);
    throw err;
  }
  return judge(endpoint, response, secrets);
}

function judge(endpoint: Endpoint, response: OutboundResponse, secrets: string[]): JsonValue {
  const name = `'${endpoint.name}'`;
  const status = response.status;
  if (status === 429 || status >= 500) {
    const code = status === 429 ? WebhookErrorCodes.RateLimited : WebhookErrorCodes.ServerError;
    const retryAfter = retryAfterMs(response.headers.get('retry-after'));
    throw new ProviderError(PROVIDER, code, `${name} answered ${status}`, {
      retryable: true,
      httpStatus: status,
      ...(retryAfter === undefined ? {} : { retryAfterMs: retryAfter }),
    });
  }
  if (status === 401 || status === 403) {
    throw new ProviderError(PROVIDER, WebhookErrorCodes.Unauthorized, `${name} refused our credentials (${status})`, {
      httpStatus: status,
    });
  }
  if (status >= 300 || status < 200) {
    throw new ProviderError(
      PROVIDER,
      WebhookErrorCodes.Rejected,
      `${name} answered ${status}: ${excerpt(response.text, secrets)}`,
      {
        httpStatus: status,
      },
    );
  }
  const parsed = parseBody(response);
  if (!parsed.ok) throw new ProviderError(PROVIDER, WebhookErrorCodes.Rejected, `${name} sent invalid JSON`);
  return parsed.value as JsonValue;
}

function webhookFailure(endpoint: Endpoint, err: OutboundError): ProviderError {
  const name = `'${endpoint.name}'`;
  const map: Record<OutboundFailure, () => ProviderError> = {
    [OutboundFailures.Forbidden]: () =>
      new ProviderError(
        PROVIDER,
        WebhookErrorCodes.EndpointForbidden,
        `endpoint ${name} is refused by the address policy (${err.message}); allow it explicitly in the endpoint settings`,
      ),
    [OutboundFailures.Timeout]: () =>
      new ProviderError(PROVIDER, WebhookErrorCodes.Timeout, `${name} did not answer within ${endpoint.timeoutMs} ms`, {
        retryable: true,
      }),
    [OutboundFailures.Unreachable]: () =>
      new ProviderError(PROVIDER, WebhookErrorCodes.Unreachable, `${name} is unreachable: ${err.message}`, {
        retryable: true,
        cause: err,
      }),
    [OutboundFailures.TooLarge]: () => new ProviderError(PROVIDER, WebhookErrorCodes.ResponseTooLarge, err.message),
    [OutboundFailures.TooManyRedirects]: () => new ProviderError(PROVIDER, WebhookErrorCodes.Rejected, err.message),
    [OutboundFailures.Invalid]: () =>
      new ProviderError(PROVIDER, WebhookErrorCodes.Rejected, `${name}: ${err.message}`),
  };
  return map[err.reason]();
}
