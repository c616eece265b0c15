import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createApiKey,
  createConversation,
  createPool,
  createTenant,
  findLatestAction,
  findRun,
  finishRun,
  insertAcceptedRun,
  migrate,
  saveActionVersion,
  upsertAgent,
  verifyApiKey,
} from '@switchboard/db';
import { type PostgresServer, startPostgres } from '@switchboard/devstack';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let server: PostgresServer;
let pool: pg.Pool;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'switchboard-pg-'));
  chmodSync(dir, 0o755);
  server = await startPostgres({ dataDir: join(dir, 'pg'), logDir: join(dir, 'logs'), ephemeral: true });
  pool = createPool(server.url);
}, 120_000);

afterAll(async () => {
  await pool?.end();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('database', () => {
  it('applies migrations once, even when services start together', async () => {
    const results = await Promise.all([migrate(pool), migrate(pool), migrate(pool)]);
    const applied = results.flat();
    expect(applied).toEqual([1]);
    expect(await migrate(pool)).toEqual([]);
  });

  it('verifies API keys by hash and refuses tampered or revoked ones', async () => {
    const tenant = await createTenant(pool, 'keys');
    const { key, keyId } = await createApiKey(pool, tenant.id);
    expect(await verifyApiKey(pool, key)).toMatchObject({ tenantId: tenant.id, keyId });
    expect(await verifyApiKey(pool, `${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}`)).toBeUndefined();
    expect(await verifyApiKey(pool, 'sb_nonsense')).toBeUndefined();
    const { rows } = await pool.query('SELECT secret_hash FROM api_keys WHERE id = $1', [keyId]);
    expect(rows[0].secret_hash.toString('utf8')).not.toContain(key.split('_').pop());
    await pool.query('UPDATE api_keys SET revoked_at = now() WHERE id = $1', [keyId]);
    expect(await verifyApiKey(pool, key)).toBeUndefined();
  });

  it('versions action definitions', async () => {
    const tenant = await createTenant(pool, 'versions');
    const agent = await upsertAgent(pool, tenant.id, 'a', '');
    const def = { name: 'x', format: 'tool' as const, source: { name: 'x' }, canonical: { name: 'x' } };
    const v1 = await saveActionVersion(pool, tenant.id, agent.id, def);
    const v2 = await saveActionVersion(pool, tenant.id, agent.id, { ...def, canonical: { name: 'x', v: 2 } });
    expect([v1.version, v2.version]).toEqual([1, 2]);
    expect((await findLatestAction(pool, tenant.id, agent.id, 'x'))?.canonical).toEqual({ name: 'x', v: 2 });
    expect(await findLatestAction(pool, tenant.id, agent.id, 'X')).toBeUndefined();
  });

  it('records a run once and never overwrites a finished one', async () => {
    const tenant = await createTenant(pool, 'runs');
    const agent = await upsertAgent(pool, tenant.id, 'a', '');
    const conv = await createConversation(pool, tenant.id, agent.id);
    const run = {
      intentId: 'int_abc',
      tenantId: tenant.id,
      conversationId: conv.id,
      actionName: 'x',
      arguments: {},
      traceId: null,
    };
    expect(await insertAcceptedRun(pool, run)).toBe(true);
    expect(await insertAcceptedRun(pool, run)).toBe(false);
    const t = new Date();
    await finishRun(pool, 'int_abc', {
      status: 'succeeded',
      startedAt: t,
      finishedAt: t,
      result: { messages: ['ok'] },
    });
    await finishRun(pool, 'int_abc', {
      status: 'failed',
      startedAt: t,
      finishedAt: t,
      errorCode: 'late',
      result: null,
    });
    const stored = await findRun(pool, tenant.id, 'int_abc');
    expect(stored?.status).toBe('succeeded');
    expect(stored?.errorCode).toBeNull();
    expect(stored?.result).toEqual({ messages: ['ok'] });
    const other = await createTenant(pool, 'other');
    expect(await findRun(pool, other.id, 'int_abc')).toBeUndefined();
  });
});
