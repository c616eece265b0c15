/**
 * The OpenAPI document against the routes the app registers, and the answers no route gives
 * (404, 405, the router's and the body parser's refusals) in the API's error shape. None of
 * these requests reaches a handler, so the app runs without Postgres or NATS behind it.
 */
import type { Bus } from '@switchboard/bus';
import type { Queryable } from '@switchboard/db';
import { trace } from '@switchboard/telemetry';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from './app.js';
import { MAX_PARAM_LENGTH, routePattern } from './fallbacks.js';

const BODY_LIMIT = 4096;

/** Routes that are not API, so not in the document: probes, the console, the document itself. */
const UNDOCUMENTED = [/^\/healthz$/, /^\/readyz$/, /^\/docs\b/, /^\/console\b/];

interface Operation {
  responses: Record<string, { content?: Record<string, { schema: unknown }>; headers?: Record<string, unknown> }>;
  security?: unknown[];
}
interface OpenApi {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown> };
}

let app: FastifyInstance;
let doc: OpenApi;

beforeAll(async () => {
  // Stand-ins that fail loudly if anything reaches them: no request here should.
  const unreachable = new Proxy(
    {},
    {
      get: (_t, name) => {
        throw new Error(`unexpected use of a dependency (${String(name)})`);
      },
    },
  );
  app = await buildApp({
    db: unreachable as Queryable,
    bus: unreachable as Bus,
    tracer: trace.getTracer('openapi-test'),
    toolCallTimeoutMs: 1000,
    bodyLimitBytes: BODY_LIMIT,
    metrics: { text: async () => '# TYPE up gauge\nup 1\n' },
  });
  await app.ready();
  doc = app.swagger() as unknown as OpenApi;
});

afterAll(async () => {
  await app?.close();
});

/** Every route as `METHOD /path/{param}`, from Fastify's route tree (HEAD routes left out). */
function registeredRoutes(): string[] {
  const routes: string[] = [];
  const stack: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const match = /^([│ ]*)[├└]── (.*) \(([A-Z, ]+)\)$/.exec(line);
    if (!match) continue;
    const depth = (match[1] ?? '').length / 4;
    stack.length = depth;
    const path = `${stack[depth - 1] ?? ''}${match[2]}`;
    stack[depth] = path;
    for (const method of (match[3] ?? '').split(', ')) {
      if (method !== 'HEAD') routes.push(`${method} ${path.replace(/:(\w+)/g, '{$1}')}`);
    }
  }
  return routes;
}

function documentedOperations(): [string, Operation][] {
  return Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => [`${method.toUpperCase()} ${path}`, op] as [string, Operation]),
  );
}

describe('the OpenAPI document', () => {
  it('describes every route the app serves, except probes, the console and itself', () => {
    const documented = documentedOperations().map(([name]) => name);
    const api = registeredRoutes().filter((r) => !UNDOCUMENTED.some((u) => u.test(r.split(' ')[1] ?? '')));
    expect(api.length).toBeGreaterThan(30);
    expect(documented.sort()).toEqual([...new Set(api)].sort());
    expect(documented).toEqual(
      expect.arrayContaining([
        'POST /v1/mcp/{agent}',
        'GET /v1/mcp/{agent}',
        'DELETE /v1/mcp/{agent}',
        'GET /v1/conversations/{id}/ws',
        'POST /v1/inbound/twilio/{tenantId}/{credential}/sms',
      ]),
    );
  });

  it("gives every operation the statuses the app answers anywhere, and API-key routes the access control's", () => {
    for (const [name, op] of documentedOperations()) {
      const [method, path] = name.split(' ') as [string, string];
      const statuses = Object.keys(op.responses);
      const expected = ['400', '500'];
      if (method !== 'GET') expected.push('413', '415');
      if (path.includes('{')) expected.push('414');
      // Provider webhooks (signatures) and the Prometheus scrape take no API key; platform routes
      // take platform keys, checked in memory: no rate limits there.
      if (path.startsWith('/v1/platform/')) expected.push('401', '403');
      else if (!path.startsWith('/v1/inbound/') && path !== '/metrics') expected.push('401', '403', '429');
      expect(statuses, name).toEqual(expect.arrayContaining(expected));
      expect(
        statuses.some((s) => s.startsWith('2') || s === '101' || s === '405'),
        `${name} documents a success`,
      ).toBe(true);
    }
  });

  it('defines the error body once and refers to it, with Retry-After on 429', () => {
    expect(Object.keys(doc.components.schemas)).toEqual(
      expect.arrayContaining(['Error', 'ValidationError', 'RateLimitedError']),
    );
    const tools = doc.paths['/v1/conversations/{id}/tool-calls']?.post;
    expect(tools?.responses['404']?.content?.['application/json']?.schema).toEqual({
      $ref: '#/components/schemas/Error',
    });
    expect(tools?.responses['400']?.content?.['application/json']?.schema).toEqual({
      $ref: '#/components/schemas/ValidationError',
    });
    expect(tools?.responses['429']?.headers).toHaveProperty('retry-after');
    expect(doc.components.schemas.ValidationError).toMatchObject({
      properties: {
        error: { properties: { details: { properties: { issues: { items: { required: ['pointer', 'message'] } } } } } },
      },
    });
  });

  it('documents the webhooks without an API key, with their form bodies', () => {
    const sms = doc.paths['/v1/inbound/twilio/{tenantId}/{credential}/sms']?.post as Operation & {
      requestBody: { content: Record<string, { schema: { required: string[] } }> };
    };
    expect(sms.security).toEqual([]);
    expect(sms.requestBody.content['application/x-www-form-urlencoded']?.schema.required).toEqual([
      'AccountSid',
      'MessageSid',
      'From',
    ]);
    expect(Object.keys(sms.responses['200']?.content ?? {})).toEqual(['text/xml']);
  });
});

