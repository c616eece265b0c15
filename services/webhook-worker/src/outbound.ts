/**
 * The one way this worker sends HTTP to a tenant's endpoint (webhooks and `http.request`):
 * address policy checked at connect time on every hop, redirects followed by hand, one
 * deadline for the whole exchange, bounded response size, credentials kept to the configured
 * origin.
 *
 * Redirect policy:
 * - At most `maxRedirects` hops (301, 302, 303, 307, 308 with a `Location`); one more fails.
 * - `303` (and `301`/`302` after a `POST`) continue as `GET` without a body, as browsers do;
 *   `307`/`308` repeat the method and body.
 * - A redirect from `https:` to `http:` is refused, and so is a `Location` that is not an
 *   `http(s)` URL.
 * - The endpoint's `allow_private` and the request's credentials (auth and signature headers)
 *   belong to the configured ORIGIN (scheme, host, port). Once a redirect leaves that origin
 *   the rest of the chain is treated as untrusted, even if it comes back: no credentials, and
 *   every address is checked against the public-only policy. So an allow-listed internal
 *   endpoint cannot bounce a call to `169.254.169.254` or to another internal service.
 */
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { guardedLookup, isNonPublicAddress, NonPublicAddressError } from './address-policy.js';

/** Why an outbound exchange failed before an HTTP answer could be judged. */
export const OutboundFailures = {
  /** The address policy refused a hop (non-public address, or an insecure/bad redirect). */
  Forbidden: 'forbidden',
  /** The deadline passed (connecting, waiting, or reading the body). */
  Timeout: 'timeout',
  /** DNS or connection error, connection reset. */
  Unreachable: 'unreachable',
  /** The response body is larger than allowed. */
  TooLarge: 'too_large',
  /** More redirects than allowed. */
  TooManyRedirects: 'too_many_redirects',
  /** The request cannot be sent as built (e.g. a header Node refuses). */
  Invalid: 'invalid_request',
} as const;
export type OutboundFailure = (typeof OutboundFailures)[keyof typeof OutboundFailures];

/** An outbound exchange failed; `reason` says how, the message never holds header values. */
export class OutboundError extends Error {
  constructor(
    readonly reason: OutboundFailure,
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'OutboundError';
  }
}

/** One request to a tenant endpoint. */
export interface OutboundRequest {
  method: string;
  url: URL;
  /** Non-secret headers, sent on every hop. */
  headers: Record<string, string>;
  /** Credential headers: sent only while the chain stays on the configured origin. */
  secretHeaders?: Record<string, string>;
  /** The body as sent (JSON text); absent for none. */
  body?: string;
  /** Extra headers for a hop's body (the signature), added only on the configured origin. */
  sign?: (body: string) => Record<string, string>;
  /** Deadline of the whole exchange, redirects and body included. */
  timeoutMs: number;
  maxResponseBytes: number;
  /** The configured origin may resolve to non-public addresses (endpoint `allow_private`). */
  allowPrivate: boolean;
  /** Redirects to follow; 0 returns a 3xx answer as it is. */
  maxRedirects: number;
}

/** Case-insensitive access to response headers. */
export interface ResponseHeaders {
  get(name: string): string | null;
}

/** The final answer of an exchange, body read completely (bounded). */
export interface OutboundResponse {
  status: number;
  headers: ResponseHeaders;
  text: string;
  /** Where the answer came from (after redirects). */
  url: URL;
  redirects: number;
}

