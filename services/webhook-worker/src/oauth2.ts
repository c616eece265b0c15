/**
 * `oauth2` authentication of an `http.request`: the OAuth2 client-credentials grant (RFC 6749
 * §4.4) against the token URL in the credential (see `@switchboard/actions` `oauth2.ts` for the
 * credential's shape), the token cached per (tenant, credential) by {@link OAuth2TokenCache}.
 *
 * - The token request goes through the same outbound client as the API call, under the
 *   address policy of the endpoint being called (its `allow_private`), follows no redirect, and
 *   is bounded in time (what is left of the call's timeout) and size (64 KiB). A plain-http token
 *   URL is refused unless the endpoint allows private addresses and the host is local-only (the
 *   client secret never crosses a network in clear), as basic auth is.
 * - Failures: `invalid_client` / `unauthorized_client` / 401 / 403 → `provider_auth_failed`;
 *   other refusals (`invalid_scope`, `invalid_grant`, `unsupported_grant_type`, other 4xx) →
 *   `provider_rejected`; both terminal, and the credential is marked `auth_failed` with the
 *   endpoint's reason (its actions turn Error). 429 and 5xx (with `Retry-After`), timeouts and
 *   network errors are retryable. A 2xx without a usable bearer token is
 *   `provider_invalid_response`.
 * - The client secret and the tokens never appear in logs, span attributes or error messages
 *   (error texts are excerpts with every secret of the exchange redacted).
 */
import { createHash } from 'node:crypto';
import { type OAuth2ClientCredentials, parseOAuth2Credential } from '@switchboard/actions';
import type { Endpoint } from '@switchboard/db';
import { ProviderError, ProviderErrorCodes, retryAfterMs } from '@switchboard/providers';
import { SpanKind, withSpan } from '@switchboard/telemetry';
import { isLocalOnlyHost } from './address-policy.js';
import { excerpt, traceHeaders, type WebhookDeps } from './endpoints.js';
import type { OAuth2TokenCache, TokenGrant } from './oauth2-cache.js';
import { OutboundError, OutboundFailures, type OutboundResponse, sendOutbound } from './outbound.js';

/** Provider name on OAuth2 errors (the credential is an `http` one). */
const PROVIDER = 'http';

/** Largest token response read. */
export const TOKEN_RESPONSE_MAX_BYTES = 64 * 1024;

/** Code of the address policy refusing the token URL (as for the endpoint itself). */
const ENDPOINT_FORBIDDEN = 'endpoint_forbidden';

/** OAuth2 error codes that mean the client itself is refused. */
const CLIENT_REFUSED = new Set(['invalid_client', 'unauthorized_client']);

/** What an `http.request` needs to authenticate with OAuth2 and to renew its token once. */
export interface OAuth2Access {
  /** The access token to send (cached, or requested now). */
  token(): Promise<string>;
  /** The API refused `token` (401): forget it, so the next {@link token} requests a new one. */
  refused(token: string): void;
}

/**
 * OAuth2 access for one call through `endpoint` with the tenant's credential `name`.
 * `remainingMs` says how much of the call's timeout is left for a token request; every secret
 * the exchange uses (client secret, tokens) is pushed onto `secrets` for redaction.
 */
export async function oauth2Access(
  deps: WebhookDeps & { oauth2: OAuth2TokenCache },
  tenantId: string,
  name: string,
  endpoint: Pick<Endpoint, 'name' | 'allowPrivate'>,
  remainingMs: () => number,
  secrets: string[],
): Promise<OAuth2Access> {
  const parsed = parseOAuth2Credential(await deps.credentials.get(tenantId, name, 'http'));
  if (!parsed.ok) {
    throw new ProviderError(
      PROVIDER,
      ProviderErrorCodes.InvalidInput,
      `credential '${name}' is not an OAuth2 client-credentials credential: ${parsed.issues
        .map((i) => `${i.pointer.replace('/secret/', '')} ${i.message}`)
        .join('; ')}`,
    );
  }
  const client = parsed.value;
  secrets.push(client.clientSecret);
  const key = `${tenantId}\u0000${name}\u0000${endpoint.allowPrivate ? 'private' : 'public'}`;
  const variant = fingerprint(client);
  const request = () => requestToken(deps, tenantId, name, client, endpoint.allowPrivate, remainingMs());
  return {
    async token() {
      const token = await deps.oauth2.token(key, variant, request);
      secrets.push(token);
      return token;
    },
    refused: (token) => deps.oauth2.invalidate(key, token),
  };
}

