/**
 * `GET /v1/agents/:name/export` against a real Postgres: the shipped booking agent saved through
 * the API, then exported in each format; the drop-in URL under `PUBLIC_BASE_URL` or the
 * request's host; ElevenLabs refused without a URL; tenant isolation.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Bus } from '@switchboard/bus';
import { createApiKey, createPool, createTenant, IdPrefixes, migrate, newId } from '@switchboard/db';
import { exampleAgent, type PostgresServer, startPostgres } from '@switchboard/devstack';
import { trace } from '@switchboard/telemetry';
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../app.js';

let dir: string;
let postgres: PostgresServer;
let db: pg.Pool;
let app: FastifyInstance;
let behindProxy: FastifyInstance;
let key: string;
let otherKey: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'switchboard-agents-export-'));
  chmodSync(dir, 0o755);
  postgres = await startPostgres({ dataDir: join(dir, 'pg'), logDir: dir, ephemeral: true });
  db = createPool(postgres.url);
  db.on('error', () => {});
  await migrate(db);
  // Saving and exporting agents never touch the bus.
  const deps = { db, bus: {} as Bus, tracer: trace.getTracer('test'), toolCallTimeoutMs: 1000 };
  app = await buildApp(deps);
  behindProxy = await buildApp({ ...deps, publicBaseUrl: 'https://sb.example.com/base/' });
  const tenant = await createTenant(db, `export-${newId(IdPrefixes.Tenant)}`);
  key = (await createApiKey(db, tenant.id)).key;
  const other = await createTenant(db, `export-other-${newId(IdPrefixes.Tenant)}`);
  otherKey = (await createApiKey(db, other.id)).key;
  const { name: _name, description: _description, ...body } = exampleAgent('booking');
  const saved = await app.inject({
    method: 'PUT',
    url: '/v1/agents/booking',
    headers: { authorization: `Bearer ${key}` },
    payload: body,
  });
  expect(saved.statusCode).toBe(200);
}, 120_000);

afterAll(async () => {
  await app?.close();
  await behindProxy?.close();
  await db?.end();
  await postgres?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const get = (url: string, on: FastifyInstance = app, bearer = key) =>
  on.inject({ method: 'GET', url, headers: { authorization: `Bearer ${bearer}`, host: 'switchboard.local:8080' } });

describe('GET /v1/agents/:name/export', () => {
  it('exports Vapi tools posting to the drop-in endpoint on the request host', async () => {
    const res = await get('/v1/agents/booking/export?format=vapi');
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.nameMap.book_consultation).toBe('Book Consultation');
    expect(body.tools.length).toBe(Object.keys(body.nameMap).length);
    for (const tool of body.tools) {
      expect(tool.type).toBe('function');
      expect(tool.server).toEqual({ url: 'http://switchboard.local:8080/v1/dropin/vapi/booking' });
    }
    const book = body.tools.find((t: { function: { name: string } }) => t.function.name === 'book_consultation');
    expect(book.messages.map((m: { type: string }) => m.type)).toContain('request-failed');
  });

  it('uses PUBLIC_BASE_URL for the drop-in endpoint, and an explicit url over both', async () => {
    const retell = (await get('/v1/agents/booking/export?format=retell', behindProxy)).json();
    for (const tool of retell.tools) expect(tool.url).toBe('https://sb.example.com/base/v1/dropin/retell/booking');
    const explicit = (await get('/v1/agents/booking/export?format=retell&url=https://x.example/r', behindProxy)).json();
    for (const tool of explicit.tools) expect(tool.url).toBe('https://x.example/r');
  });

  it('exports ElevenLabs webhook tools posting to the drop-in endpoint (or an explicit url), naming their tool and call', async () => {
    const body = (await get('/v1/agents/booking/export?format=elevenlabs')).json();
    expect(body.tools.length).toBe(Object.keys(body.nameMap).length);
    for (const tool of body.tools) {
      expect(tool).toMatchObject({
        type: 'webhook',
        apiSchema: {
          url: 'http://switchboard.local:8080/v1/dropin/elevenlabs/booking',
          method: 'POST',
          queryParamsSchema: { properties: { tool: { type: 'string', constantValue: tool.name } }, required: ['tool'] },
          requestHeaders: {
            'X-ElevenLabs-Conversation-Id': { variableName: 'system__conversation_id' },
            'X-ElevenLabs-Call-Sid': { variableName: 'system__call_sid' },
          },
        },
      });
    }
    const res = await get('/v1/agents/booking/export?format=elevenlabs&url=https://hooks.example.com/el');
    expect(res.statusCode).toBe(200);
    for (const tool of res.json().tools) expect(tool.apiSchema.url).toBe('https://hooks.example.com/el');
  });

  it('exports the LLM formats too, without Switchboard metadata in the payload', async () => {
    const res = await get('/v1/agents/booking/export?format=openai');
    expect(res.statusCode).toBe(200);
    expect(res.body).not.toContain('x-switchboard');
    expect(res.json().tools[0].type).toBe('function');
  });

  it('refuses an unknown format and answers 404 for an unknown or another tenant’s agent', async () => {
    expect((await get('/v1/agents/booking/export?format=gemini')).statusCode).toBe(400);
    expect((await get('/v1/agents/booking/export')).statusCode).toBe(400);
    expect((await get('/v1/agents/nobody/export?format=vapi')).statusCode).toBe(404);
    expect((await get('/v1/agents/booking/export?format=vapi', app, otherKey)).statusCode).toBe(404);
  });
});
