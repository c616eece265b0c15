// One conversation served by several conversation-service replicas at once: its tool calls go
// to replicas A and B alternately (a confirmation answered on the other one, an Idempotency-Key
// repeated on the other one), its event stream is read from replica C and resumed on B, a
// drop-in call id reaches both at once, and a per-key rate limit is counted across both. Nothing
// a request needs may live only in the memory of the replica that took an earlier one.
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApiKey, createTenant } from '@switchboard/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { openSse, type SseEvent } from '../support/sse.js';
import { type ApiResponse, eventually, startTestStack, type TestStack } from '../support/stack.js';

let stack: TestStack;
/** The API of each replica: A (the stack's own), B and C. */
let A: string;
let B: string;
let C: string;

/** Per API key per minute: small, so the rate-limit test reaches it quickly. */
const PER_KEY_PER_MIN = 20;

beforeAll(async () => {
  stack = await startTestStack(mkdtempSync(join(tmpdir(), 'switchboard-e2e-replicas-')), {
    exportSpans: false,
    serviceEnv: {
      RATE_LIMIT_PER_KEY_PER_MIN: String(PER_KEY_PER_MIN),
      // Counts are shared through Postgres this often (production: every second).
      RATE_LIMIT_SYNC_MS: '100',
    },
  });
  const [b, c] = await Promise.all([stack.startConversationReplica(), stack.startConversationReplica()]);
  A = stack.services.apiUrl;
  B = b.apiUrl;
  C = c.apiUrl;
  const admin = await freshKey();
  expect(
    (await call(A, admin, 'PUT', '/v1/endpoints/notes', { url: `${stack.sink.url}/notes`, allow_private: true }))
      .status,
  ).toBe(200);
  const saved = await call(B, admin, 'PUT', '/v1/agents/replicated', {
    instructions: "Log notes with 'log_note'; order with 'place_order'.",
    actions: [
      {
        name: 'log_note',
        description: 'Logs a note.',
        parameters: [{ name: 'note', type: 'string', required: true }],
        actions: [{ type: 'webhook', endpoint: 'notes', payload: { note: 'params.note' } }],
        on_success: [{ type: 'respond', message: 'Logged {{params.note}}.' }],
      },
      {
        name: 'place_order',
        description: 'Places an order for the caller.',
        target: 'webhook://notes',
        inputs: { item: { type: 'string', description: 'What to order', is_required: true } },
        require_user_confirmation: true,
      },
    ],
  });
  expect(saved.status, JSON.stringify(saved.body)).toBe(200);
}, 240_000);

afterAll(async () => {
  await stack?.stop();
}, 90_000);

/** A new API key of the demo tenant: each test has its own per-key rate-limit budget. */
async function freshKey(tenantId = stack.seed.tenantId): Promise<string> {
  return (await createApiKey(stack.db, tenantId)).key;
}

async function call(
  base: string,
  key: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<ApiResponse> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : JSON.parse(text) };
}

const notes = () => stack.sink.requests().filter((r) => r.path === '/notes');

