/**
 * The `http.request` operation: a custom API call behind a tenant endpoint (built-in action
 * kind `custom_api`).
 *
 * Contract (payload = `HttpRequestInput` of `@switchboard/actions`, plus `signing`):
 * - `endpoint` names a row of the tenant's endpoint table; its URL is the base, `path` (parts,
 *   see `buildRequestPath`) is appended to its path, `query` is added to its query (`null`
 *   values left out; others rendered like template text). The endpoint's `method` is not used:
 *   the payload's is. A path that would climb out of the base (`.`/`..` segments) is refused.
 * - Headers: the endpoint's headers, then the payload's (later wins, case-insensitive); the
 *   worker sets `accept`, `content-type` (with a body), `idempotency-key`
 *   (`<intentId>:<stepPointer>`), trace context, auth and signature itself.
 * - `auth` reads an `http` credential ({@link HttpCredentialFields}):
 *   `bearer` → `Authorization: Bearer <token>` (prefix added unless the token has it);
 *   `basic` → `Authorization: Basic base64(username:password)`, refused over plain `http:`
 *   unless the endpoint has `allow_private` AND its host resolves only to private/loopback
 *   addresses; `api_key` → the key in the header `auth.header` (default `X-API-Key`);
 *   `oauth2` → `Authorization: Bearer <access token>` from the client-credentials grant
 *   (`oauth2.ts`): the token is cached per (tenant, credential) and, when the API answers 401,
 *   renewed once and the request sent once more.
 * - `signing: { credential }` (or the endpoint header `x-switchboard-signing-credential`)
 *   signs the request, see `signing.ts`; the payload's wins.
 * - `timeout_ms` bounds the whole exchange (a token request and a renewed attempt included) and
 *   is itself bounded by the endpoint's timeout.
 * - Result: the parsed JSON body (`null` when empty, `{ status, body }` when not JSON), or
 *   `applyResponseMapping(result, response_mapping)` when a mapping is given; any secret the
 *   request used (token, password, key, client secret) echoed in it is redacted.
 * - Failures use the provider kit's codes ({@link HttpRequestErrorCodes}): non-2xx through
 *   `errorForStatus` (429/5xx retryable with Retry-After; 401/403 terminal and the credential
 *   marked `auth_failed`); refused addresses `endpoint_forbidden`; bad payloads
 *   `provider_invalid_input`.
 */
import {
  applyResponseMapping,
  buildRequestPath,
  type HttpAuth,
  type HttpRequestInput,
  stringifyForTemplate,
} from '@switchboard/actions';
import type { ProviderCall } from '@switchboard/chains';
import type { JsonValue } from '@switchboard/common';
import type { Endpoint } from '@switchboard/db';
import { errorForStatus, markCredentialOk, ProviderError, ProviderErrorCodes } from '@switchboard/providers';
import { isLocalOnlyHost } from './address-policy.js';
import {
  endpointSigningCredential,
  excerpt,
  HTTP_TOKEN,
  isManagedHeader,
  literalHeaders,
  loadEndpoint,
  parseBody,
  redactJson,
  sendWithSpan,
  signer,
  type WebhookDeps,
} from './endpoints.js';
import { type OAuth2Access, oauth2Access } from './oauth2.js';
import type { OAuth2TokenCache } from './oauth2-cache.js';
import { OutboundError, type OutboundFailure, OutboundFailures, type OutboundResponse } from './outbound.js';
import { Signing } from './signing.js';

/** Provider name on `http.request` errors and credential reads. */
const PROVIDER = 'http';

/** Stable codes of `http.request` failures: the provider kit's, plus the endpoint's own. */
export const HttpRequestErrorCodes = {
  ...ProviderErrorCodes,
  /** No endpoint of that name for the tenant (terminal). */
  EndpointNotFound: 'endpoint_not_found',
  /** The address policy refused a hop, or basic auth over plain http (terminal). */
  EndpointForbidden: 'endpoint_forbidden',
} as const;

/**
 * The secret fields of an `http` credential, by use. A credential used for `basic` must hold
 * `username` and `password`; one used for signing holds `secret`; and so on.
 */
export const HttpCredentialFields = {
  bearer: ['token'],
  basic: ['username', 'password'],
  api_key: ['key'],
  oauth2: ['token_url', 'client_id', 'client_secret'],
  signing: [Signing.SecretField],
} as const;

/** Default header of `api_key` auth when the configuration names none. */
export const DEFAULT_API_KEY_HEADER = 'X-API-Key';

/** Request signing of an `http.request`: the `http` credential holding `{ secret }`. */
export interface HttpRequestSigning {
  credential: string;
}

/** The payload `http.request` accepts. */
export type HttpRequestPayload = HttpRequestInput & { signing?: HttpRequestSigning };

