import { createHash } from 'node:crypto';
import type { Bus } from '@switchboard/bus';
import type { Queryable } from '@switchboard/db';
import { trace } from '@switchboard/telemetry';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { RateLimits } from './access.js';
import { type AppDeps, buildApp } from './app.js';

interface FakeKey {
  tenantId: string;
  scopes: string[];
}

/** `sb_key_<24 hex>_<secret>` keys of a fake `api_keys` table. */
function keyFor(n: number): { id: string; token: string; hash: Buffer } {
  const id = `key_${n.toString(16).padStart(24, '0')}`;
  const secret = `secret-of-key-number-${n}`;
  return { id, token: `sb_${id}_${secret}`, hash: createHash('sha256').update(secret).digest() };
}

/** Enough of Postgres for authentication and the two cheap routes the tests call. */
function fakeDb(keys: Map<number, FakeKey>): Queryable {
  const query = async (text: string, params: unknown[] = []) => {
    if (text.includes('FROM api_keys k JOIN tenants t ON t.id = k.tenant_id')) {
      for (const [n, k] of keys) {
        const { id, hash } = keyFor(n);
        if (id === params[0]) return { rows: [{ tenant_id: k.tenantId, secret_hash: hash, scopes: k.scopes }] };
      }
      return { rows: [] };
    }
    if (text.includes('FROM agents WHERE tenant_id')) return { rows: [] };
    if (text.includes('FROM api_keys WHERE tenant_id = $1 ORDER BY')) return { rows: [] };
    throw new Error(`unexpected query: ${text}`);
  };
  return { query } as unknown as Queryable;
}

const KEYS = new Map<number, FakeKey>([
  [1, { tenantId: 'ten_a', scopes: ['read'] }],
  [2, { tenantId: 'ten_a', scopes: ['read'] }],
  [3, { tenantId: 'ten_b', scopes: ['read'] }],
  [4, { tenantId: 'ten_a', scopes: ['conversations'] }],
  [5, { tenantId: 'ten_a', scopes: ['admin'] }],
  [6, { tenantId: 'ten_a', scopes: ['*'] }],
  [7, { tenantId: 'ten_a', scopes: ['agents:write'] }],
  [8, { tenantId: 'ten_a', scopes: [] }],
]);

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function build(
  rateLimits?: RateLimits,
  logLines?: string[],
  level = 'warn',
  extra: Partial<AppDeps> = {},
): Promise<FastifyInstance> {
  const logger = logLines ? pino({ level }, { write: (line: string) => void logLines.push(line) }) : undefined;
  app = await buildApp({
    db: fakeDb(KEYS),
    ...extra,
    bus: {} as Bus,
    tracer: trace.getTracer('test'),
    toolCallTimeoutMs: 1000,
    ...(rateLimits ? { rateLimits } : {}),
    ...(logger ? { logger } : {}),
  });
  return app;
}

const get = (a: FastifyInstance, key: number, url = '/v1/agents') =>
  a.inject({ method: 'GET', url, headers: { authorization: `Bearer ${keyFor(key).token}` } });

