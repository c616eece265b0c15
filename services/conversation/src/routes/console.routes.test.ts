/**
 * The console's files, config and fault forwarding, through the whole app (`buildApp`). The
 * database is a stand-in that knows two API keys, and the provider sandbox a small HTTP server
 * that records what it was sent: neither is the unit under test.
 */
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Bus } from '@switchboard/bus';
import type { Queryable } from '@switchboard/db';
import { trace } from '@switchboard/telemetry';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../app.js';
import { CONSOLE_DIR, consoleSettingsFromEnv } from './console.routes.js';

const KEYS = {
  conversations: { id: 'key_0123456789abcdef01234567', secret: 'conversations-secret-0000', scopes: ['conversations'] },
  read: { id: 'key_0123456789abcdef0123456f', secret: 'read-only-secret-00000000', scopes: ['read'] },
};
const bearer = (k: keyof typeof KEYS) => ({ authorization: `Bearer sb_${KEYS[k].id}_${KEYS[k].secret}` });

/** Answers `verifyApiKey`'s query for the keys above, and nothing else. */
const db: Queryable = {
  query: (async (sql: string, params: unknown[] = []) => {
    if (!/FROM api_keys/.test(sql)) throw new Error(`unexpected query: ${sql}`);
    const key = Object.values(KEYS).find((k) => k.id === params[0]);
    const rows = key
      ? [{ tenant_id: 'ten_1', secret_hash: createHash('sha256').update(key.secret).digest(), scopes: key.scopes }]
      : [];
    return { rows, rowCount: rows.length };
  }) as unknown as Queryable['query'],
} as Queryable;

let sandbox: Server;
let sandboxUrl: string;
let received: { method: string; url: string; body: string }[] = [];
let app: FastifyInstance;
const savedEnv = { ...process.env };

beforeAll(async () => {
  sandbox = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      received.push({ method: req.method ?? '', url: req.url ?? '', body });
      res.writeHead(req.method === 'POST' ? 201 : 200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: true }));
    });
  });
  await new Promise<void>((r) => sandbox.listen(0, '127.0.0.1', r));
  sandboxUrl = `http://127.0.0.1:${(sandbox.address() as AddressInfo).port}`;
  process.env.TRACE_URL_TEMPLATE = 'http://localhost:16686/trace/{traceId}';
  process.env.TEMPORAL_UI_URL = 'http://localhost:8233/';
  process.env.TEMPORAL_NAMESPACE = 'default';
  // HubSpot points at a closed port: a sandbox that is down.
  process.env.SANDBOX_URLS = JSON.stringify({ calcom: `${sandboxUrl}/`, hubspot: 'http://127.0.0.1:9' });
  app = await buildApp({ db, bus: {} as Bus, tracer: trace.getTracer('test'), toolCallTimeoutMs: 1000 });
});

afterAll(async () => {
  process.env = savedEnv;
  await app?.close();
  await new Promise((r) => sandbox?.close(r));
});

beforeEach(() => {
  received = [];
});