describe('one conversation across replicas', () => {
  it('takes its calls on A and B alternately, a confirmation on the other one, its stream on C resumed on B', async () => {
    const key = await freshKey();
    const created = await call(A, key, 'POST', '/v1/conversations', { agent: 'replicated' });
    expect(created.status).toBe(201);
    const conv = created.body.id as string;
    const path = `/v1/conversations/${conv}`;
    const resultOf = (id: string) => (e: SseEvent) => e.event === 'result' && e.data.id === id;
    const before = notes().length;

    const onC = await openSse(`${C}${path}/events`, key);
    let resumed: Awaited<ReturnType<typeof openSse>> | undefined;
    try {
      const first = await call(A, key, 'POST', `${path}/tool-calls`, { name: 'log_note', arguments: { note: 'n1' } });
      expect(first.body).toMatchObject({ status: 'succeeded', messages: ['Logged n1.'] });
      const second = await call(B, key, 'POST', `${path}/tool-calls`, { name: 'log_note', arguments: { note: 'n2' } });
      expect(second.body).toMatchObject({ status: 'succeeded', messages: ['Logged n2.'] });

      // Asked on A, answered on B: the wait for the outcome is on the bus, not in A's memory.
      const asked = await call(A, key, 'POST', `${path}/tool-calls`, {
        name: 'place_order',
        arguments: { item: 'tea' },
      });
      expect(asked.status).toBe(202);
      expect(asked.body.status).toBe('awaiting_confirmation');
      const confirmed = await call(B, key, 'POST', `${path}/tool-calls/${asked.body.id}/confirmation`, {
        confirmed: true,
      });
      expect(confirmed.status).toBe(200);
      expect(confirmed.body.status).toBe('succeeded');
      // A retried confirmation on A answers with the same outcome and runs nothing again.
      const again = await call(A, key, 'POST', `${path}/tool-calls/${asked.body.id}/confirmation`, { confirmed: true });
      expect(again.body.status).toBe('succeeded');
      expect((await call(A, key, 'GET', `/v1/runs/${asked.body.id}`)).body.status).toBe('succeeded');

      const seen = await onC.readUntil(resultOf(asked.body.id));
      onC.close();
      const lastId = (seen.at(-1) as SseEvent).id;

      // While nobody listens: one call with an Idempotency-Key on A, its retry on B.
      const idem = { 'idempotency-key': `replicas-${conv}` };
      const body = { name: 'log_note', arguments: { note: 'n3' } };
      const third = await call(A, key, 'POST', `${path}/tool-calls`, body, idem);
      const retried = await call(B, key, 'POST', `${path}/tool-calls`, body, idem);
      expect(third.body.status).toBe('succeeded');
      expect(retried.body.id).toBe(third.body.id);
      expect(retried.body.messages).toEqual(third.body.messages);
      // The same key with other arguments, on B: refused, not answered with n3's result.
      const reused = await call(B, key, 'POST', `${path}/tool-calls`, { ...body, arguments: { note: 'n4' } }, idem);
      expect(reused.status).toBe(422);
      expect(reused.body.error.code).toBe('idempotency_key_reused');

      // Resumed on B after the last event C delivered: what happened meanwhile, once.
      resumed = await openSse(`${B}${path}/events`, key, lastId);
      const missed = await resumed.readUntil(resultOf(third.body.id));
      const full = await openSse(`${A}${path}/events`, key);
      const everything = await full.readUntil(resultOf(third.body.id));
      full.close();
      expect([...seen, ...missed]).toEqual(everything);
      expect(everything.filter((e) => e.event === 'result').map((e) => e.data.id)).toEqual([
        first.body.id,
        second.body.id,
        asked.body.id,
        third.body.id,
      ]);
      expect(
        notes()
          .slice(before)
          .map((r) => r.body),
      ).toEqual([{ note: 'n1' }, { note: 'n2' }, expect.objectContaining({ item: 'tea' }), { note: 'n3' }]);
    } finally {
      onC.close();
      resumed?.close();
    }
  }, 120_000);
});

describe('a stream on one replica, a change made through another', () => {
  it('closes a WebSocket on C when its conversation is ended on A, an SSE stream on C when its key is revoked on B', async () => {
    const admin = await freshKey();
    const { key, keyId } = await createApiKey(stack.db, stack.seed.tenantId);
    const conv = (await call(A, key, 'POST', '/v1/conversations', { agent: 'replicated' })).body.id as string;
    const ws = new WebSocket(`${C.replace(/^http/, 'ws')}/v1/conversations/${conv}/ws`, {
      headers: { authorization: `Bearer ${key}` },
    });
    const closed = new Promise<{ code: number; reason: string }>((resolve) =>
      ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })),
    );
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    const sse = await openSse(`${C}/v1/conversations/${conv}/events`, key);
    try {
      // C learns of the end from Postgres (A told only its own streams).
      expect((await call(A, key, 'POST', `/v1/conversations/${conv}/end`)).status).toBe(200);
      expect(await closed).toEqual({ code: 1000, reason: 'conversation ended' });
      // The SSE stream outlives the end; a key revoked on B ends it on C.
      expect((await call(B, admin, 'DELETE', `/v1/api-keys/${keyId}`)).status).toBe(200);
      await expect(sse.readUntil(() => false, 30_000)).rejects.toThrow('the event stream ended');
    } finally {
      sse.close();
      ws.terminate();
    }
  }, 120_000);
});

/** A Vapi `tool-calls` message of one tool call. */
function vapiMessage(callId: string, toolCallId: string, note: string) {
  return {
    message: {
      type: 'tool-calls',
      toolCallList: [{ id: toolCallId, type: 'function', function: { name: 'log_note', arguments: { note } } }],
      call: { id: callId, type: 'webCall' },
    },
  };
}

describe('a drop-in call on two replicas', () => {
  it('is one conversation, and a tool call id sent to A and B runs once', async () => {
    const key = await freshKey();
    const callId = randomUUID();
    const before = notes().length;
    // Both at once: the call's conversation is created by one, found by the other; one run.
    const [onA, onB] = await Promise.all([
      call(A, key, 'POST', '/v1/dropin/vapi/replicated', vapiMessage(callId, 'tc_1', 'd1')),
      call(B, key, 'POST', '/v1/dropin/vapi/replicated', vapiMessage(callId, 'tc_1', 'd1')),
    ]);
    expect(onA.status).toBe(200);
    expect(onA.body.results).toEqual([{ toolCallId: 'tc_1', name: 'log_note', result: 'Logged d1.' }]);
    expect(onB.body.results).toEqual(onA.body.results);
    // The next tool call of the same runtime call, on B then redelivered to A.
    const next = await call(B, key, 'POST', '/v1/dropin/vapi/replicated', vapiMessage(callId, 'tc_2', 'd2'));
    const redelivered = await call(A, key, 'POST', '/v1/dropin/vapi/replicated', vapiMessage(callId, 'tc_2', 'd2'));
    expect(next.body.results[0].result).toBe('Logged d2.');
    expect(redelivered.body.results).toEqual(next.body.results);

    expect(
      notes()
        .slice(before)
        .map((r) => r.body),
    ).toEqual([{ note: 'd1' }, { note: 'd2' }]);
    const { rows } = await stack.db.query(
      `SELECT c.id, (SELECT count(*)::int FROM action_runs r WHERE r.conversation_id = c.id) AS runs
         FROM conversations c WHERE c.external_id = $1`,
      [`vapi:${callId}`],
    );
    expect(rows).toEqual([{ id: expect.any(String), runs: 2 }]);
  }, 120_000);
});