/** Redirects followed by default. */
export const DEFAULT_MAX_REDIRECTS = 5;

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
const BODYLESS = new Set(['GET', 'DELETE']);

/** Runs one `http.request` (errors thrown as {@link ProviderError}s). */
export async function runHttpRequest(
  deps: WebhookDeps & { oauth2: OAuth2TokenCache },
  call: ProviderCall,
): Promise<JsonValue> {
  const input = parsePayload(call.payload);
  const endpoint = await loadEndpoint(deps.db, call.tenantId, input.endpoint);
  if (!endpoint) {
    throw new ProviderError(
      PROVIDER,
      HttpRequestErrorCodes.EndpointNotFound,
      `endpoint '${input.endpoint}' is not configured for this tenant`,
    );
  }
  const url = requestUrl(endpoint, input);
  const timeoutMs = Math.max(1, Math.min(input.timeout_ms ?? endpoint.timeoutMs, endpoint.timeoutMs));
  const deadline = Date.now() + timeoutMs;
  const remainingMs = () => Math.max(1, deadline - Date.now());
  const secrets: string[] = [];
  const oauth2 =
    input.auth.type === 'oauth2'
      ? await oauth2Access(deps, call.tenantId, input.auth.credential, endpoint, remainingMs, secrets)
      : undefined;
  const auth = await authHeaders(deps, call.tenantId, input.auth, secrets, oauth2);
  if (input.auth.type === 'basic' && url.protocol === 'http:') {
    const local = endpoint.allowPrivate && (await isLocalOnlyHost(url.hostname).catch(() => false));
    if (!local) {
      throw new ProviderError(
        PROVIDER,
        HttpRequestErrorCodes.EndpointForbidden,
        `endpoint '${endpoint.name}': basic auth over plain http is refused; use an https URL`,
      );
    }
  }
  const signingCredential = input.signing?.credential ?? endpointSigningCredential(endpoint);
  let sign: ((body: string) => Record<string, string>) | undefined;
  if (signingCredential !== undefined) {
    const secret = await credentialField(deps, call.tenantId, signingCredential, Signing.SecretField, 'signing');
    secrets.push(secret);
    sign = signer(secret);
  }
  const literal = literalHeaders(endpoint.headers ?? {}, input.headers);
  if ('invalid' in literal) {
    throw invalid(`header '${literal.invalid}' has an invalid name or value`);
  }
  // The auth header wins over a literal header of the same name, whatever its case.
  const authNames = new Set(Object.keys(auth).map((n) => n.toLowerCase()));
  for (const group of [literal.plain, literal.secret]) {
    for (const name of Object.keys(group)) if (authNames.has(name.toLowerCase())) delete group[name];
  }
  const body = input.body === undefined ? undefined : JSON.stringify(input.body);
  const headers: Record<string, string> = {
    ...literal.plain,
    accept: 'application/json',
    // Lets the API drop a repeat if our retry crosses its success.
    'idempotency-key': `${call.intentId}:${call.stepPointer}`,
    ...(body === undefined ? {} : { 'content-type': 'application/json' }),
  };
  const credentialName = input.auth.type === 'none' ? signingCredential : input.auth.credential;

  const send = async (authorization: Record<string, string>): Promise<OutboundResponse> => {
    try {
      return await sendWithSpan(deps.tracer, endpoint, {
        method: input.method,
        url,
        headers,
        secretHeaders: { ...literal.secret, ...authorization },
        ...(body === undefined ? {} : { body }),
        ...(sign === undefined ? {} : { sign }),
        timeoutMs: remainingMs(),
        maxResponseBytes: deps.maxResponseBytes,
        allowPrivate: endpoint.allowPrivate,
        maxRedirects: deps.maxRedirects ?? DEFAULT_MAX_REDIRECTS,
      });
    } catch (err) {
      if (err instanceof OutboundError) {
        if (err.reason === OutboundFailures.Forbidden) {
          deps.log?.warn(
            { endpoint: endpoint.name, reason: err.message },
            'http.request refused by the address policy',
          );
        }
        throw outboundFailure(endpoint, err, timeoutMs);
      }
      throw err;
    }
  };
  let response = await send(auth);
  if (response.status === 401 && oauth2 !== undefined && auth.authorization !== undefined) {
    // The token may have been revoked or expired early: renew it once and send once more.
    deps.log?.debug({ endpoint: endpoint.name }, 'http.request: OAuth2 token refused (401), renewing it once');
    oauth2.refused(auth.authorization.slice('Bearer '.length));
    response = await send({ authorization: `Bearer ${await oauth2.token()}` });
  }

  deps.log?.debug(
    { endpoint: endpoint.name, method: input.method, status: response.status, redirects: response.redirects },
    'http.request answered',
  );
  if (response.status < 200 || response.status >= 300) {
    const error = errorForStatus(endpoint.name, response.status, excerpt(response.text, secrets), response.headers);
    if ((response.status === 401 || response.status === 403) && credentialName !== undefined) {
      await deps.credentials.authFailed(
        call.tenantId,
        credentialName,
        `endpoint '${endpoint.name}' answered ${response.status}`,
      );
    }
    throw error;
  }
  // The endpoint did what was asked: a failure to record the credential's status must not undo that.
  if (credentialName !== undefined) {
    await markCredentialOk(deps.credentials, deps.log, {
      tenantId: call.tenantId,
      credential: credentialName,
      provider: endpoint.name,
    });
  }
  const parsed = parseBody(response);
  if (!parsed.ok) {
    // Terminal: the API did what it does (2xx); repeating a write to get readable JSON is worse.
    throw new ProviderError(
      PROVIDER,
      HttpRequestErrorCodes.InvalidResponse,
      `endpoint '${endpoint.name}' sent invalid JSON`,
      {
        httpStatus: response.status,
      },
    );
  }
  const result = redactJson(parsed.value as JsonValue, secrets);
  return input.response_mapping === undefined ? result : applyResponseMapping(result, input.response_mapping);
}