describe('console files and config', () => {
  it('serves the page, its module and stylesheet without an API key, with a strict CSP', async () => {
    const bare = await app.inject({ method: 'GET', url: '/console' });
    expect(bare.statusCode).toBe(301);
    expect(bare.headers.location).toBe('/console/');
    const page = await app.inject({ method: 'GET', url: '/console/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('<script type="module" src="console.js">');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    const js = await app.inject({ method: 'GET', url: '/console/console.js' });
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toMatch(/javascript/);
    const css = await app.inject({ method: 'GET', url: '/console/console.css' });
    expect(css.headers['content-type']).toMatch(/^text\/css/);
  });

  it('serves every module the entry imports, as JavaScript, and every module it serves is imported', async () => {
    const dir = readdirSync(CONSOLE_DIR).filter((f) => f.endsWith('.js'));
    const imported = new Set(['console.js']);
    for (const file of dir) {
      const res = await app.inject({ method: 'GET', url: `/console/${file}` });
      expect(res.statusCode, file).toBe(200);
      expect(res.headers['content-type'], file).toMatch(/^(text|application)\/javascript/);
      expect(res.headers['x-content-type-options'], file).toBe('nosniff');
      for (const m of res.body.matchAll(/^import [^;]* from '\.\/([\w-]+\.js)';$/gm)) imported.add(m[1] as string);
    }
    // A module nothing imports is dead, one imported but missing would break the page.
    expect([...imported].sort()).toEqual([...dir].sort());
  });

  it('serves nothing outside its folder', async () => {
    for (const url of ['/console/../package.json', '/console/%2e%2e/package.json', '/console/missing.js']) {
      expect((await app.inject({ method: 'GET', url })).statusCode, url).toBe(404);
    }
  });

  it('tells the page the trace and workflow link templates and the sandboxes', async () => {
    const res = await app.inject({ method: 'GET', url: '/console/config.json' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      traceUrlTemplate: 'http://localhost:16686/trace/{traceId}',
      workflowUrlTemplate: 'http://localhost:8233/namespaces/default/workflows/{workflowId}',
      sandboxes: { calcom: sandboxUrl, hubspot: 'http://127.0.0.1:9' },
    });
  });

  it('reads its settings from the environment, naming every problem', () => {
    expect(consoleSettingsFromEnv({})).toEqual({});
    expect(consoleSettingsFromEnv({ SANDBOX_URLS: '{"twilio":"http://127.0.0.1:8092"}' })).toEqual({
      sandboxUrls: { twilio: 'http://127.0.0.1:8092' },
    });
    expect(() =>
      consoleSettingsFromEnv({
        TRACE_URL_TEMPLATE: 'http://jaeger/trace/',
        SANDBOX_URLS: '{"calcom":"ftp://x","stripe":"http://y"}',
      }),
    ).toThrow(/TRACE_URL_TEMPLATE.*\{traceId\}.*'calcom' must be an http\(s\) URL.*unknown sandbox 'stripe'/);
    expect(() => consoleSettingsFromEnv({ SANDBOX_URLS: '[1]' })).toThrow(/SANDBOX_URLS must be a JSON object/);
    // The Temporal UI link: its namespace (default `default`) in the path; the namespace alone links nothing.
    expect(
      consoleSettingsFromEnv({ TEMPORAL_UI_URL: 'https://temporal.example.com/ui', TEMPORAL_NAMESPACE: 'prod eu' }),
    ).toEqual({
      workflowUrlTemplate: 'https://temporal.example.com/ui/namespaces/prod%20eu/workflows/{workflowId}',
    });
    expect(consoleSettingsFromEnv({ TEMPORAL_UI_URL: 'http://localhost:8233' }).workflowUrlTemplate).toBe(
      'http://localhost:8233/namespaces/default/workflows/{workflowId}',
    );
    expect(consoleSettingsFromEnv({ TEMPORAL_NAMESPACE: 'prod' })).toEqual({});
    expect(() => consoleSettingsFromEnv({ TEMPORAL_UI_URL: 'localhost:8233' })).toThrow(
      /TEMPORAL_UI_URL must be an http\(s\) URL/,
    );
  });
});

describe('fault injection', () => {
  const fault = { status: 503, count: 2, method: 'POST', pathPrefix: '/v2/bookings' };

  it('forwards a fault to the sandbox for a key that may run conversations', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/console/sandboxes/calcom/faults',
      headers: bearer('conversations'),
      payload: fault,
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ provider: 'calcom', sandbox: { ok: true } });
    expect(received).toEqual([{ method: 'POST', url: '/_sandbox/faults', body: JSON.stringify(fault) }]);

    const cleared = await app.inject({
      method: 'DELETE',
      url: '/console/sandboxes/calcom/faults',
      headers: bearer('conversations'),
    });
    expect(cleared.statusCode).toBe(200);
    expect(received[1]).toEqual({ method: 'DELETE', url: '/_sandbox/faults', body: '' });
  });

  it('refuses without a valid key, or with a key that may only read, before forwarding anything', async () => {
    const post = (headers: Record<string, string>) =>
      app.inject({ method: 'POST', url: '/console/sandboxes/calcom/faults', headers, payload: fault });
    expect((await post({})).statusCode).toBe(401);
    expect((await post({ authorization: `Bearer sb_${KEYS.read.id}_wrong-secret-000000000` })).statusCode).toBe(401);
    const readOnly = await post(bearer('read'));
    expect(readOnly.statusCode).toBe(403);
    expect(readOnly.json().error.code).toBe('forbidden');
    expect(received).toEqual([]);
  });

  it('validates the fault and the provider', async () => {
    const post = (url: string, payload: unknown) =>
      app.inject({ method: 'POST', url, headers: bearer('conversations'), payload: payload as object });
    const unknownField = await post('/console/sandboxes/calcom/faults', { status: 503, explode: true });
    expect(unknownField.statusCode).toBe(400);
    expect(unknownField.json().error.code).toBe('validation_failed');
    expect((await post('/console/sandboxes/calcom/faults', {})).statusCode).toBe(400);
    expect((await post('/console/sandboxes/stripe/faults', fault)).statusCode).toBe(400);
    // Twilio is a known provider, but this stack runs no Twilio sandbox.
    expect((await post('/console/sandboxes/twilio/faults', fault)).statusCode).toBe(404);
    expect(received).toEqual([]);
  });

  it('answers 502 when the sandbox is down', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/console/sandboxes/hubspot/faults',
      headers: bearer('conversations'),
      payload: fault,
    });
    expect(res.statusCode).toBe(502);
    expect(res.json().error).toMatchObject({ code: 'sandbox_unreachable', retryable: true });
  });
});
