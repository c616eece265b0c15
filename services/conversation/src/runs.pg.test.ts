/**
 * `GET /v1/runs` and `GET /v1/stats` against a real Postgres: filters, cursor pages (against a
 * model, and while runs are being added), tenant isolation, refused parameters, and the
 * statistics of known data to the exact percentile. Runs are written as rows here; the path
 * from a tool call to its row is covered end to end (`test/src/e2e/stuck-runs.test.ts`).
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Bus } from '@switchboard/bus';
import {
  createApiKey,
  createConversation,
  createPool,
  createTenant,
  IdPrefixes,
  migrate,
  newId,
  recordProviderCalls,
  upsertAgent,
} from '@switchboard/db';
import { type PostgresServer, startPostgres } from '@switchboard/devstack';
import { trace } from '@switchboard/telemetry';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from './app.js';

let dir: string;
let postgres: PostgresServer;
let db: pg.Pool;
let app: FastifyInstance;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'switchboard-runs-api-'));
  chmodSync(dir, 0o755);
  postgres = await startPostgres({ dataDir: join(dir, 'pg'), logDir: dir, ephemeral: true });
  db = createPool(postgres.url);
  db.on('error', () => {});
  await migrate(db);
  // The runs routes never touch the bus.
  app = await buildApp({ db, bus: {} as Bus, tracer: trace.getTracer('test'), toolCallTimeoutMs: 1000 });
}, 120_000);

afterAll(async () => {
  await app?.close();
  await db?.end();
  await postgres?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

type Status = 'accepted' | 'running' | 'succeeded' | 'failed' | 'cancelled';

/** A run row as the tests write it. */
interface SeedRun {
  id: string;
  conversationId: string;
  agent: string | null;
  action: string;
  status: Status;
  /** Microseconds since the epoch (ties on purpose: the intent id breaks them). */
  acceptedUs: number;
  durationMs: number | null;
  errorCode: string | null;
  providers: string[];
  /** Milliseconds from now; `null`: no deadline (rows from before deadlines). */
  deadlineInMs: number | null;
}

/** A tenant with an API key and one conversation of agent `a1`. */
async function tenant(name: string): Promise<{ id: string; key: string; conversationId: string }> {
  const t = await createTenant(db, `${name}-${newId(IdPrefixes.Tenant)}`);
  const { key } = await createApiKey(db, t.id);
  const agent = await upsertAgent(db, t.id, 'a1', '');
  const conversation = await createConversation(db, t.id, agent.id);
  return { id: t.id, key, conversationId: conversation.id };
}

const usToIso = (us: number): string => {
  const ms = Math.floor(us / 1000);
  const iso = new Date(ms).toISOString(); // …mm:ss.mmmZ
  return `${iso.slice(0, -1)}${String(us % 1000).padStart(3, '0')}Z`;
};

/** `…:ss.uuuuuuZ` (as {@link usToIso} writes it) to microseconds. */
const isoToUs = (iso: string): number => Date.parse(`${iso.slice(0, 23)}Z`) * 1000 + Number(iso.slice(23, 26));

async function insertRuns(tenantId: string, runs: SeedRun[]): Promise<void> {
  if (runs.length === 0) return;
  await db.query(
    `INSERT INTO action_runs (intent_id, tenant_id, conversation_id, agent_name, action_name, status, accepted_at,
                              finished_at, duration_ms, error_code, providers, deadline_at)
     SELECT id, $1, conv, agent, action, status, accepted::timestamptz,
            CASE WHEN duration IS NULL THEN NULL ELSE accepted::timestamptz + duration * interval '1 millisecond' END,
            duration, error_code, ARRAY(SELECT jsonb_array_elements_text(providers)),
            CASE WHEN deadline_in IS NULL THEN NULL ELSE now() + deadline_in * interval '1 millisecond' END
       FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bigint[], $9::text[],
                   $10::jsonb[], $11::bigint[])
            AS r(id, conv, agent, action, status, accepted, duration, error_code, providers, deadline_in)`,
    [
      tenantId,
      runs.map((r) => r.id),
      runs.map((r) => r.conversationId),
      runs.map((r) => r.agent),
      runs.map((r) => r.action),
      runs.map((r) => r.status),
      runs.map((r) => usToIso(r.acceptedUs)),
      runs.map((r) => r.durationMs),
      runs.map((r) => r.errorCode),
      runs.map((r) => JSON.stringify(r.providers)),
      runs.map((r) => r.deadlineInMs),
    ],
  );
}