describe('rate limits', () => {
  it('limits each key, and the tenant over all its keys, with 429, Retry-After and the error body', async () => {
    const a = await build({ perKeyPerMin: 3, perTenantPerMin: 5 });
    for (let i = 0; i < 3; i++) expect((await get(a, 1)).statusCode).toBe(200);
    const overKey = await get(a, 1);
    expect(overKey.statusCode).toBe(429);
    expect(Number(overKey.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(overKey.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(overKey.json()).toEqual({
      error: {
        code: 'rate_limited',
        message: expect.stringContaining('per API key'),
        retryable: true,
        details: expect.objectContaining({ limit: 'key', max: 3 }),
      },
    });

    // Key 2 of the same tenant has its own key budget, but the tenant's is shared: 3 + 2 = 5.
    expect((await get(a, 2)).statusCode).toBe(200);
    expect((await get(a, 2)).statusCode).toBe(200);
    const overTenant = await get(a, 2);
    expect(overTenant.statusCode).toBe(429);
    expect(overTenant.json().error).toMatchObject({ code: 'rate_limited', details: { limit: 'tenant', max: 5 } });
    expect(overTenant.headers['retry-after']).toBeDefined();

    // Another tenant is not affected.
    expect((await get(a, 3)).statusCode).toBe(200);
  });

  it('does not count requests without a valid key, nor webhooks outside the API key scope', async () => {
    const a = await build({ perKeyPerMin: 1, perTenantPerMin: 1 });
    for (let i = 0; i < 3; i++) {
      const anonymous = await a.inject({ method: 'GET', url: '/v1/agents' });
      expect(anonymous.statusCode).toBe(401);
      const webhook = await a.inject({
        method: 'POST',
        url: '/v1/inbound/twilio/ten_a/twilio_main/sms',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'From=%2B15551230001',
      });
      expect(webhook.statusCode).not.toBe(429);
    }
    expect((await get(a, 1)).statusCode).toBe(200);
    expect((await get(a, 1)).statusCode).toBe(429);
  });

  it('turns a limit off with 0', async () => {
    const a = await build({ perKeyPerMin: 0, perTenantPerMin: 0 });
    for (let i = 0; i < 20; i++) expect((await get(a, 1)).statusCode).toBe(200);
  });
});

describe('scopes', () => {
  it('refuses a route whose scope the key lacks with 403 naming the scope', async () => {
    const a = await build();
    const res = await a.inject({
      method: 'PUT',
      url: '/v1/endpoints/crm',
      headers: { authorization: `Bearer ${keyFor(4).token}` },
      payload: { url: 'https://crm.example.com/hook' },
    });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toEqual({
      error: {
        code: 'forbidden',
        message: "this API key lacks the 'admin' scope that PUT /v1/endpoints/:name requires",
        retryable: false,
        details: { required: 'admin', granted: ['conversations'] },
      },
    });
  });

  it('lets every scope read, admin and * do everything, and a key without scopes nothing', async () => {
    const a = await build();
    for (const key of [1, 4, 5, 6, 7]) expect((await get(a, key)).statusCode, `key ${key}`).toBe(200);
    expect((await get(a, 8)).statusCode).toBe(403);
    for (const key of [5, 6]) expect((await get(a, key, '/v1/api-keys')).statusCode, `key ${key}`).toBe(200);
    for (const key of [1, 4, 7]) expect((await get(a, key, '/v1/api-keys')).statusCode, `key ${key}`).toBe(403);
  });

  it('checks the scope before validating the body (no probing of admin routes)', async () => {
    const a = await build();
    const res = await a.inject({
      method: 'POST',
      url: '/v1/api-keys',
      headers: { authorization: `Bearer ${keyFor(1).token}` },
      payload: { nonsense: true },
    });
    expect(res.statusCode).toBe(403);
  });

  it('gives every /v1 route a scope (no route falls back to admin-only)', async () => {
    const lines: string[] = [];
    await build(undefined, lines);
    const undeclared = lines
      .map((l) => JSON.parse(l))
      .filter((l) => String(l.msg).includes('declares no API key scope'));
    expect(undeclared.map((l) => `${l.method} ${l.url}`)).toEqual([]);
  });
});

describe('API key in the query string', () => {
  it('is accepted only where the route allows it (the WebSocket), never elsewhere', async () => {
    const a = await build();
    const res = await a.inject({ method: 'GET', url: `/v1/agents?access_token=${keyFor(1).token}` });
    expect(res.statusCode).toBe(401);
    // The WebSocket route reaches its own checks with a query token: its params fail validation
    // (400), which comes after authentication (401) and scope (403).
    const ws = await a.inject({ method: 'GET', url: `/v1/conversations/nope/ws?access_token=${keyFor(4).token}` });
    expect(ws.statusCode).toBe(400);
    const wsWithoutKey = await a.inject({ method: 'GET', url: '/v1/conversations/nope/ws' });
    expect(wsWithoutKey.statusCode).toBe(401);
    const wsReadOnly = await a.inject({
      method: 'GET',
      url: `/v1/conversations/nope/ws?access_token=${keyFor(1).token}`,
    });
    expect(wsReadOnly.statusCode).toBe(403);
  });

  it('is blanked in request logs', async () => {
    const lines: string[] = [];
    const a = await build(undefined, lines, 'info');
    const token = keyFor(1).token;
    const res = await a.inject({ method: 'GET', url: `/v1/conversations/nope/ws?after=1&access_token=${token}` });
    expect(res.statusCode).toBe(403);
    const logged = lines.join('');
    expect(logged).toContain('access_token=[redacted]');
    expect(logged).not.toContain(token);
  });
});

describe('failed authentications', () => {
  const limits = { failuresPerAddressPerMin: 5, negativeCacheMs: 5_000 };
  const from = (a: FastifyInstance, remoteAddress: string, token: string, forwardedFor?: string) =>
    a.inject({
      method: 'GET',
      url: '/v1/agents',
      remoteAddress,
      headers: { authorization: `Bearer ${token}`, ...(forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}) },
    });

  it('refuses an address over its limit with 429, Retry-After and the error body, before any key lookup', async () => {
    let lookups = 0;
    const db = fakeDb(KEYS);
    const counting = {
      query: (text: string, params?: unknown[]) => {
        if (text.includes('FROM api_keys k JOIN tenants t ON t.id = k.tenant_id')) lookups++;
        return db.query(text, params);
      },
    } as unknown as Queryable;
    const lines: string[] = [];
    const a = await build(undefined, lines, 'warn', { db: counting, authLimits: limits });
    for (let i = 0; i < 5; i++) expect((await from(a, '203.0.113.7', keyFor(100 + i).token)).statusCode).toBe(401);
    const over = await from(a, '203.0.113.7', keyFor(200).token);
    expect(over.statusCode).toBe(429);
    expect(Number(over.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(over.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(over.json()).toEqual({
      error: {
        code: 'rate_limited',
        message: expect.stringContaining('5 failed authentications per minute from this client address'),
        retryable: true,
        details: expect.objectContaining({ limit: 'address', max: 5 }),
      },
    });
    // Every request from it, a valid key's too, until the window ends; other addresses go on.
    expect((await from(a, '203.0.113.7', keyFor(1).token)).statusCode).toBe(429);
    expect(lookups).toBe(5);
    expect((await from(a, '198.51.100.1', keyFor(1).token)).statusCode).toBe(200);
    const warned = lines.map((l) => JSON.parse(l)).filter((l) => String(l.msg).includes('failed-authentication limit'));
    expect(warned.map((l) => l.address)).toEqual(['203.0.113.7']);
  });

  it("counts a proxy's clients apart only when TRUST_PROXY trusts the proxy", async () => {
    const direct = await build(undefined, undefined, 'warn', { authLimits: limits });
    for (let i = 0; i < 5; i++) await from(direct, '127.0.0.1', keyFor(100 + i).token, `203.0.113.${i}`);
    // Untrusted, the header is the client's word: every request counts against the proxy.
    expect((await from(direct, '127.0.0.1', keyFor(1).token, '198.51.100.9')).statusCode).toBe(429);
    await direct.close();

    const proxied = await build(undefined, undefined, 'warn', { authLimits: limits, trustProxy: 'loopback' });
    for (let i = 0; i < 5; i++) await from(proxied, '127.0.0.1', keyFor(100 + i).token, '203.0.113.7');
    expect((await from(proxied, '127.0.0.1', keyFor(1).token, '203.0.113.7')).statusCode).toBe(429);
    expect((await from(proxied, '127.0.0.1', keyFor(1).token, '198.51.100.9')).statusCode).toBe(200);
    expect((await from(proxied, '127.0.0.1', keyFor(1).token)).statusCode).toBe(200);
    // A peer that is not the trusted proxy cannot choose its address with the header.
    for (let i = 0; i < 5; i++) await from(proxied, '192.0.2.1', keyFor(100 + i).token, `203.0.113.${50 + i}`);
    expect((await from(proxied, '192.0.2.1', keyFor(1).token, '198.51.100.10')).statusCode).toBe(429);
  });
});
