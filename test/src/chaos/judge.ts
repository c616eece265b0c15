/**
 * What a chaos run left behind, judged the same way in single and cluster mode: every run the
 * chains submitted terminal (through the public API, with a bounded wait for stragglers), the
 * providers' own records (one booking and one text per succeeded chain, nothing twice, nothing
 * for a failed run), the audit rows, JetStream's backlog and redeliveries, and — per
 * conversation — whether the effects happened in the order of its tool calls.
 */
import { writeFileSync } from 'node:fs';
import type { Bus } from '@switchboard/bus';
import { Streams } from '@switchboard/contracts';
import { expect } from 'vitest';
import { effectOrderViolations } from '../support/effect-order.js';
import { type IntentBacklog, intentBacklog } from '../support/intent-consumers.js';
import type { TestStack } from '../support/stack.js';
import { type ChainRun, chainOfText, pool, SMS_PREFIX } from './booking.js';
import type { ChaosClient } from './client.js';
import { type ChaosReport, KillableServices } from './monkey.js';
import { orderEvidence } from './order-evidence.js';

/** After the run: how long a run that is not terminal yet may take to become terminal. */
export const SETTLE_BUDGET_MS = 120_000;
/** After the run: how long JetStream may take to redeliver intents a killed orchestrator left unacked. */
export const ACK_DRAIN_BUDGET_MS = 45_000;

type FinalRun = { status?: string; error?: { code?: string; message?: string } };

/** The verdict on a run. */
export interface Verdict {
  finalRuns: Map<string, FinalRun>;
  succeeded: ChainRun[];
  failed: ChainRun[];
  /** Chains with a run that never became terminal. */
  lost: ChainRun[];
  /** Chains whose run ended otherwise than the client was told. */
  inconsistent: ChainRun[];
  /** Chains the client could not finish within the budget. */
  unfinished: ChainRun[];
  dupBookings: number;
  dupSms: number;
  /** Texts that are not our confirmations (a booking lifecycle's). */
  otherTexts: number;
  /** Succeeded chains whose booking or text the provider lacks, or whose booking is another's. */
  missingBookings: number;
  missingSms: number;
  wrongBooking: number;
  /** Failed runs whose effect happened anyway. */
  failedWithEffect: number;
  runsByStatus: Record<string, number>;
  nonTerminalRuns: number;
  backlog: IntentBacklog;
  intentsStored: number;
  /** Deliveries beyond the first (a killed orchestrator's unacked intents, or a nak). */
  redeliveries: number;
  /** Conversations whose effects happened in another order than their calls were sent. */
  orderViolations: ReturnType<typeof effectOrderViolations>;
  /** Readable lines on whatever went wrong (empty when nothing did). */
  problems: string[];
}

/**
 * Judges a run. `sent`: per conversation, the effects its calls were sent for, in sending
 * order (`<chain>:book`, `<chain>:sms`); the providers' records are put in the order they
 * happened and compared with it.
 */
