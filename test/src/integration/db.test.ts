import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  applyHandoff,
  claimEffect,
  completeEffect,
  createApiKey,
  createConversation,
  createPool,
  createTenant,
  findConversation,
  findConversationWithAgent,
  findLatestAction,
  findRun,
  finishRun,
  generateKeyringSpec,
  insertAcceptedRun,
  listCredentials,
  listReferenceTargets,
  migrate,
  parseKeyring,
  putCredential,
  readCredential,
  releaseEffect,
  rotateCredentials,
  saveActionVersion,
  setAgentLocale,
  setCredentialStatus,
  upsertAgent,
  upsertEndpoint,
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
    expect(applied).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 26]);
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

  it('moves a conversation to a handoff target only while the run is unfinished, and only to an agent of its tenant', async () => {
    const tenant = await createTenant(pool, 'handoffs');
    const other = await createTenant(pool, 'handoffs-other');
    const front = await upsertAgent(pool, tenant.id, 'front', '');
    const billing = await upsertAgent(pool, tenant.id, 'billing', '');
    await upsertAgent(pool, other.id, 'elsewhere', '');
    const conv = await createConversation(pool, tenant.id, front.id, {}, {}, { user: { id: 'u1' } });
    expect(conv).toMatchObject({ activeAgentId: front.id, activeTopic: null, user: { id: 'u1' } });
    const run = { tenantId: tenant.id, conversationId: conv.id, actionName: 'go', arguments: {}, traceId: null };
    await insertAcceptedRun(pool, { ...run, intentId: 'int_handoff_1', agentName: 'front' });
    const handoff = { tenantId: tenant.id, conversationId: conv.id, intentId: 'int_handoff_1' };
    // Another tenant's agent of that name is not a target.
    expect(await applyHandoff(pool, { ...handoff, target: 'elsewhere' })).toBeUndefined();
    expect(await applyHandoff(pool, { ...handoff, target: 'billing', topic: 'refunds' })).toBe(billing.id);
    expect(await findConversation(pool, tenant.id, conv.id)).toMatchObject({
      agentId: front.id,
      activeAgentId: billing.id,
      activeTopic: 'refunds',
      user: { id: 'u1' },
    });
    const t = new Date();
    await finishRun(pool, 'int_handoff_1', { status: 'succeeded', startedAt: t, finishedAt: t, result: null });
    // A retry of the writer after the run was finished changes nothing.
    expect(await applyHandoff(pool, { ...handoff, target: 'front' })).toBeUndefined();
    expect((await findConversation(pool, tenant.id, conv.id))?.activeAgentId).toBe(billing.id);
    // A run accepted later is recorded under the agent the conversation is with now.
    await finishRun(
      pool,
      'int_handoff_2',
      { status: 'succeeded', startedAt: t, finishedAt: t, result: null },
      { tenantId: tenant.id, conversationId: conv.id, actionName: 'x' },
    );
    expect((await findRun(pool, tenant.id, 'int_handoff_2'))?.agentName).toBe('billing');
  });

  it('reads a conversation with the agent it is with now, and what action references may name, in one statement each', async () => {
    const tenant = await createTenant(pool, 'hot-path');
    const front = await upsertAgent(pool, tenant.id, 'front', 'hello');
    const billing = await upsertAgent(pool, tenant.id, 'billing', '');
    await setAgentLocale(pool, tenant.id, 'front', 'de-DE');
    const conv = await createConversation(pool, tenant.id, front.id, { name: 'Ada' });
    expect(await findConversationWithAgent(pool, tenant.id, conv.id)).toEqual({
      conversation: await findConversation(pool, tenant.id, conv.id),
      agent: { agent: front, locale: 'de-DE', runtimes: undefined },
    });
    await insertAcceptedRun(pool, {
      intentId: 'int_hot_path',
      tenantId: tenant.id,
      conversationId: conv.id,
      actionName: 'go',
      arguments: {},
      traceId: null,
      agentName: 'front',
    });
    await applyHandoff(pool, {
      tenantId: tenant.id,
      conversationId: conv.id,
      intentId: 'int_hot_path',
      target: 'billing',
    });
    expect((await findConversationWithAgent(pool, tenant.id, conv.id))?.agent).toEqual({
      agent: billing,
      locale: undefined,
      runtimes: undefined,
    });
    expect(await findConversationWithAgent(pool, tenant.id, 'conv_missing')).toBeUndefined();

    const keyring = parseKeyring(generateKeyringSpec());
    for (const name of ['zz', 'cal']) {
      await putCredential(pool, keyring, { tenantId: tenant.id, name, provider: 'calcom', secret: { apiKey: 'k' } });
    }
    await setCredentialStatus(pool, tenant.id, 'zz', 'auth_failed', 'calcom answered 401');
    const endpoint = { tenantId: tenant.id, method: 'POST', headers: {}, timeoutMs: 1000, allowPrivate: false };
    await upsertEndpoint(pool, { ...endpoint, name: 'hook-b', url: 'https://b.example' });
    await upsertEndpoint(pool, { ...endpoint, name: 'hook-a', url: 'https://a.example' });
    expect(await listReferenceTargets(pool, tenant.id)).toEqual({
      credentials: await listCredentials(pool, tenant.id),
      endpoints: ['hook-a', 'hook-b'],
    });
    expect((await listReferenceTargets(pool, tenant.id)).credentials.map((c) => c.status)).toEqual([
      'unchecked',
      'auth_failed',
    ]);
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
    // The call that ends the run gets it back; a repeat (a retried activity) gets nothing.
    const ended = await finishRun(pool, 'int_abc', {
      status: 'succeeded',
      startedAt: t,
      finishedAt: t,
      result: { messages: ['ok'] },
    });
    expect(ended?.acceptedAt).toBeInstanceOf(Date);
    const again = await finishRun(
      pool,
      'int_abc',
      { status: 'failed', startedAt: t, finishedAt: t, errorCode: 'late', result: null },
      { tenantId: tenant.id, conversationId: conv.id, actionName: 'x' },
    );
    expect(again).toBeUndefined();
    // The outcome of an intent whose accepted row the API removed (ambiguous publish) still lands.
    const orphan = await finishRun(
      pool,
      'int_orphan',
      { status: 'succeeded', startedAt: t, finishedAt: t, result: { messages: ['late'] } },
      { tenantId: tenant.id, conversationId: conv.id, actionName: 'x' },
    );
    expect(orphan).toBeDefined();
    expect((await findRun(pool, tenant.id, 'int_orphan'))?.status).toBe('succeeded');
    // An outcome 40 days after acceptance (a booking flow waiting for days) still lands: its
    // duration is over 2^31 ms, which a 32-bit column refused on every attempt.
    await insertAcceptedRun(pool, { ...run, intentId: 'int_late' });
    const late = new Date(Date.now() + 40 * 86_400_000);
    await finishRun(pool, 'int_late', { status: 'succeeded', startedAt: late, finishedAt: late, result: null });
    const lateRun = await findRun(pool, tenant.id, 'int_late');
    expect(lateRun?.status).toBe('succeeded');
    expect(lateRun?.durationMs).toBeGreaterThan(2 ** 31);
    const stored = await findRun(pool, tenant.id, 'int_abc');
    expect(stored?.status).toBe('succeeded');
    expect(stored?.errorCode).toBeNull();
    expect(stored?.result).toEqual({ messages: ['ok'] });
    const other = await createTenant(pool, 'other');
    expect(await findRun(pool, other.id, 'int_abc')).toBeUndefined();
  });
});

