/**
 * The runs API at scale: seeds a throw-away Postgres with a million runs (`runs-seed.ts`), then
 * times the exact statements `GET /v1/runs` and `GET /v1/stats` run (the repository functions,
 * their SQL captured and run again under `EXPLAIN (ANALYZE, BUFFERS)`): first pages and deep
 * cursor pages, with and without filters, and every stats window. Reports the median of several
 * runs of each, the plan's top lines and its buffers. A tool, not a test.
 *
 * Usage: `npm run bench:runs -- [--runs 1000000] [--tenants 20] [--repeat 7] [--keep DIR]`.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  createPool,
  listOverdueRuns,
  listRunsPage,
  migrate,
  outcomeSeries,
  type Queryable,
  type RunCursor,
  type RunFilter,
  tenantStats,
} from '@switchboard/db';
import { repoRoot, startPostgres } from '@switchboard/devstack';
import { BENCH_ACTIONS, benchTenantId, seedRuns } from './runs-seed.js';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '1000000' },
    tenants: { type: 'string', default: '20' },
    repeat: { type: 'string', default: '7' },
    keep: { type: 'string' },
  },
});
const log = (message: string) => console.error(`[bench:runs ${new Date().toISOString().slice(11, 19)}] ${message}`);

/** One statement as a repository function sent it. */
interface Captured {
  text: string;
  params: unknown[];
}

/** One measured request: wall time of the repository call and, per statement, the plan's figures. */
interface Measurement {
  name: string;
  rows: number;
  wallMsP50: number;
  statements: {
    executionMsP50: number;
    planningMsP50: number;
    sharedHit: number;
    sharedRead: number;
    plan: string[];
  }[];
}

const median = (xs: number[]): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? Number.NaN;
};

