import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Bus, connectBus } from '@switchboard/bus';
import { Streams } from '@switchboard/contracts';
import { intentIdForKey } from '@switchboard/db';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { intentBacklog } from '../support/intent-consumers.js';
import { startTestStack, type TestStack } from '../support/stack.js';
import { connectTemporal, type StackTemporal } from '../support/temporal.js';
import { ChaosClient, type ToolCallOutcome } from './client.js';
import { ChaosMonkey, KillableServices } from './monkey.js';
import { createRng, seedFromEnv } from './prng.js';
import { stillRunning } from './still-running.js';

// Exactly-once effects under chaos. N booking chains (book a Cal.com slot, then text the
// caller a confirmation) go through every process — conversation → NATS → orchestrator →
// Temporal → calcom-worker / telephony-worker → sandboxes — while every service process is
// SIGKILLed at random moments and started again (the Cal.com and Twilio workers once while their
// provider commits a write, the orchestrator once while it holds unacked intents), and NATS and
// Temporal are each killed and restarted once. Clients retry with the same Idempotency-Key.
// Afterwards the sandboxes' state must show one booking and one SMS per chain, no text twice,
// and every run must be terminal. The summary line starts with `CHAOS seed`; the whole story
// (timeline, every chain's timing) is in chaos-report.txt in the printed log directory. A failed
// run, however it fails (an assertion, an error, the test's time running out), prints its seed
// and what was still running: chains, runs not terminal with their last event and session,
// intents JetStream holds, open workflows.
//
//   CHAOS_CHAINS       chains to run (default 200)
//   CHAOS_CONCURRENCY  chains in flight at once (default 16)
//   CHAOS_SEED         replay a run's choices (printed at the start)

