import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ProviderActivities } from '@switchboard/chains';
import type { JsonValue } from '@switchboard/common';
import { listCredentials, listSandboxEffects, upsertEndpoint } from '@switchboard/db';
import { type ProviderTestEnv, type RunOperation, startProviderTestEnv } from '@switchboard/provider-testing';
import type { ProviderWorkerContext } from '@switchboard/providers';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Signing, verifySignature } from './signing.js';
import { asProviderActivities, createWebhookActivities } from './webhook.activities.js';

/** A request as the test server received it. */
interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}
/** Answers through `res`; what it returns is awaited only for a rejection (then the socket is destroyed). */
type Handler = (req: Received, res: ServerResponse) => unknown;

/** A local HTTP server with per-path handlers that records every request. */
interface TestServer {
  url: string;
  port: number;
  received: Received[];
  on(path: string, handler: Handler): void;
  close(): Promise<void>;
}

async function startServer(): Promise<TestServer> {
  const routes = new Map<string, Handler>();
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: Received = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: Date.now(),
      };
      received.push(r);
      const handler = routes.get(new URL(r.url, 'http://x').pathname);
      if (!handler) {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"no route"}');
        return;
      }
      void Promise.resolve(handler(r, res)).catch(() => res.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    received,
    on: (path, handler) => routes.set(path, handler),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) =>
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));