describe('credentials at rest', () => {
  it('encrypts with AES-256-GCM: no plaintext in the row, bound to its tenant and name', async () => {
    const tenant = await createTenant(pool, 'creds');
    const keyring = parseKeyring(generateKeyringSpec('k1'));
    const secret = { apiKey: 'cal_live_supersecret_value_123' };
    await putCredential(pool, keyring, { tenantId: tenant.id, name: 'calcom_main', provider: 'calcom', secret });
    const { rows } = await pool.query('SELECT * FROM credentials WHERE tenant_id = $1', [tenant.id]);
    expect(JSON.stringify(rows)).not.toContain('supersecret');
    expect(rows[0].ciphertext.toString('utf8')).not.toContain('supersecret');
    expect(await readCredential(pool, keyring, tenant.id, 'calcom_main')).toEqual({ provider: 'calcom', secret });
    // A ciphertext moved to another name does not decrypt (AAD), nor under another key.
    await pool.query(
      `INSERT INTO credentials (tenant_id, name, provider, key_id, nonce, ciphertext, auth_tag)
       SELECT tenant_id, 'copy', provider, key_id, nonce, ciphertext, auth_tag FROM credentials WHERE tenant_id = $1`,
      [tenant.id],
    );
    await expect(readCredential(pool, keyring, tenant.id, 'copy')).rejects.toMatchObject({
      code: 'credential_corrupt',
    });
    const other = parseKeyring(generateKeyringSpec('k1'));
    await expect(readCredential(pool, other, tenant.id, 'calcom_main')).rejects.toMatchObject({
      code: 'credential_corrupt',
    });
    await expect(readCredential(pool, keyring, tenant.id, 'nope')).rejects.toMatchObject({
      code: 'credential_missing',
    });
  });

  it('rotates to a new primary key and keeps reading old rows until then', async () => {
    // Rotation covers every tenant's rows; start from none so other tests' keys do not matter.
    await pool.query('DELETE FROM credentials');
    const tenant = await createTenant(pool, 'rotation');
    const oldSpec = generateKeyringSpec('old');
    const old = parseKeyring(oldSpec);
    await putCredential(pool, old, {
      tenantId: tenant.id,
      name: 'tw',
      provider: 'twilio',
      secret: { accountSid: 'AC1', authToken: 't' },
    });
    const both = parseKeyring(`${generateKeyringSpec('new')},${oldSpec}`);
    expect(both.primaryId).toBe('new');
    expect((await readCredential(pool, both, tenant.id, 'tw')).secret.authToken).toBe('t');
    expect(await rotateCredentials(pool, both)).toBeGreaterThanOrEqual(1);
    const { rows } = await pool.query('SELECT key_id FROM credentials WHERE tenant_id = $1', [tenant.id]);
    expect(rows[0].key_id).toBe('new');
    const onlyNew = parseKeyring(`new:${both.keys.get('new')?.toString('base64')}`);
    expect((await readCredential(pool, onlyNew, tenant.id, 'tw')).secret.accountSid).toBe('AC1');
  });

  it('rejects malformed keyrings without printing key material', () => {
    expect(() => parseKeyring('')).toThrow(/no key/);
    expect(() => parseKeyring('k:c2hvcnQ=')).toThrow(/entry 1 must be/);
    try {
      parseKeyring('bad id:c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA==');
    } catch (err) {
      expect((err as Error).message).not.toContain('c2VjcmV0');
    }
  });

  it('records what the provider said about a credential, never the secret', async () => {
    const tenant = await createTenant(pool, 'status');
    const keyring = parseKeyring(generateKeyringSpec());
    await putCredential(pool, keyring, {
      tenantId: tenant.id,
      name: 'hs',
      provider: 'hubspot',
      secret: { accessToken: 'pat-xyz' },
    });
    await setCredentialStatus(pool, tenant.id, 'hs', 'auth_failed', 'hubspot answered 401: expired token');
    const list = await listCredentials(pool, tenant.id);
    expect(list).toEqual([
      { name: 'hs', provider: 'hubspot', status: 'auth_failed', statusReason: 'hubspot answered 401: expired token' },
    ]);
    expect(JSON.stringify(list)).not.toContain('pat-xyz');
  });
});

