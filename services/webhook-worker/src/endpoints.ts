/**
 * What `callWebhook` and `http.request` share around {@link sendOutbound}: the endpoint row,
 * header hygiene, signing, redaction and the client span.
 */
import type { JsonValue, Logger } from '@switchboard/common';
import { type Endpoint, findEndpoint, type Queryable } from '@switchboard/db';
import { type CredentialAccess, currentOperation, measureProviderRequest } from '@switchboard/providers';
import { currentTraceHeaders, SpanKind, type Tracer, withSpan } from '@switchboard/telemetry';
import type { OAuth2TokenCache } from './oauth2-cache.js';
import { OutboundError, type OutboundRequest, type OutboundResponse, sendOutbound } from './outbound.js';
import { Signing, signatureHeader } from './signing.js';

/** Dependencies of the webhook worker's activities (a `ProviderWorkerContext` fits). */
export interface WebhookDeps {
  db: Queryable;
  /** Reads `http` credentials (auth, signing) and records what endpoints thought of them. */
  credentials: CredentialAccess;
  tracer: Tracer;
  /** Receives no secrets: only endpoint names, statuses and policy decisions are logged. */
  log?: Pick<Logger, 'warn' | 'debug'>;
  /** Largest response body read, in bytes; larger responses fail the call. */
  maxResponseBytes: number;
  /** Redirects `http.request` follows (default 5). Webhooks never follow redirects. */
  maxRedirects?: number;
  /** OAuth2 access tokens kept between calls (one per worker process; made when absent). */
  oauth2?: OAuth2TokenCache;
}

/** Header names whose values are credentials wherever they come from (origin-bound, redacted). */
const SECRET_HEADER_NAMES = new Set(['authorization', 'proxy-authorization', 'cookie', 'x-api-key', 'api-key']);

/** Headers this worker sets itself; literal headers cannot override them. */
const MANAGED_HEADER_NAMES = new Set([
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'te',
  'trailer',
  'expect',
  'idempotency-key',
  'traceparent',
  'tracestate',
  Signing.Header.toLowerCase(),
  Signing.EndpointCredentialHeader,
]);

/** True for header names the worker sets itself (they cannot come from configuration). */
export function isManagedHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return MANAGED_HEADER_NAMES.has(lower) || lower === 'content-type' || lower === 'accept';
}

/** An RFC 9110 token (header names). */
export const HTTP_TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Looks up a tenant's endpoint; `undefined` when there is none of that name. */
export function loadEndpoint(db: Queryable, tenantId: string, name: string): Promise<Endpoint | undefined> {
  return findEndpoint(db, tenantId, name);
}

/** Literal headers split into plain ones and credential-like ones (which stay on the configured origin). */
export interface SplitHeaders {
  plain: Record<string, string>;
  secret: Record<string, string>;
}

/**
 * Splits literal headers (endpoint first, then the request's, later ones winning regardless
 * of case), dropping the names this worker manages. Returns the name of the first invalid
 * header instead when a name is not a token or a value holds a line break.
 */
export function literalHeaders(...sources: Record<string, string>[]): SplitHeaders | { invalid: string } {
  const merged = new Map<string, [string, string]>();
  for (const source of sources) {
    for (const [name, value] of Object.entries(source)) {
      if (!HTTP_TOKEN.test(name) || typeof value !== 'string' || /[\r\n\0]/.test(value)) return { invalid: name };
      const lower = name.toLowerCase();
      if (MANAGED_HEADER_NAMES.has(lower)) continue;
      merged.set(lower, [name, value]);
    }
  }
  const out: SplitHeaders = { plain: {}, secret: {} };
  for (const [lower, [name, value]] of merged) {
    (SECRET_HEADER_NAMES.has(lower) ? out.secret : out.plain)[name] = value;
  }
  return out;
}

/** The signing credential an endpoint asks for through its reserved header, if any. */
export function endpointSigningCredential(endpoint: Endpoint): string | undefined {
  for (const [name, value] of Object.entries(endpoint.headers ?? {})) {
    if (name.toLowerCase() === Signing.EndpointCredentialHeader && typeof value === 'string' && value !== '') {
      return value;
    }
  }
  return undefined;
}

