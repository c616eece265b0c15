/**
 * Seeds a database with a realistic volume of runs for the runs-API bench, with
 * `generate_series` INSERTs (no round trip per row): tenants of very different sizes (the
 * largest has about a third of all runs), three agents each with four actions, a conversation
 * per four runs, seven days of runs denser towards now, 90 % succeeded / 6 % failed (eight error
 * codes, few dominating) / 4 % cancelled, runs of the last minute still running, one in 2,000
 * stuck, log-normal durations (median ~400 ms), a result body like real ones; and two days of
 * provider attempts (1.2 per run of that period). The transcript triggers are off while seeding:
 * the bench reads runs, not transcripts.
 */
import type pg from 'pg';

/** What to seed. */
export interface RunsSeedOptions {
  runs: number;
  tenants: number;
  /** Provider attempts per run of the last 48 h. Default 1.2. */
  providerCallsPerRun?: number;
  /** Rows per INSERT statement (progress is reported per chunk). Default 100,000. */
  chunk?: number;
  log?: (message: string) => void;
}

/** The seeded tenants' ids, largest first: `bench_t00`, `bench_t01`, … */
export const benchTenantId = (i: number): string => `bench_t${String(i).padStart(2, '0')}`;

/** Agents and their actions (index = position in these lists). */
export const BENCH_AGENTS = ['receptionist', 'support', 'sales'] as const;
export const BENCH_ACTIONS: Record<(typeof BENCH_AGENTS)[number], { name: string; providers: string[] }[]> = {
  receptionist: [
    { name: 'Check Availability', providers: ['calcom'] },
    { name: 'Book Appointment', providers: ['calcom', 'twilio'] },
    { name: 'Send SMS Confirmation', providers: ['twilio'] },
    { name: 'Transfer to Front Desk', providers: ['twilio'] },
  ],
  support: [
    { name: 'Lookup Contact', providers: ['hubspot'] },
    { name: 'Create Support Ticket', providers: ['hubspot'] },
    { name: 'order_status', providers: ['webhook'] },
    { name: 'End Call', providers: ['twilio'] },
  ],
  sales: [
    { name: 'Update CRM Lead', providers: ['hubspot'] },
    { name: 'lookup_company_data', providers: ['webhook'] },
    { name: 'Book Demo', providers: ['calcom', 'hubspot'] },
    { name: 'Transfer to Sales', providers: ['twilio'] },
  ],
};

const ERROR_CODES = [
  'provider_timeout',
  'provider_unavailable',
  'provider_rate_limited',
  'webhook_server_error',
  'validation_failed',
  'transfer_busy',
  'provider_auth_failed',
  'confirmation_timeout',
];

const OPERATIONS: [string, string][] = [
  ['calcom', 'calcom.slots'],
  ['calcom', 'calcom.book'],
  ['twilio', 'sms.send'],
  ['twilio', 'telephony.transfer'],
  ['twilio', 'telephony.end_call'],
  ['hubspot', 'crm.lookup'],
  ['hubspot', 'crm.update'],
  ['hubspot', 'crm.ticket'],
  ['webhook', 'webhook'],
  ['webhook', 'http.request'],
];

const sqlArray = (values: readonly string[]) =>
  `ARRAY[${values.map((v) => `'${v.replaceAll("'", "''")}'`).join(', ')}]`;

/** A skewed pick among `n`: index `floor(n × random()^power)`, so low indexes are frequent. */
const skewed = (n: number, power: number, r = 'random()') =>
  `LEAST(${n - 1}, floor(${n} * power(${r}, ${power}))::int)`;

