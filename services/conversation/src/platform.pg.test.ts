/**
 * Platform administration against a real Postgres: platform keys create, list and disable
 * tenants and reach nothing else; tenant keys never reach `/v1/platform`; a new tenant's admin
 * key works on its own data only; a disabled tenant's keys are refused with `tenant_disabled`.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Bus } from '@switchboard/bus';
import { newPlatformKey } from '@switchboard/common';
import { createApiKey, createPool, createTenant, listInactiveApiKeys, migrate } from '@switchboard/db';
import { type PostgresServer, startPostgres } from '@switchboard/devstack';
import { trace } from '@switchboard/telemetry';
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from './app.js';

let dir: string;
let postgres: PostgresServer;
let db: pg.Pool;
let app: FastifyInstance;
const platform = newPlatformKey();
const rotated = newPlatformKey();
let seedKey: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'switchboard-platform-'));
  chmodSync(dir, 0o755);
  postgres = await startPostgres({ dataDir: join(dir, 'pg'), logDir: dir, ephemeral: true });
  db = createPool(postgres.url);
  db.on('error', () => {});
  await migrate(db);
  const seed = await createTenant(db, 'seeded');
  seedKey = (await createApiKey(db, seed.id, { label: 'dev' })).key;
  app = await buildApp({
    db,
    bus: {} as Bus,
    tracer: trace.getTracer('test'),
    toolCallTimeoutMs: 1000,
    platformKeyHashes: [platform.sha256, rotated.sha256],
  });
}, 120_000);

afterAll(async () => {
  await app?.close();
  await db?.end();
  await postgres?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const as = (key: string | undefined) => (key === undefined ? {} : { authorization: `Bearer ${key}` });
async function call(key: string | undefined, method: 'GET' | 'POST' | 'PUT', url: string, payload?: object) {
  const res = await app.inject({ method, url, headers: as(key), ...(payload === undefined ? {} : { payload }) });
  return { status: res.statusCode, body: res.body === '' ? undefined : res.json() };
}

describe('platform routes', () => {
  it('create a tenant with a first admin key that works on its own data only', async () => {
    const created = await call(platform.key, 'POST', '/v1/platform/tenants', { name: 'acme' });
    expect(created.status).toBe(201);
    expect(created.body.tenant).toMatchObject({ name: 'acme', disabledAt: null });
    expect(created.body.adminKey.scopes).toEqual(['admin']);
    const acmeKey: string = created.body.adminKey.key;
    expect(acmeKey).toMatch(/^sb_key_/);

    // The new admin key manages its tenant: an endpoint, and a second key.
    const put = await call(acmeKey, 'PUT', '/v1/endpoints/hook', { url: 'https://example.com/hook' });
    expect(put.status).toBeLessThan(300);
    expect((await call(acmeKey, 'GET', '/v1/endpoints')).body.endpoints.map((e: { name: string }) => e.name)).toEqual([
      'hook',
    ]);
    const second = await call(acmeKey, 'POST', '/v1/api-keys', { name: 'ops', scopes: ['read'] });
    expect(second.status).toBe(201);

    // Tenants are isolated: the seeded tenant sees neither the endpoint nor the keys.
    expect((await call(seedKey, 'GET', '/v1/endpoints')).body.endpoints).toEqual([]);
    expect((await call(seedKey, 'GET', '/v1/endpoints/hook')).status).toBe(404);
    expect((await call(seedKey, 'GET', '/v1/api-keys')).body.keys.map((k: { name: string }) => k.name)).toEqual([
      'dev',
    ]);
  });

  it('refuse a name another tenant has, once under concurrent creations', async () => {
    const results = await Promise.all(
      [1, 2, 3, 4].map(() => call(platform.key, 'POST', '/v1/platform/tenants', { name: 'twice' })),
    );
    expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409, 409]);
    const conflict = results.find((r) => r.status === 409);
    expect(conflict?.body.error.code).toBe('conflict');
    const { body } = await call(platform.key, 'GET', '/v1/platform/tenants');
    expect(body.tenants.filter((t: { name: string }) => t.name === 'twice')).toHaveLength(1);
  });

  it('list every tenant, and take any of the configured platform keys', async () => {
    const listed = await call(rotated.key, 'GET', '/v1/platform/tenants');
    expect(listed.status).toBe(200);
    expect(listed.body.tenants.map((t: { name: string }) => t.name)).toEqual(
      expect.arrayContaining(['seeded', 'acme', 'twice']),
    );
  });

  it('refuse tenant keys (403 platform_key_required), and anything else (401)', async () => {
    const tenantKey = await call(seedKey, 'GET', '/v1/platform/tenants');
    expect(tenantKey.status).toBe(403);
    expect(tenantKey.body.error.code).toBe('platform_key_required');
    for (const key of [undefined, newPlatformKey().key, 'sbp_short', 'nonsense']) {
      const r = await call(key, 'POST', '/v1/platform/tenants', { name: 'intruder' });
      expect(r.status).toBe(401);
      expect(r.body.error.code).toBe('unauthorized');
    }
    const { body } = await call(platform.key, 'GET', '/v1/platform/tenants');
    expect(body.tenants.map((t: { name: string }) => t.name)).not.toContain('intruder');
  });

  it('refuse the platform key on every tenant route (403 tenant_key_required)', async () => {
    for (const [method, url] of [
      ['GET', '/v1/endpoints'],
      ['GET', '/v1/api-keys'],
      ['GET', '/v1/runs'],
      ['GET', '/v1/agents'],
    ] as const) {
      const r = await call(platform.key, method, url);
      expect(r.status, url).toBe(403);
      expect(r.body.error.code, url).toBe('tenant_key_required');
    }
  });

  it('disable a tenant: its keys are refused with tenant_disabled, others go on, nothing is deleted', async () => {
    const created = await call(platform.key, 'POST', '/v1/platform/tenants', { name: 'leaving' });
    const key: string = created.body.adminKey.key;
    const id: string = created.body.tenant.id;
    expect((await call(key, 'PUT', '/v1/endpoints/kept', { url: 'https://example.com/k' })).status).toBeLessThan(300);

    const disabled = await call(platform.key, 'POST', `/v1/platform/tenants/${id}/disable`);
    expect(disabled.status).toBe(200);
    expect(disabled.body.disabledAt).toEqual(expect.any(String));
    const again = await call(platform.key, 'POST', `/v1/platform/tenants/${id}/disable`);
    expect(again.body.disabledAt).toBe(disabled.body.disabledAt);

    const refused = await call(key, 'GET', '/v1/endpoints');
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatchObject({ code: 'tenant_disabled', details: { tenantId: id } });
    expect((await call(seedKey, 'GET', '/v1/endpoints')).status).toBe(200);
    // Open streams of its keys close: the revocation watch counts them inactive.
    expect(await listInactiveApiKeys(db, [created.body.adminKey.id])).toEqual([created.body.adminKey.id]);
    const { rows } = await db.query('SELECT name FROM endpoints WHERE tenant_id = $1', [id]);
    expect(rows).toEqual([{ name: 'kept' }]);

    expect((await call(platform.key, 'POST', '/v1/platform/tenants/ten_nosuchtenant/disable')).status).toBe(404);
  });

  it('document every platform route with the statuses it answers', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json();
    const create = doc.paths['/v1/platform/tenants'].post;
    expect(Object.keys(create.responses)).toEqual(expect.arrayContaining(['201', '400', '401', '403', '409']));
    expect(create.security).toEqual([{ platformKey: [] }]);
    expect(Object.keys(doc.paths['/v1/platform/tenants/{id}/disable'].post.responses)).toEqual(
      expect.arrayContaining(['200', '401', '403', '404']),
    );
  });
});