describe('requests no route takes', () => {
  it('answers an unknown path 404 not_found, naming the method and the path, without an API key', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/nothing/here?x=1' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({
      error: {
        code: 'not_found',
        message: 'no route GET /v1/nothing/here',
        retryable: false,
        details: { what: 'route', method: 'GET', path: '/v1/nothing/here' },
      },
    });
  });

  it('answers a known path with another method 405 method_not_allowed, with Allow', async () => {
    const res = await app.inject({ method: 'PATCH', url: '/v1/agents/demo' });
    expect(res.statusCode).toBe(405);
    expect(res.headers.allow).toBe('GET, HEAD, PUT');
    expect(res.json().error).toMatchObject({
      code: 'method_not_allowed',
      retryable: false,
      details: { method: 'PATCH', path: '/v1/agents/demo', allowed: ['GET', 'HEAD', 'PUT'] },
    });
    const query = await app.inject({ method: 'QUERY', url: '/v1/runs/int_000000000000000000000000' });
    expect(query.statusCode).toBe(405);
    expect(query.headers.allow).toBe('GET, HEAD');
  });

  it('answers 404/405 even when the body of the unrouted request cannot be parsed', async () => {
    const bad = { 'content-type': 'application/json' };
    const unknown = await app.inject({ method: 'POST', url: '/v1/nope', headers: bad, payload: '{' });
    expect([unknown.statusCode, unknown.json().error.code]).toEqual([404, 'not_found']);
    const wrong = await app.inject({ method: 'DELETE', url: '/v1/agents', headers: bad, payload: '{' });
    expect([wrong.statusCode, wrong.json().error.code]).toEqual([405, 'method_not_allowed']);
  });

  it("answers the router's refusals in the API's shape: an undecodable URL 400, an over-long segment 414", async () => {
    const bad = await app.inject({ method: 'GET', url: '/v1/agents/%E0%A4%A' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatchObject({ code: 'bad_request', retryable: false });
    const long = await app.inject({ method: 'GET', url: `/v1/agents/${'a'.repeat(MAX_PARAM_LENGTH + 1)}` });
    expect(long.statusCode).toBe(414);
    expect(long.json().error).toMatchObject({ code: 'uri_too_long', retryable: false });
  });
});

describe("the body parser's refusals, in the API's shape", () => {
  const sms = '/v1/inbound/twilio/ten_1/twilio_main/sms';

  it('415 unsupported_media_type for a content type without a parser, text/plain included', async () => {
    for (const type of ['application/xml', 'text/plain']) {
      const res = await app.inject({ method: 'POST', url: sms, headers: { 'content-type': type }, payload: 'x' });
      expect(res.statusCode, type).toBe(415);
      expect(res.json().error).toEqual({
        code: 'unsupported_media_type',
        message: `this route does not take a body of content type '${type}'`,
        retryable: false,
      });
    }
  });

  it('400 bad_request for malformed or empty JSON', async () => {
    for (const payload of ['{"a":', '']) {
      const res = await app.inject({
        method: 'POST',
        url: sms,
        headers: { 'content-type': 'application/json' },
        payload,
      });
      expect(res.statusCode, payload).toBe(400);
      expect(res.json().error).toMatchObject({ code: 'bad_request', retryable: false });
    }
  });

  it('413 payload_too_large for a body over the limit', async () => {
    const res = await app.inject({
      method: 'POST',
      url: sms,
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ text: 'x'.repeat(BODY_LIMIT) }),
    });
    expect(res.statusCode).toBe(413);
    expect(res.json().error).toMatchObject({ code: 'payload_too_large', retryable: false });
  });
});

describe('routePattern', () => {
  it("matches a route's paths: a parameter is one segment, * the rest", () => {
    const tools = routePattern('/v1/conversations/:id/tool-calls');
    expect(tools.test('/v1/conversations/conv_1/tool-calls')).toBe(true);
    expect(tools.test('/v1/conversations/a/b/tool-calls')).toBe(false);
    expect(tools.test('/v1/conversations//tool-calls')).toBe(false);
    expect(routePattern('/console/*').test('/console/app/main.js')).toBe(true);
    expect(routePattern('/console/config.json').test('/console/configxjson')).toBe(false);
  });
});

describe('GET /metrics', () => {
  it('is documented without a key and serves Prometheus text without one', async () => {
    const op = doc.paths['/metrics']?.get;
    expect(op?.security).toEqual([]);
    expect(Object.keys(op?.responses['200']?.content ?? {})).toEqual(['text/plain']);
    const res = await app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(res.body).toBe('# TYPE up gauge\nup 1\n');
  });
});