/** Seeds the runs and provider attempts; answers how long each part took (ms). */
export async function seedRuns(db: pg.Pool, options: RunsSeedOptions): Promise<Record<string, number>> {
  const log = options.log ?? (() => {});
  const chunk = options.chunk ?? 100_000;
  const took: Record<string, number> = {};
  const timed = async (what: string, fn: () => Promise<unknown>) => {
    const start = Date.now();
    await fn();
    took[what] = Date.now() - start;
    log(`${what}: ${took[what]} ms`);
  };
  const agentNames = sqlArray(BENCH_AGENTS);
  const actionNames = sqlArray(BENCH_AGENTS.flatMap((a) => BENCH_ACTIONS[a].map((x) => x.name)));
  // Providers of action k (agent × 4 + action), as a JSON array per action: jsonb → text[].
  const actionProviders = `'${JSON.stringify(BENCH_AGENTS.flatMap((a) => BENCH_ACTIONS[a].map((x) => x.providers)))}'::jsonb`;
  const conversations = Math.ceil(options.runs / 4);

  await timed('tenants, agents', async () => {
    await db.query(
      `INSERT INTO tenants (id, name) SELECT 'bench_t' || lpad(t::text, 2, '0'), 'bench ' || t FROM generate_series(0, $1 - 1) t`,
      [options.tenants],
    );
    await db.query(
      `INSERT INTO agents (id, tenant_id, name)
       SELECT 'bench_a' || lpad(t::text, 2, '0') || '_' || a, 'bench_t' || lpad(t::text, 2, '0'), (${agentNames})[a + 1]
         FROM generate_series(0, $1 - 1) t, generate_series(0, 2) a`,
      [options.tenants],
    );
  });
  await timed(`${conversations} conversations`, async () => {
    // Tenant: skewed (the first has ~37 %); agent: skewed within the tenant.
    await db.query(
      `INSERT INTO conversations (id, tenant_id, agent_id, created_at)
       SELECT 'conv_' || lpad(to_hex(c), 24, '0'), 'bench_t' || lpad(t::text, 2, '0'),
              'bench_a' || lpad(t::text, 2, '0') || '_' || ${skewed(3, 1.5)}, now() - interval '7 days'
         FROM (SELECT c, ${skewed(options.tenants, 3)} AS t FROM generate_series(1, $1) c) s`,
      [conversations],
    );
  });
  await db.query('ALTER TABLE action_runs DISABLE TRIGGER action_runs_transcript_accepted');
  await db.query('ALTER TABLE action_runs DISABLE TRIGGER action_runs_transcript_finished');
  try {
    for (let from = 1; from <= options.runs; from += chunk) {
      const to = Math.min(options.runs, from + chunk - 1);
      await timed(`runs ${from}–${to}`, () =>
        db.query(
          `INSERT INTO action_runs (intent_id, tenant_id, conversation_id, agent_name, action_name, status, arguments,
                                    accepted_at, started_at, finished_at, duration_ms, error_code, error_message,
                                    trace_id, result, request_hash, providers, deadline_at)
           SELECT 'int_' || lpad(to_hex(i), 24, '0'), c.tenant_id, c.id, ag.name, (${actionNames})[k + 1], st.status,
                  '{"date": "2030-03-12", "name": "Ada"}',
                  at, at + interval '40 milliseconds',
                  CASE WHEN st.status IN ('accepted', 'running') THEN NULL ELSE at + dur * interval '1 millisecond' END,
                  CASE WHEN st.status IN ('accepted', 'running') THEN NULL ELSE dur END,
                  CASE st.status WHEN 'failed' THEN (${sqlArray(ERROR_CODES)})[${skewed(ERROR_CODES.length, 2.5, 'r3')} + 1]
                                 WHEN 'cancelled' THEN CASE WHEN r3 < 0.7 THEN 'user_declined' ELSE 'cancelled' END END,
                  CASE WHEN st.status IN ('failed', 'cancelled') THEN 'the provider did not answer in time' END,
                  md5(i::text),
                  CASE WHEN st.status IN ('accepted', 'running') THEN NULL ELSE jsonb_build_object(
                    'status', st.status, 'messages', jsonb_build_array('You are booked for Tuesday at 10:00; a text is on its way.'),
                    'outputs', jsonb_build_object('booking_uid', md5(i::text || 'b')),
                    'events', (SELECT jsonb_agg(jsonb_build_object('seq', e, 'kind', 'log', 'atMs', 0,
                                                 'data', jsonb_build_object('level', 'info', 'message', 'step ' || e)))
                                 FROM generate_series(0, 4) e)) END,
                  md5(i::text || 'h'),
                  ARRAY(SELECT jsonb_array_elements_text(${actionProviders} -> k)),
                  at + interval '5 minutes'
             FROM (
               SELECT i, random() AS r1, random() AS r2, random() AS r3,
                      -- Denser towards now (a third of the runs in the last ~18 hours of the seven days),
                      -- and in time order, as a live system inserts them (heap locality matters).
                      now() - interval '7 days' * power(1 - (i - 0.5) / $3::float8, 2) AS at,
                      -- Log-normal, median 400 ms (Box–Muller).
                      greatest(5, round(exp(ln(400) + 0.8 * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()))))::bigint AS dur
                 FROM generate_series($1::int, $2::int) i
             ) g
             JOIN conversations c ON c.id = 'conv_' || lpad(to_hex((g.i - 1) / 4 + 1), 24, '0')
             JOIN agents ag ON ag.id = c.agent_id
             CROSS JOIN LATERAL (SELECT (array_position(${agentNames}, ag.name) - 1) * 4 + ${skewed(4, 2, 'g.r2')} AS k) kk
             CROSS JOIN LATERAL (SELECT CASE
                 WHEN g.r1 < 0.0005 THEN 'accepted'
                 WHEN g.at > now() - interval '1 minute' THEN 'running'
                 WHEN g.r1 < 0.90 THEN 'succeeded'
                 WHEN g.r1 < 0.96 THEN 'failed'
                 ELSE 'cancelled' END AS status) st`,
          [from, to, options.runs],
        ),
      );
    }
  } finally {
    await db.query('ALTER TABLE action_runs ENABLE TRIGGER action_runs_transcript_accepted');
    await db.query('ALTER TABLE action_runs ENABLE TRIGGER action_runs_transcript_finished');
  }
  const recent = (
    await db.query<{ n: string }>(
      `SELECT count(*) AS n FROM action_runs WHERE accepted_at > now() - interval '48 hours'`,
    )
  ).rows[0]?.n;
  const calls = Math.round(Number(recent ?? 0) * (options.providerCallsPerRun ?? 1.2));
  for (let from = 1; from <= calls; from += chunk) {
    const to = Math.min(calls, from + chunk - 1);
    await timed(`provider calls ${from}–${to}`, () =>
      db.query(
        `WITH ops(n, provider, operation) AS (VALUES ${OPERATIONS.map(([p, o], n) => `(${n}, '${p}', '${o}')`).join(', ')})
         INSERT INTO provider_calls (tenant_id, provider, operation, at, duration_ms, attempt, ok, error_code, http_status)
         SELECT 'bench_t' || lpad(${skewed(options.tenants, 3)}::text, 2, '0'), ops.provider, ops.operation,
                now() - interval '48 hours' * power(1 - (g.i - 0.5) / $3::float8, 2),
                greatest(2, round(exp(ln(150) + 0.9 * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()))))::int,
                CASE WHEN g.r < 0.9 THEN 1 ELSE 2 END, g.r >= 0.05,
                CASE WHEN g.r < 0.02 THEN 'provider_unavailable' WHEN g.r < 0.04 THEN 'provider_timeout'
                     WHEN g.r < 0.05 THEN 'provider_rate_limited' END,
                CASE WHEN g.r < 0.02 THEN 503 WHEN g.r >= 0.04 AND g.r < 0.05 THEN 429 END
           FROM (SELECT i, random() AS r, ${skewed(OPERATIONS.length, 1.5)} AS k FROM generate_series($1::int, $2::int) i) g
           JOIN ops ON ops.n = g.k`,
        [from, to, calls],
      ),
    );
  }
  // What autovacuum would have done by the time someone asks: statistics and visibility map.
  // A VACUUM right after the inserts may leave pages not all-visible (an auto-analyze started
  // by the inserts holds a snapshot meanwhile): again until the map covers the table.
  await timed('VACUUM ANALYZE', async () => {
    for (const table of ['action_runs', 'provider_calls']) {
      for (let pass = 1; pass <= 5; pass++) {
        await db.query(`VACUUM ANALYZE ${table}`);
        const { rows } = await db.query<{ visible: number; pages: number }>(
          'SELECT relallvisible AS visible, relpages AS pages FROM pg_class WHERE relname = $1',
          [table],
        );
        const { visible = 0, pages = 0 } = rows[0] ?? {};
        log(`${table}: ${visible} of ${pages} pages all-visible after VACUUM pass ${pass}`);
        if (visible >= pages * 0.99) break;
        await new Promise((r) => setTimeout(r, 2_000));
      }
    }
    await db.query('ANALYZE conversations');
  });
  return took;
}
