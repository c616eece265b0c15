/**
 * The JSON limits at the API edge, route family by route family, through `app.inject()` against
 * a real Postgres and a real nats-server (no orchestrator: the unit is the edge). Each refused
 * request answers 400 `validation_failed` with a pointer, and leaves nothing behind: no row, no
 * message on the bus.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Bus, connectBus, ensureStreams } from '@switchboard/bus';
import { JSON_MAX_DEPTH } from '@switchboard/common';
import { decodeIntent, Streams } from '@switchboard/contracts';
import { createApiKey, createPool, createTenant, migrate } from '@switchboard/db';
import { type NatsServer, type PostgresServer, startNats, startPostgres } from '@switchboard/devstack';
import { trace } from '@switchboard/telemetry';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from './app.js';

let dir: string;
let postgres: PostgresServer;
let nats: NatsServer;
let bus: Bus;
let db: pg.Pool;
let app: FastifyInstance;
let key: string;
let conversationId: string;

const NOTE_TOOL = {
  name: 'note',
  description: 'Takes a note',
  parameters: [{ name: 'text', type: 'string' }],
  actions: [{ type: 'respond', message: 'Noted.' }],
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'switchboard-input-checks-'));
  chmodSync(dir, 0o755);
  [postgres, nats] = await Promise.all([
    startPostgres({ dataDir: join(dir, 'pg'), logDir: dir, ephemeral: true }),
    startNats({ storeDir: join(dir, 'js'), logDir: dir }),
  ]);
  db = createPool(postgres.url);
  db.on('error', () => {});
  await migrate(db);
  bus = await connectBus(nats.url, { name: 'input-checks-test', reconnectForever: false });
  await ensureStreams(bus.jsm);
  key = (await createApiKey(db, (await createTenant(db, 'edge')).id)).key;
  app = await buildApp({ db, bus, tracer: trace.getTracer('test'), toolCallTimeoutMs: 500 });
  expect((await send('PUT', '/v1/agents/desk', { instructions: '', actions: [NOTE_TOOL] })).statusCode).toBe(200);
  const created = await send('POST', '/v1/conversations', { agent: 'desk' });
  conversationId = created.json().id;
}, 120_000);

afterAll(async () => {
  await app?.close();
  await bus?.close();
  await db?.end();
  await Promise.all([postgres?.stop(), nats?.stop()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** An authenticated request; a string body is sent as it is (for bodies JSON.stringify cannot make). */