/** Identifies what a token was requested with, so a changed credential gets a new token. */
function fingerprint(client: OAuth2ClientCredentials): string {
  return createHash('sha256').update(JSON.stringify(client)).digest('hex');
}

/** One client-credentials token request. */
async function requestToken(
  deps: WebhookDeps,
  tenantId: string,
  name: string,
  client: OAuth2ClientCredentials,
  allowPrivate: boolean,
  timeoutMs: number,
): Promise<TokenGrant> {
  const what = `the token endpoint of credential '${name}'`;
  const url = new URL(client.tokenUrl);
  if (url.protocol === 'http:') {
    const local = allowPrivate && (await isLocalOnlyHost(url.hostname).catch(() => false));
    if (!local) {
      throw new ProviderError(
        PROVIDER,
        ENDPOINT_FORBIDDEN,
        `${what} is a plain http URL; a client secret is only sent over https (or to a local host of an endpoint that allows private addresses)`,
      );
    }
  }
  const form = new URLSearchParams({ grant_type: 'client_credentials' });
  if (client.scope !== undefined) form.set('scope', client.scope);
  if (client.audience !== undefined) form.set('audience', client.audience);
  const secrets = [client.clientSecret, encodeURIComponent(client.clientSecret)];
  const secretHeaders: Record<string, string> = {};
  if (client.clientAuth === 'client_secret_post') {
    form.set('client_id', client.clientId);
    form.set('client_secret', client.clientSecret);
    secrets.push(new URLSearchParams({ s: client.clientSecret }).toString().slice(2));
  } else {
    // RFC 6749 §2.3.1: id and secret are form-encoded before they are joined and encoded.
    const basic = Buffer.from(`${formEncode(client.clientId)}:${formEncode(client.clientSecret)}`).toString('base64');
    secretHeaders.authorization = `Basic ${basic}`;
    secrets.push(basic);
  }

  let response: OutboundResponse;
  try {
    response = await withSpan(
      deps.tracer,
      'POST oauth2 token',
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'http.request.method': 'POST',
          'server.address': url.hostname,
          'switchboard.credential': name,
          'switchboard.oauth2.grant_type': 'client_credentials',
        },
      },
      async (span) => {
        const answer = await sendOutbound({
          method: 'POST',
          url,
          headers: {
            accept: 'application/json',
            'content-type': 'application/x-www-form-urlencoded',
            ...traceHeaders(),
          },
          secretHeaders,
          body: form.toString(),
          timeoutMs,
          maxResponseBytes: TOKEN_RESPONSE_MAX_BYTES,
          allowPrivate,
          maxRedirects: 0,
        });
        span.setAttribute('http.response.status_code', answer.status);
        return answer;
      },
    );
  } catch (err) {
    if (err instanceof OutboundError) throw outboundFailure(what, err, timeoutMs);
    throw err;
  }

  if (response.status >= 200 && response.status < 300) {
    const grant = grantOf(response.text);
    if (typeof grant === 'string') {
      throw new ProviderError(
        PROVIDER,
        ProviderErrorCodes.InvalidResponse,
        `${what} answered ${response.status} but ${grant}`,
        {
          httpStatus: response.status,
        },
      );
    }
    return grant;
  }

  const refusal = oauthError(response.text);
  const detail = refusal ? `${refusal.error}${refusal.description ? `: ${refusal.description}` : ''}` : response.text;
  const message = `${what} answered ${response.status}${detail ? ` (${excerpt(detail, secrets)})` : ''}`;
  const retryAfter = retryAfterMs(response.headers.get('retry-after'));
  const timing = { httpStatus: response.status, ...(retryAfter === undefined ? {} : { retryAfterMs: retryAfter }) };
  if (response.status === 429) {
    throw new ProviderError(PROVIDER, ProviderErrorCodes.RateLimited, message, { ...timing, retryable: true });
  }
  if (response.status >= 500) {
    throw new ProviderError(PROVIDER, ProviderErrorCodes.Unavailable, message, { ...timing, retryable: true });
  }
  deps.log?.warn({ credential: name, status: response.status, error: refusal?.error }, 'oauth2 token request refused');
  await deps.credentials.authFailed(tenantId, name, message);
  const clientRefused =
    response.status === 401 || response.status === 403 || (refusal !== undefined && CLIENT_REFUSED.has(refusal.error));
  throw new ProviderError(
    PROVIDER,
    clientRefused ? ProviderErrorCodes.AuthFailed : ProviderErrorCodes.Rejected,
    message,
    timing,
  );
}