describe('a rate limit on two replicas', () => {
  it('counts one key across A and B: together they let through about the limit, then both refuse', async () => {
    // A tenant of its own, so its per-tenant count is this test's alone.
    const tenant = await createTenant(stack.db, `replicas-${randomUUID().slice(0, 8)}`);
    const { key, keyId } = await createApiKey(stack.db, tenant.id, { scopes: ['read'] });
    const shared = async () => {
      const { rows } = await stack.db.query<{ n: string }>('SELECT n FROM rate_counters WHERE key = $1', [
        `key:${keyId}`,
      ]);
      return Number(rows[0]?.n ?? 0);
    };
    // Alternately, each request once the shared count has it. Without sharing, each replica
    // would let PER_KEY_PER_MIN through on its own: twice the limit before the first 429.
    const allowed = { A: 0, B: 0 };
    let refused: ApiResponse | undefined;
    for (let i = 0; refused === undefined && i < 2 * PER_KEY_PER_MIN + 2; i++) {
      const replica = i % 2 === 0 ? 'A' : 'B';
      const res = await call(replica === 'A' ? A : B, key, 'GET', '/v1/agents');
      if (res.status === 429) {
        refused = res;
        break;
      }
      expect(res.status).toBe(200);
      allowed[replica]++;
      const total = allowed.A + allowed.B;
      await eventually(async () => ((await shared()) >= total ? true : undefined));
    }
    expect(refused?.body.error).toMatchObject({
      code: 'rate_limited',
      details: { limit: 'key', max: PER_KEY_PER_MIN },
    });
    // A replica that had not yet adopted the other's last count may let one more through.
    expect(allowed.A + allowed.B).toBeGreaterThanOrEqual(PER_KEY_PER_MIN);
    expect(allowed.A + allowed.B).toBeLessThanOrEqual(PER_KEY_PER_MIN + 1);
    expect(allowed.A).toBeLessThan(PER_KEY_PER_MIN);
    expect(allowed.B).toBeLessThan(PER_KEY_PER_MIN);
    // Both refuse now (refused requests are not counted, so asking again costs nothing). A
    // replica that never saw the key (C) would let requests through until its first sync.
    for (const base of [A, B]) {
      await eventually(async () => ((await call(base, key, 'GET', '/v1/agents')).status === 429 ? true : undefined));
    }
    expect(await shared()).toBe(allowed.A + allowed.B);
  }, 120_000);
});

describe('readiness', () => {
  it('answers /readyz 503 naming NATS while NATS is down, 200 again once it is back; /healthz stays 200', async () => {
    const health = (name: 'orchestrator' | 'webhook-worker') =>
      stack.services.metricsUrl(name).replace(/\/metrics$/, '');
    const ready = async (base: string) => {
      const res = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(10_000) });
      return {
        status: res.status,
        body: (await res.json()) as { status: string; dependencies: Record<string, string> },
      };
    };
    expect(await ready(B)).toEqual({
      status: 200,
      body: { status: 'ready', dependencies: { postgres: 'ok', nats: 'ok' } },
    });
    expect(await ready(health('orchestrator'))).toEqual({
      status: 200,
      body: { status: 'ready', dependencies: { postgres: 'ok', nats: 'ok', temporal: 'ok' } },
    });
    expect(await ready(health('webhook-worker'))).toEqual({
      status: 200,
      body: { status: 'ready', dependencies: { postgres: 'ok', temporal: 'ok' } },
    });

    // NATS away for a while (generously longer than one probe's 2 s bound).
    const restarting = stack.infra.restart('nats', { kill: true, downMs: 20_000 });
    try {
      for (const base of [A, B, health('orchestrator')]) {
        const down = await eventually(async () => {
          const r = await ready(base);
          return r.status === 503 ? r : undefined;
        }, 20_000);
        expect(down.body.status).toBe('unavailable');
        expect(down.body.dependencies.nats).not.toBe('ok');
        expect(down.body.dependencies.postgres).toBe('ok');
      }
      // Liveness is not readiness: nothing to restart for.
      expect((await fetch(`${B}/healthz`)).status).toBe(200);
    } finally {
      await restarting;
    }
    for (const base of [A, B, health('orchestrator')]) {
      await eventually(async () => ((await ready(base)).status === 200 ? true : undefined), 60_000);
    }
  }, 180_000);
});