function intEnv(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${name} must be an integer in [${min}, ${max}]`);
  return n;
}

const CHAINS = intEnv('CHAOS_CHAINS', 200, 1, 100_000);
const CONCURRENCY = intEnv('CHAOS_CONCURRENCY', 16, 1, 1000);
const SEED = seedFromEnv();
/**
 * How long the chains may take, chaos included; a chain not finished by then fails the test.
 * A bound against a hang, not a speed requirement: a quiet 2-core machine needs under 2 minutes
 * for 200 chains, a loaded one (a benchmark beside it) several times that.
 */
const RUN_BUDGET_MS = 600_000;
/** After the run: how long a run that is not terminal yet may take to become terminal. */
const SETTLE_BUDGET_MS = 120_000;
/** After the run: how long JetStream may take to redeliver intents a killed orchestrator left unacked (ack wait 30 s). */
const ACK_DRAIN_BUDGET_MS = 45_000;
/** How long a tool call waits for its result before the API answers 202 (services' default 30 s). */
const TOOL_CALL_TIMEOUT_MS = 4000;

const AGENT = 'chaos-booker';
const BOOK = 'Book Appointment';
const SMS = 'Text Confirmation';
/** How our confirmation text starts (other texts, e.g. a booking lifecycle's, are told apart by it). */
const SMS_PREFIX = 'Booked:';
const TIME_ZONE = 'America/New_York';
/** Event type 1001 of the Cal.com sandbox: 30-minute slots, weekdays 09:00–17:00 in the host zone. */
const SLOTS_PER_DAY = 16;

const rng = createRng(SEED);
let stack: TestStack;
let logDir: string;
/** The test's own bus connection: the chaos monkey watches the orchestrator's unacked intents. */
let bus: Bus;
let temporal: StackTemporal | undefined;
let monkey: ChaosMonkey | undefined;
/** Chains the client is driving now (index → what it is doing), for the report of a failed run. */
const chainsInFlight = new Map<number, string>();

beforeAll(async () => {
  logDir = mkdtempSync(join(tmpdir(), 'switchboard-chaos-'));
  console.log(
    `chaos: seed ${SEED} (replay with CHAOS_SEED=${SEED}), ${CHAINS} chains, concurrency ${CONCURRENCY}, logs in ${logDir}`,
  );
  stack = await startTestStack(logDir, {
    exportSpans: false,
    // Temporal keeps its state in a file, so restarting it in place loses nothing.
    persistTemporal: true,
    // Short, so crashes make the API answer 202 and clients retry with the same key.
    serviceEnv: { TOOL_CALL_TIMEOUT_MS: String(TOOL_CALL_TIMEOUT_MS) },
  });
  const saved = await stack.api('PUT', `/v1/agents/${AGENT}`, {
    instructions: `Book with '${BOOK}', then confirm with '${SMS}'.`,
    actions: [
      {
        type: 'calcom_book',
        name: BOOK,
        description: 'Books a 30-minute consultation for the caller.',
        config: { credential: 'calcom_main', event_type_id: 1001, time_zone: TIME_ZONE, metadata: { source: 'chaos' } },
      },
      {
        type: 'send_sms',
        name: SMS,
        description: 'Texts the caller the booking confirmation.',
        config: {
          credential: 'twilio_main',
          from: '+15557654321',
          body: `${SMS_PREFIX} {{calcom_booking.start}} (ref {{calcom_booking.booking_uid}})`,
        },
      },
    ],
  });
  expect(saved.status, JSON.stringify(saved.body)).toBe(200);
  bus = await connectBus(stack.infra.natsUrl, { name: 'chaos-test' });
  temporal = await connectTemporal(stack.infra.temporalAddress);
}, 180_000);

afterAll(async () => {
  // A failed or timed-out run may leave the monkey mid-restart: let it finish first, so no
  // service is started again after the stack has stopped.
  monkey?.stop();
  await monkey?.settle();
  await temporal?.close();
  await bus?.close();
  await stack?.stop();
}, 60_000);

/** Weekdays from a week ahead on, `YYYY-MM-DD` (UTC dates; availability is in the host zone). */
function weekdays(count: number): string[] {
  const days: string[] = [];
  const d = new Date();
  d.setUTCDate(d.getUTCDate() + 7);
  while (days.length < count) {
    const dow = d.getUTCDay();
    if (dow !== 0 && dow !== 6) days.push(d.toISOString().slice(0, 10));
    d.setUTCDate(d.getUTCDate() + 1);
  }
  return days;
}

/** What one chain is: its caller, its slot and its keys. */
interface Chain {
  index: number;
  email: string;
  phone: string;
  start: string;
}

/** How one chain ended, as the client saw it. */
interface ChainRun {
  chain: Chain;
  conversationId?: string;
  book?: ToolCallOutcome;
  sms?: ToolCallOutcome;
  /** Intent ids the chain submitted (derived from its keys, as the API derives them). */
  intentIds: string[];
  latencyMs?: number;
  clientError?: string;
  /** The budget ran out before the chain's turn came. */
  notStarted?: boolean;
  /** When the chain started and ended, ms since the run started (for the report file). */
  startedAt?: number;
  endedAt?: number;
}

function chainsToRun(count: number): Chain[] {
  const days = weekdays(Math.ceil(count / SLOTS_PER_DAY));
  return Array.from({ length: count }, (_, index) => {
    const minutes = 9 * 60 + 30 * (index % SLOTS_PER_DAY);
    const time = `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}:00`;
    return {
      index,
      email: `chaos-${index}@example.com`,
      // Distinct per chain, so messages are counted per chain.
      phone: `+1555${String(2_000_000 + index).padStart(7, '0')}`,
      start: `${days[Math.floor(index / SLOTS_PER_DAY)]}T${time}`,
    };
  });
}

const keyOf = (chain: Chain, step: 'book' | 'sms') => `chaos-${SEED}-${chain.index}-${step}`;

async function runChain(client: ChaosClient, tenantId: string, chain: Chain, t0: number): Promise<ChainRun> {
  const started = Date.now();
  const run: ChainRun = { chain, intentIds: [], startedAt: started - t0 };
  if (started > client.deadline) {
    run.notStarted = true;
    return run;
  }
  chainsInFlight.set(chain.index, 'starting a conversation');
  try {
    const conversation = await client.retrying('POST', '/v1/conversations', {
      agent: AGENT,
      contact: { first_name: `Caller${chain.index}`, email: chain.email },
      call: { sid: `CA${chain.index.toString(16).padStart(32, '0')}`, from: chain.phone, to: '+15557654321' },
    });
    if (conversation.status !== 201) throw new Error(`conversation: HTTP ${conversation.status}`);
    const conversationId: string = conversation.body.id;
    run.conversationId = conversationId;
    run.intentIds.push(intentIdForKey(tenantId, conversationId, keyOf(chain, 'book')));
    chainsInFlight.set(chain.index, `booking (run ${run.intentIds[0]})`);
    run.book = await client.toolCall(
      conversationId,
      BOOK,
      { start: chain.start, name: `Chaos Caller ${chain.index}`, email: chain.email },
      keyOf(chain, 'book'),
    );
    if (run.book.status !== 'succeeded') return run;
    run.intentIds.push(intentIdForKey(tenantId, conversationId, keyOf(chain, 'sms')));
    chainsInFlight.set(chain.index, `texting (run ${run.intentIds[1]})`);
    run.sms = await client.toolCall(conversationId, SMS, {}, keyOf(chain, 'sms'));
    if (run.sms.status === 'succeeded') run.latencyMs = Date.now() - started;
  } catch (err) {
    run.clientError = (err as Error).message;
  } finally {
    run.endedAt = Date.now() - t0;
    chainsInFlight.delete(chain.index);
  }
  return run;
}

/** Runs `work` over `items` with at most `limit` at once. */
async function pool<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i] as T);
    }
  });
  await Promise.all(lanes);
  return results;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

describe('exactly-once effects under chaos', () => {
  it(
    'books once and texts once per chain while processes are killed and NATS and Temporal restart',
    async () => {
      onTestFailed(async () => {
        const lines = await stillRunning({
          db: stack.db,
          bus,
          temporal: (temporal as StackTemporal).client,
          tenantId: stack.seed.tenantId,
          chainsInFlight,
        });
        console.log(
          `CHAOS seed ${SEED} FAILED (replay with CHAOS_SEED=${SEED}; logs in ${logDir}); still running:\n${lines.join('\n')}`,
        );
      }, 120_000);
      const t0 = Date.now();
      const client = new ChaosClient({
        apiUrl: stack.services.apiUrl,
        apiKey: stack.seed.apiKey,
        deadline: t0 + RUN_BUDGET_MS,
      });
      const chains = chainsToRun(CHAINS);
      const chaosMonkey = new ChaosMonkey(rng, { ...stack, bus });
      monkey = chaosMonkey;
      let finished = 0;
      const driving = pool(chains, CONCURRENCY, async (chain) => {
        const r = await runChain(client, stack.seed.tenantId, chain, t0);
        finished++;
        return r;
      });
      // Random kills go on while most chains are still running; the mandatory ones (every kind,
      // NATS, Temporal) run even if the load is over by then.
      const chaos = chaosMonkey.run(() => finished < CHAINS * 0.9, {
        mandatory: { min: 1000, max: 3000 },
        extra: { min: 6000, max: 12_000 },
      });
      let runs: ChainRun[];
      try {
        [runs] = await Promise.all([driving, chaos]);
      } finally {
        await chaosMonkey.settle();
      }
      const driveMs = Date.now() - t0;

      // Every run the chains submitted must be terminal; give stragglers (a retry after an
      // activity timeout) a bounded time, through the public API.
      const settleDeadline = Date.now() + SETTLE_BUDGET_MS;
      const finalRuns = new Map<string, { status?: string; error?: { code?: string; message?: string } }>();
      const allIds = runs.flatMap((r) => r.intentIds);
      await pool(allIds, 16, async (id) => {
        finalRuns.set(id, (await client.runUntilTerminal(id, settleDeadline)) ?? {});
      });
      chaosMonkey.stop();

      const terminal = (id: string) => ['succeeded', 'failed', 'cancelled'].includes(finalRuns.get(id)?.status ?? '');
      // Chains the client could not finish within the budget (never started, or gave up
      // waiting): not evidence of a loss by themselves, but the run did not do what it set
      // out to — the machine was too slow for the budget — so they fail the test too.
      const unfinished = runs.filter(
        (r) =>
          r.notStarted === true ||
          r.clientError !== undefined ||
          r.book?.status === 'gave_up' ||
          r.sms?.status === 'gave_up',
      );
      // Every other chain got a terminal answer to each call; its runs must be terminal too,
      // with the status the client was told.
      const answered = runs.filter((r) => !unfinished.includes(r));
      const told = (r: ChainRun, i: number) => (i === 0 ? r.book : r.sms)?.status;
      // (A call the API refused with a 4xx has no run; the refusal is its clear error.)
      const lost = answered.filter((r) => r.intentIds.some((id, i) => told(r, i) !== 'rejected' && !terminal(id)));
      const inconsistent = answered.filter(
        (r) =>
          !lost.includes(r) &&
          r.intentIds.some((id, i) => told(r, i) !== 'rejected' && told(r, i) !== finalRuns.get(id)?.status),
      );
      const succeeded = answered.filter(
        (r) => r.intentIds.length === 2 && r.intentIds.every((id) => finalRuns.get(id)?.status === 'succeeded'),
      );
      const failed = answered.filter((r) => !lost.includes(r) && !succeeded.includes(r));

      // The providers' own records: bookings per attendee, messages per recipient.
      const bookings = stack.sandboxes.calcom.state().bookings.filter((b) => b.status === 'accepted');
      const bookingsBy = new Map<string, number>();
      for (const b of bookings) {
        const email = b.attendees[0]?.email ?? '';
        bookingsBy.set(email, (bookingsBy.get(email) ?? 0) + 1);
      }
      // Our confirmation per recipient; and every text per (recipient, body): besides ours, a
      // booking's lifecycle texts the caller (a confirmation request), an effect that must not
      // repeat either. Two identical texts to one number are a duplicate, whoever sent them.
      const twilioMessages = stack.sandboxes.twilio.state().messages;
      const messagesBy = new Map<string, number>();
      const textsBy = new Map<string, number>();
      for (const m of twilioMessages) {
        const to = String(m.to);
        if (String(m.body).startsWith(SMS_PREFIX)) messagesBy.set(to, (messagesBy.get(to) ?? 0) + 1);
        const text = `${to} ${String(m.body)}`;
        textsBy.set(text, (textsBy.get(text) ?? 0) + 1);
      }
      const otherTexts = twilioMessages.length - [...messagesBy.values()].reduce((n, c) => n + c, 0);
      const dupBookings = [...bookingsBy.values()].reduce((n, c) => n + Math.max(0, c - 1), 0);
      const dupSms = [...textsBy.values()].reduce((n, c) => n + Math.max(0, c - 1), 0);
      // A succeeded chain whose effect the provider does not have, or whose reported booking is another one.
      const missingBookings = succeeded.filter((r) => (bookingsBy.get(r.chain.email) ?? 0) === 0).length;
      const missingSms = succeeded.filter((r) => (messagesBy.get(r.chain.phone) ?? 0) === 0).length;
      const wrongBooking = succeeded.filter((r) => {
        const uid = r.book?.body?.outputs?.booking_uid;
        return !bookings.some((b) => b.uid === uid && b.attendees[0]?.email === r.chain.email);
      }).length;
      // Effects of failed chains: a failed booking must not have booked, a failed text must not have texted.
      const failedWithEffect = failed.filter(
        (r) =>
          (finalRuns.get(r.intentIds[0] ?? '')?.status !== 'succeeded' && (bookingsBy.get(r.chain.email) ?? 0) > 0) ||
          (r.intentIds[1] !== undefined &&
            finalRuns.get(r.intentIds[1])?.status !== 'succeeded' &&
            (messagesBy.get(r.chain.phone) ?? 0) > 0),
      ).length;

      const { rows } = await stack.db.query<{ status: string; n: string }>(
        'SELECT status, count(*) AS n FROM action_runs WHERE tenant_id = $1 GROUP BY status',
        [stack.seed.tenantId],
      );
      const runsByStatus = Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
      const nonTerminalRuns = rows
        .filter((r) => !['succeeded', 'failed', 'cancelled'].includes(r.status))
        .reduce((n, r) => n + Number(r.n), 0);

      // JetStream's view: intents stored (after its de-duplication) and deliveries beyond the
      // first (redeliveries after an orchestrator crash before its ack, or a nak).
      // An intent left unacked by a killed orchestrator is redelivered only after the consumer's
      // ack wait, which may outlast the chains (their workflows started before the kill): wait
      // for JetStream to have nothing outstanding before counting.
      const drainDeadline = Date.now() + ACK_DRAIN_BUDGET_MS;
      let consumer = await intentBacklog(bus.jsm);
      while ((consumer.ackPending > 0 || consumer.pending > 0) && Date.now() < drainDeadline) {
        await new Promise((r) => setTimeout(r, 500));
        consumer = await intentBacklog(bus.jsm);
      }
      const stream = await bus.jsm.streams.info(Streams.Intents);
      // Every stored intent was delivered once (the stream's last sequence counts them all).
      const redeliveries = consumer.deliveries - stream.state.last_seq;

      const latencies = runs.flatMap((r) => (r.latencyMs === undefined ? [] : [r.latencyMs])).sort((a, b) => a - b);
      const r = chaosMonkey.report;
      const summary =
        `CHAOS seed ${SEED}: chains ${CHAINS}, succeeded ${succeeded.length}, failed ${failed.length}, lost ${lost.length} (no terminal run), unfinished ${unfinished.length}, ` +
        `duplicate bookings ${dupBookings}, duplicate sms ${dupSms} (other texts ${otherTexts}), missing bookings ${missingBookings}, missing sms ${missingSms}, ` +
        `runs not terminal ${nonTerminalRuns}, kills ${JSON.stringify(r.kills)}, in-flight kills ${JSON.stringify(r.inFlightKills)}, ` +
        `restarts ${JSON.stringify(r.restarts)}, unexpected exits ${r.unexpectedExits.length}, ` +
        `intents stored ${stream.state.last_seq} (distinct ${allIds.length}), redelivered ${redeliveries}, ` +
        `http retries ${client.stats.retries} (202s ${client.stats.accepted}, conn errors ${client.stats.connectionErrors}, 5xx ${client.stats.serverErrors}), ` +
        `latency p50 ${(percentile(latencies, 50) / 1000).toFixed(1)}s p99 ${(percentile(latencies, 99) / 1000).toFixed(1)}s, ` +
        `drive ${(driveMs / 1000).toFixed(0)}s, total ${((Date.now() - t0) / 1000).toFixed(0)}s`;
      console.log(summary);
      const problems = [...lost, ...inconsistent, ...failed, ...unfinished].slice(0, 10).map((run) =>
        JSON.stringify({
          chain: run.chain.index,
          conversation: run.conversationId,
          clientError: run.clientError,
          book: run.book && { status: run.book.status, attempts: run.book.attempts, error: run.book.body?.error },
          sms: run.sms && { status: run.sms.status, attempts: run.sms.attempts, error: run.sms.body?.error },
          runs: run.intentIds.map((id) => ({ id, status: finalRuns.get(id)?.status, error: finalRuns.get(id)?.error })),
        }),
      );
      // The whole story, for a failed CI run: the kills in order and every chain's timing.
      writeFileSync(
        join(logDir, 'chaos-report.txt'),
        [
          summary,
          `runs by status ${JSON.stringify(runsByStatus)}`,
          'timeline (since the chaos started):',
          ...r.timeline,
          'chains (index, started s, ended s, book attempts/status, sms attempts/status):',
          ...runs.map(
            (run) =>
              `${run.chain.index} ${((run.startedAt ?? 0) / 1000).toFixed(1)} ${((run.endedAt ?? 0) / 1000).toFixed(1)} ` +
              `${run.book?.attempts ?? '-'}/${run.book?.status ?? '-'} ${run.sms?.attempts ?? '-'}/${run.sms?.status ?? '-'}` +
              (run.clientError ? ` ${run.clientError}` : ''),
          ),
        ].join('\n'),
      );
      // The duplicated effects themselves, so a failure shows what the provider got twice.
      for (const [text, n] of [...textsBy].filter(([, n]) => n > 1).slice(0, 3)) {
        problems.push(`${n} identical texts: ${text}`);
      }
      for (const [email, n] of [...bookingsBy].filter(([, n]) => n > 1).slice(0, 3)) {
        problems.push(
          `${n} bookings for ${email}: ${JSON.stringify(bookings.filter((b) => b.attendees[0]?.email === email))}`,
        );
      }
      if (problems.length > 0 || r.unexpectedExits.length > 0) {
        console.log(
          `chaos details:\n${problems.join('\n')}\nruns by status ${JSON.stringify(runsByStatus)}\n${r.timeline.join('\n')}`,
        );
      }

      expect(lost.length, 'chains without a terminal run').toBe(0);
      expect(unfinished.length, `chains not finished within the ${RUN_BUDGET_MS / 1000} s budget`).toBe(0);
      expect(inconsistent.length, 'runs whose status differs from the answer the client got').toBe(0);
      expect(dupBookings, 'duplicate bookings').toBe(0);
      expect(dupSms, 'duplicate messages').toBe(0);
      expect(missingBookings + missingSms + wrongBooking, 'succeeded chains whose effect the provider lacks').toBe(0);
      expect(failedWithEffect, 'failed runs whose effect happened anyway').toBe(0);
      expect(nonTerminalRuns, 'runs left accepted/running').toBe(0);
      expect(consumer.ackPending + consumer.pending, 'intents JetStream still holds for the orchestrator').toBe(0);
      expect(r.unexpectedExits, 'services that died on their own').toEqual([]);
      // A failed chain is acceptable only with a clear terminal error, and should be rare.
      for (const run of failed) {
        const error = [
          ...run.intentIds.map((id) => finalRuns.get(id)?.error),
          run.book?.body?.error,
          run.sms?.body?.error,
        ].find((e) => e !== undefined);
        expect(error?.code, `chain ${run.chain.index} failed without an error code`).toBeTruthy();
        expect(error?.message, `chain ${run.chain.index} failed without an error message`).toBeTruthy();
      }
      expect(failed.length, 'failed chains').toBeLessThanOrEqual(Math.ceil(CHAINS * 0.02));
      for (const kind of KillableServices) expect(r.kills[kind], `kills of ${kind}`).toBeGreaterThanOrEqual(1);
      expect(r.restarts).toEqual({ nats: 1, temporal: 1 });
      // The cases the run is meant to prove did happen: a worker died while its provider
      // committed, the orchestrator died holding unacked intents (JetStream redelivered them),
      // and clients repeated requests with the same key.
      for (const kind of ['calcom-worker', 'telephony-worker', 'orchestrator']) {
        expect(r.inFlightKills[kind], `${kind} killed mid-hand-over`).toBeGreaterThanOrEqual(1);
      }
      expect(redeliveries, 'intents redelivered by JetStream').toBeGreaterThanOrEqual(1);
      expect(client.stats.retries, 'requests repeated with the same Idempotency-Key').toBeGreaterThanOrEqual(1);
    },
    RUN_BUDGET_MS + SETTLE_BUDGET_MS + ACK_DRAIN_BUDGET_MS + 60_000,
  );
});