async function main(): Promise<void> {
  const runs = Number(args.runs);
  const tenants = Number(args.tenants);
  const repeat = Number(args.repeat);
  const dir = args.keep ?? mkdtempSync(join(tmpdir(), 'switchboard-bench-runs-'));
  // Postgres runs as its own user when we are root: it must reach the directory.
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o755);
  log(`postgres in ${dir}`);
  const postgres = await startPostgres({ dataDir: join(dir, 'pg'), logDir: dir, ephemeral: true });
  const db = createPool(postgres.url, { max: 4 });
  db.on('error', () => {});
  try {
    await migrate(db);
    const seeded = (await db.query<{ n: string }>('SELECT count(*) AS n FROM action_runs')).rows[0]?.n;
    const seedMs = Number(seeded) >= runs ? {} : await seedRuns(db, { runs, tenants, log: (m) => log(`seed: ${m}`) });
    const sizes = await db.query<{ tenant_id: string; n: string }>(
      'SELECT tenant_id, count(*) AS n FROM action_runs GROUP BY tenant_id ORDER BY count(*) DESC',
    );
    const big = benchTenantId(0);
    const small = sizes.rows[sizes.rows.length - 1]?.tenant_id ?? benchTenantId(tenants - 1);
    log(`tenants: ${sizes.rows.map((r) => `${r.tenant_id}=${r.n}`).join(' ')}`);
    const tableSizes = await db.query<{ name: string; size: string }>(
      `SELECT c.relname AS name, pg_size_pretty(pg_total_relation_size(c.oid)) AS size
         FROM pg_class c WHERE c.relname IN ('action_runs', 'provider_calls')
       UNION ALL
       SELECT indexrelname, pg_size_pretty(pg_relation_size(indexrelid)) FROM pg_stat_user_indexes
        WHERE relname IN ('action_runs', 'provider_calls') ORDER BY 1`,
    );

    const measure = async (name: string, call: (q: Queryable) => Promise<{ rows: number }>): Promise<Measurement> => {
      const walls: number[] = [];
      let captured: Captured[] = [];
      let rows = 0;
      for (let i = 0; i < repeat; i++) {
        const statements: Captured[] = [];
        const q: Queryable = {
          query: ((text: string, params: unknown[]) => {
            statements.push({ text, params });
            return db.query(text, params);
          }) as Queryable['query'],
        };
        const start = performance.now();
        rows = (await call(q)).rows;
        walls.push(performance.now() - start);
        captured = statements;
      }
      const statements = [];
      for (const s of captured) {
        const executions: number[] = [];
        const plannings: number[] = [];
        let last: { Plan: Record<string, unknown>; 'Execution Time': number; 'Planning Time': number } | undefined;
        for (let i = 0; i < repeat; i++) {
          const res = await db.query(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${s.text}`, s.params);
          last = (res.rows[0] as { 'QUERY PLAN': [typeof last] })['QUERY PLAN'][0];
          executions.push(last?.['Execution Time'] ?? Number.NaN);
          plannings.push(last?.['Planning Time'] ?? Number.NaN);
        }
        const text = await db.query(`EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF) ${s.text}`, s.params);
        statements.push({
          executionMsP50: median(executions),
          planningMsP50: median(plannings),
          sharedHit: Number(last?.Plan['Shared Hit Blocks'] ?? 0),
          sharedRead: Number(last?.Plan['Shared Read Blocks'] ?? 0),
          plan: text.rows.map((r: { 'QUERY PLAN': string }) => r['QUERY PLAN']).slice(0, 14),
        });
      }
      const m = { name, rows, wallMsP50: median(walls), statements };
      log(
        `${name}: ${rows} rows, wall p50 ${m.wallMsP50.toFixed(2)} ms, execution p50 ${statements.map((s) => s.executionMsP50.toFixed(2)).join(' + ')} ms`,
      );
      return m;
    };

    /** The cursor after the `offset`-th run the filter selects (a client that paged that far). */
    const cursorAt = async (tenantId: string, filter: RunFilter, offset: number): Promise<RunCursor | undefined> => {
      let cursor: RunCursor | undefined;
      // Jump with big pages (what a client would reach with many small ones).
      for (let done = 0; done < offset; ) {
        const limit = Math.min(200, offset - done);
        const page = await listRunsPage(db, tenantId, filter, { limit, ...(cursor ? { cursor } : {}) });
        if (!page.next) return cursor;
        cursor = page.next;
        done += limit;
      }
      return cursor;
    };

    const page = (tenantId: string, filter: RunFilter, cursor?: RunCursor) => async (q: Queryable) => ({
      rows: (await listRunsPage(q, tenantId, filter, { limit: 50, ...(cursor ? { cursor } : {}) })).runs.length,
    });
    const results: Measurement[] = [];
    const deep = 20_000;
    log(`finding deep cursors (${deep} runs in)`);
    const deepAll = await cursorAt(big, {}, deep);
    const deepFailed = await cursorAt(big, { status: 'failed' }, 2_000);
    const deepAgent = await cursorAt(big, { agent: 'support' }, deep);
    const dayAgo = new Date(Date.now() - 86_400_000);
    const twoDaysAgo = new Date(Date.now() - 2 * 86_400_000);
    const rareAction = BENCH_ACTIONS.sales[3]?.name ?? 'Transfer to Sales';
    const cases: [string, (q: Queryable) => Promise<{ rows: number }>][] = [
      ['runs: first page, no filter (largest tenant)', page(big, {})],
      [`runs: page ${deep / 50 + 1}, no filter (cursor ${deep} runs in)`, page(big, {}, deepAll)],
      ['runs: first page, no filter (smallest tenant)', page(small, {})],
      ['runs: status=failed', page(big, { status: 'failed' })],
      ['runs: status=failed, page 41 (cursor 2,000 in)', page(big, { status: 'failed' }, deepFailed)],
      ['runs: status=stuck', page(big, { status: 'stuck' })],
      ['runs: status=running', page(big, { status: 'running' })],
      ['runs: agent=support', page(big, { agent: 'support' })],
      [`runs: agent=support, page ${deep / 50 + 1}`, page(big, { agent: 'support' }, deepAgent)],
      [`runs: action=${rareAction} (rare)`, page(big, { action: rareAction })],
      ['runs: provider=hubspot', page(big, { provider: 'hubspot' })],
      ['runs: error_code=provider_auth_failed (rare)', page(big, { errorCode: 'provider_auth_failed' })],
      ['runs: since/until (one day, two days ago)', page(big, { since: twoDaysAgo, until: dayAgo })],
      ['runs: status=failed & provider=calcom', page(big, { status: 'failed', provider: 'calcom' })],
      [
        'runs: status=failed & agent=sales & error_code=transfer_busy',
        page(big, { status: 'failed', agent: 'sales', errorCode: 'transfer_busy' }),
      ],
    ];
    for (const window of [
      ['15m', 900_000],
      ['1h', 3_600_000],
      ['24h', 86_400_000],
    ] as const) {
      cases.push([
        `stats: window=${window[0]} (largest tenant)`,
        async (q) => {
          const s = await tenantStats(q, big, window[1]);
          return { rows: s.actions.length + s.providers.length };
        },
      ]);
    }
    for (const window of [
      ['1h', 3_600_000],
      ['24h', 86_400_000],
    ] as const) {
      cases.push([
        `stats series: window=${window[0]}, 12 buckets (largest tenant)`,
        async (q) => ({ rows: (await outcomeSeries(q, big, window[1], 12)).length }),
      ]);
    }
    cases.push([
      'stats: window=24h (smallest tenant)',
      async (q) => {
        const s = await tenantStats(q, small, 86_400_000);
        return { rows: s.actions.length + s.providers.length };
      },
    ]);
    cases.push([
      'sweeper: overdue runs, all tenants (limit 100)',
      async (q) => ({ rows: (await listOverdueRuns(q, 600_000, 100)).length }),
    ]);
    for (const [name, call] of cases) results.push(await measure(name, call));

    const lines = [
      `| request (${Number(seeded) >= runs ? seeded : runs} runs, ${tenants} tenants; largest tenant ${sizes.rows[0]?.n}) | rows | execution p50 (ms) | wall p50 (ms) | buffers hit/read |`,
      '|---|---|---|---|---|',
      ...results.map(
        (m) =>
          `| ${m.name} | ${m.rows} | ${m.statements.map((s) => s.executionMsP50.toFixed(2)).join(' + ')} | ${m.wallMsP50.toFixed(2)} | ${m.statements.map((s) => `${s.sharedHit}/${s.sharedRead}`).join(' + ')} |`,
      ),
    ];
    console.log(lines.join('\n'));
    console.log(`\nsizes: ${tableSizes.rows.map((r) => `${r.name} ${r.size}`).join(', ')}`);
    const out = join(repoRoot, 'test-results', 'bench', `runs-api-${Date.now().toString(36)}.json`);
    mkdirSync(join(repoRoot, 'test-results', 'bench'), { recursive: true });
    writeFileSync(
      out,
      JSON.stringify(
        { runs, tenants, repeat, seedMs, sizes: sizes.rows, tableSizes: tableSizes.rows, results },
        null,
        2,
      ),
    );
    log(`report: ${out}`);
  } finally {
    await db.end();
    await postgres.stop();
    if (!args.keep) rmSync(dir, { recursive: true, force: true });
  }
}

await main();
