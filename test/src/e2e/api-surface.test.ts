import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Bus, connectBus } from '@switchboard/bus';
import { Streams } from '@switchboard/contracts';
import { createApiKey, createTenant, revokeApiKey } from '@switchboard/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { openSse } from '../support/sse.js';
import { type ApiResponse, eventually, startTestStack, type TestStack } from '../support/stack.js';

// The API surface around conversations: scoped, revocable API keys; per-key and per-tenant
// rate limits; the body size limit; the transcript and the end of a conversation; the event
// stream over WebSocket; streams closed when their key is revoked; failed authentications
// limited per client address. One stack; limits low enough to be reached by one test's burst.
const PER_KEY_PER_MIN = 120;
const BODY_LIMIT_BYTES = 65_536;
/** The grants that make an admin key (the service's `ADMIN_GRANTS`). */
const ADMIN_GRANTS = ['admin', '*'];

let stack: TestStack;
let bus: Bus;

beforeAll(async () => {
  stack = await startTestStack(mkdtempSync(join(tmpdir(), 'switchboard-e2e-api-')), {
    exportSpans: false,
    serviceEnv: {
      RATE_LIMIT_PER_KEY_PER_MIN: String(PER_KEY_PER_MIN),
      RATE_LIMIT_PER_TENANT_PER_MIN: '5000',
      BODY_LIMIT_BYTES: String(BODY_LIMIT_BYTES),
      // The tests' requests come from loopback; a test speaks for other clients through it.
      TRUST_PROXY: 'loopback',
    },
  });
  bus = await connectBus(stack.infra.natsUrl, { name: 'api-surface-test', reconnectForever: false });
}, 180_000);

afterAll(async () => {
  await bus?.close();
  await stack?.stop();
}, 60_000);