function get(key: string, url: string) {
  return app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${key}` } });
}

/** Every page of `GET /v1/runs?<query>`, following `next`; the ids in order. */
async function walk(key: string, query: Record<string, string>, onPage?: () => Promise<void>): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  for (let pages = 0; pages < 1000; pages++) {
    const params = new URLSearchParams({ ...query, ...(cursor ? { cursor } : {}) });
    const res = await get(key, `/v1/runs?${params}`);
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json() as { runs: { id: string }[]; next: string | null };
    ids.push(...body.runs.map((r) => r.id));
    if (body.next === null) return ids;
    cursor = body.next;
    await onPage?.();
  }
  throw new Error('more than 1000 pages');
}

/** What a filter selects, by the API's definition, newest first. */
function expected(runs: SeedRun[], q: Record<string, string>): string[] {
  const shown = (r: SeedRun): string =>
    (r.status === 'accepted' || r.status === 'running') && r.deadlineInMs !== null && r.deadlineInMs < 0
      ? 'stuck'
      : r.status;
  return runs
    .filter((r) => q.status === undefined || shown(r) === q.status)
    .filter((r) => q.agent === undefined || r.agent === q.agent)
    .filter((r) => q.action === undefined || r.action === q.action)
    .filter((r) => q.provider === undefined || r.providers.includes(q.provider))
    .filter((r) => q.error_code === undefined || r.errorCode === q.error_code)
    .filter((r) => q.since === undefined || r.acceptedUs >= isoToUs(q.since))
    .filter((r) => q.until === undefined || r.acceptedUs < isoToUs(q.until))
    .sort((a, b) => b.acceptedUs - a.acceptedUs || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
    .map((r) => r.id);
}

const BASE_US = Date.parse('2030-01-01T00:00:00Z') * 1000;

const seedRun = (conversationId: string) =>
  fc
    .record({
      agent: fc.constantFrom('a1', 'a2', null),
      action: fc.constantFrom('book', 'lookup', 'note'),
      status: fc.constantFrom<Status>('accepted', 'running', 'succeeded', 'failed', 'cancelled'),
      // Few distinct instants, so that many runs share one and the id must order them.
      acceptedUs: fc.integer({ min: 0, max: 12 }).map((i) => BASE_US - i * 1_000_123),
      providers: fc.subarray(['calcom', 'twilio', 'hubspot', 'webhook']),
      errorCode: fc.constantFrom('provider_timeout', 'provider_unavailable', 'user_declined'),
      overdue: fc.boolean(),
      durationMs: fc.integer({ min: 0, max: 5_000 }),
    })
    .map(
      (r): SeedRun => ({
        id: newId(IdPrefixes.Intent),
        conversationId,
        agent: r.agent,
        action: r.action,
        status: r.status,
        acceptedUs: r.acceptedUs,
        durationMs: r.status === 'accepted' || r.status === 'running' ? null : r.durationMs,
        errorCode: r.status === 'failed' || r.status === 'cancelled' ? r.errorCode : null,
        providers: r.providers,
        deadlineInMs: r.status === 'accepted' || r.status === 'running' ? (r.overdue ? -3_600_000 : 3_600_000) : null,
      }),
    );

const filterValues = {
  status: fc.constantFrom('accepted', 'running', 'succeeded', 'failed', 'cancelled', 'stuck'),
  agent: fc.constantFrom('a1', 'a2'),
  action: fc.constantFrom('book', 'lookup', 'note'),
  provider: fc.constantFrom('calcom', 'twilio', 'hubspot', 'webhook'),
  error_code: fc.constantFrom('provider_timeout', 'provider_unavailable', 'user_declined'),
  since: fc.integer({ min: 0, max: 12 }).map((i) => usToIso(BASE_US - i * 1_000_123)),
  until: fc.integer({ min: -1, max: 6 }).map((i) => usToIso(BASE_US - i * 1_000_123)),
};
/** None, one or two filters: more would select next to nothing, and pages would prove little. */
const filterArb = fc
  .subarray(Object.keys(filterValues) as (keyof typeof filterValues)[], { maxLength: 2 })
  .chain((keys) =>
    fc.record(Object.fromEntries(keys.map((k) => [k, filterValues[k]])) as Record<string, fc.Arbitrary<string>>),
  );

describe('GET /v1/runs', () => {
  it('pages through exactly what each filter selects, newest first, ties broken by id', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(seedRun('placeholder'), { maxLength: 50 }),
        filterArb,
        fc.integer({ min: 1, max: 9 }),
        async (seeds, filter, limit) => {
          const t = await tenant('model');
          // Fresh ids: shrinking runs the property again with the same seeds.
          const runs = seeds.map((r) => ({ ...r, id: newId(IdPrefixes.Intent), conversationId: t.conversationId }));
          await insertRuns(t.id, runs);
          const query: Record<string, string> = { ...filter, limit: String(limit) };
          if (query.since !== undefined && query.until !== undefined && query.until <= query.since) delete query.until;
          expect(await walk(t.key, query)).toEqual(expected(runs, query));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('neither repeats nor skips a run while runs are added between pages', async () => {
    const t = await tenant('concurrent');
    const runs = fc.sample(seedRun(t.conversationId), 120);
    await insertRuns(t.id, runs);
    const added: SeedRun[] = [];
    const extra = fc.sample(seedRun(t.conversationId), 300);
    // Between pages, runs go in at every position: newer than all, older than all, among them.
    const walked = await walk(t.key, { limit: '7' }, async () => {
      const batch = extra.splice(0, 9).map((r, i) => ({
        ...r,
        acceptedUs: i % 3 === 0 ? BASE_US + 5_000_000 : i % 3 === 1 ? BASE_US - 20_000_000 : r.acceptedUs,
      }));
      added.push(...batch);
      await insertRuns(t.id, batch);
    });
    expect(new Set(walked).size).toBe(walked.length);
    const seen = new Set(walked);
    expect(runs.filter((r) => !seen.has(r.id))).toEqual([]);
    // In order: every id listed is older (or tied and smaller) than the one before.
    const byId = new Map([...runs, ...added].map((r) => [r.id, r]));
    for (let i = 1; i < walked.length; i++) {
      const [a, b] = [byId.get(walked[i - 1] as string), byId.get(walked[i] as string)] as [SeedRun, SeedRun];
      expect(a.acceptedUs > b.acceptedUs || (a.acceptedUs === b.acceptedUs && a.id > b.id)).toBe(true);
    }
  });

  it('answers the run fields, derives stuck, and shows one tenant nothing of another', async () => {
    const [a, b] = [await tenant('iso-a'), await tenant('iso-b')];
    const stuck: SeedRun = {
      id: newId(IdPrefixes.Intent),
      conversationId: a.conversationId,
      agent: 'a1',
      action: 'book',
      status: 'running',
      acceptedUs: BASE_US,
      durationMs: null,
      errorCode: null,
      providers: ['calcom', 'twilio'],
      deadlineInMs: -1000,
    };
    await insertRuns(a.id, [stuck]);
    await insertRuns(b.id, [{ ...stuck, id: newId(IdPrefixes.Intent), conversationId: b.conversationId }]);
    const res = await get(a.key, '/v1/runs?status=stuck');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      runs: [
        {
          id: stuck.id,
          conversationId: a.conversationId,
          agent: 'a1',
          action: 'book',
          status: 'stuck',
          errorCode: null,
          startedAt: '2030-01-01T00:00:00.000Z',
          durationMs: null,
          traceId: null,
          workflowId: `session:${a.id}:${a.conversationId}`,
          providers: ['calcom', 'twilio'],
          deadlineAt: expect.any(String),
        },
      ],
      next: null,
    });
    // A stuck run is not listed as running, and GET /v1/runs/:id says it is stuck.
    expect((await get(a.key, '/v1/runs?status=running')).json().runs).toEqual([]);
    expect((await get(a.key, `/v1/runs/${stuck.id}`)).json()).toMatchObject({ status: 'running', stuck: true });
    // Tenant b sees its own run only, and a's cursor is only a position among b's runs.
    const bRuns = await walk(b.key, {});
    expect(bRuns).toHaveLength(1);
    expect(bRuns).not.toContain(stuck.id);
    const aPage = (await get(a.key, '/v1/runs?limit=1')).json();
    expect(aPage.runs).toHaveLength(1);
    expect((await get(b.key, `/v1/runs/${stuck.id}`)).statusCode).toBe(404);
  });

  it('refuses bad parameters with a 400 naming each one by pointer', async () => {
    const t = await tenant('bad');
    const issues = async (query: string) => {
      const res = await get(t.key, `/v1/runs?${query}`);
      expect(res.statusCode, query).toBe(400);
      const body = res.json();
      expect(body.error).toMatchObject({ code: 'validation_failed', retryable: false });
      // Distinct pointers: a repeated parameter is both not a string and not an allowed value.
      return [...new Set((body.error.details.issues as { pointer: string }[]).map((i) => i.pointer))].sort();
    };
    expect(await issues('status=lost')).toEqual(['/status']);
    expect(await issues('provider=stripe')).toEqual(['/provider']);
    expect(await issues('limit=0')).toEqual(['/limit']);
    expect(await issues('limit=201')).toEqual(['/limit']);
    expect(await issues('limit=ten')).toEqual(['/limit']);
    expect(await issues('since=yesterday')).toEqual(['/since']);
    expect(await issues('since=2030-01-02T00:00:00Z&until=2030-01-01T00:00:00Z')).toEqual(['/until']);
    expect(await issues('cursor=bm90LWEtY3Vyc29y')).toEqual(['/cursor']);
    expect(await issues('limit=0&cursor=x')).toEqual(['/cursor', '/limit']);
    expect(await issues('status=failed&status=stuck')).toEqual(['/status']);
    const unknown = await get(t.key, '/v1/runs?colour=red');
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error.details.issues).toEqual([
      { pointer: '', message: "must NOT have additional properties ('colour')" },
    ]);
    expect((await get(t.key, '/v1/stats?window=2h')).statusCode).toBe(400);
    expect((await app.inject({ method: 'GET', url: '/v1/runs' })).statusCode).toBe(401);
  });
});

describe('GET /v1/stats', () => {
  it('computes calls, failures, exact percentiles and top errors per action and provider operation', async () => {
    const t = await tenant('stats');
    const minutesAgo = (m: number) => Math.round((Date.now() - m * 60_000) * 1000);
    const run = (over: Partial<SeedRun>): SeedRun => ({
      id: newId(IdPrefixes.Intent),
      conversationId: t.conversationId,
      agent: 'a1',
      action: 'book',
      status: 'succeeded',
      acceptedUs: minutesAgo(5),
      durationMs: 10,
      errorCode: null,
      providers: ['calcom'],
      deadlineInMs: null,
      ...over,
    });
    // book, last 15 minutes: durations 1..100 ms; 10 of them failed (6 timeouts, 4 unavailable).
    const book = Array.from({ length: 100 }, (_, i) =>
      run({
        durationMs: i + 1,
        ...(i < 6 ? { status: 'failed' as const, errorCode: 'provider_timeout' } : {}),
        ...(i >= 6 && i < 10 ? { status: 'failed' as const, errorCode: 'provider_unavailable' } : {}),
      }),
    );
    // One more still running (a call, no duration), a cancelled one (not a failure, its code not listed).
    const unfinished = run({ status: 'running', durationMs: null, deadlineInMs: 60_000 });
    const declined = run({ status: 'cancelled', durationMs: 1000, errorCode: 'user_declined' });
    // lookup of agent a2: 40 minutes ago (1 h and 24 h only), and 3 hours ago (24 h only); 26 hours ago: none.
    const lookup = [
      run({ agent: 'a2', action: 'lookup', acceptedUs: minutesAgo(40), durationMs: 200 }),
      run({
        agent: 'a2',
        action: 'lookup',
        acceptedUs: minutesAgo(180),
        durationMs: 400,
        status: 'failed',
        errorCode: 'x',
      }),
      run({ agent: 'a2', action: 'lookup', acceptedUs: minutesAgo(26 * 60), durationMs: 999 }),
    ];
    await insertRuns(t.id, [...book, unfinished, declined, ...lookup]);
    const now = Date.now();
    await recordProviderCalls(db, [
      ...Array.from({ length: 50 }, (_, i) => ({
        tenantId: t.id,
        provider: 'calcom',
        operation: 'calcom.book',
        atMs: now - 60_000,
        durationMs: (i + 1) * 10,
        attempt: 1,
        ok: i >= 5,
        ...(i < 3 ? { errorCode: 'provider_unavailable', httpStatus: 503 } : {}),
        ...(i >= 3 && i < 5 ? { errorCode: 'provider_timeout' } : {}),
      })),
      {
        tenantId: t.id,
        provider: 'twilio',
        operation: 'sms.send',
        atMs: now - 90 * 60_000,
        durationMs: 70,
        attempt: 2,
        ok: true,
      },
    ]);

    const stats = async (window: string) => {
      const res = await get(t.key, `/v1/stats?window=${window}`);
      expect(res.statusCode, res.body).toBe(200);
      return res.json();
    };
    const fifteen = await stats('15m');
    expect(fifteen.window).toBe('15m');
    expect(fifteen.actions).toEqual([
      {
        agent: 'a1',
        action: 'book',
        calls: 102,
        failures: 10,
        // Nearest rank over the 101 finished durations 1..100 and 1000.
        p50Ms: 51,
        p95Ms: 96,
        p99Ms: 100,
        topErrors: [
          { code: 'provider_timeout', count: 6 },
          { code: 'provider_unavailable', count: 4 },
        ],
      },
    ]);
    expect(fifteen.providers).toEqual([
      {
        provider: 'calcom',
        operation: 'calcom.book',
        calls: 50,
        failures: 5,
        p50Ms: 250,
        p95Ms: 480,
        p99Ms: 500,
        topErrors: [
          { code: 'provider_unavailable', count: 3 },
          { code: 'provider_timeout', count: 2 },
        ],
      },
    ]);
    const hour = await stats('1h');
    expect(hour.actions.map((a: { action: string; calls: number }) => [a.action, a.calls])).toEqual([
      ['book', 102],
      ['lookup', 1],
    ]);
    expect(hour.providers).toHaveLength(1);
    const day = await stats('24h');
    // lookup: 1 failure in 2 calls ranks before book's 10 in 102.
    expect(
      day.actions.map((a: { action: string; calls: number; failures: number }) => [a.action, a.calls, a.failures]),
    ).toEqual([
      ['lookup', 2, 1],
      ['book', 102, 10],
    ]);
    expect(day.actions[0]).toMatchObject({ p50Ms: 200, p95Ms: 400, p99Ms: 400, topErrors: [{ code: 'x', count: 1 }] });
    expect(day.providers.map((p: { operation: string }) => p.operation)).toEqual(['calcom.book', 'sms.send']);
    expect(day.providers[1]).toMatchObject({ calls: 1, failures: 0, p50Ms: 70, p95Ms: 70, p99Ms: 70, topErrors: [] });
    // The default window is 15 minutes; another tenant sees nothing of these.
    expect((await get(t.key, '/v1/stats')).json()).toEqual(fifteen);
    const other = await tenant('stats-other');
    expect((await get(other.key, '/v1/stats?window=24h')).json()).toEqual({
      window: '24h',
      actions: [],
      providers: [],
    });
  });
});

describe('GET /v1/stats?buckets=', () => {
  it('answers outcomes over time: every slice of the window, runs by their status now, stuck ones apart', async () => {
    const t = await tenant('series');
    const minutesAgo = (m: number) => Math.round((Date.now() - m * 60_000) * 1000);
    const run = (m: number, status: Status, deadlineInMs: number | null = null): SeedRun => ({
      id: newId(IdPrefixes.Intent),
      conversationId: t.conversationId,
      agent: 'a1',
      action: 'book',
      status,
      acceptedUs: minutesAgo(m),
      durationMs: status === 'accepted' || status === 'running' ? null : 20,
      errorCode: status === 'failed' ? 'provider_unavailable' : null,
      providers: ['calcom'],
      deadlineInMs,
    });
    // 1 h in 12 slices of 5 minutes: 57.5 min ago is slice 0, 32.5 min ago slice 5, 2.5 min ago slice 11.
    await insertRuns(t.id, [
      run(57.5, 'succeeded'),
      run(57.5, 'succeeded'),
      run(57.5, 'failed'),
      run(32.5, 'cancelled'),
      run(32.5, 'running', 60_000),
      run(32.5, 'accepted', null),
      run(32.5, 'running', -60_000),
      run(2.5, 'failed'),
      run(2.5, 'failed'),
      run(2.5, 'failed'),
      // Outside the hour.
      run(70, 'failed'),
    ]);
    const before = Date.now();
    const res = await get(t.key, '/v1/stats?window=1h&buckets=12');
    const after = Date.now();
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    const series = body.series as {
      start: string;
      end: string;
      succeeded: number;
      failed: number;
      cancelled: number;
      running: number;
      stuck: number;
    }[];
    expect(series).toHaveLength(12);
    // Contiguous equal slices covering the last hour, the last ending now.
    for (const [i, b] of series.entries()) {
      expect(Date.parse(b.end) - Date.parse(b.start), `slice ${i}`).toBe(300_000);
      if (i > 0) expect(b.start).toBe(series[i - 1]?.end);
    }
    const end = Date.parse(series[11]?.end ?? '');
    expect(end).toBeGreaterThanOrEqual(before - 5000);
    expect(end).toBeLessThanOrEqual(after + 5000);
    const counts = series.map(({ succeeded, failed, cancelled, running, stuck }) => [
      succeeded,
      failed,
      cancelled,
      running,
      stuck,
    ]);
    const empty = [0, 0, 0, 0, 0];
    expect(counts).toEqual([
      [2, 1, 0, 0, 0],
      empty,
      empty,
      empty,
      empty,
      [0, 0, 1, 2, 1],
      empty,
      empty,
      empty,
      empty,
      empty,
      [0, 3, 0, 0, 0],
    ]);
    // The same statistics as without buckets beside it.
    const { series: _, ...rest } = body;
    expect(rest.actions).toEqual((await get(t.key, '/v1/stats?window=1h')).json().actions);
    expect(
      (await get(t.key, '/v1/stats?window=24h&buckets=1')).json().series.map((b: { failed: number }) => b.failed),
    ).toEqual([5]);
    // Another tenant's slices are empty.
    const other = await tenant('series-other');
    const theirs = (await get(other.key, '/v1/stats?window=15m&buckets=3')).json();
    expect(
      theirs.series.map(
        ({
          succeeded,
          failed,
          cancelled,
          running,
          stuck,
        }: Record<'succeeded' | 'failed' | 'cancelled' | 'running' | 'stuck', number>) =>
          succeeded + failed + cancelled + running + stuck,
      ),
    ).toEqual([0, 0, 0]);
  });

  it('refuses a slice count out of range, pointing at it', async () => {
    const t = await tenant('series-bad');
    for (const buckets of ['0', '61', '999999999']) {
      const res = await get(t.key, `/v1/stats?buckets=${buckets}`);
      expect(res.statusCode, buckets).toBe(400);
      expect(res.json().error.code).toBe('validation_failed');
      expect(res.json().error.details.issues.map((i: { pointer: string }) => i.pointer)).toEqual(['/buckets']);
    }
    const words = await get(t.key, '/v1/stats?buckets=twelve');
    expect(words.statusCode).toBe(400);
    expect(words.json().error.details.issues[0].pointer).toBe('/buckets');
  });
});
