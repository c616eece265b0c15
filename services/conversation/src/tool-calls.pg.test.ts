/**
 * Idempotency-Key races through the tool-call route against a real Postgres and a real NATS
 * JetStream. The orchestrator is not the unit: calls answer `running` after a short wait, and
 * what was handed over is read back from the intents stream.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Bus, connectBus, ensureStreams } from '@switchboard/bus';
import { decodeIntent, Streams, Subjects } from '@switchboard/contracts';
import { createApiKey, createPool, createTenant, intentIdForKey, migrate } from '@switchboard/db';
import { type NatsServer, type PostgresServer, startNats, startPostgres } from '@switchboard/devstack';
import { trace } from '@switchboard/telemetry';
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from './app.js';

let dir: string;
let postgres: PostgresServer;
let nats: NatsServer;
let bus: Bus;
let db: pg.Pool;
let app: FastifyInstance;
let tenantId: string;
let key: string;

/**
 * The pool, except that while armed, reads of a run by intent id wait until `n` of them are
 * waiting: every request under the key then reads "no run yet" before any of them inserts one,
 * which is the race's worst interleaving, every time.
 */
const gate = { armed: false, n: 0, waiting: [] as (() => void)[] };
/** `findRun`'s statement. */
const RUN_BY_INTENT = 'SELECT * FROM action_runs WHERE tenant_id = $1 AND intent_id = $2';
/** While set, every statement run through the pool's `query`. */
let statements: string[] | undefined;
function gated(pool: pg.Pool): pg.Pool {
  const query = async (text: string, params?: unknown[]) => {
    statements?.push(text);
    if (gate.armed && text.startsWith(RUN_BY_INTENT)) {
      await new Promise<void>((resolve) => {
        gate.waiting.push(resolve);
        if (gate.waiting.length >= gate.n) {
          gate.armed = false;
          for (const go of gate.waiting.splice(0)) go();
        }
      });
    }
    return pool.query(text, params);
  };
  // Everything else (transactions, advisory locks) is the pool's own.
  return new Proxy(pool, {
    get: (target, prop) => {
      if (prop === 'query') return query;
      const value = Reflect.get(target, prop);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'switchboard-tool-calls-pg-'));
  chmodSync(dir, 0o755);
  [postgres, nats] = await Promise.all([
    startPostgres({ dataDir: join(dir, 'pg'), logDir: dir, ephemeral: true }),
    startNats({ storeDir: join(dir, 'nats'), logDir: dir }),
  ]);
  // Reconnecting for as long as it takes: one test restarts NATS under the app.
  bus = await connectBus(nats.url, { name: 'tool-calls-pg-test' });
  await ensureStreams(bus.jsm);
  db = createPool(postgres.url);
  db.on('error', () => {});
  await migrate(db);
  tenantId = (await createTenant(db, 'races')).id;
  key = (await createApiKey(db, tenantId)).key;
  app = await buildApp({ db: gated(db), bus, tracer: trace.getTracer('test'), toolCallTimeoutMs: 200 });
  const saved = await api('PUT', '/v1/agents/desk', {
    instructions: '',
    actions: [
      {
        name: 'note',
        description: 'Notes a line',
        parameters: [
          { name: 'line', type: 'string', required: true },
          { name: 'who', type: 'string' },
        ],
        actions: [{ type: 'respond', message: 'Noted: {{params.line}}' }],
      },
    ],
  });
  expect(saved.statusCode).toBe(200);
}, 120_000);