describe('effect records', () => {
  it('let exactly one attempt claim an effect, and later ones see its outcome', async () => {
    const tenant = await createTenant(pool, 'effects');
    const claims = await Promise.all([1, 2, 3].map(() => claimEffect(pool, tenant.id, 'int_1:/actions/0', 'sms.send')));
    expect(claims.filter((c) => c === undefined)).toHaveLength(1);
    expect(claims.filter((c) => c?.state === 'started')).toHaveLength(2);
    await completeEffect(pool, tenant.id, 'int_1:/actions/0', { message_sid: 'SM1' }, 'SM1');
    expect(await claimEffect(pool, tenant.id, 'int_1:/actions/0', 'sms.send')).toEqual({
      state: 'done',
      providerRef: 'SM1',
      result: { message_sid: 'SM1' },
    });
    await releaseEffect(pool, tenant.id, 'int_1:/actions/0');
    expect((await claimEffect(pool, tenant.id, 'int_1:/actions/0', 'sms.send'))?.state).toBe('done');
    expect(await claimEffect(pool, tenant.id, 'int_2:/actions/0', 'sms.send')).toBeUndefined();
    await releaseEffect(pool, tenant.id, 'int_2:/actions/0');
    expect(await claimEffect(pool, tenant.id, 'int_2:/actions/0', 'sms.send')).toBeUndefined();
  });
});