export async function judge(input: {
  stack: TestStack;
  bus: Bus;
  client: ChaosClient;
  runs: ChainRun[];
  sent: ReadonlyMap<string, readonly string[]>;
}): Promise<Verdict> {
  const { stack, bus, client, runs } = input;
  // Every run the chains submitted must be terminal; give stragglers (a retry after an
  // activity timeout) a bounded time, through the public API.
  const settleDeadline = Date.now() + SETTLE_BUDGET_MS;
  const finalRuns = new Map<string, FinalRun>();
  await pool(
    runs.flatMap((r) => r.intentIds),
    16,
    async (id) => {
      finalRuns.set(id, (await client.runUntilTerminal(id, settleDeadline)) ?? {});
    },
  );
  const terminal = (id: string) => ['succeeded', 'failed', 'cancelled'].includes(finalRuns.get(id)?.status ?? '');
  // Chains the client could not finish within the budget (never started, or gave up waiting):
  // not evidence of a loss by themselves, but the run did not do what it set out to — the
  // machine was too slow for the budget — so they fail the test too.
  const unfinished = runs.filter(
    (r) =>
      r.notStarted === true ||
      r.clientError !== undefined ||
      r.book?.status === 'gave_up' ||
      r.sms?.status === 'gave_up',
  );
  // Every other chain got an answer to each call; its runs must be terminal too, with the
  // status the client was told (when it was told one: a call answered 202 was not).
  const answered = runs.filter((r) => !unfinished.includes(r));
  const told = (r: ChainRun, i: number) => (i === 0 ? r.book : r.sms)?.status;
  // (A call the API refused with a 4xx has no run; the refusal is its clear error.)
  const lost = answered.filter((r) => r.intentIds.some((id, i) => told(r, i) !== 'rejected' && !terminal(id)));
  const inconsistent = answered.filter(
    (r) =>
      !lost.includes(r) &&
      r.intentIds.some(
        (id, i) => !['rejected', 'accepted'].includes(told(r, i) ?? '') && told(r, i) !== finalRuns.get(id)?.status,
      ),
  );
  const succeeded = answered.filter(
    (r) => r.intentIds.length === 2 && r.intentIds.every((id) => finalRuns.get(id)?.status === 'succeeded'),
  );
  const failed = answered.filter((r) => !lost.includes(r) && !succeeded.includes(r));

  // The providers' own records: bookings per attendee, our confirmations per chain; and every
  // text per (recipient, body): besides ours, a booking's lifecycle texts the caller (a
  // confirmation request), an effect that must not repeat either. Two identical texts to one
  // number are a duplicate, whoever sent them.
  const bookings = stack.sandboxes.calcom.state().bookings.filter((b) => b.status === 'accepted');
  const bookingsBy = new Map<string, number>();
  for (const b of bookings) {
    const email = b.attendees[0]?.email ?? '';
    bookingsBy.set(email, (bookingsBy.get(email) ?? 0) + 1);
  }
  const twilioMessages = stack.sandboxes.twilio.state().messages;
  const textsOf = new Map<number, number>();
  const textsBy = new Map<string, number>();
  for (const m of twilioMessages) {
    const chain = chainOfText(String(m.body));
    if (chain !== undefined) textsOf.set(chain, (textsOf.get(chain) ?? 0) + 1);
    const text = `${String(m.to)} ${String(m.body)}`;
    textsBy.set(text, (textsBy.get(text) ?? 0) + 1);
  }
  const otherTexts = twilioMessages.filter((m) => !String(m.body).startsWith(SMS_PREFIX)).length;
  const dupBookings = [...bookingsBy.values()].reduce((n, c) => n + Math.max(0, c - 1), 0);
  const dupSms = [...textsBy.values()].reduce((n, c) => n + Math.max(0, c - 1), 0);
  const missingBookings = succeeded.filter((r) => (bookingsBy.get(r.chain.email) ?? 0) === 0).length;
  const missingSms = succeeded.filter((r) => (textsOf.get(r.chain.index) ?? 0) === 0).length;
  const wrongBooking = succeeded.filter((r) => {
    const uid = r.book?.body?.outputs?.booking_uid;
    // A call answered 202 carries no outputs: its booking is checked by attendee above.
    if (uid === undefined && r.book?.status === 'accepted') return false;
    return !bookings.some((b) => b.uid === uid && b.attendees[0]?.email === r.chain.email);
  }).length;
  const failedWithEffect = failed.filter(
    (r) =>
      (finalRuns.get(r.intentIds[0] ?? '')?.status !== 'succeeded' && (bookingsBy.get(r.chain.email) ?? 0) > 0) ||
      (r.intentIds[1] !== undefined &&
        finalRuns.get(r.intentIds[1])?.status !== 'succeeded' &&
        (textsOf.get(r.chain.index) ?? 0) > 0),
  ).length;

  // The effects in the order they happened, per conversation (commit times in ms; a text is
  // only sent after its booking returned, and the next booking after the text returned).
  const chainByEmail = new Map(runs.map((r) => [r.chain.email, r]));
  const chainByIndex = new Map(runs.map((r) => [r.chain.index, r]));
  const happened: { conversation: string; effect: string; at: number }[] = [];
  for (const b of bookings) {
    const run = chainByEmail.get(b.attendees[0]?.email ?? '');
    if (run?.conversationId) {
      happened.push({
        conversation: run.conversationId,
        effect: `${run.chain.index}:book`,
        at: Date.parse(b.createdAt),
      });
    }
  }
  for (const m of twilioMessages) {
    const run = chainByIndex.get(chainOfText(String(m.body)) ?? -1);
    if (run?.conversationId) {
      happened.push({ conversation: run.conversationId, effect: `${run.chain.index}:sms`, at: Number(m.created_ms) });
    }
  }
  const effects = new Map<string, string[]>();
  const effectTimes = new Map<string, string[]>();
  for (const e of happened.sort((a, b) => a.at - b.at)) {
    effects.set(e.conversation, [...(effects.get(e.conversation) ?? []), e.effect]);
    const at = `${e.effect} ${new Date(e.at).toISOString().slice(11, 23)}`;
    effectTimes.set(e.conversation, [...(effectTimes.get(e.conversation) ?? []), at]);
  }
  const orderViolations = effectOrderViolations(input.sent, effects);

  const { rows } = await stack.db.query<{ status: string; n: string }>(
    'SELECT status, count(*) AS n FROM action_runs WHERE tenant_id = $1 GROUP BY status',
    [stack.seed.tenantId],
  );
  const runsByStatus = Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
  const nonTerminalRuns = rows
    .filter((r) => !['succeeded', 'failed', 'cancelled'].includes(r.status))
    .reduce((n, r) => n + Number(r.n), 0);

  // JetStream's view: intents stored (after its de-duplication) and deliveries beyond the
  // first. An intent left unacked by a killed orchestrator is redelivered only after the ack
  // wait, which may outlast the chains: wait for JetStream to have nothing outstanding first.
  const drainDeadline = Date.now() + ACK_DRAIN_BUDGET_MS;
  let backlog = await intentBacklog(bus.jsm);
  while ((backlog.ackPending > 0 || backlog.pending > 0) && Date.now() < drainDeadline) {
    await new Promise((r) => setTimeout(r, 500));
    backlog = await intentBacklog(bus.jsm);
  }
  const stream = await bus.jsm.streams.info(Streams.Intents);
  // Every stored intent was delivered once (the stream's last sequence counts them all).
  const redeliveries = backlog.deliveries - stream.state.last_seq;

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
  // The duplicated and reordered effects themselves, so a failure shows what the provider got.
  for (const [text, n] of [...textsBy].filter(([, n]) => n > 1).slice(0, 3)) {
    problems.push(`${n} identical texts: ${text}`);
  }
  for (const [email, n] of [...bookingsBy].filter(([, n]) => n > 1).slice(0, 3)) {
    problems.push(
      `${n} bookings for ${email}: ${JSON.stringify(bookings.filter((b) => b.attendees[0]?.email === email))}`,
    );
  }
  const labels = new Map(
    runs.flatMap((r) => r.intentIds.map((id, i) => [id, `${r.chain.index}:${i === 0 ? 'book' : 'sms'}`] as const)),
  );
  for (const v of orderViolations.slice(0, 5)) {
    const evidence = await orderEvidence(stack.db, v.conversation, labels);
    problems.push(
      `out of order in ${v.conversation}: sent ${v.sent.join(' ')}, happened ${(effectTimes.get(v.conversation) ?? []).join(', ')}; ${evidence}`,
    );
  }
  return {
    finalRuns,
    succeeded,
    failed,
    lost,
    inconsistent,
    unfinished,
    dupBookings,
    dupSms,
    otherTexts,
    missingBookings,
    missingSms,
    wrongBooking,
    failedWithEffect,
    runsByStatus,
    nonTerminalRuns,
    backlog,
    intentsStored: stream.state.last_seq,
    redeliveries,
    orderViolations,
    problems,
  };
}