/** A JSON request with a given key (`undefined`: no Authorization header). */
async function call(key: string | undefined, method: string, path: string, body?: unknown): Promise<ApiResponse> {
  const res = await fetch(`${stack.services.apiUrl}${path}`, {
    method,
    headers: {
      ...(key === undefined ? {} : { authorization: `Bearer ${key}` }),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : JSON.parse(text) };
}

let tenants = 0;
/** A fresh tenant with one key of these scopes. */
async function newTenant(scopes: string[] = ['admin']): Promise<{ tenantId: string; key: string; keyId: string }> {
  const tenant = await createTenant(stack.db, `api-surface-${++tenants}-${Date.now()}`);
  const { key, keyId } = await createApiKey(stack.db, tenant.id, { label: 'test', scopes });
  return { tenantId: tenant.id, key, keyId };
}

/** A key of the seed tenant (which has the `demo` agent), so no test spends another's budget. */
async function seedKey(scopes: string[] = ['*']): Promise<string> {
  return (await createApiKey(stack.db, stack.seed.tenantId, { label: 'test', scopes })).key;
}

async function newConversation(key: string): Promise<string> {
  const res = await call(key, 'POST', '/v1/conversations', { agent: 'demo', contact: { name: 'Ada' } });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

const lunch = { meal_type: 'lunch', dishes: ['soup', 'bread'] };

async function consumerCount(): Promise<number> {
  return (await bus.jsm.streams.info(Streams.Events)).state.consumer_count;
}

describe('API keys', () => {
  it('creates a key whose secret is shown once, lists keys without secrets, and enforces scopes', async () => {
    const admin = await newTenant(['admin']);
    const created = await call(admin.key, 'POST', '/v1/api-keys', { name: 'voice runtime', scopes: ['read'] });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'voice runtime', scopes: ['read'], revokedAt: null });
    expect(created.body.id).toMatch(/^key_[0-9a-f]{24}$/);
    expect(created.body.key).toMatch(new RegExp(`^sb_${created.body.id}_[A-Za-z0-9_-]{43}$`));

    const listed = await call(admin.key, 'GET', '/v1/api-keys');
    expect(listed.status).toBe(200);
    expect(listed.body.keys.map((k: { id: string }) => k.id)).toEqual([admin.keyId, created.body.id]);
    const secret = (created.body.key as string).split('_').slice(3).join('_');
    expect(JSON.stringify(listed.body)).not.toContain(secret);
    for (const k of listed.body.keys)
      expect(Object.keys(k).sort()).toEqual(['createdAt', 'id', 'name', 'revokedAt', 'scopes']);
    const { rows } = await stack.db.query('SELECT secret_hash::text AS h FROM api_keys WHERE id = $1', [
      created.body.id,
    ]);
    expect(rows[0].h).not.toContain(secret);

    // The new key reads, but may not start conversations nor manage keys.
    const readKey = created.body.key as string;
    expect((await call(readKey, 'GET', '/v1/agents')).status).toBe(200);
    const refused = await call(readKey, 'POST', '/v1/conversations', { agent: 'demo' });
    expect(refused.status).toBe(403);
    expect(refused.body.error).toEqual({
      code: 'forbidden',
      message: "this API key lacks the 'conversations' scope that POST /v1/conversations requires",
      retryable: false,
      details: { required: 'conversations', granted: ['read'] },
    });
    expect((await call(readKey, 'GET', '/v1/api-keys')).status).toBe(403);
  });

  it('lets a conversations key call the ElevenLabs drop-in endpoint, refusing a read key (403) and no key (401)', async () => {
    const path = '/v1/dropin/elevenlabs/demo?tool=save_meal';
    const post = (key: string | undefined) =>
      fetch(`${stack.services.apiUrl}${path}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-elevenlabs-conversation-id': `conv_surface_${Date.now()}`,
          ...(key === undefined ? {} : { authorization: `Bearer ${key}` }),
        },
        body: JSON.stringify(lunch),
      });
    const runtime = await post(await seedKey(['conversations']));
    expect(runtime.status).toBe(200);
    expect(await runtime.json()).toMatchObject({ status: 'succeeded' });
    const reader = await post(await seedKey(['read']));
    expect(reader.status).toBe(403);
    expect(((await reader.json()) as { error: { details: unknown } }).error.details).toEqual({
      required: 'conversations',
      granted: ['read'],
    });
    expect((await post(undefined)).status).toBe(401);
  });

  it('rejects bad input precisely and writes nothing', async () => {
    const admin = await newTenant();
    const bad = await call(admin.key, 'POST', '/v1/api-keys', { name: '', scopes: ['root'], extra: 1 });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('validation_failed');
    const pointers = bad.body.error.details.issues.map((i: { pointer: string }) => i.pointer);
    expect(pointers).toEqual(expect.arrayContaining(['/name', '/scopes/0']));
    expect(JSON.stringify(bad.body.error.details.issues)).toContain("'extra'");
    const none = await call(admin.key, 'POST', '/v1/api-keys', { name: 'no scopes', scopes: [] });
    expect(none.status).toBe(400);
    expect((await call(admin.key, 'GET', '/v1/api-keys')).body.keys).toHaveLength(1);
  });

  it('revokes a key at once; revoking again is harmless; another tenant cannot see or revoke it', async () => {
    const admin = await newTenant();
    const other = await newTenant();
    const made = await call(admin.key, 'POST', '/v1/api-keys', { name: 'temp', scopes: ['conversations'] });
    const temp = made.body.key as string;
    expect((await call(temp, 'GET', '/v1/agents')).status).toBe(200);

    expect((await call(other.key, 'DELETE', `/v1/api-keys/${made.body.id}`)).status).toBe(404);
    expect((await call(temp, 'GET', '/v1/agents')).status).toBe(200);

    const revoked = await call(admin.key, 'DELETE', `/v1/api-keys/${made.body.id}`);
    expect(revoked.status).toBe(200);
    expect(revoked.body.revokedAt).toEqual(expect.any(String));
    const refused = await call(temp, 'GET', '/v1/agents');
    expect(refused.status).toBe(401);
    expect(refused.body.error.code).toBe('unauthorized');

    const again = await call(admin.key, 'DELETE', `/v1/api-keys/${made.body.id}`);
    expect(again.status).toBe(200);
    expect(again.body.revokedAt).toBe(revoked.body.revokedAt);
    expect((await call(admin.key, 'DELETE', '/v1/api-keys/not-a-key')).status).toBe(400);
  });

  it("never revokes a tenant's last admin key, itself included; a second admin key makes it possible", async () => {
    const admin = await newTenant(['admin']);
    const self = await call(admin.key, 'DELETE', `/v1/api-keys/${admin.keyId}`);
    expect(self.status).toBe(409);
    expect(self.body.error).toMatchObject({ code: 'conflict', retryable: false });
    expect(self.body.error.message).toContain('last active admin key');
    expect((await call(admin.key, 'GET', '/v1/api-keys')).status).toBe(200);

    const second = await call(admin.key, 'POST', '/v1/api-keys', { name: 'admin 2', scopes: ['admin'] });
    expect((await call(admin.key, 'DELETE', `/v1/api-keys/${admin.keyId}`)).status).toBe(200);
    expect((await call(admin.key, 'GET', '/v1/api-keys')).status).toBe(401);
    expect((await call(second.body.key, 'DELETE', `/v1/api-keys/${second.body.id}`)).status).toBe(409);
  });

  it('leaves one admin key when two admins revoke each other at the same time', async () => {
    // Forces the interleaving: the first revocation holds its transaction open while the
    // second starts; the second must wait for it and then see that its target is the last.
    const a = await newTenant(['admin']);
    const b = await createApiKey(stack.db, a.tenantId, { scopes: ['admin'] });
    const first = await stack.db.connect();
    const second = await stack.db.connect();
    try {
      await first.query('BEGIN');
      await second.query('BEGIN');
      expect((await revokeApiKey(first, a.tenantId, b.keyId, ADMIN_GRANTS)).status).toBe('revoked');
      const { rows: pid } = await second.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      let settled = false;
      const pending = revokeApiKey(second, a.tenantId, a.keyId, ADMIN_GRANTS).finally(() => {
        settled = true;
      });
      // The second waits for the first's lock (Postgres says so), whatever the machine's speed.
      await eventually(async () => {
        const { rows } = await stack.db.query(
          "SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND wait_event_type = 'Lock'",
          [pid[0]?.pid],
        );
        return rows.length > 0 ? true : undefined;
      }, 30_000);
      expect(settled).toBe(false);
      await first.query('COMMIT');
      expect((await pending).status).toBe('last_protected');
      await second.query('COMMIT');
    } finally {
      first.release();
      second.release();
    }
    const { rows } = await stack.db.query('SELECT id FROM api_keys WHERE tenant_id = $1 AND revoked_at IS NULL', [
      a.tenantId,
    ]);
    expect(rows.map((r) => r.id)).toEqual([a.keyId]);
  });
});

describe('rate limits and request size', () => {
  it('refuses a key over its per-minute limit with 429 and Retry-After; other keys go on', async () => {
    const { tenantId, key } = await newTenant(['read']);
    const statuses: number[] = [];
    for (let i = 0; i < PER_KEY_PER_MIN; i++) statuses.push((await call(key, 'GET', '/v1/agents')).status);
    expect(statuses.every((s) => s === 200)).toBe(true);
    const res = await fetch(`${stack.services.apiUrl}/v1/agents`, { headers: { authorization: `Bearer ${key}` } });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await res.json()).toEqual({
      error: {
        code: 'rate_limited',
        message: expect.stringContaining(`${PER_KEY_PER_MIN} requests per minute per API key`),
        retryable: true,
        details: expect.objectContaining({ limit: 'key', max: PER_KEY_PER_MIN }),
      },
    });
    const sibling = await createApiKey(stack.db, tenantId, { scopes: ['read'] });
    expect((await call(sibling.key, 'GET', '/v1/agents')).status).toBe(200);
  });

  it('refuses an oversized body with 413 and the error body, and writes nothing', async () => {
    const key = await seedKey(['conversations']);
    const conv = await newConversation(key);
    const res = await call(key, 'POST', `/v1/conversations/${conv}/messages`, {
      role: 'user',
      text: 'x'.repeat(BODY_LIMIT_BYTES + 1),
    });
    expect(res.status).toBe(413);
    expect(res.body).toEqual({
      error: { code: 'payload_too_large', message: expect.any(String), retryable: false },
    });
    const { rows } = await stack.db.query(
      'SELECT count(*)::int AS n FROM conversation_messages WHERE conversation_id = $1',
      [conv],
    );
    expect(rows[0].n).toBe(0);
  });
});

describe('conversation lifecycle', () => {
  it('records messages and tool calls in one transcript, in order, and pages it', async () => {
    const key = await seedKey(['conversations']);
    const conv = await newConversation(key);
    const said = await call(key, 'POST', `/v1/conversations/${conv}/messages`, {
      role: 'user',
      text: 'I had soup and bread for lunch',
    });
    expect(said.status).toBe(201);
    expect(said.body).toMatchObject({ seq: 1, role: 'user', text: 'I had soup and bread for lunch' });

    const tool = await call(key, 'POST', `/v1/conversations/${conv}/tool-calls`, {
      name: 'save_meal',
      arguments: lunch,
    });
    expect(tool.status).toBe(200);
    // The run's end is recorded by the chain; its transcript entry comes with that write.
    await eventually(async () => {
      const t = await call(key, 'GET', `/v1/conversations/${conv}/transcript`);
      return t.body.entries.some((e: { type: string }) => e.type === 'tool_result') ? t : undefined;
    });
    const answered = await call(key, 'POST', `/v1/conversations/${conv}/messages`, {
      role: 'assistant',
      text: tool.body.messages[0],
    });
    expect(answered.status).toBe(201);

    const transcript = await call(key, 'GET', `/v1/conversations/${conv}/transcript`);
    expect(transcript.status).toBe(200);
    expect(transcript.body).toMatchObject({ conversationId: conv, status: 'active', next: null });
    const entries = transcript.body.entries;
    expect(entries.map((e: { type: string; role?: string }) => e.role ?? e.type)).toEqual([
      'user',
      'tool_call',
      'tool_result',
      'assistant',
    ]);
    const seqs = entries.map((e: { seq: number }) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    const toolCall = {
      id: tool.body.id,
      name: 'save_meal',
      arguments: lunch,
      status: 'succeeded',
      messages: ["Got it! I've logged your lunch."],
      error: null,
    };
    expect(entries[1]).toMatchObject({ type: 'tool_call', toolCall });
    expect(entries[2]).toMatchObject({ type: 'tool_result', toolCall });
    expect(entries[3]).toMatchObject({ role: 'assistant', text: "Got it! I've logged your lunch." });

    const first = await call(key, 'GET', `/v1/conversations/${conv}/transcript?limit=3`);
    expect(first.body.entries).toHaveLength(3);
    expect(first.body.next).toBe(entries[2].seq);
    const rest = await call(key, 'GET', `/v1/conversations/${conv}/transcript?after=${first.body.next}&limit=3`);
    expect(rest.body.entries).toEqual([entries[3]]);
    expect(rest.body.next).toBeNull();
    expect((await call(key, 'GET', `/v1/conversations/${conv}/transcript?limit=0`)).status).toBe(400);
  });

  it('rejects bad messages precisely and writes nothing', async () => {
    const key = await seedKey(['conversations']);
    const conv = await newConversation(key);
    const bad = await call(key, 'POST', `/v1/conversations/${conv}/messages`, { role: 'system', text: '' });
    expect(bad.status).toBe(400);
    const pointers = bad.body.error.details.issues.map((i: { pointer: string }) => i.pointer);
    expect(pointers).toEqual(expect.arrayContaining(['/role', '/text']));
    const nul = await call(key, 'POST', `/v1/conversations/${conv}/messages`, { role: 'user', text: 'a\u0000b' });
    expect(nul.status).toBe(400);
    expect(nul.body.error.details.issues[0].pointer).toBe('/text');
    const notJson = await call(key, 'POST', `/v1/conversations/${conv}/messages`, '{"role": "user",');
    expect(notJson.status).toBe(400);
    expect(notJson.body.error.code).toBe('bad_request');
    expect((await call(key, 'GET', `/v1/conversations/${conv}/transcript`)).body.entries).toEqual([]);
  });

  it('ends a conversation: tool calls and messages get 409 after, ending again is harmless', async () => {
    const key = await seedKey(['conversations']);
    const conv = await newConversation(key);
    const ended = await call(key, 'POST', `/v1/conversations/${conv}/end`);
    expect(ended.status).toBe(200);
    expect(ended.body).toMatchObject({ id: conv, status: 'ended' });
    const again = await call(key, 'POST', `/v1/conversations/${conv}/end`);
    expect(again.body.endedAt).toBe(ended.body.endedAt);

    const tool = await call(key, 'POST', `/v1/conversations/${conv}/tool-calls`, {
      name: 'save_meal',
      arguments: lunch,
    });
    expect(tool.status).toBe(409);
    const message = await call(key, 'POST', `/v1/conversations/${conv}/messages`, { role: 'user', text: 'hello?' });
    expect(message.status).toBe(409);
    expect(message.body.error).toEqual({ code: 'conflict', message: 'the conversation has ended', retryable: false });
    const transcript = await call(key, 'GET', `/v1/conversations/${conv}/transcript`);
    expect(transcript.body).toMatchObject({ status: 'ended', entries: [] });
  });

  it("answers another tenant's conversation with 404 everywhere, and changes nothing", async () => {
    const key = await seedKey(['conversations']);
    const conv = await newConversation(key);
    const intruder = (await newTenant(['*'])).key;
    for (const [method, path, body] of [
      ['POST', `/v1/conversations/${conv}/messages`, { role: 'user', text: 'hi' }],
      ['GET', `/v1/conversations/${conv}/transcript`, undefined],
      ['POST', `/v1/conversations/${conv}/end`, undefined],
    ] as const) {
      const res = await call(intruder, method, path, body);
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.body.error).toMatchObject({ code: 'not_found', details: { what: 'conversation', id: conv } });
    }
    await expect(openWs(`/v1/conversations/${conv}/ws`, intruder)).rejects.toThrow('HTTP 404');
    const { rows } = await stack.db.query('SELECT status FROM conversations WHERE id = $1', [conv]);
    expect(rows[0].status).toBe('active');
    expect((await call(key, 'GET', `/v1/conversations/${conv}/transcript`)).body.entries).toEqual([]);
  });
});

interface OpenWs {
  ws: WebSocket;
  // biome-ignore lint/suspicious/noExplicitAny: messages are checked by the assertions
  messages: any[];
  closed: Promise<{ code: number; reason: string }>;
  /** Resolves when `n` messages have arrived. */
  // biome-ignore lint/suspicious/noExplicitAny: messages are checked by the assertions
  received(n: number): Promise<any[]>;
}

/** Opens a WebSocket with the key as a Bearer header, or (`query`) as `?access_token=`. */
function openWs(path: string, key: string, via: 'header' | 'query' = 'header'): Promise<OpenWs> {
  const base = stack.services.apiUrl.replace(/^http/, 'ws');
  const url =
    via === 'query'
      ? `${base}${path}${path.includes('?') ? '&' : '?'}access_token=${encodeURIComponent(key)}`
      : `${base}${path}`;
  const ws = new WebSocket(url, via === 'header' ? { headers: { authorization: `Bearer ${key}` } } : {});
  // biome-ignore lint/suspicious/noExplicitAny: see OpenWs
  const messages: any[] = [];
  const waiters: (() => void)[] = [];
  ws.on('message', (data) => {
    messages.push(JSON.parse(String(data)));
    for (const w of waiters.splice(0)) w();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })),
  );
  const received = (n: number) =>
    new Promise<typeof messages>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${messages.length} of ${n} messages`)), 15_000);
      const check = () => {
        if (messages.length >= n) {
          clearTimeout(timer);
          resolve(messages.slice(0, n));
        } else waiters.push(check);
      };
      check();
    });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, messages, closed, received }));
    ws.once('unexpected-response', (_req, res) => {
      reject(new Error(`HTTP ${res.statusCode}`));
      res.resume();
      ws.terminate();
    });
    ws.once('error', reject);
  });
}

