/**
 * The test-call routes against a real Postgres (conversations, recorded effects, API keys); the
 * bus is a JetStream stand-in that keeps what was published (the orchestrator is not the unit).
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Bus } from '@switchboard/bus';
import { ControlKind, decodeControl, Headers, MessageKinds } from '@switchboard/contracts';
import {
  createApiKey,
  createConversation,
  createPool,
  createTenant,
  markSandboxEffect,
  migrate,
  recordSandboxEffect,
  upsertAgent,
} from '@switchboard/db';
import { type PostgresServer, startPostgres } from '@switchboard/devstack';
import { trace } from '@switchboard/telemetry';
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../app.js';
import { compensateControlId } from './sandbox.routes.js';

interface Published {
  subject: string;
  data: Uint8Array;
  msgId: string;
  headers: Record<string, string | undefined>;
}

/** De-duplicates by message id, like JetStream. */
function fakeBus(published: Published[]): Bus {
  const seen = new Set<string>();
  const js = {
    publish: async (
      subject: string,
      data: Uint8Array,
      opts: { msgID: string; headers: { get(k: string): string } },
    ) => {
      const duplicate = seen.has(opts.msgID);
      if (!duplicate) {
        seen.add(opts.msgID);
        const header = (k: string) => opts.headers.get(k) || undefined;
        published.push({
          subject,
          data,
          msgId: opts.msgID,
          headers: { [Headers.Kind]: header(Headers.Kind), [Headers.Tenant]: header(Headers.Tenant) },
        });
      }
      return { stream: 'SB_INTENTS', seq: published.length, duplicate };
    },
  };
  return { js } as unknown as Bus;
}

let dir: string;
let postgres: PostgresServer;
let db: pg.Pool;
let app: FastifyInstance;
let tenantId: string;
let key: string;
let otherKey: string;
let agentId: string;
const published: Published[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'switchboard-sandbox-routes-'));
  chmodSync(dir, 0o755);
  postgres = await startPostgres({ dataDir: join(dir, 'pg'), logDir: dir, ephemeral: true });
  db = createPool(postgres.url);
  db.on('error', () => {});
  await migrate(db);
  tenantId = (await createTenant(db, 'routes')).id;
  key = (await createApiKey(db, tenantId)).key;
  otherKey = (await createApiKey(db, (await createTenant(db, 'someone-else')).id)).key;
  agentId = (await upsertAgent(db, tenantId, 'desk', '')).id;
  app = await buildApp({ db, bus: fakeBus(published), tracer: trace.getTracer('test'), toolCallTimeoutMs: 1000 });
}, 120_000);

afterAll(async () => {
  await app?.close();
  await db?.end();
  await postgres?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  published.length = 0;
});

const call = (method: 'GET' | 'POST', url: string, headers: Record<string, string> = {}, as = key) =>
  app.inject({ method, url, headers: { authorization: `Bearer ${as}`, ...headers } });

async function testCall(): Promise<string> {
  const conv = await createConversation(db, tenantId, agentId, {}, {}, { sandbox: true });
  const base = { tenantId, conversationId: conv.id, stepPointer: '/actions/0' };
  await recordSandboxEffect(db, {
    ...base,
    intentId: `int_a${conv.id}`,
    operation: 'calcom.book',
    provider: 'calcom',
    providerRef: 'bk1',
    description: 'Cal.com booking bk1',
    undo: { operation: 'calcom.cancel', payload: { credential: 'calcom_main', booking_uid: 'bk1' } },
  });
  await recordSandboxEffect(db, {
    ...base,
    intentId: `int_b${conv.id}`,
    operation: 'sms.send',
    provider: 'twilio',
    irreversible: 'a sent SMS cannot be recalled',
  });
  return conv.id;
}

