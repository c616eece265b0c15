/**
 * One chaos run, the same in single and cluster mode: the client drives the mode's units (a
 * chain, or a conversation of several chains) a few at a time while the monkey kills and
 * restarts; then the verdict (judge.ts), the summary line (printed, and first in
 * chaos-report.txt in the log directory) and what every chaos run must show
 * ({@link expectExactlyOnceInOrder}). A mode adds its own checks on what this returns.
 */
import { join } from 'node:path';
import { type ChainRun, pool } from './booking.js';
import { ChaosClient } from './client.js';
import { type ChaosHarness, reportFailure } from './harness.js';
import { expectExactlyOnceInOrder, judge, summaryCounts, type Verdict, writeReport } from './judge.js';
import { ChaosMonkey, type ChaosReport } from './monkey.js';
import type { Rng } from './prng.js';

/** Pauses between the monkey's events, ms (see {@link ChaosMonkey.run}). */
type Gap = { min: number; max: number };

/** What differs between the modes' runs. */
export interface ChaosRunOptions<U, R> {
  /** The summary line's first word (`CHAOS`, `CHAOS-CLUSTER`), also on a failure's report. */
  label: string;
  seed: number;
  rng: Rng;
  /** Booking chains in all, for the summary and the share of failures allowed. */
  chains: number;
  /** How long the client may drive; a chain not finished by then fails the run. */
  budgetMs: number;
  /** What the client drives, `concurrency` at a time. */
  units: readonly U[];
  concurrency: number;
  /** Drives one unit; `t0` is when the run started. */
  drive: (client: ChaosClient, unit: U, t0: number) => Promise<R>;
  /** The chains a unit ran. */
  chainsOf: (result: R) => ChainRun[];
  /** A unit's conversation and the effects its calls were sent for, in sending order. */
  sentOf: (result: R) => [conversationId: string, sent: string[]] | undefined;
  /** The monkey's pauses before each mandatory event and between the extra ones. */
  gaps: { mandatory: Gap; extra: Gap };
  /** The summary line's parts before and after the counts every run reports. */
  summary: { before?: string; after: (results: R[], report: ChaosReport) => string };
}

/** What a run leaves for the mode's own checks. */
export interface ChaosRunResult<R> {
  results: R[];
  verdict: Verdict;
  report: ChaosReport;
  client: ChaosClient;
}

/** Runs the chaos on `h`'s stack and checks what every chaos run must show. */
export async function runChaos<U, R>(h: ChaosHarness, o: ChaosRunOptions<U, R>): Promise<ChaosRunResult<R>> {
  reportFailure(h, o.label, o.seed);
  const { stack } = h;
  const t0 = Date.now();
  const client = new ChaosClient({
    apiUrls: stack.services.apiUrls,
    apiKey: stack.seed.apiKey,
    deadline: t0 + o.budgetMs,
  });
  const chaosMonkey = new ChaosMonkey(o.rng, { ...stack, bus: h.bus });
  h.monkey = chaosMonkey;
  let finished = 0;
  const driving = pool(o.units, o.concurrency, async (unit) => {
    const r = await o.drive(client, unit, t0);
    finished++;
    return r;
  });
  // Random kills go on while most of the load is still running; the mandatory ones (every kind,
  // NATS, Temporal) run even if the load is over by then.
  const chaos = chaosMonkey.run(() => finished < o.units.length * 0.9, o.gaps);
  let results: R[];
  try {
    [results] = await Promise.all([driving, chaos]);
  } finally {
    await chaosMonkey.settle();
  }
  const driveMs = Date.now() - t0;
  const runs = results.flatMap(o.chainsOf);
  const sent = new Map(
    results.flatMap((r) => {
      const s = o.sentOf(r);
      return s === undefined ? [] : [s];
    }),
  );
  const verdict = await judge({ stack, bus: h.bus, client, runs, sent });
  chaosMonkey.stop();

  const report = chaosMonkey.report;
  const summary =
    `${o.label} seed ${o.seed}: ${o.summary.before ?? ''}${summaryCounts(verdict, o.chains, report, client)}, ` +
    `${o.summary.after(results, report)}, ` +
    `drive ${(driveMs / 1000).toFixed(0)}s, total ${((Date.now() - t0) / 1000).toFixed(0)}s`;
  console.log(summary);
  writeReport(join(h.logDir, 'chaos-report.txt'), summary, verdict, report, runs);

  expectExactlyOnceInOrder(verdict, report, o.chains, o.budgetMs);
  return { results, verdict, report, client };
}