afterAll(async () => {
  await app?.close();
  await bus?.close();
  await db?.end();
  await Promise.all([postgres?.stop(), nats?.stop()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function api(method: 'GET' | 'POST' | 'PUT', url: string, body?: unknown, headers: Record<string, string> = {}) {
  return app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${key}`, ...headers },
    ...(body === undefined ? {} : { payload: body as object }),
  });
}

async function conversation(): Promise<string> {
  const res = await api('POST', '/v1/conversations', { agent: 'desk' });
  expect(res.statusCode).toBe(201);
  return res.json().id;
}

/** The intents stored for this conversation, with their stream sequence, from JetStream. */
async function storedIntents(conversationId: string): Promise<{ seq: number; intentId: string; arguments: unknown }[]> {
  // Stored under the conversation's partition (the stream's subject transform).
  const info = await bus.jsm.streams.info(Streams.Intents, { subjects_filter: Subjects.IntentsAll });
  const intents = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
    const msg = await bus.jsm.streams.getMessage(Streams.Intents, { seq }).catch(() => null);
    const where = msg ? Subjects.parseIntent(msg.subject) : undefined;
    if (!msg || where?.tenantId !== tenantId || where.conversationId !== conversationId) continue;
    const intent = decodeIntent(msg.data);
    intents.push({ seq, intentId: intent.intentId, arguments: intent.arguments });
  }
  return intents;
}

/** The intents handed over for this conversation, from JetStream. */
async function handedOver(conversationId: string): Promise<{ intentId: string; arguments: unknown }[]> {
  return (await storedIntents(conversationId)).map(({ intentId, arguments: args }) => ({ intentId, arguments: args }));
}

describe('an Idempotency-Key shared by concurrent requests', () => {
  it('lets exactly one of them run when their arguments differ; the others get 422 and publish nothing', async () => {
    const conv = await conversation();
    const lines = ['first', 'second', 'third'];
    gate.n = lines.length;
    gate.armed = true;
    const responses = await Promise.all(
      lines.map((line) =>
        api(
          'POST',
          `/v1/conversations/${conv}/tool-calls`,
          { name: 'note', arguments: { line } },
          {
            'idempotency-key': 'shared',
          },
        ),
      ),
    );
    expect(gate.armed).toBe(false); // every request read "no run yet" before any inserted
    const statuses = responses.map((r) => r.statusCode);
    expect(statuses.filter((s) => s === 202)).toHaveLength(1);
    expect(statuses.filter((s) => s === 422)).toHaveLength(2);
    const winner = lines[statuses.indexOf(202)];
    for (const refused of responses.filter((r) => r.statusCode === 422)) {
      expect(refused.json().error).toMatchObject({
        code: 'idempotency_key_reused',
        retryable: false,
        details: { idempotencyKey: 'shared', differs: ['arguments'] },
      });
    }

    const intentId = intentIdForKey(tenantId, conv, 'shared');
    expect(await handedOver(conv)).toEqual([{ intentId, arguments: { line: winner } }]);
    const { rows } = await db.query('SELECT arguments, request_hash FROM action_runs WHERE conversation_id = $1', [
      conv,
    ]);
    expect(rows).toEqual([{ arguments: { line: winner }, request_hash: expect.stringMatching(/^[0-9a-f]{64}$/) }]);
  });

  it('lets the same request through every time: one run, one intent', async () => {
    const conv = await conversation();
    gate.n = 2;
    gate.armed = true;
    const responses = await Promise.all(
      [
        { line: 'x', who: 'ada' },
        { who: 'ada', line: 'x' },
      ].map((args) =>
        api(
          'POST',
          `/v1/conversations/${conv}/tool-calls`,
          { name: 'note', arguments: args },
          {
            'idempotency-key': 'same',
          },
        ),
      ),
    );
    expect(responses.map((r) => r.statusCode)).toEqual([202, 202]);
    expect(responses[0]?.json().id).toBe(responses[1]?.json().id);
    expect(await handedOver(conv)).toHaveLength(1);
  });
});

describe('the path to an accepted tool call', () => {
  it('reads the conversation with its agent (locale and runtimes) at once and answers with the time of each stage', async () => {
    const conv = await conversation();
    statements = [];
    const res = await api('POST', `/v1/conversations/${conv}/tool-calls`, { name: 'note', arguments: { line: 'x' } });
    const run = untilInsert(statements);
    statements = undefined;
    expect(res.statusCode).toBe(202);
    // The API key's lookup joins `api_keys` to `tenants`; the agent row is read once, with the conversation.
    expect(run.filter((q) => /\bFROM agents\b/.test(q))).toEqual([]);
    expect(run.filter((q) => /\bFROM conversations\b/.test(q))).toEqual([
      expect.stringMatching(/\bFROM conversations c\s+LEFT JOIN agents a\b/),
    ]);
    // Without an Idempotency-Key the intent id is new: no run to look for before the insert.
    expect(run.filter((q) => q.startsWith(RUN_BY_INTENT))).toEqual([]);
    expect(stagesOf(res.headers['server-timing'])).toEqual([
      'request',
      'conversation',
      'agent',
      'action',
      'status',
      'encode',
      'insert',
      'intent-ack',
      'accepted-ack',
      'loop-p50',
      'loop-p99',
    ]);
  });

  it('looks for the run of an Idempotency-Key before accepting the call', async () => {
    const conv = await conversation();
    statements = [];
    const res = await api(
      'POST',
      `/v1/conversations/${conv}/tool-calls`,
      { name: 'note', arguments: { line: 'x' } },
      { 'idempotency-key': 'looked-up' },
    );
    const run = untilInsert(statements);
    statements = undefined;
    expect(res.statusCode).toBe(202);
    expect(run.filter((q) => q.startsWith(RUN_BY_INTENT))).toHaveLength(1);
    expect(stagesOf(res.headers['server-timing']).slice(0, 4)).toEqual(['request', 'conversation', 'run', 'agent']);
  });
});

describe('a tool call retried after NATS restarted', () => {
  it('publishes no second copy of an intent the orchestrator took, and publishes one that never reached the bus', async () => {
    const body = { name: 'note', arguments: { line: 'again' } };
    const call = (conv: string) =>
      api('POST', `/v1/conversations/${conv}/tool-calls`, body, { 'idempotency-key': 'again' });
    const taken = await conversation();
    const lost = await conversation();
    for (const conv of [taken, lost]) expect((await call(conv)).statusCode).toBe(202);
    // `taken`'s intent is acked by the orchestrator: the work-queue stream deletes it, and its
    // `accepted` event stays. `lost` has neither, as when the service died between its audit
    // row and its publish.
    for (const conv of [taken, lost]) {
      for (const { seq } of await storedIntents(conv)) await bus.jsm.streams.deleteMessage(Streams.Intents, seq);
    }
    const lostIntent = intentIdForKey(tenantId, lost, 'again');
    await bus.jsm.streams.purge(Streams.Events, { filter: Subjects.event(lost, lostIntent) });
    // Restarted, the server remembers the message ids of the intents it still stores only.
    await nats.stop();
    nats = await startNats({
      storeDir: join(dir, 'nats'),
      logDir: dir,
      port: nats.port,
      monitorPort: nats.monitorPort,
    });
    const answering = Date.now() + 30_000;
    while (
      !(await bus.jsm.streams.info(Streams.Intents).then(
        () => true,
        () => false,
      ))
    ) {
      if (Date.now() > answering) throw new Error('JetStream does not answer after the restart');
      await new Promise((r) => setTimeout(r, 200));
    }

    for (const conv of [taken, lost]) expect((await call(conv)).statusCode).toBe(202);
    expect(await handedOver(taken)).toEqual([]);
    expect(await handedOver(lost)).toEqual([{ intentId: lostIntent, arguments: body.arguments }]);
  }, 60_000);
});
/** The statements before the audit row's insert: the reads of the path to `accepted`. */
function untilInsert(statements: string[]): string[] {
  const insert = statements.findIndex((q) => q.trimStart().startsWith('INSERT INTO action_runs'));
  expect(insert).toBeGreaterThan(0);
  return statements.slice(0, insert);
}

/** The stage names of a `Server-Timing` header, in order. */
function stagesOf(header: unknown): string[] {
  return String(header)
    .split(', ')
    .map((entry) => entry.split(';')[0] ?? '');
}