/** The SSE stream's events until (and with) the first `result`, as `{seq, kind}`. */
async function sseUntilResult(conv: string, key: string): Promise<{ seq: number; kind: string }[]> {
  const sse = await openSse(`${stack.services.apiUrl}/v1/conversations/${conv}/events`, key);
  try {
    return (await sse.readUntil((e) => e.event === 'result')).map((e) => ({ seq: e.id, kind: e.event }));
  } finally {
    sse.close();
  }
}

describe('events over WebSocket', () => {
  it('streams the same events as SSE, resumes after a seq, closes on end and frees its consumer', async () => {
    const key = await seedKey(['conversations']);
    const conv = await newConversation(key);
    const baseline = await consumerCount();

    const live = await openWs(`/v1/conversations/${conv}/ws`, key);
    const tool = await call(key, 'POST', `/v1/conversations/${conv}/tool-calls`, {
      name: 'save_meal',
      arguments: lunch,
    });
    expect(tool.status).toBe(200);
    await eventually(() => (live.messages.some((m) => m.kind === 'result') ? true : undefined));
    const messages = live.messages;
    for (const m of messages) {
      expect(Object.keys(m).sort()).toEqual(['at', 'data', 'intentId', 'kind', 'seq']);
      expect(m.intentId).toBe(tool.body.id);
      expect(Number.isNaN(Date.parse(m.at))).toBe(false);
    }
    const result = messages.find((m) => m.kind === 'result');
    expect(result.data).toMatchObject({ id: tool.body.id, status: 'succeeded', messages: tool.body.messages });
    expect(messages.map((m) => m.kind)).toContain('respond');

    // The same events, in the same order, as SSE.
    const sse = await sseUntilResult(conv, key);
    expect(messages.map((m) => ({ seq: m.seq, kind: m.kind }))).toEqual(sse);

    // Resume after the first message, the key in the query string.
    const resumed = await openWs(`/v1/conversations/${conv}/ws?after=${messages[0].seq}`, key, 'query');
    expect(await resumed.received(messages.length - 1)).toEqual(messages.slice(1));

    // Ending the conversation closes both, cleanly, and deletes their consumers.
    expect((await call(key, 'POST', `/v1/conversations/${conv}/end`)).status).toBe(200);
    expect(await live.closed).toEqual({ code: 1000, reason: 'conversation ended' });
    expect(await resumed.closed).toEqual({ code: 1000, reason: 'conversation ended' });
    expect(resumed.messages).toHaveLength(messages.length - 1);
    await eventually(async () => ((await consumerCount()) === baseline ? true : undefined));

    // An ended conversation replays its events, then closes.
    const late = await openWs(`/v1/conversations/${conv}/ws`, key);
    expect(await late.closed).toEqual({ code: 1000, reason: 'conversation ended' });
    expect(late.messages).toEqual(messages);
    await eventually(async () => ((await consumerCount()) === baseline ? true : undefined));
  });

  it('deletes the consumer when the client goes away (WebSocket and SSE)', async () => {
    const key = await seedKey(['conversations']);
    const conv = await newConversation(key);
    const baseline = await consumerCount();
    const ws = await openWs(`/v1/conversations/${conv}/ws`, key);
    await eventually(async () => ((await consumerCount()) === baseline + 1 ? true : undefined));
    ws.ws.close();
    await eventually(async () => ((await consumerCount()) === baseline ? true : undefined));

    const controller = new AbortController();
    const sse = await fetch(`${stack.services.apiUrl}/v1/conversations/${conv}/events`, {
      headers: { authorization: `Bearer ${key}` },
      signal: controller.signal,
    });
    expect(sse.status).toBe(200);
    await eventually(async () => ((await consumerCount()) === baseline + 1 ? true : undefined));
    controller.abort();
    await eventually(async () => ((await consumerCount()) === baseline ? true : undefined));
  });

  it('refuses the upgrade without a key, without the scope, or with bad parameters', async () => {
    const key = await seedKey(['conversations']);
    const conv = await newConversation(key);
    const readOnly = await seedKey(['read']);
    await expect(
      openWs(`/v1/conversations/${conv}/ws`, 'sb_key_000000000000000000000000_nope-nope-nope-nope'),
    ).rejects.toThrow('HTTP 401');
    await expect(openWs(`/v1/conversations/${conv}/ws`, readOnly, 'query')).rejects.toThrow('HTTP 403');
    await expect(openWs(`/v1/conversations/${conv}/ws?after=soon`, key)).rejects.toThrow('HTTP 400');
    await expect(openWs('/v1/conversations/conv_000000000000000000000000/ws', key)).rejects.toThrow('HTTP 404');
  });

  it('answers a plain request (no upgrade) 426 upgrade_required, as documented', async () => {
    const key = await seedKey(['conversations']);
    const conv = await newConversation(key);
    const res = await fetch(`${stack.services.apiUrl}/v1/conversations/${conv}/ws`, {
      headers: { authorization: `Bearer ${key}` },
    });
    expect(res.status).toBe(426);
    expect(res.headers.get('upgrade')).toBe('websocket');
    expect(await res.json()).toMatchObject({ error: { code: 'upgrade_required', retryable: false } });
  });
});