/** The counts every chaos summary line carries (after its own opening). */
export function summaryCounts(v: Verdict, chains: number, r: ChaosReport, client: ChaosClient): string {
  return (
    `chains ${chains}, succeeded ${v.succeeded.length}, failed ${v.failed.length}, lost ${v.lost.length} (no terminal run), unfinished ${v.unfinished.length}, ` +
    `duplicate bookings ${v.dupBookings}, duplicate sms ${v.dupSms} (other texts ${v.otherTexts}), missing bookings ${v.missingBookings}, missing sms ${v.missingSms}, ` +
    `runs not terminal ${v.nonTerminalRuns}, order violations ${v.orderViolations.length}, kills ${JSON.stringify(r.kills)}, in-flight kills ${JSON.stringify(r.inFlightKills)}, ` +
    `restarts ${JSON.stringify(r.restarts)}, unexpected exits ${r.unexpectedExits.length}, ` +
    `intents stored ${v.intentsStored} (distinct ${v.finalRuns.size}), redelivered ${v.redeliveries}, ` +
    `http retries ${client.stats.retries} (202s ${client.stats.accepted}, conn errors ${client.stats.connectionErrors}, 5xx ${client.stats.serverErrors})`
  );
}

/**
 * The whole story, for a failed CI run: the summary, the kills in order and every chain's
 * timing; and the problems on the console when there are any.
 */
