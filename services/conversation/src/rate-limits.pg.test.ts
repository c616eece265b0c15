/**
 * Rate limits hold across replicas: two instances of the service on one real Postgres share
 * a key's per-minute budget through `rate_counters` (synced every 100 ms here). The test waits
 * for the syncs it needs by counting each replica's finished ones, never for a time.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Bus } from '@switchboard/bus';
import { createApiKey, createPool, createTenant, migrate } from '@switchboard/db';
import { type PostgresServer, startPostgres } from '@switchboard/devstack';
import { trace } from '@switchboard/telemetry';
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from './app.js';

const PER_KEY = 10;
const SYNC_MS = 100;

let dir: string;
let postgres: PostgresServer;
let db: pg.Pool;
let replicas: FastifyInstance[] = [];
/** Finished rate-count syncs, per replica. */
const syncs = [0, 0];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'switchboard-rate-limits-'));
  chmodSync(dir, 0o755);
  postgres = await startPostgres({ dataDir: join(dir, 'pg'), logDir: dir, ephemeral: true });
  db = createPool(postgres.url);
  db.on('error', () => {});
  await migrate(db);
  replicas = await Promise.all(
    [0, 1].map((i) =>
      buildApp({
        db: countingSyncs(db, i),
        bus: {} as Bus,
        tracer: trace.getTracer('test'),
        toolCallTimeoutMs: 1000,
        rateLimits: { perKeyPerMin: PER_KEY, perTenantPerMin: 0 },
        rateLimitSyncMs: SYNC_MS,
      }),
    ),
  );
}, 120_000);

afterAll(async () => {
  for (const app of replicas) await app.close();
  await db?.end();
  await postgres?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The pool, as replica `i` sees it: its rate-count syncs are counted once they finished. */
function countingSyncs(pool: pg.Pool, i: number): pg.Pool {
  return new Proxy(pool, {
    get(target, prop, receiver) {
      if (prop !== 'query') return Reflect.get(target, prop, receiver);
      return async (...args: unknown[]) => {
        const result = await (target.query as (...a: unknown[]) => Promise<unknown>)(...args);
        if (typeof args[0] === 'string' && args[0].includes('INSERT INTO rate_counters'))
          syncs[i] = (syncs[i] ?? 0) + 1;
        return result;
      };
    },
  });
}

/**
 * Waits until `replica` has finished a sync that started after this call (a sync in flight now
 * may have started before: the second one to finish did not).
 */
async function synced(replica: 0 | 1): Promise<void> {
  const target = (syncs[replica] ?? 0) + 2;
  const end = Date.now() + 30_000;
  while ((syncs[replica] ?? 0) < target) {
    if (Date.now() > end) throw new Error(`replica ${replica} did not sync`);
    await new Promise((r) => setTimeout(r, SYNC_MS / 4));
  }
}

describe('rate limits across replicas', () => {
  it("share a key's budget: what one replica let through counts at the other", async () => {
    const tenant = await createTenant(db, 'limited');
    const { key } = await createApiKey(db, tenant.id);
    const get = (app: FastifyInstance) =>
      app.inject({ method: 'GET', url: '/v1/agents', headers: { authorization: `Bearer ${key}` } });
    const [a, b] = replicas as [FastifyInstance, FastifyInstance];

    for (let i = 0; i < 6; i++) expect((await get(a)).statusCode).toBe(200);
    await synced(0);
    // b learns the key's total at its first sync after its first request of the key (the hot
    // path never waits for the database)...
    expect((await get(b)).statusCode).toBe(200);
    await synced(1);
    // ...and from then on counts a's requests: 6 + 1 + 3 = 10. Without sharing it would let
    // all of these through.
    const atB: number[] = [];
    for (let i = 0; i < 5; i++) atB.push((await get(b)).statusCode);
    expect(atB).toEqual([200, 200, 200, 429, 429]);
    const refused = await get(b);
    expect(refused.json().error).toMatchObject({ code: 'rate_limited', details: { limit: 'key', max: PER_KEY } });
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60);

    // b shares its requests, then a learns the total.
    await synced(1);
    await synced(0);
    expect((await get(a)).statusCode).toBe(429);
    const { rows } = await db.query<{ n: string }>('SELECT n FROM rate_counters WHERE key LIKE $1', ['key:%']);
    expect(rows.map((r) => Number(r.n))).toEqual([PER_KEY]);
  });
});