/** `application/x-www-form-urlencoded` encoding of one value (spaces as `+`). */
function formEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2);
}

/** The grant of a 2xx token response, or what is wrong with it. */
function grantOf(text: string): TokenGrant | string {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return 'its answer is not JSON';
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return 'its answer is not a JSON object';
  const { access_token: token, token_type: type, expires_in: expiresIn } = body as Record<string, unknown>;
  if (typeof token !== 'string' || token === '' || /[\s\0]/.test(token)) return 'it holds no usable access_token';
  if (type !== undefined && (typeof type !== 'string' || type.toLowerCase() !== 'bearer')) {
    return `its token_type is ${JSON.stringify(type).slice(0, 40)}, not Bearer`;
  }
  const seconds = typeof expiresIn === 'string' && expiresIn.trim() !== '' ? Number(expiresIn) : expiresIn;
  if (typeof seconds === 'number' && Number.isFinite(seconds) && seconds >= 0) {
    return { accessToken: token, expiresInMs: seconds * 1000 };
  }
  return { accessToken: token };
}

/** The RFC 6749 §5.2 error of a refusal, when the body is one. */
function oauthError(text: string): { error: string; description?: string } | undefined {
  try {
    const body = JSON.parse(text) as { error?: unknown; error_description?: unknown };
    if (typeof body.error !== 'string' || body.error === '') return undefined;
    return {
      error: body.error.slice(0, 100),
      ...(typeof body.error_description === 'string' ? { description: body.error_description } : {}),
    };
  } catch {
    return undefined;
  }
}

function outboundFailure(what: string, err: OutboundError, timeoutMs: number): ProviderError {
  switch (err.reason) {
    case OutboundFailures.Forbidden:
      return new ProviderError(
        PROVIDER,
        ENDPOINT_FORBIDDEN,
        `${what} is refused by the address policy: ${err.message}`,
      );
    case OutboundFailures.Timeout:
      return new ProviderError(PROVIDER, ProviderErrorCodes.Timeout, `${what} did not answer within ${timeoutMs} ms`, {
        retryable: true,
      });
    case OutboundFailures.Unreachable:
      return new ProviderError(PROVIDER, ProviderErrorCodes.Unavailable, `${what}: ${err.message}`, {
        retryable: true,
        cause: err,
      });
    case OutboundFailures.TooLarge:
      return new ProviderError(PROVIDER, ProviderErrorCodes.ResponseTooLarge, `${what}: ${err.message}`);
    case OutboundFailures.TooManyRedirects:
      return new ProviderError(PROVIDER, ProviderErrorCodes.Rejected, `${what}: ${err.message}`);
    case OutboundFailures.Invalid:
      return new ProviderError(PROVIDER, ProviderErrorCodes.InvalidInput, `${what}: ${err.message}`);
  }
}