/** Waits for `check` to hold, bounded generously. */
async function until(check: () => boolean): Promise<void> {
  const end = Date.now() + 30_000;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const SECRETS = {
  token: 'tok_live_4f8a9b2c1d',
  password: 'pw_live_7e6d5c4b3a',
  key: 'key_live_0a1b2c3d4e',
  signing: 'whsec_live_9z8y7x6w',
  clientSecret: 'cs_live_5q4w3e2r/+=',
};

let env: ProviderTestEnv;
let api: TestServer;
let other: TestServer;
/** The local OAuth2 token endpoint. */
let auth: TestServer;
/** Every access token `auth` granted: none may reach a log line. */
const issued: string[] = [];
const logged: string[] = [];
const log = {
  warn: (...args: unknown[]) => void logged.push(JSON.stringify(args)),
  debug: (...args: unknown[]) => void logged.push(JSON.stringify(args)),
};

beforeAll(async () => {
  [env, api, other, auth] = await Promise.all([startProviderTestEnv(), startServer(), startServer(), startServer()]);
  const endpoint = (
    name: string,
    url: string,
    over: { allowPrivate?: boolean; timeoutMs?: number; headers?: Record<string, string> } = {},
  ) =>
    upsertEndpoint(env.db, {
      tenantId: env.tenantId,
      name,
      url,
      method: 'POST',
      headers: over.headers ?? {},
      timeoutMs: over.timeoutMs ?? 5000,
      allowPrivate: over.allowPrivate ?? true,
    });
  await Promise.all([
    endpoint('api', `${api.url}/api`, { headers: { 'X-Tenant': 'acme' } }),
    endpoint('slow_api', `${api.url}/api`, { timeoutMs: 300 }),
    endpoint('guarded_api', `${api.url}/api`, { allowPrivate: false }),
    endpoint('guarded_by_name', `http://localhost:${api.port}/api`, { allowPrivate: false }),
    endpoint('public_plain', 'http://api.example.invalid/v1', { allowPrivate: false }),
    // 127.0.0.1 written as IPv4-embedded IPv6: mapped in hex, translated, NAT64, compatible, 6to4.
    endpoint('guarded_mapped', `http://[::ffff:7f00:1]:${api.port}/api`, { allowPrivate: false }),
    endpoint('guarded_translated', `http://[::ffff:0:7f00:1]:${api.port}/api`, { allowPrivate: false }),
    endpoint('guarded_nat64', `http://[64:ff9b::7f00:1]:${api.port}/api`, { allowPrivate: false }),
    endpoint('guarded_compat', `http://[::127.0.0.1]:${api.port}/api`, { allowPrivate: false }),
    endpoint('guarded_6to4', `http://[2002:7f00:1::1]:${api.port}/api`, { allowPrivate: false }),
    endpoint('signed_hook', `${api.url}/hook`, { headers: { [Signing.EndpointCredentialHeader]: 'signing_key' } }),
    endpoint('hook', `${api.url}/hook`),
    env.putCredential('bearer_key', 'http', { token: SECRETS.token }),
    env.putCredential('bearer_prefixed', 'http', { token: `Bearer ${SECRETS.token}` }),
    env.putCredential('basic_key', 'http', { username: 'svc', password: SECRETS.password }),
    env.putCredential('api_key', 'http', { key: SECRETS.key }),
    env.putCredential('signing_key', 'http', { secret: SECRETS.signing }),
    env.putCredential('crm_oauth', 'http', {
      token_url: `${auth.url}/token`,
      client_id: 'crm client',
      client_secret: SECRETS.clientSecret,
      scope: 'accounts.read orders.write',
      audience: 'https://api.example.com',
    }),
    env.putCredential('crm_oauth_post', 'http', {
      token_url: `${auth.url}/token`,
      client_id: 'crm-client',
      client_secret: SECRETS.clientSecret,
      client_auth: 'client_secret_post',
    }),
  ]);
}, 120_000);

afterAll(async () => {
  // Pool clients still closing when Postgres stops get "terminating connection" (57P01);
  // that is the harness shutting down, not a test failure.
  env?.db.on('error', () => {});
  await Promise.all([env?.stop(), api?.close(), other?.close(), auth?.close()]);
});

afterEach(() => {
  api.received.length = 0;
  other.received.length = 0;
  auth.received.length = 0;
  // Nothing any test did may put a secret in a log line.
  for (const line of logged)
    for (const secret of [...Object.values(SECRETS), ...issued]) expect(line).not.toContain(secret);
});

/** The worker's activities as served, plus `test.webhook` to drive `callWebhook` through the probe. */
function activities(maxResponseBytes = 1_048_576) {
  return (ctx: ProviderWorkerContext): ProviderActivities => {
    const acts = createWebhookActivities({ ...ctx, log, maxResponseBytes });
    return {
      ...asProviderActivities(acts),
      'test.webhook': (call) => {
        const p = call.payload as { endpoint: string; body: JsonValue };
        return acts.callWebhook({ ...call, endpoint: p.endpoint, payload: p.body });
      },
    };
  };
}

const request = (over: Record<string, JsonValue> = {}): JsonValue => ({
  endpoint: 'api',
  method: 'POST',
  headers: {},
  auth: { type: 'none' },
  timeout_ms: 5000,
  ...over,
});

function run<T>(fn: (run: RunOperation) => Promise<T>, maxResponseBytes?: number): Promise<T> {
  return env.withWorker(activities(maxResponseBytes), fn);
}

describe('http.request: auth', () => {
  it('sends bearer, basic and api_key credentials exactly, with the request as configured', async () => {
    api.on('/api/customers/a%20b%2Fc', (_req, res) => json(res, 200, { ok: true }));
    api.on('/api/things', (_req, res) => json(res, 201, { id: 7 }));
    await run(async (run) => {
      const path: JsonValue = [{ text: '/customers/' }, { value: 'a b/c' }];
      expect(
        await run(
          'http.request',
          request({
            method: 'GET',
            path,
            query: { q: 'x&y', skip: null },
            auth: { type: 'bearer', credential: 'bearer_key' },
          }),
          {
            intentId: 'int_auth1',
            stepPointer: '/actions/2',
          },
        ),
      ).toEqual({ ok: true, result: { ok: true } });
      await run(
        'http.request',
        request({ method: 'GET', path, auth: { type: 'bearer', credential: 'bearer_prefixed' } }),
      );
      await run(
        'http.request',
        request({ path: [{ text: '/things' }], body: { a: 1 }, auth: { type: 'basic', credential: 'basic_key' } }),
      );
      await run(
        'http.request',
        request({
          path: [{ text: '/things' }],
          body: {},
          auth: { type: 'api_key', credential: 'api_key', header: 'X-Custom-Key' },
        }),
      );
      await run(
        'http.request',
        request({ path: [{ text: '/things' }], body: {}, auth: { type: 'api_key', credential: 'api_key' } }),
      );
    });
    const [bearer, prefixed, basic, custom, defaultKey] = api.received;
    expect(bearer?.method).toBe('GET');
    expect(bearer?.url).toBe('/api/customers/a%20b%2Fc?q=x%26y');
    expect(bearer?.body).toBe('');
    expect(bearer?.headers).toMatchObject({
      authorization: `Bearer ${SECRETS.token}`,
      accept: 'application/json',
      'idempotency-key': 'int_auth1:/actions/2',
      'x-tenant': 'acme',
    });
    expect(bearer?.headers['content-type']).toBeUndefined();
    expect(prefixed?.headers.authorization).toBe(`Bearer ${SECRETS.token}`);
    expect(basic?.headers.authorization).toBe(`Basic ${Buffer.from(`svc:${SECRETS.password}`).toString('base64')}`);
    expect(basic?.headers['content-type']).toBe('application/json');
    expect(basic?.body).toBe('{"a":1}');
    expect(custom?.headers['x-custom-key']).toBe(SECRETS.key);
    expect(custom?.headers.authorization).toBeUndefined();
    expect(defaultKey?.headers['x-api-key']).toBe(SECRETS.key);
  });

  it('refuses basic auth over plain http to a public host before connecting', async () => {
    const outcome = await run((run) =>
      run('http.request', request({ endpoint: 'public_plain', auth: { type: 'basic', credential: 'basic_key' } })),
    );
    expect(outcome).toMatchObject({
      ok: false,
      error: {
        code: 'endpoint_forbidden',
        retryable: false,
        message: expect.stringContaining('basic auth over plain http'),
      },
    });
  });

  it('fails terminally on 401, marks the credential, and keeps echoed secrets out of the error', async () => {
    api.on('/api/private', (req, res) => json(res, 401, { error: `bad credentials: ${req.headers.authorization}` }));
    const outcome = await run((run) =>
      run(
        'http.request',
        request({ path: [{ text: '/private' }], body: {}, auth: { type: 'bearer', credential: 'bearer_key' } }),
      ),
    );
    expect(outcome).toMatchObject({ ok: false, error: { code: 'provider_auth_failed', retryable: false } });
    expect(JSON.stringify(outcome)).not.toContain(SECRETS.token);
    expect(JSON.stringify(outcome)).toContain('[redacted]');
    expect(api.received).toHaveLength(1);
    const creds = await listCredentials(env.db, env.tenantId);
    expect(creds.find((c) => c.name === 'bearer_key')).toMatchObject({ status: 'auth_failed' });
    // A later success marks it ok again.
    api.on('/api/private', (_req, res) => json(res, 200, {}));
    await run((run) =>
      run(
        'http.request',
        request({ path: [{ text: '/private' }], body: {}, auth: { type: 'bearer', credential: 'bearer_key' } }),
      ),
    );
    const after = await listCredentials(env.db, env.tenantId);
    expect(after.find((c) => c.name === 'bearer_key')).toMatchObject({ status: 'ok' });
  });
});

/** A token endpoint answer granting a new token (recorded in `issued`). */
function grant(res: ServerResponse, extra: Record<string, unknown> = { expires_in: 3600 }): string {
  const token = `oat_${issued.length + 1}_${Math.random().toString(36).slice(2, 10)}`;
  issued.push(token);
  json(res, 200, { access_token: token, token_type: 'Bearer', ...extra });
  return token;
}

const form = (body: string) => Object.fromEntries(new URLSearchParams(body));
const oauthRequest = (over: Record<string, JsonValue> = {}) =>
  request({ method: 'GET', path: [{ text: '/accounts' }], auth: { type: 'oauth2', credential: 'crm_oauth' }, ...over });

describe('http.request: oauth2 client credentials', () => {
  it('requests a token with client_secret_basic, sends it as a Bearer token, and reuses it', async () => {
    auth.on('/token', (_req, res) => void grant(res));
    api.on('/api/accounts', (req, res) =>
      json(res, 200, { seen: req.headers.authorization === `Bearer ${issued.at(-1)}` }),
    );
    const outcomes = await run(async (run) => [
      await run('http.request', oauthRequest()),
      await run('http.request', oauthRequest()),
      await run('http.request', oauthRequest()),
    ]);
    expect(outcomes).toEqual(Array(3).fill({ ok: true, result: { seen: true } }));
    expect(auth.received).toHaveLength(1);
    const [token] = auth.received;
    expect(token?.method).toBe('POST');
    expect(token?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    // RFC 6749 2.3.1: id and secret form-encoded, then joined and base64-encoded.
    const encoded = `crm+client:${new URLSearchParams({ s: SECRETS.clientSecret }).toString().slice(2)}`;
    expect(token?.headers.authorization).toBe(`Basic ${Buffer.from(encoded).toString('base64')}`);
    expect(form(token?.body ?? '')).toEqual({
      grant_type: 'client_credentials',
      scope: 'accounts.read orders.write',
      audience: 'https://api.example.com',
    });
    const sent = issued.at(-1);
    expect(api.received.map((r) => r.headers.authorization)).toEqual(Array(3).fill(`Bearer ${sent}`));
  });

  it('sends id and secret in the form with client_secret_post, and no Authorization header', async () => {
    auth.on('/token', (_req, res) => void grant(res, {}));
    api.on('/api/accounts', (_req, res) => json(res, 200, {}));
    const outcome = await run((run) =>
      run('http.request', oauthRequest({ auth: { type: 'oauth2', credential: 'crm_oauth_post' } })),
    );
    expect(outcome).toEqual({ ok: true, result: {} });
    expect(auth.received[0]?.headers.authorization).toBeUndefined();
    expect(form(auth.received[0]?.body ?? '')).toEqual({
      grant_type: 'client_credentials',
      client_id: 'crm-client',
      client_secret: SECRETS.clientSecret,
    });
  });

  it('makes one token request for concurrent calls', async () => {
    // expires_in 0: nothing is cached, so one request for six calls means they shared it.
    auth.on('/token', (_req, res) => void setTimeout(() => grant(res, { expires_in: 0 }), 300));
    api.on('/api/accounts', (req, res) =>
      json(res, 200, { authorization: req.headers.authorization === `Bearer ${issued.at(-1)}` }),
    );
    const outcomes = await run((run) =>
      Promise.all(Array.from({ length: 6 }, () => run('http.request', oauthRequest()))),
    );
    expect(outcomes).toEqual(Array(6).fill({ ok: true, result: { authorization: true } }));
    expect(auth.received).toHaveLength(1);
    expect(api.received).toHaveLength(6);
  });

  it('renews a refused token once and sends once more; refused again, it fails terminally and marks the credential', async () => {
    auth.on('/token', (_req, res) => void grant(res));
    const revoked = new Set<string>();
    api.on('/api/accounts', (req, res) => {
      const token = String(req.headers.authorization).replace('Bearer ', '');
      if (revoked.has(token)) return json(res, 401, { error: 'token revoked' });
      json(res, 200, { ok: true });
    });
    const outcome = await run(async (run) => {
      const first = await run('http.request', oauthRequest(), { intentId: 'int_oauth_renew' });
      revoked.add(issued.at(-1) as string);
      const renewed = await run('http.request', oauthRequest(), { intentId: 'int_oauth_renew2' });
      return { first, renewed };
    });
    expect(outcome).toEqual({ first: { ok: true, result: { ok: true } }, renewed: { ok: true, result: { ok: true } } });
    expect(auth.received).toHaveLength(2);
    const [t1, t2] = issued.slice(-2);
    expect(api.received.map((r) => r.headers.authorization)).toEqual([`Bearer ${t1}`, `Bearer ${t1}`, `Bearer ${t2}`]);
    // The renewed attempt is the same request: same idempotency key.
    expect(api.received[1]?.headers['idempotency-key']).toBe(api.received[2]?.headers['idempotency-key']);

    api.on('/api/accounts', (_req, res) => json(res, 401, { error: 'no access' }));
    api.received.length = 0;
    auth.received.length = 0;
    const refused = await run((run) => run('http.request', oauthRequest()));
    expect(refused).toMatchObject({ ok: false, error: { code: 'provider_auth_failed', retryable: false } });
    expect(auth.received).toHaveLength(2);
    expect(api.received).toHaveLength(2);
    const creds = await listCredentials(env.db, env.tenantId);
    expect(creds.find((c) => c.name === 'crm_oauth')).toMatchObject({ status: 'auth_failed' });
  });

  it('maps token endpoint failures: refused client terminal and marked, 5xx retried, bad grants rejected', async () => {
    const cred = (name: string, path: string, over: Record<string, string> = {}) =>
      env.putCredential(name, 'http', {
        token_url: `${auth.url}${path}`,
        client_id: 'c',
        client_secret: SECRETS.clientSecret,
        ...over,
      });
    await Promise.all([
      cred('oauth_refused', '/token-refused'),
      cred('oauth_scope', '/token-scope', { scope: 'admin' }),
      cred('oauth_flaky', '/token-flaky'),
      cred('oauth_mac', '/token-mac'),
      env.putCredential('oauth_down', 'http', {
        token_url: 'http://127.0.0.1:9/token',
        client_id: 'c',
        client_secret: SECRETS.clientSecret,
      }),
    ]);
    // A hostile token endpoint echoing the client's Authorization header into its error.
    auth.on('/token-refused', (req, res) =>
      json(res, 401, {
        error: 'invalid_client',
        error_description: `bad client ${req.headers.authorization} ${req.body}`,
      }),
    );
    auth.on('/token-scope', (_req, res) =>
      json(res, 400, { error: 'invalid_scope', error_description: 'admin is not allowed' }),
    );
    let flaky = 0;
    auth.on('/token-flaky', (_req, res) => (++flaky < 3 ? json(res, 503, { error: 'busy' }) : void grant(res)));
    auth.on('/token-mac', (_req, res) => json(res, 200, { access_token: 'mac-token-value', token_type: 'mac' }));
    api.on('/api/accounts', (_req, res) => json(res, 200, { ok: true }));
    const call = (credential: string) => oauthRequest({ auth: { type: 'oauth2', credential } });
    const outcome = await run(async (run) => ({
      refused: await run('http.request', call('oauth_refused')),
      scope: await run('http.request', call('oauth_scope')),
      flaky: await run('http.request', call('oauth_flaky'), { maximumAttempts: 4, initialIntervalMs: 50 }),
      mac: await run('http.request', call('oauth_mac')),
      down: await run('http.request', call('oauth_down'), { maximumAttempts: 1 }),
    }));
    expect(outcome.refused).toMatchObject({
      ok: false,
      error: { code: 'provider_auth_failed', retryable: false, message: expect.stringContaining('invalid_client') },
    });
    expect(outcome.scope).toMatchObject({
      ok: false,
      error: {
        code: 'provider_rejected',
        retryable: false,
        message: expect.stringContaining('invalid_scope: admin is not allowed'),
      },
    });
    expect(outcome.flaky).toEqual({ ok: true, result: { ok: true } });
    expect(flaky).toBe(3);
    expect(outcome.mac).toMatchObject({
      ok: false,
      error: { code: 'provider_invalid_response', message: expect.stringContaining('not Bearer') },
    });
    expect(outcome.down).toMatchObject({ ok: false, error: { code: 'provider_unavailable', retryable: true } });
    const text = JSON.stringify(outcome);
    for (const secret of [SECRETS.clientSecret, encodeURIComponent(SECRETS.clientSecret), 'mac-token-value'])
      expect(text).not.toContain(secret);
    expect(text).toContain('[redacted]');
    // Only the flaky credential's token reached the API.
    expect(api.received).toHaveLength(1);
    const creds = await listCredentials(env.db, env.tenantId);
    const status = (name: string) => creds.find((c) => c.name === name);
    expect(status('oauth_refused')).toMatchObject({
      status: 'auth_failed',
      statusReason: expect.stringContaining('invalid_client'),
    });
    expect(status('oauth_scope')).toMatchObject({ status: 'auth_failed' });
    expect(status('oauth_flaky')?.status).not.toBe('auth_failed');
    expect(JSON.stringify(creds)).not.toContain(SECRETS.clientSecret);
  });

  it("holds the token URL to the endpoint's address policy, and never sends a client secret over public plain http", async () => {
    await env.putCredential('oauth_loopback_tls', 'http', {
      token_url: `https://127.0.0.1:${auth.port}/token`,
      client_id: 'c',
      client_secret: SECRETS.clientSecret,
    });
    const outcome = await run(async (run) => ({
      // guarded_api does not allow private addresses: neither may its token URL be one.
      loopback: await run(
        'http.request',
        oauthRequest({ endpoint: 'guarded_api', auth: { type: 'oauth2', credential: 'oauth_loopback_tls' } }),
      ),
      plain: await run('http.request', oauthRequest({ endpoint: 'guarded_api' })),
    }));
    expect(outcome.loopback).toMatchObject({
      ok: false,
      error: { code: 'endpoint_forbidden', retryable: false, message: expect.stringContaining('token endpoint') },
    });
    expect(outcome.plain).toMatchObject({
      ok: false,
      error: { code: 'endpoint_forbidden', retryable: false, message: expect.stringContaining('plain http') },
    });
    expect(auth.received).toHaveLength(0);
    expect(api.received).toHaveLength(0);
  });

  it('redacts a token the API echoes, and refuses a credential that is not an OAuth2 one', async () => {
    auth.on('/token', (_req, res) => void grant(res));
    api.on('/api/accounts', (req, res) =>
      json(res, 200, { echo: req.headers.authorization, [String(req.headers.authorization)]: 1 }),
    );
    const outcome = await run(async (run) => ({
      echoed: await run('http.request', oauthRequest()),
      notOauth: await run('http.request', oauthRequest({ auth: { type: 'oauth2', credential: 'bearer_key' } })),
    }));
    expect(outcome.echoed).toEqual({ ok: true, result: { echo: 'Bearer [redacted]', 'Bearer [redacted]': 1 } });
    expect(outcome.notOauth).toMatchObject({
      ok: false,
      error: { code: 'provider_invalid_input', message: expect.stringContaining('token_url required') },
    });
    expect(JSON.stringify(outcome)).not.toContain(SECRETS.token);
  });
});

describe('signing', () => {
  it('signs http.request bodies so the receiver can verify them', async () => {
    api.on('/api/signed', (req, res) => {
      const check = verifySignature(SECRETS.signing, req.headers['x-switchboard-signature'] as string, req.body);
      json(res, check.ok ? 200 : 401, check);
    });
    const outcome = await run((run) =>
      run(
        'http.request',
        request({
          path: [{ text: '/signed' }],
          body: { amount: 12.5, note: 'é' },
          signing: { credential: 'signing_key' },
        }),
      ),
    );
    expect(outcome).toMatchObject({ ok: true, result: { ok: true } });
    expect(api.received[0]?.headers['x-switchboard-signature']).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
  });

  it('signs webhooks of an endpoint that names a signing credential, without sending that header', async () => {
    api.on('/hook', (req, res) =>
      json(res, 200, verifySignature(SECRETS.signing, req.headers['x-switchboard-signature'] as string, req.body)),
    );
    const outcome = await run(async (run) => {
      const signed = await run('test.webhook', { endpoint: 'signed_hook', body: { meal: 'lunch' } });
      const plain = await run('test.webhook', { endpoint: 'hook', body: { meal: 'lunch' } });
      return { signed, plain };
    });
    expect(outcome.signed).toMatchObject({ ok: true, result: { ok: true } });
    expect(outcome.plain).toMatchObject({ ok: true, result: { ok: false, reason: 'no signature header' } });
    expect(api.received[0]?.body).toBe('{"meal":"lunch"}');
    expect(api.received[0]?.headers[Signing.EndpointCredentialHeader]).toBeUndefined();
  });
});

describe('address policy and redirects', () => {
  it('refuses loopback endpoints that are not allow-listed, by address and after DNS resolution', async () => {
    const outcome = await run(async (run) => ({
      ip: await run('http.request', request({ endpoint: 'guarded_api' })),
      name: await run('http.request', request({ endpoint: 'guarded_by_name' })),
      hook: await run('test.webhook', { endpoint: 'guarded_api', body: {} }),
    }));
    expect(outcome.ip).toMatchObject({ ok: false, error: { code: 'endpoint_forbidden', retryable: false } });
    expect(outcome.name).toMatchObject({
      ok: false,
      error: { code: 'endpoint_forbidden', message: expect.stringMatching(/127\.0\.0\.1|::1/) },
    });
    expect(outcome.hook).toMatchObject({ ok: false, error: { code: 'endpoint_forbidden', retryable: false } });
    expect(api.received).toHaveLength(0);
  });

  it('refuses loopback and metadata addresses written as IPv4-embedded IPv6, as endpoints and as redirects', async () => {
    api.on('/api/to-nat64', (_req, res) =>
      res.writeHead(302, { location: 'http://[64:ff9b::a9fe:a9fe]/latest/meta-data/' }).end(),
    );
    api.on('/api/to-translated', (_req, res) =>
      res.writeHead(307, { location: `http://[::ffff:0:7f00:1]:${api.port}/api/done` }).end(),
    );
    api.on('/api/done', (_req, res) => json(res, 200, { reached: true }));
    const once = { maximumAttempts: 1 };
    const outcome = await run(async (run) => ({
      mapped: await run('http.request', request({ endpoint: 'guarded_mapped' }), once),
      translated: await run('http.request', request({ endpoint: 'guarded_translated' }), once),
      nat64: await run('http.request', request({ endpoint: 'guarded_nat64' }), once),
      compat: await run('http.request', request({ endpoint: 'guarded_compat' }), once),
      sixToFour: await run('http.request', request({ endpoint: 'guarded_6to4' }), once),
      hook: await run('test.webhook', { endpoint: 'guarded_nat64', body: {} }, once),
      toNat64: await run('http.request', request({ method: 'GET', path: [{ text: '/to-nat64' }] }), once),
      toTranslated: await run('http.request', request({ path: [{ text: '/to-translated' }] }), once),
    }));
    const expected: Record<keyof typeof outcome, string> = {
      mapped: '[::ffff:7f00:1]',
      translated: '[::ffff:0:7f00:1]',
      nat64: '[64:ff9b::7f00:1]',
      compat: '[::7f00:1]',
      sixToFour: '[2002:7f00:1::1]',
      hook: '[64:ff9b::7f00:1]',
      toNat64: '[64:ff9b::a9fe:a9fe]',
      toTranslated: '[::ffff:0:7f00:1]',
    };
    for (const [name, host] of Object.entries(expected)) {
      expect([name, outcome[name as keyof typeof outcome]]).toMatchObject([
        name,
        { ok: false, error: { code: 'endpoint_forbidden', retryable: false, message: expect.stringContaining(host) } },
      ]);
    }
    // Only the two redirecting hops reached a server; nothing reached the embedded loopback.
    expect(api.received.map((r) => r.url)).toEqual(['/api/to-nat64', '/api/to-translated']);
  });

  it('follows redirects on the allow-listed origin and refuses hops that leave it for private addresses', async () => {
    api.on('/api/r1', (_req, res) => res.writeHead(307, { location: '/api/r2' }).end());
    api.on('/api/r2', (_req, res) => res.writeHead(303, { location: `${api.url}/api/done` }).end());
    api.on('/api/done', (req, res) => json(res, 200, { method: req.method }));
    api.on('/api/metadata', (_req, res) =>
      res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end(),
    );
    api.on('/api/sideways', (_req, res) => res.writeHead(302, { location: `${other.url}/internal` }).end());
    api.on('/api/by-name', (_req, res) =>
      res.writeHead(302, { location: `http://localhost:${api.port}/api/done` }).end(),
    );
    api.on('/api/loop', (req, res) => res.writeHead(302, { location: req.url }).end());
    other.on('/internal', (_req, res) => json(res, 200, { leaked: true }));
    const outcome = await run(async (run) => ({
      chain: await run(
        'http.request',
        request({ path: [{ text: '/r1' }], body: { a: 1 }, auth: { type: 'bearer', credential: 'bearer_key' } }),
      ),
      metadata: await run('http.request', request({ method: 'GET', path: [{ text: '/metadata' }] })),
      sideways: await run(
        'http.request',
        request({ method: 'GET', path: [{ text: '/sideways' }], auth: { type: 'bearer', credential: 'bearer_key' } }),
      ),
      byName: await run('http.request', request({ method: 'GET', path: [{ text: '/by-name' }] })),
      loop: await run('http.request', request({ method: 'GET', path: [{ text: '/loop' }] }), { maximumAttempts: 1 }),
    }));
    expect(outcome.chain).toEqual({ ok: true, result: { method: 'GET' } });
    const [r1, r2, done] = api.received;
    expect([r1?.method, r2?.method, done?.method]).toEqual(['POST', 'POST', 'GET']);
    expect(r2?.body).toBe('{"a":1}');
    expect(done?.body).toBe('');
    expect(done?.headers.authorization).toBe(`Bearer ${SECRETS.token}`);
    for (const refused of [outcome.metadata, outcome.sideways, outcome.byName]) {
      expect(refused).toMatchObject({ ok: false, error: { code: 'endpoint_forbidden', retryable: false } });
    }
    expect(JSON.stringify(outcome.metadata)).toContain('169.254.169.254');
    expect(other.received).toHaveLength(0);
    expect(outcome.loop).toMatchObject({
      ok: false,
      error: { code: 'provider_rejected', message: expect.stringContaining('more than 5 redirects') },
    });
    expect(api.received.filter((r) => r.url === '/api/loop')).toHaveLength(6);
  });

  it('does not follow redirects for webhooks (a 3xx is a rejection, as before)', async () => {
    api.on('/hook', (_req, res) => res.writeHead(302, { location: '/elsewhere' }).end());
    const outcome = await run((run) => run('test.webhook', { endpoint: 'hook', body: {} }));
    expect(outcome).toMatchObject({ ok: false, error: { code: 'webhook_rejected', retryable: false } });
    expect(api.received).toHaveLength(1);
  });
});

describe('test calls (sandbox)', () => {
  it('records a successful custom call or webhook of a test call as irreversible, once', async () => {
    api.on('/api/orders', (_req, res) => json(res, 200, { ok: true }));
    api.on('/hook', (_req, res) => json(res, 200, { ok: true }));
    const conv = 'conv_webhooksandbox';
    await run(async (run) => {
      const req = request({ path: [{ text: '/orders' }], body: {} });
      const opts = { sandbox: true, conversationId: conv, intentId: 'int_whsandbox', stepPointer: '/actions/0' };
      expect(await run('http.request', req, opts)).toEqual({ ok: true, result: { ok: true } });
      expect(await run('http.request', req, opts)).toEqual({ ok: true, result: { ok: true } });
      await run('test.webhook', { endpoint: 'hook', body: {} }, { ...opts, stepPointer: '/actions/1' });
      await run('http.request', req, { conversationId: conv });
    });
    expect(await listSandboxEffects(env.db, env.tenantId, conv)).toEqual([
      expect.objectContaining({
        operation: 'http.request',
        provider: 'http',
        description: 'custom HTTP call (POST api)',
        state: 'irreversible',
        undo: null,
        reason: 'a custom HTTP call cannot be undone generically',
      }),
      expect.objectContaining({ stepPointer: '/actions/1', operation: 'webhook', state: 'irreversible' }),
    ]);
  });
});

describe('failures and retries', () => {
  it('retries 5xx until the API recovers', async () => {
    let calls = 0;
    api.on('/api/flaky', (_req, res) => (++calls < 3 ? json(res, 503, { error: 'busy' }) : json(res, 200, { calls })));
    const outcome = await run((run) => run('http.request', request({ path: [{ text: '/flaky' }], body: {} })));
    expect(outcome).toEqual({ ok: true, result: { calls: 3 } });
    // The same idempotency key on every attempt.
    expect(new Set(api.received.map((r) => r.headers['idempotency-key'])).size).toBe(1);
  });

  it('waits for Retry-After on 429', async () => {
    let calls = 0;
    api.on('/api/limited', (_req, res) =>
      ++calls === 1 ? json(res, 429, {}, { 'retry-after': '1' }) : json(res, 200, {}),
    );
    const outcome = await run((run) =>
      run('http.request', request({ path: [{ text: '/limited' }], body: {} }), { initialIntervalMs: 50 }),
    );
    expect(outcome).toMatchObject({ ok: true });
    const [first, second] = api.received;
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(900);
  });

  it('fails terminally on other 4xx, without retrying', async () => {
    api.on('/api/invalid', (_req, res) => json(res, 422, { error: 'email is invalid' }));
    const outcome = await run((run) => run('http.request', request({ path: [{ text: '/invalid' }], body: {} })));
    expect(outcome).toMatchObject({
      ok: false,
      error: { code: 'provider_rejected', retryable: false, message: expect.stringContaining('email is invalid') },
    });
    expect(api.received).toHaveLength(1);
    const missing = await run((run) => run('http.request', request({ endpoint: 'nope' })));
    expect(missing).toMatchObject({ ok: false, error: { code: 'endpoint_not_found', retryable: false } });
    // Handlers outlive their test: say what /hook answers here rather than inherit it.
    api.on('/hook', (_req, res) => json(res, 409, { error: 'duplicate' }));
    const webhook = await run((run) => run('test.webhook', { endpoint: 'hook', body: {} }));
    expect(webhook).toMatchObject({ ok: false, error: { code: 'webhook_rejected', retryable: false } });
  });

  it('times out at the endpoint timeout even when the payload allows longer, and retries', async () => {
    // Never answers: whichever timeout applies ends each attempt, and the message names it.
    const unanswered: boolean[] = [];
    api.on('/api/sleepy', (_req, res) => {
      res.on('close', () => unanswered.push(!res.writableEnded));
    });
    const outcome = await run((run) =>
      run(
        'http.request',
        request({ endpoint: 'slow_api', path: [{ text: '/sleepy' }], body: {}, timeout_ms: 10_000 }),
        {
          maximumAttempts: 2,
        },
      ),
    );
    expect(outcome).toMatchObject({
      ok: false,
      error: { code: 'provider_timeout', retryable: true, message: expect.stringContaining('300 ms') },
    });
    expect(api.received).toHaveLength(2);
    // The client gave up on both (the endpoint's 300 ms, as the message says, not the payload's 10 s).
    await until(() => unanswered.length === 2);
    expect(unanswered).toEqual([true, true]);
  });

  it('refuses responses larger than the limit, declared or streamed', async () => {
    const big = JSON.stringify({ data: 'x'.repeat(8000) });
    api.on('/api/big', (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(big));
    api.on('/api/stream', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      for (let i = 0; i < 8; i++) res.write('x'.repeat(1000));
      res.end();
    });
    const outcome = await run(
      async (run) => ({
        declared: await run('http.request', request({ method: 'GET', path: [{ text: '/big' }] })),
        streamed: await run('http.request', request({ method: 'GET', path: [{ text: '/stream' }] })),
      }),
      4096,
    );
    for (const o of [outcome.declared, outcome.streamed]) {
      expect(o).toMatchObject({ ok: false, error: { code: 'provider_response_too_large', retryable: false } });
    }
  });
});

describe('response mapping', () => {
  it('maps the JSON response to the configured outputs, null where absent', async () => {
    api.on('/api/customer', (_req, res) =>
      json(res, 200, { data: { customer: { id: 'c_1', tier: 'gold' } }, items: [{ name: 'first' }] }),
    );
    api.on('/api/text', (_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('hello'));
    api.on('/api/empty', (_req, res) => res.writeHead(204).end());
    const outcome = await run(async (run) => ({
      mapped: await run(
        'http.request',
        request({
          method: 'GET',
          path: [{ text: '/customer' }],
          response_mapping: { id: 'data.customer.id', first: 'items.0.name', missing: 'data.nothing.here' },
        }),
      ),
      text: await run('http.request', request({ method: 'GET', path: [{ text: '/text' }] })),
      empty: await run('http.request', request({ method: 'GET', path: [{ text: '/empty' }] })),
    }));
    expect(outcome.mapped).toEqual({ ok: true, result: { id: 'c_1', first: 'first', missing: null } });
    expect(outcome.text).toEqual({ ok: true, result: { status: 200, body: 'hello' } });
    expect(outcome.empty).toEqual({ ok: true, result: null });
  });
});