export function writeReport(path: string, summary: string, v: Verdict, r: ChaosReport, runs: ChainRun[]): void {
  writeFileSync(
    path,
    [
      summary,
      `runs by status ${JSON.stringify(v.runsByStatus)}`,
      'timeline (since the chaos started):',
      ...r.timeline,
      'chains (index, conversation, started s, ended s, book attempts/status, sms attempts/status):',
      ...runs.map(
        (run) =>
          `${run.chain.index} ${run.conversationId ?? '-'} ${((run.startedAt ?? 0) / 1000).toFixed(1)} ${((run.endedAt ?? 0) / 1000).toFixed(1)} ` +
          `${run.book?.attempts ?? '-'}/${run.book?.status ?? '-'} ${run.sms?.attempts ?? '-'}/${run.sms?.status ?? '-'}` +
          (run.clientError ? ` ${run.clientError}` : ''),
      ),
    ].join('\n'),
  );
  if (v.problems.length > 0 || r.unexpectedExits.length > 0) {
    console.log(
      `chaos details:\n${v.problems.join('\n')}\nruns by status ${JSON.stringify(v.runsByStatus)}\n${r.timeline.join('\n')}`,
    );
  }
}

/**
 * What every chaos run must show: nothing lost, unfinished, doubled, missing, reordered or
 * stuck; no service that died on its own; failures rare and each with a clear error; every
 * kind of service killed at least once, and the timed kills landed.
 */
export function expectExactlyOnceInOrder(v: Verdict, r: ChaosReport, chains: number, budgetMs: number): void {
  expect(v.lost.length, 'chains without a terminal run').toBe(0);
  expect(v.unfinished.length, `chains not finished within the ${budgetMs / 1000} s budget`).toBe(0);
  expect(v.inconsistent.length, 'runs whose status differs from the answer the client got').toBe(0);
  expect(v.dupBookings, 'duplicate bookings').toBe(0);
  expect(v.dupSms, 'duplicate messages').toBe(0);
  expect(v.missingBookings + v.missingSms + v.wrongBooking, 'succeeded chains whose effect the provider lacks').toBe(0);
  expect(v.failedWithEffect, 'failed runs whose effect happened anyway').toBe(0);
  expect(v.orderViolations, 'conversations whose effects happened out of call order').toEqual([]);
  expect(v.nonTerminalRuns, 'runs left accepted/running').toBe(0);
  expect(v.backlog.ackPending + v.backlog.pending, 'intents JetStream still holds for the orchestrator').toBe(0);
  expect(r.unexpectedExits, 'services that died on their own').toEqual([]);
  // A failed chain is acceptable only with a clear terminal error, and should be rare.
  for (const run of v.failed) {
    const error = [
      ...run.intentIds.map((id) => v.finalRuns.get(id)?.error),
      run.book?.body?.error,
      run.sms?.body?.error,
    ].find((e) => e !== undefined);
    expect(error?.code, `chain ${run.chain.index} failed without an error code`).toBeTruthy();
    expect(error?.message, `chain ${run.chain.index} failed without an error message`).toBeTruthy();
  }
  expect(v.failed.length, 'failed chains').toBeLessThanOrEqual(Math.ceil(chains * 0.02));
  for (const kind of KillableServices) expect(r.kills[kind], `kills of ${kind}`).toBeGreaterThanOrEqual(1);
  expect(r.restarts).toEqual({ nats: 1, temporal: 1 });
  // The cases the run is meant to prove did happen: a worker died while its provider
  // committed, the orchestrator died holding unacked intents (JetStream redelivered them).
  for (const kind of ['calcom-worker', 'telephony-worker', 'orchestrator']) {
    expect(r.inFlightKills[kind], `${kind} killed mid-hand-over`).toBeGreaterThanOrEqual(1);
  }
  expect(v.redeliveries, 'intents redelivered by JetStream').toBeGreaterThanOrEqual(1);
}