/** An SSE stream read in the background: its text so far, and whether the server ended it. */
async function openRawSse(conv: string, key: string): Promise<{ text(): string; ended: Promise<void>; abort(): void }> {
  const controller = new AbortController();
  const res = await fetch(`${stack.services.apiUrl}/v1/conversations/${conv}/events`, {
    headers: { authorization: `Bearer ${key}` },
    signal: controller.signal,
  });
  expect(res.status).toBe(200);
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = '';
  const ended = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      text += decoder.decode(value, { stream: true });
    }
  })();
  ended.catch(() => {});
  return { text: () => text, ended, abort: () => controller.abort() };
}

/** Resolves when `p` settles, or fails after `ms` (generous: the poll runs every 2 s). */
function within<T>(p: Promise<T>, ms = 15_000): Promise<T> {
  return Promise.race([
    p,
    new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`not within ${ms} ms`)), ms).unref()),
  ]);
}

describe('revoked keys and unknown keys', () => {
  it("closes a key's SSE and WebSocket streams after its revocation, through this replica or another; other keys' streams go on", async () => {
    const admin = await seedKey(['admin']);
    const baseline = await consumerCount();
    const keys = await Promise.all(
      [1, 2, 3].map(() => createApiKey(stack.db, stack.seed.tenantId, { label: 'stream', scopes: ['conversations'] })),
    );
    const [viaApi, viaDb, other] = keys as [(typeof keys)[0], (typeof keys)[0], (typeof keys)[0]];
    const conv = await newConversation(other.key);
    const streams = await Promise.all(
      keys.map(async (k) => ({
        sse: await openRawSse(conv, k.key),
        ws: await openWs(`/v1/conversations/${conv}/ws`, k.key),
      })),
    );
    const [apiStreams, dbStreams, otherStreams] = streams as [
      (typeof streams)[0],
      (typeof streams)[0],
      (typeof streams)[0],
    ];
    await eventually(async () => ((await consumerCount()) === baseline + 6 ? true : undefined));
    const tool = await call(other.key, 'POST', `/v1/conversations/${conv}/tool-calls`, {
      name: 'save_meal',
      arguments: lunch,
    });
    expect(tool.status).toBe(200);
    for (const { ws, sse } of streams) {
      await eventually(() => (ws.messages.some((m) => m.kind === 'result') ? true : undefined));
      await eventually(() => (sse.text().includes('event: result') ? true : undefined));
    }

    // Revoked through the API of this replica: told at once.
    expect((await call(admin, 'DELETE', `/v1/api-keys/${viaApi.keyId}`)).status).toBe(200);
    // Revoked the way another replica does it (its row, nothing else): found by the poll.
    await stack.db.query('UPDATE api_keys SET revoked_at = now() WHERE id = $1', [viaDb.keyId]);

    for (const { sse, ws } of [apiStreams, dbStreams]) {
      expect(await within(ws.closed)).toEqual({ code: 1008, reason: 'api_key_revoked' });
      await within(sse.ended);
      const last = sse.text().trimEnd().split('\n\n').at(-1);
      expect(last).toBe(
        'event: error\ndata: {"code":"api_key_revoked","message":"the API key this stream was opened with has been revoked","retryable":false}',
      );
    }
    // Their consumers are gone; the other key's streams still deliver.
    await eventually(async () => ((await consumerCount()) === baseline + 2 ? true : undefined));
    const next = await call(other.key, 'POST', `/v1/conversations/${conv}/tool-calls`, {
      name: 'save_meal',
      arguments: lunch,
    });
    expect(next.status).toBe(200);
    await eventually(() =>
      otherStreams.ws.messages.filter((m) => m.kind === 'result').length === 2 ? true : undefined,
    );
    await eventually(() => (otherStreams.sse.text().split('event: result').length === 3 ? true : undefined));
    expect(otherStreams.ws.ws.readyState).toBe(WebSocket.OPEN);
    otherStreams.ws.ws.close();
    otherStreams.sse.abort();
    await eventually(async () => ((await consumerCount()) === baseline ? true : undefined));
  });

  it('limits failed authentications per client address with 429 and Retry-After, refusing nobody else', async () => {
    const client = { 'x-forwarded-for': '203.0.113.77' };
    const bad = (i: number) => `sb_key_${i.toString(16).padStart(24, 'f')}_not-the-secret-${i}`;
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) {
      const res = await fetch(`${stack.services.apiUrl}/v1/agents`, {
        headers: { authorization: `Bearer ${bad(i)}`, ...client },
      });
      statuses.push(res.status);
    }
    expect(statuses).toEqual([...Array(30).fill(401), ...Array(10).fill(429)]);
    const key = await seedKey(['read']);
    // From that address every request waits for the window, a valid key's too...
    const refused = await fetch(`${stack.services.apiUrl}/v1/agents`, {
      headers: { authorization: `Bearer ${key}`, ...client },
    });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    expect(await refused.json()).toEqual({
      error: {
        code: 'rate_limited',
        message: expect.stringContaining('30 failed authentications per minute from this client address'),
        retryable: true,
        details: expect.objectContaining({ limit: 'address', max: 30 }),
      },
    });
    // ...while the proxy's other clients, and the proxy itself, go on.
    const elsewhere = await fetch(`${stack.services.apiUrl}/v1/agents`, {
      headers: { authorization: `Bearer ${key}`, 'x-forwarded-for': '198.51.100.77' },
    });
    expect(elsewhere.status).toBe(200);
    expect((await call(key, 'GET', '/v1/agents')).status).toBe(200);
  });
});
