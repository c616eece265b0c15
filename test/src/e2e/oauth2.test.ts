import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiResponse, eventually, startTestStack, type TestStack } from '../support/stack.js';

// A custom API behind the OAuth2 client-credentials grant, through the public API: the
// credential, the endpoint and the action are saved over HTTP, tool calls run through every
// process, and a local token endpoint and API (servers in this test) see what the worker sends.
let stack: TestStack;
let logDir: string;
let tokenServer: Local;
let apiServer: Local;

const CLIENT_SECRET = 'cs_e2e_Zm9vYmFyYmF6cXV4';

interface Seen {
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}
interface Local {
  url: string;
  seen: Seen[];
  handle(fn: (req: Seen, res: ServerResponse) => void): void;
  close(): Promise<void>;
}

async function local(): Promise<Local> {
  let handler: (req: Seen, res: ServerResponse) => void = (_req, res) => res.writeHead(500).end();
  const seen: Seen[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r = { url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      seen.push(r);
      handler(r, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    handle: (fn) => {
      handler = fn;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const json = (res: ServerResponse, status: number, body: unknown) =>
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));

/** Every access token the token endpoint granted. */
const issued: string[] = [];
const grantToken = (_req: Seen, res: ServerResponse) => {
  const token = `oat_e2e_${issued.length + 1}_${Math.random().toString(36).slice(2, 12)}`;
  issued.push(token);
  json(res, 200, { access_token: token, token_type: 'Bearer', expires_in: 3600 });
};

/** Access tokens the API no longer accepts. */
const revoked = new Set<string>();

beforeAll(async () => {
  logDir = mkdtempSync(join(tmpdir(), 'switchboard-e2e-oauth2-'));
  [stack, tokenServer, apiServer] = await Promise.all([startTestStack(logDir), local(), local()]);
  tokenServer.handle(grantToken);
  apiServer.handle((req, res) => {
    const token = String(req.headers.authorization ?? '').replace(/^Bearer /, '');
    if (!issued.includes(token) || revoked.has(token)) return json(res, 401, { error: 'invalid token' });
    const phone = decodeURIComponent(req.url.split('/').at(-1) ?? '');
    json(res, 200, { account: { phone, status: 'active', balance: 42.5 } });
  });
}, 180_000);

afterAll(async () => {
  await Promise.all([stack?.stop(), tokenServer?.close(), apiServer?.close()]);
}, 60_000);

const agent = {
  instructions: "When the caller asks about their account, use 'Get Customer Account' with their phone number.",
  actions: [
    {
      type: 'custom_api',
      name: 'Get Customer Account',
      description: 'Retrieves the caller account from the CRM by phone number: status and balance.',
      config: {
        endpoint: 'crm_api',
        method: 'GET',
        path: '/accounts/{{params.phone}}',
        auth: { type: 'oauth2', credential: 'crm_oauth' },
        parameters: [{ name: 'phone', type: 'string', required: true }],
        response_mapping: { status: 'account.status', balance: 'account.balance' },
      },
    },
  ],
};

/** Every response of the public API this test received: none may hold a secret. */
const answers: ApiResponse[] = [];
async function api(method: string, path: string, body?: unknown): Promise<ApiResponse> {
  const res = await stack.api(method, path, body);
  answers.push(res);
  return res;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

describe('custom API with OAuth2 client credentials', () => {
  let conv: string;
  const lookup = (key: string) =>
    api('POST', `/v1/conversations/${conv}/tool-calls`, {
      name: 'Get Customer Account',
      arguments: { phone: '+15551230000' },
    }).then((res) => ({ ...res, key }));

  it('stores the credential write-only, refusing an incomplete one with pointers', async () => {
    const incomplete = await api('PUT', '/v1/credentials/crm_oauth', {
      provider: 'http',
      secret: { token_url: `${tokenServer.url}/oauth/token`, client_id: 'switchboard', client_auth: 'private_key_jwt' },
    });
    expect(incomplete.status).toBe(400);
    expect(incomplete.body.error.code).toBe('validation_failed');
    expect(incomplete.body.error.details.issues.map((i: { pointer: string }) => i.pointer)).toEqual([
      '/secret/client_secret',
      '/secret/client_auth',
    ]);
    const saved = await api('PUT', '/v1/credentials/crm_oauth', {
      provider: 'http',
      secret: {
        token_url: `${tokenServer.url}/oauth/token`,
        client_id: 'switchboard',
        client_secret: CLIENT_SECRET,
        scope: 'accounts.read',
      },
    });
    expect(saved.status).toBe(200);
    const endpoint = await api('PUT', '/v1/endpoints/crm_api', { url: `${apiServer.url}/v2`, allow_private: true });
    expect(endpoint.status).toBe(200);
    const published = await api('PUT', '/v1/agents/crm-desk', agent);
    expect(published.status).toBe(200);
    expect(published.body.actions).toEqual([
      expect.objectContaining({ name: 'Get Customer Account', status: 'configured' }),
    ]);
    expect(published.body.lint).toEqual([]);
    conv = (await api('POST', '/v1/conversations', { agent: 'crm-desk' })).body.id;
  });

  it('sends the granted token as a Bearer token and reuses it across calls', async () => {
    const first = await lookup('first');
    const second = await lookup('second');
    for (const res of [first, second]) {
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        status: 'succeeded',
        outputs: { get_customer_account: { status: 'active', balance: 42.5 } },
      });
    }
    expect(tokenServer.seen).toHaveLength(1);
    const tokenRequest = tokenServer.seen[0] as Seen;
    expect(tokenRequest.url).toBe('/oauth/token');
    expect(Object.fromEntries(new URLSearchParams(tokenRequest.body))).toEqual({
      grant_type: 'client_credentials',
      scope: 'accounts.read',
    });
    expect(tokenRequest.headers.authorization).toBe(
      `Basic ${Buffer.from(`switchboard:${CLIENT_SECRET}`).toString('base64')}`,
    );
    expect(apiServer.seen.map((r) => [r.url, r.headers.authorization])).toEqual([
      ['/v2/accounts/%2B15551230000', `Bearer ${issued[0]}`],
      ['/v2/accounts/%2B15551230000', `Bearer ${issued[0]}`],
    ]);
  });

  it('renews a token the API refuses (401) once, and the call succeeds', async () => {
    revoked.add(issued[0] as string);
    const renewed = await lookup('renewed');
    expect(renewed.body).toMatchObject({
      status: 'succeeded',
      outputs: { get_customer_account: { status: 'active' } },
    });
    expect(tokenServer.seen).toHaveLength(2);
    expect(apiServer.seen.slice(2).map((r) => r.headers.authorization)).toEqual([
      `Bearer ${issued[0]}`,
      `Bearer ${issued[1]}`,
    ]);
    // The renewed token is reused in turn.
    expect((await lookup('after')).body.status).toBe('succeeded');
    expect(tokenServer.seen).toHaveLength(2);
  });

  it('fails terminally when the token endpoint refuses the client, and the action shows Error', async () => {
    revoked.add(issued[1] as string);
    tokenServer.handle((_req, res) =>
      json(res, 401, { error: 'invalid_client', error_description: 'client authentication failed' }),
    );
    const refused = await lookup('refused');
    expect(refused.status).toBe(200);
    expect(refused.body).toMatchObject({
      status: 'failed',
      error: { code: 'provider_auth_failed', retryable: false },
    });
    expect(refused.body.error.message).toContain('invalid_client');
    // One renewal only: the API refused the old token once, the token endpoint refused once.
    expect(tokenServer.seen).toHaveLength(3);
    const status = await eventually(async () => {
      const read = await api('GET', '/v1/agents/crm-desk');
      const action = read.body.actions[0];
      return action.status === 'error' ? action : undefined;
    });
    expect(JSON.stringify(status.problems)).toContain('invalid_client');
    const credentials = await api('GET', '/v1/credentials');
    expect(credentials.body.credentials).toContainEqual(
      expect.objectContaining({ name: 'crm_oauth', status: 'auth_failed' }),
    );

    // A fixed credential (PUT again) works at once: its status is reset and a new token is requested.
    tokenServer.handle(grantToken);
    await api('PUT', '/v1/credentials/crm_oauth', {
      provider: 'http',
      secret: {
        token_url: `${tokenServer.url}/oauth/token`,
        client_id: 'switchboard',
        client_secret: CLIENT_SECRET,
        scope: 'accounts.read',
      },
    });
    expect((await lookup('fixed')).body.status).toBe('succeeded');
    expect(apiServer.seen.at(-1)?.headers.authorization).toBe(`Bearer ${issued.at(-1)}`);
  });

  it('never logs, traces or returns the client secret or a token', async () => {
    const runs = await api('GET', `/v1/conversations/${conv}/runs`);
    expect(runs.status).toBe(200);
    // The worker traced the token requests, without secrets.
    const tokenSpans = await eventually(() => {
      const spans = stack.otlp.spans().filter((s) => s.name === 'POST oauth2 token');
      return spans.length >= 2 ? spans : undefined;
    }, 15_000);
    expect(tokenSpans.every((s) => s.service === 'webhook-worker')).toBe(true);
    // The worker did log the refusal (so its log is where a secret would have shown up).
    expect(readFileSync(join(logDir, 'webhook-worker.log'), 'utf8')).toContain('oauth2 token request refused');
    const secrets = [CLIENT_SECRET, Buffer.from(`switchboard:${CLIENT_SECRET}`).toString('base64'), ...issued];
    const texts = [
      ...answers.map((a) => JSON.stringify(a.body)),
      ...stack.otlp.spans().map((s) => s.raw),
      ...filesUnder(logDir).map((file) => readFileSync(file, 'utf8')),
    ];
    for (const secret of secrets) {
      const holders = texts.filter((text) => text.includes(secret));
      expect(holders, `a secret was found in ${holders.length} place(s)`).toEqual([]);
    }
  });
});