describe('POST /v1/conversations (test calls)', () => {
  it('creates a test call when asked, an ordinary conversation by default', async () => {
    const post = (body: unknown) =>
      app.inject({
        method: 'POST',
        url: '/v1/conversations',
        headers: { authorization: `Bearer ${key}` },
        payload: body as Record<string, unknown>,
      });
    const test = await post({ agent: 'desk', sandbox: true });
    expect(test.statusCode).toBe(201);
    expect(test.json()).toMatchObject({ agent: 'desk', sandbox: true });
    const { rows } = await db.query('SELECT sandbox FROM conversations WHERE id = $1', [test.json().id]);
    expect(rows[0]?.sandbox).toBe(true);
    expect((await post({ agent: 'desk' })).json()).toMatchObject({ sandbox: false });
    expect((await post({ agent: 'desk', sandbox: 'yes' })).statusCode).toBe(400);
  });
});

describe('POST /v1/conversations/:id/compensate', () => {
  it('publishes one COMPENSATE control on the conversation’s lane and answers 202', async () => {
    const conv = await testCall();
    const res = await call('POST', `/v1/conversations/${conv}/compensate`, { 'idempotency-key': 'k1' });
    expect(res.statusCode).toBe(202);
    expect(res.headers.location).toBe(`/v1/conversations/${conv}/sandbox-effects`);
    const body = res.json();
    expect(body).toEqual({
      id: compensateControlId(tenantId, conv, 'k1'),
      status: 'accepted',
      effects: { pending: 1, undone: 0, failed: 0, irreversible: 1 },
    });
    expect(published).toHaveLength(1);
    const [p] = published;
    expect(p?.subject).toBe(`sb.intent.${tenantId}.${conv}`);
    expect(p?.msgId).toBe(body.id);
    expect(p?.headers).toEqual({ [Headers.Kind]: MessageKinds.Control, [Headers.Tenant]: tenantId });
    const control = decodeControl(p?.data ?? new Uint8Array());
    expect(control).toMatchObject({
      controlId: body.id,
      tenantId,
      conversationId: conv,
      intentId: '',
      kind: ControlKind.COMPENSATE,
    });

    // A retried request (same key) is the same message; a new request is a new one.
    expect((await call('POST', `/v1/conversations/${conv}/compensate`, { 'idempotency-key': 'k1' })).json().id).toBe(
      body.id,
    );
    expect(published).toHaveLength(1);
    const fresh = await call('POST', `/v1/conversations/${conv}/compensate`);
    expect(fresh.json().id).not.toBe(body.id);
    expect(published).toHaveLength(2);
  });

  it('answers 409 for an ordinary conversation and 404 for another tenant’s or an unknown one', async () => {
    const ordinary = await createConversation(db, tenantId, agentId);
    const refused = await call('POST', `/v1/conversations/${ordinary.id}/compensate`);
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error).toMatchObject({ code: 'conflict', retryable: false });
    const conv = await testCall();
    expect((await call('POST', `/v1/conversations/${conv}/compensate`, {}, otherKey)).statusCode).toBe(404);
    expect((await call('POST', '/v1/conversations/conv_000000000000000000000000/compensate')).statusCode).toBe(404);
    expect(published).toEqual([]);
  });
});

describe('GET /v1/conversations/:id/sandbox-effects', () => {
  it('lists the recorded effects oldest first, with their state', async () => {
    const conv = await testCall();
    const first = (await call('GET', `/v1/conversations/${conv}/sandbox-effects`)).json();
    await markSandboxEffect(db, tenantId, first.effects[0].id, 'undone');
    // An undone effect stays undone whatever a late compensation reports.
    expect(await markSandboxEffect(db, tenantId, first.effects[0].id, 'failed', 'late')).toBe(false);
    const res = await call('GET', `/v1/conversations/${conv}/sandbox-effects`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      sandbox: true,
      summary: { pending: 0, undone: 1, failed: 0, irreversible: 1 },
      effects: [
        {
          runId: `int_a${conv}`,
          step: '/actions/0',
          operation: 'calcom.book',
          provider: 'calcom',
          providerRef: 'bk1',
          description: 'Cal.com booking bk1',
          undoOperation: 'calcom.cancel',
          state: 'undone',
          reason: null,
        },
        {
          runId: `int_b${conv}`,
          operation: 'sms.send',
          providerRef: null,
          undoOperation: null,
          state: 'irreversible',
          reason: 'a sent SMS cannot be recalled',
        },
      ],
    });
    expect((await call('GET', `/v1/conversations/${conv}/sandbox-effects`, {}, otherKey)).statusCode).toBe(404);
  });
});