function send(method: 'GET' | 'POST' | 'PUT', url: string, body?: unknown, headers: Record<string, string> = {}) {
  return app.inject({
    method,
    url,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    ...(body === undefined ? {} : { payload: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
}

/** `levels` objects inside each other (`{"a": {"a": … 1}}`): a document of depth `levels`. */
function deep(levels: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < levels; i++) v = { a: v };
  return v;
}

/** What the store holds: rows that a refused request must not have added, messages on the bus. */
async function footprint(): Promise<{ conversations: number; runs: number; agentVersions: number; intents: number }> {
  const count = async (table: string) => Number((await db.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);
  return {
    conversations: await count('conversations'),
    runs: await count('action_runs'),
    agentVersions: await count('agent_versions'),
    intents: (await bus.jsm.streams.info(Streams.Intents)).state.messages,
  };
}

/** Asserts a 400 `validation_failed` whose first issue has `pointer` and a message matching `message`. */
function expectRefused(res: LightMyRequestResponse, pointer: string, message: RegExp): void {
  expect(res.statusCode, res.body).toBe(400);
  const { error } = res.json();
  expect(error).toMatchObject({ code: 'validation_failed', retryable: false });
  expect(error.details.issues[0]).toMatchObject({ pointer, message: expect.stringMatching(message) });
}

const TOO_DEEP = /^must not nest deeper than 32 levels of objects and arrays$/;
const NUL = /must not contain U\+0000 \(NUL\)$/;
const SURROGATE = /must not contain an unpaired surrogate \(U\+D800\)$/;

describe('tool calls', () => {
  it('refuses arguments nested past the limit, pointing at the first level too deep; nothing is accepted', async () => {
    const before = await footprint();
    const res = await send('POST', `/v1/conversations/${conversationId}/tool-calls`, {
      name: 'note',
      arguments: deep(40),
    });
    // The body is level 1 and `arguments` level 2: level 33 is 31 `a`s further.
    expectRefused(res, `/arguments${'/a'.repeat(JSON_MAX_DEPTH - 1)}`, TOO_DEEP);
    expect(res.json().error.message).toMatch(/^the request body cannot be accepted: \/arguments\/a\/a/);
    expect(await footprint()).toEqual(before);
  });

  it('answers 100,000 levels with a 400, not a stack overflow', async () => {
    const levels = 100_000;
    for (const [open, close, token] of [
      ['[', ']', '/0'],
      ['{"a":', '}', '/a'],
    ] as const) {
      const body = `{"name":"note","arguments":{"x":${open.repeat(levels)}${open === '[' ? '' : '1'}${close.repeat(levels)}}}`;
      const res = await send('POST', `/v1/conversations/${conversationId}/tool-calls`, body);
      expectRefused(res, `/arguments/x${token.repeat(JSON_MAX_DEPTH - 2)}`, TOO_DEEP);
    }
  });

  it('refuses NUL and unpaired surrogates in values and keys', async () => {
    const url = `/v1/conversations/${conversationId}/tool-calls`;
    expectRefused(await send('POST', url, '{"name":"note","arguments":{"text":"a\\u0000b"}}'), '/arguments/text', NUL);
    expectRefused(await send('POST', url, '{"name":"note","arguments":{"\\ud800":"x"}}'), '/arguments/\ud800', /^key /);
    expectRefused(await send('POST', url, '{"name":"n\\ud800ote","arguments":{}}'), '/name', SURROGATE);
  });

  it('refuses a tool call larger than the bus carries with 413, before accepting a run', async () => {
    const before = await footprint();
    // 0.8 MB of JSON under the body limit, but every number is a protobuf Value: 4 MB on the bus.
    const res = await send('POST', `/v1/conversations/${conversationId}/tool-calls`, {
      name: 'note',
      arguments: { zeros: new Array(400_000).fill(0) },
    });
    expect(res.statusCode, res.body).toBe(413);
    expect(res.json().error).toMatchObject({ code: 'payload_too_large', retryable: false });
    expect(res.json().error.message).toMatch(
      /^the tool call is too large to run: \d+ bytes on the bus \(arguments \d+ bytes/,
    );
    expect(await footprint()).toEqual(before);
  });

  it('accepts the deepest arguments allowed, and the intent it publishes decodes', async () => {
    const args = { text: 'deep', x: deep(JSON_MAX_DEPTH - 2) };
    const res = await send('POST', `/v1/conversations/${conversationId}/tool-calls`, { name: 'note', arguments: args });
    // No orchestrator here: the call is accepted and still running when the wait ends.
    expect(res.statusCode, res.body).toBe(202);
    const msg = await bus.jsm.streams.getMessage(Streams.Intents, { last_by_subj: `sb.intent.>` });
    expect(msg, 'the intent on the stream').not.toBeNull();
    expect(decodeIntent(msg!.data).arguments).toEqual(args);
  });
});

describe('conversations', () => {
  it('refuses a contact or call that could not be carried or stored, and creates nothing', async () => {
    const before = await footprint();
    expectRefused(
      await send('POST', '/v1/conversations', { agent: 'desk', contact: deep(40) }),
      `/contact${'/a'.repeat(JSON_MAX_DEPTH - 1)}`,
      TOO_DEEP,
    );
    expectRefused(
      await send('POST', '/v1/conversations', '{"agent":"desk","contact":{"name":"Ada\\u0000"}}'),
      '/contact/name',
      NUL,
    );
    expectRefused(
      await send('POST', '/v1/conversations', '{"agent":"desk","call":{"sid":"CA\\ud800"}}'),
      '/call/sid',
      SURROGATE,
    );
    expectRefused(await send('POST', '/v1/conversations', '{"agent":"desk\\u0000"}'), '/agent', NUL);
    expect(await footprint()).toEqual(before);
  });

  it('refuses a turn whose text holds an unpaired surrogate', async () => {
    expectRefused(
      await send('POST', `/v1/conversations/${conversationId}/turns`, '{"text":"hello \\ud800"}'),
      '/text',
      SURROGATE,
    );
  });
});

describe('agents, endpoints and credentials', () => {
  it('refuses an agent whose definition nests too deep or holds NUL, and saves no version', async () => {
    const before = await footprint();
    let steps: unknown[] = [{ type: 'respond', message: 'hi' }];
    for (let i = 0; i < 20; i++)
      // biome-ignore lint/suspicious/noThenProperty: 'then' is the conditional step's property in the seed format
      steps = [{ type: 'conditional', condition: 'true', then: steps }];
    const res = await send('PUT', '/v1/agents/desk', { instructions: '', actions: [{ ...NOTE_TOOL, actions: steps }] });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details.issues[0].pointer).toMatch(/^\/actions\/0\/actions\/0\/then\/0\/then/);
    expectRefused(
      await send('PUT', '/v1/agents/desk', '{"instructions":"Hi \\u0000","actions":[]}'),
      '/instructions',
      NUL,
    );
    expect(await footprint()).toEqual(before);
  });

  it('refuses NUL in path and query parameters, naming the parameter', async () => {
    const path = await send('GET', '/v1/agents/desk%00');
    expectRefused(path, '/name', /^path parameter 'name' must not contain U\+0000 \(NUL\)$/);
    expect(path.json().error.message).toBe(
      "the URL cannot be accepted: path parameter 'name' must not contain U+0000 (NUL)",
    );
    expectRefused(
      await send('GET', '/v1/agents/desk?version=1%00'),
      '/version',
      /^query parameter 'version' must not contain U\+0000/,
    );
  });

  it('refuses endpoint headers and credential secrets that cannot be stored', async () => {
    expectRefused(
      await send('PUT', '/v1/endpoints/orders', '{"url":"https://example.com/x","headers":{"X-A":"a\\u0000"}}'),
      '/headers/X-A',
      NUL,
    );
    expectRefused(
      await send('PUT', '/v1/credentials/c1', '{"provider":"http","secret":{"token":"\\ud800"}}'),
      '/secret/token',
      SURROGATE,
    );
  });
});

describe('drop-ins and MCP', () => {
  it('refuses Vapi call metadata that cannot be stored, and runs nothing', async () => {
    const before = await footprint();
    const body = {
      message: {
        type: 'tool-calls',
        call: { id: 'vapi-call-1', assistantOverrides: { variableValues: { name: 'Ada\u0000' } } },
        toolCallList: [{ id: 'tc1', name: 'note', arguments: { text: 'x' } }],
      },
    };
    expectRefused(
      await send('POST', '/v1/dropin/vapi/desk', body),
      '/message/call/assistantOverrides/variableValues/name',
      NUL,
    );
    expect(await footprint()).toEqual(before);
  });

  it('answers a Vapi tool call whose string arguments nest too deep with an error result, and runs nothing', async () => {
    const before = await footprint();
    const args = `{"x":${'['.repeat(50)}${']'.repeat(50)}}`;
    const res = await send('POST', '/v1/dropin/vapi/desk', {
      message: {
        type: 'tool-calls',
        call: { id: 'vapi-call-2' },
        toolCallList: [{ id: 'tc2', name: 'note', arguments: args }],
      },
    });
    expect(res.statusCode).toBe(200);
    const [result] = res.json().results;
    expect(result.error).toMatch(
      /^The tool call was rejected \(validation_failed\): 'note': the arguments cannot be accepted: \/x(\/0)+ must not nest deeper than 32 levels/,
    );
    // The call's conversation was made (the first tool call of a call makes it); no run, no intent.
    const after = await footprint();
    expect({ ...after, conversations: before.conversations }).toEqual(before);
  });

  it('refuses Retell call metadata with an unpaired surrogate, and a body 100,000 levels deep', async () => {
    const before = await footprint();
    expectRefused(
      await send(
        'POST',
        '/v1/dropin/retell/desk',
        '{"name":"note","args":{},"call":{"call_id":"r1","retell_llm_dynamic_variables":{"name":"\\ud800"}}}',
      ),
      '/call/retell_llm_dynamic_variables/name',
      SURROGATE,
    );
    expectRefused(
      await send(
        'POST',
        '/v1/dropin/retell/desk',
        `{"name":"note","args":${'['.repeat(100_000)}${']'.repeat(100_000)}}`,
      ),
      `/args${'/0'.repeat(JSON_MAX_DEPTH - 1)}`,
      TOO_DEEP,
    );
    expect(await footprint()).toEqual(before);
  });

  it('refuses an MCP tools/call whose arguments hold NUL', async () => {
    const res = await send(
      'POST',
      '/v1/mcp/desk',
      '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"note","arguments":{"text":"\\u0000"}}}',
      { accept: 'application/json, text/event-stream' },
    );
    expectRefused(res, '/params/arguments/text', NUL);
  });
});