/** A `sign` hook for {@link sendOutbound}: one timestamp for the exchange, the hop's body signed. */
export function signer(secret: string, nowMs: number = Date.now()): (body: string) => Record<string, string> {
  return (body) => ({ [Signing.Header]: signatureHeader(secret, body, nowMs) });
}

/** W3C trace headers of the active span (empty ones left out). */
export function traceHeaders(): Record<string, string> {
  const trace = currentTraceHeaders();
  const out: Record<string, string> = {};
  if (trace.traceparent) out.traceparent = trace.traceparent;
  if (trace.tracestate) out.tracestate = trace.tracestate;
  return out;
}

/**
 * Sends under a client span named `<METHOD> <endpoint>`. Attributes carry the method, host,
 * endpoint name, status and redirect count: never headers, query or body (credentials, PII).
 * Each send is one `switchboard_provider_request_duration_seconds` observation (provider
 * `webhook`, the activity's operation; never the tenant-chosen endpoint name).
 */
export function sendWithSpan(tracer: Tracer, endpoint: Endpoint, request: OutboundRequest): Promise<OutboundResponse> {
  return measureProviderRequest(
    { provider: 'webhook', operation: currentOperation() ?? 'webhook' },
    () => sendWithSpanOnce(tracer, endpoint, request),
    (err) => (err instanceof OutboundError ? err.reason : 'error'),
  );
}

function sendWithSpanOnce(tracer: Tracer, endpoint: Endpoint, request: OutboundRequest): Promise<OutboundResponse> {
  return withSpan(
    tracer,
    `${request.method} ${endpoint.name}`,
    {
      kind: SpanKind.CLIENT,
      attributes: {
        'http.request.method': request.method,
        'server.address': request.url.hostname,
        'switchboard.endpoint': endpoint.name,
      },
    },
    async (span) => {
      // Trace context is read inside the span so the endpoint sees this span as its parent.
      const sent = { ...request, headers: { ...request.headers, ...traceHeaders() } };
      const response = await sendOutbound(sent);
      span.setAttribute('http.response.status_code', response.status);
      if (response.redirects > 0) span.setAttribute('http.request.resend_count', response.redirects);
      return response;
    },
  );
}

/**
 * A short, single-line excerpt of a response body for error messages, with every secret this
 * request used removed (an endpoint may echo a header back in its error page).
 */
export function excerpt(text: string, secrets: readonly string[], max = 200): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= 4) out = out.split(secret).join('[redacted]');
  }
  out = out.replace(/\s+/g, ' ').trim();
  return out.length > max ? `${out.slice(0, max)}…` : out;
}

/**
 * A parsed response with every secret this request used replaced by `[redacted]` wherever a
 * string holds it: an API that echoes the request's credentials (an echo service, a token
 * introspection) must not hand them to the agent or the LLM.
 */
export function redactJson(value: JsonValue, secrets: readonly string[]): JsonValue {
  const usable = secrets.filter((secret) => secret.length >= 4);
  if (usable.length === 0) return value;
  const redact = (text: string) => usable.reduce((out, secret) => out.split(secret).join('[redacted]'), text);
  const walk = (v: JsonValue): JsonValue => {
    if (typeof v === 'string') return redact(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === 'object') {
      return Object.fromEntries(Object.entries(v).map(([key, item]) => [redact(key), walk(item)]));
    }
    return v;
  };
  return walk(value);
}

/** Parses a 2xx body: `null` when empty, JSON when the type says so, else `{ status, body }`. */
export function parseBody(response: OutboundResponse): { ok: true; value: unknown } | { ok: false } {
  if (response.text === '') return { ok: true, value: null };
  const type = response.headers.get('content-type') ?? '';
  if (!type.toLowerCase().includes('json'))
    return { ok: true, value: { status: response.status, body: response.text } };
  try {
    return { ok: true, value: JSON.parse(response.text) };
  } catch {
    return { ok: false };
  }
}