/** The endpoint URL with the payload's path appended and its query added. */
export function requestUrl(
  endpoint: Pick<Endpoint, 'name' | 'url'>,
  input: Pick<HttpRequestInput, 'path' | 'query'>,
): URL {
  let url: URL;
  try {
    url = new URL(endpoint.url);
  } catch {
    throw invalid(`endpoint '${endpoint.name}' has an invalid URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw invalid(`endpoint '${endpoint.name}' is not an http(s) URL`);
  }
  if (input.path !== undefined) {
    const path = buildRequestPath(input.path);
    // Values are percent-encoded, but a value of '.' or '..' stays a dot segment, which URL
    // parsing resolves: refused, so a value can never climb out of the endpoint's base path.
    if (path.split('/').some((segment) => /^(?:\.|%2e){1,2}$/i.test(segment))) {
      throw invalid(`the request path has a '.' or '..' segment`);
    }
    if (path !== '' && !path.startsWith('/')) throw invalid(`the request path must start with '/'`);
    url.pathname = `${url.pathname.replace(/\/+$/, '')}${path}`;
  }
  for (const [name, value] of Object.entries(input.query ?? {})) {
    if (value === null || value === undefined) continue;
    url.searchParams.append(name, stringifyForTemplate(value));
  }
  url.hash = '';
  return url;
}

async function authHeaders(
  deps: WebhookDeps,
  tenantId: string,
  auth: HttpAuth,
  secrets: string[],
  oauth2: OAuth2Access | undefined,
): Promise<Record<string, string>> {
  switch (auth.type) {
    case 'none':
      return {};
    case 'oauth2':
      if (oauth2 === undefined) throw invalid(`credential '${auth.credential}': no OAuth2 access`);
      return { authorization: `Bearer ${await oauth2.token()}` };
    case 'bearer': {
      const token = await credentialField(deps, tenantId, auth.credential, 'token', 'bearer');
      const bare = token.replace(/^bearer\s+/i, '');
      secrets.push(bare);
      return { authorization: `Bearer ${bare}` };
    }
    case 'basic': {
      const username = await credentialField(deps, tenantId, auth.credential, 'username', 'basic');
      const password = await credentialField(deps, tenantId, auth.credential, 'password', 'basic');
      // RFC 7617: the user-id cannot contain a colon (the receiver would split it wrongly).
      if (username.includes(':')) throw invalid(`credential '${auth.credential}': a basic username cannot contain ':'`);
      const encoded = Buffer.from(`${username}:${password}`, 'utf8').toString('base64');
      secrets.push(password, encoded);
      return { authorization: `Basic ${encoded}` };
    }
    case 'api_key': {
      const header = auth.header ?? DEFAULT_API_KEY_HEADER;
      const key = await credentialField(deps, tenantId, auth.credential, 'key', 'api_key');
      secrets.push(key);
      return { [header]: key };
    }
  }
}

async function credentialField(
  deps: WebhookDeps,
  tenantId: string,
  name: string,
  field: string,
  use: keyof typeof HttpCredentialFields,
): Promise<string> {
  const secret = await deps.credentials.get(tenantId, name, 'http');
  const value = secret[field];
  if (typeof value !== 'string' || value === '') {
    throw invalid(
      `credential '${name}' has no '${field}' field (${use} needs ${HttpCredentialFields[use].join(' and ')})`,
    );
  }
  if (/[\r\n\0]/.test(value) && use !== 'signing') throw invalid(`credential '${name}': '${field}' holds a line break`);
  return value;
}

function outboundFailure(endpoint: Endpoint, err: OutboundError, timeoutMs: number): ProviderError {
  const name = `endpoint '${endpoint.name}'`;
  const map: Record<OutboundFailure, () => ProviderError> = {
    [OutboundFailures.Forbidden]: () =>
      new ProviderError(PROVIDER, HttpRequestErrorCodes.EndpointForbidden, `${name}: ${err.message}`),
    [OutboundFailures.Timeout]: () =>
      new ProviderError(PROVIDER, HttpRequestErrorCodes.Timeout, `${name} did not answer within ${timeoutMs} ms`, {
        retryable: true,
      }),
    [OutboundFailures.Unreachable]: () =>
      new ProviderError(PROVIDER, HttpRequestErrorCodes.Unavailable, `${name}: ${err.message}`, {
        retryable: true,
        cause: err,
      }),
    [OutboundFailures.TooLarge]: () =>
      new ProviderError(PROVIDER, HttpRequestErrorCodes.ResponseTooLarge, `${name}: ${err.message}`),
    [OutboundFailures.TooManyRedirects]: () =>
      new ProviderError(PROVIDER, HttpRequestErrorCodes.Rejected, `${name}: ${err.message}`),
    [OutboundFailures.Invalid]: () =>
      new ProviderError(PROVIDER, HttpRequestErrorCodes.InvalidInput, `${name}: ${err.message}`),
  };
  return map[err.reason]();
}

function invalid(message: string): ProviderError {
  return new ProviderError(PROVIDER, HttpRequestErrorCodes.InvalidInput, message);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Checks the resolved payload's shape; every problem is terminal (the chain built it wrong). */
export function parsePayload(payload: JsonValue): HttpRequestPayload {
  if (!isObject(payload)) throw invalid('the http.request payload must be an object');
  const { endpoint, path, query, headers, auth, body, timeout_ms, response_mapping, signing } = payload;
  if (typeof endpoint !== 'string' || endpoint === '') throw invalid(`'endpoint' must be an endpoint name`);
  const method = typeof payload.method === 'string' ? payload.method.toUpperCase() : payload.method;
  if (!METHODS.includes(method as (typeof METHODS)[number])) {
    throw invalid(`'method' must be one of ${METHODS.join(', ')}`);
  }
  if (path !== undefined && !Array.isArray(path)) throw invalid(`'path' must be a list of parts`);
  if (query !== undefined && !isObject(query)) throw invalid(`'query' must be an object`);
  if (headers !== undefined && (!isObject(headers) || Object.values(headers).some((v) => typeof v !== 'string'))) {
    throw invalid(`'headers' must be an object of strings`);
  }
  if (body !== undefined && BODYLESS.has(method as string)) throw invalid(`a ${String(method)} request has no body`);
  if (timeout_ms !== undefined && (typeof timeout_ms !== 'number' || !(timeout_ms > 0))) {
    throw invalid(`'timeout_ms' must be a positive number`);
  }
  if (
    response_mapping !== undefined &&
    (!isObject(response_mapping) || Object.values(response_mapping).some((v) => typeof v !== 'string'))
  ) {
    throw invalid(`'response_mapping' must be an object of response paths`);
  }
  if (
    signing !== undefined &&
    (!isObject(signing) || typeof signing.credential !== 'string' || signing.credential === '')
  ) {
    throw invalid(`'signing' must be { "credential": "<name>" }`);
  }
  return {
    endpoint,
    method: method as HttpRequestInput['method'],
    ...(path === undefined ? {} : { path: path as HttpRequestInput['path'] }),
    ...(query === undefined ? {} : { query: query as Record<string, JsonValue> }),
    headers: (headers ?? {}) as Record<string, string>,
    auth: parseAuth(auth),
    ...(body === undefined ? {} : { body: body as JsonValue }),
    timeout_ms: timeout_ms as number,
    ...(response_mapping === undefined ? {} : { response_mapping: response_mapping as Record<string, string> }),
    ...(signing === undefined ? {} : { signing: { credential: (signing as { credential: string }).credential } }),
  };
}

function parseAuth(auth: unknown): HttpAuth {
  if (auth === undefined || auth === null) return { type: 'none' };
  if (!isObject(auth)) throw invalid(`'auth' must be an object with a 'type'`);
  const { type, credential, header } = auth;
  if (type === 'none') return { type };
  if (type !== 'bearer' && type !== 'basic' && type !== 'api_key' && type !== 'oauth2') {
    throw invalid(`'auth.type' must be none, bearer, basic, api_key or oauth2`);
  }
  if (typeof credential !== 'string' || credential === '') throw invalid(`'auth.credential' must be a credential name`);
  if (type !== 'api_key') return { type, credential };
  if (header !== undefined && (typeof header !== 'string' || !HTTP_TOKEN.test(header) || isManagedHeader(header))) {
    throw invalid(`'auth.header' must be a header name this worker does not set itself`);
  }
  return { type, credential, header: (header as string | undefined) ?? DEFAULT_API_KEY_HEADER };
}