/** One hop of a redirect chain. */
export interface Hop {
  method: string;
  url: URL;
  body: string | undefined;
  /** Still on the configured origin, without ever having left it. */
  trusted: boolean;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * The hop a redirect leads to, `undefined` when the answer is not a redirect to follow (not a
 * redirect status, or no `Location`), or an {@link OutboundError} when the policy refuses it.
 * Pure, so the policy is testable without servers.
 */
export function nextHop(
  current: Hop,
  status: number,
  location: string | null,
  origin: string,
): Hop | OutboundError | undefined {
  if (!REDIRECTS.has(status) || location === null || location === '') return undefined;
  let url: URL;
  try {
    url = new URL(location, current.url);
  } catch {
    return new OutboundError(OutboundFailures.Forbidden, `redirect to an invalid location`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return new OutboundError(OutboundFailures.Forbidden, `redirect to a ${url.protocol} URL refused`);
  }
  if (current.url.protocol === 'https:' && url.protocol === 'http:') {
    return new OutboundError(OutboundFailures.Forbidden, `redirect from https to plain http refused (${url.host})`);
  }
  url.hash = '';
  const toGet =
    status === 303 ? current.method !== 'HEAD' : (status === 301 || status === 302) && current.method === 'POST';
  return {
    method: toGet ? 'GET' : current.method,
    url,
    body: toGet ? undefined : current.body,
    trusted: current.trusted && url.origin === origin,
  };
}

// Two pools: sockets of the "open" pool were made for a trusted, allow-listed origin; every
// other socket was checked by the guarded lookup when it connected, so a reused keep-alive
// socket never skips the check that applies to the request using it.
const agents = {
  guarded: {
    http: new http.Agent({ keepAlive: true, lookup: guardedLookup } as http.AgentOptions),
    https: new https.Agent({ keepAlive: true, lookup: guardedLookup } as https.AgentOptions),
  },
  open: { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) },
};

/** Sends a request, following redirects under the policy above. */
export async function sendOutbound(request: OutboundRequest): Promise<OutboundResponse> {
  const origin = request.url.origin;
  const deadline = AbortSignal.timeout(request.timeoutMs);
  let hop: Hop = { method: request.method, url: request.url, body: request.body, trusted: true };
  for (let redirects = 0; ; redirects++) {
    const headers: Record<string, string> = { ...request.headers };
    if (hop.trusted) {
      Object.assign(headers, request.secretHeaders, request.sign?.(hop.body ?? ''));
    }
    if (hop.body === undefined) deleteHeader(headers, 'content-type');
    const raw = await exchange(hop, headers, !(hop.trusted && request.allowPrivate), deadline, request);
    if (request.maxRedirects === 0) return { ...raw, url: hop.url, redirects };
    const next = nextHop(hop, raw.status, raw.headers.get('location'), origin);
    if (next === undefined) return { ...raw, url: hop.url, redirects };
    if (next instanceof OutboundError) throw next;
    if (redirects >= request.maxRedirects) {
      throw new OutboundError(OutboundFailures.TooManyRedirects, `more than ${request.maxRedirects} redirects`);
    }
    hop = next;
  }
}

function deleteHeader(headers: Record<string, string>, name: string): void {
  for (const key of Object.keys(headers)) if (key.toLowerCase() === name) delete headers[key];
}

interface RawResponse {
  status: number;
  headers: ResponseHeaders;
  text: string;
}

function exchange(
  hop: Hop,
  headers: Record<string, string>,
  guarded: boolean,
  deadline: AbortSignal,
  limits: { maxResponseBytes: number; timeoutMs: number },
): Promise<RawResponse> {
  const url = hop.url;
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  // An IP literal never reaches the lookup, so it is judged here.
  if (guarded && isIP(host) !== 0 && isNonPublicAddress(host)) {
    return Promise.reject(new OutboundError(OutboundFailures.Forbidden, `${url.host} is a non-public address`));
  }
  if (deadline.aborted) return Promise.reject(timeoutError(limits.timeoutMs));
  const secure = url.protocol === 'https:';
  const pool = guarded ? agents.guarded : agents.open;
  const body = hop.body === undefined ? undefined : Buffer.from(hop.body, 'utf8');
  return new Promise<RawResponse>((resolve, reject) => {
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      deadline.removeEventListener('abort', onAbort);
      fn();
    };
    const fail = (err: OutboundError) => settle(() => reject(err));
    const onAbort = () => {
      fail(timeoutError(limits.timeoutMs));
      req.destroy();
    };
    const options: http.RequestOptions = {
      protocol: url.protocol,
      hostname: host,
      port: url.port === '' ? undefined : Number(url.port),
      path: `${url.pathname}${url.search}`,
      method: hop.method,
      headers: body === undefined ? headers : { ...headers, 'content-length': String(body.byteLength) },
      agent: secure ? pool.https : pool.http,
      ...(guarded ? { lookup: guardedLookup as unknown as http.RequestOptions['lookup'] } : {}),
    };
    let req: http.ClientRequest;
    try {
      req = (secure ? https : http).request(options, onResponse);
    } catch (err) {
      // Node validates headers synchronously; its message names the header, not the value.
      return fail(new OutboundError(OutboundFailures.Invalid, (err as Error).message));
    }
    function onResponse(res: http.IncomingMessage) {
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > limits.maxResponseBytes) {
        // Settle first: destroying the response emits 'aborted' synchronously.
        fail(tooLarge(limits.maxResponseBytes));
        res.destroy();
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.byteLength;
        if (size > limits.maxResponseBytes) {
          fail(tooLarge(limits.maxResponseBytes));
          res.destroy();
          return;
        }
        chunks.push(chunk);
      });
      res.on('error', (err) => fail(unreachable(url, err)));
      res.on('aborted', () => fail(unreachable(url, new Error('connection closed mid-response'))));
      res.on('end', () =>
        settle(() =>
          resolve({
            status: res.statusCode ?? 0,
            headers: headerAccess(res.headers),
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        ),
      );
    }
    deadline.addEventListener('abort', onAbort);
    req.on('error', (err) => {
      if (err instanceof NonPublicAddressError) {
        return fail(
          new OutboundError(
            OutboundFailures.Forbidden,
            `${url.host} resolves to a non-public address (${err.address})`,
          ),
        );
      }
      return fail(unreachable(url, err));
    });
    req.end(body);
  });
}

function headerAccess(headers: http.IncomingHttpHeaders): ResponseHeaders {
  return {
    get(name) {
      const value = headers[name.toLowerCase()];
      if (value === undefined) return null;
      return Array.isArray(value) ? value.join(', ') : value;
    },
  };
}

function timeoutError(ms: number): OutboundError {
  return new OutboundError(OutboundFailures.Timeout, `no complete answer within ${ms} ms`);
}

function tooLarge(max: number): OutboundError {
  return new OutboundError(OutboundFailures.TooLarge, `response larger than ${max} bytes`);
}

function unreachable(url: URL, err: Error): OutboundError {
  // Node's network errors name the host and the system error, never the request headers.
  return new OutboundError(OutboundFailures.Unreachable, `${url.host} is unreachable: ${err.message}`, { cause: err });
}
