/**
 * One chain's latency hop by hop (issue 18, goal 4): each tool call's path as a row of points
 * in time, all read after the level from timestamps that exist anyway — the client's send and
 * answer, the conversation service's `Server-Timing` stages, the result's JetStream timestamp,
 * and the session workflow's history (signal, workflow tasks, local-activity markers, the effect
 * activity). A hop is the time between two consecutive points; the top-level hops of a chain
 * run from its first call sent to its last answer read, so they add up to the chain exactly.
 * Pure: the points come from hop-source.ts and hop-timeline.ts.
 */
import { percentile } from './stats.js';

/** The points of one tool call's path, in the order they happen. */
export const HopPoints = [
  /** The client sends the tool call (the ceiling: its signal-with-start). */
  'sent',
  /** The conversation service has the request (Fastify's `onRequest`; Server-Timing). */
  'service',
  /** The intent is built (its `createdAt`, after the reads). */
  'created',
  /** The intent's PubAck: it is on the intents stream (Server-Timing). */
  'stored',
  /** Temporal recorded the signal in the session's history. */
  'signaled',
  /** The workflow task that sees the signal is scheduled… */
  'taskScheduled',
  /** …and handed to the worker. */
  'taskStarted',
  /** The first local activity (the events before the effect) is scheduled, after the activation. */
  'firstLocalScheduled',
  /** …and done (its runtime as the SDK measured it). */
  'firstLocalDone',
  /** The workflow task completed: the effect activity is scheduled. */
  'effectScheduled',
  /** A worker took the effect activity… */
  'effectStarted',
  /** …and completed it. */
  'effectCompleted',
  /** The workflow task that sees the completion is handed to the worker. */
  'outcomeTaskStarted',
  /** The outcome's local activity is scheduled, after the activation. */
  'outcomeLocalScheduled',
  /** The result is on the events stream (its JetStream timestamp). */
  'resultStored',
  /** The client has read the answer. */
  'answered',
] as const;
export type HopPoint = (typeof HopPoints)[number];

/** One tool call's points, wall-clock ms (fractional); absent where a section has no such point. */
export type CallTimeline = Partial<Record<HopPoint, number>>;

/** A hop: from one point to another of the same call, or (`next`) to the next call's `sent`. */
interface HopDefinition {
  key: string;
  label: string;
  from: HopPoint;
  to: HopPoint | 'next';
  /** The top-level hop this one is a part of (the parts exist in some sections only). */
  parent?: string;
}

/**
 * The hops, top-level ones in path order (they partition the chain), each followed by its parts.
 * The ceiling has every top-level hop; the parts are Switchboard's (the hops the ceiling lacks).
 */
export const HOPS: readonly HopDefinition[] = [
  { key: 'to-signal', label: 'tool call sent → signal in the session history', from: 'sent', to: 'signaled' },
  { key: 'http', label: 'HTTP until the service has it', from: 'sent', to: 'service', parent: 'to-signal' },
  {
    key: 'reads',
    label: 'API key, access, reads (Server-Timing)',
    from: 'service',
    to: 'created',
    parent: 'to-signal',
  },
  { key: 'accept', label: 'audit insert, intent PubAck', from: 'created', to: 'stored', parent: 'to-signal' },
  {
    key: 'handover',
    label: 'orchestrator: delivery, lane check, status read, signal-with-start',
    from: 'stored',
    to: 'signaled',
    parent: 'to-signal',
  },
  { key: 'task-wait', label: 'signal → workflow task scheduled', from: 'signaled', to: 'taskScheduled' },
  { key: 'task-dispatch', label: 'workflow task scheduled → started', from: 'taskScheduled', to: 'taskStarted' },
  {
    key: 'activation-1',
    label: 'activation until the first local activity',
    from: 'taskStarted',
    to: 'firstLocalScheduled',
  },
  {
    key: 'local-1',
    label: 'first local activity (events before the effect)',
    from: 'firstLocalScheduled',
    to: 'firstLocalDone',
  },
  {
    key: 'task-complete',
    label: 'rest of the task → effect scheduled',
    from: 'firstLocalDone',
    to: 'effectScheduled',
  },
  {
    key: 'effect-dispatch',
    label: 'effect activity scheduled → started',
    from: 'effectScheduled',
    to: 'effectStarted',
  },
  { key: 'effect', label: 'effect activity (provider request)', from: 'effectStarted', to: 'effectCompleted' },
  {
    key: 'outcome-task',
    label: 'effect completed → workflow task started',
    from: 'effectCompleted',
    to: 'outcomeTaskStarted',
  },
  {
    key: 'activation-2',
    label: 'activation until the outcome local activity',
    from: 'outcomeTaskStarted',
    to: 'outcomeLocalScheduled',
  },
  {
    key: 'to-client',
    label: 'outcome local activity → answer at the client',
    from: 'outcomeLocalScheduled',
    to: 'answered',
  },
  {
    key: 'outcome',
    label: 'events, audit row final, result stored',
    from: 'outcomeLocalScheduled',
    to: 'resultStored',
    parent: 'to-client',
  },
  {
    key: 'delivery',
    label: 'result → conversation service → answer read',
    from: 'resultStored',
    to: 'answered',
    parent: 'to-client',
  },
  { key: 'client-gap', label: 'client: answer → next call sent', from: 'answered', to: 'next' },
];

/** The points every top-level hop needs. */
const TOP_POINTS = [
  ...new Set(HOPS.filter((h) => h.parent === undefined).flatMap((h) => [h.from, ...(h.to === 'next' ? [] : [h.to])])),
];

/**
 * The hops of one chain (its calls in order), each summed over the calls; `undefined` when a
 * top-level hop lacks a point (the chain is left out rather than mis-added). A part is left out
 * of the chain when any call lacks one of its points.
 */
export function chainHops(calls: readonly CallTimeline[]): Record<string, number> | undefined {
  const out: Record<string, number> = {};
  for (const hop of HOPS) {
    let sum: number | undefined = 0;
    for (let i = 0; i < calls.length && sum !== undefined; i++) {
      const call = calls[i] as CallTimeline;
      const next = calls[i + 1];
      if (hop.to === 'next' && next === undefined) continue;
      const from = call[hop.from];
      const to = hop.to === 'next' ? next?.sent : call[hop.to];
      sum = from === undefined || to === undefined ? undefined : sum + (to - from);
    }
    if (sum !== undefined) out[hop.key] = sum;
    else if (hop.parent === undefined) return undefined;
  }
  return out;
}

/** One row of the table: a hop's figures over the chains, ms per chain. */
export interface HopRow {
  key: string;
  label: string;
  /** The top-level hop it is a part of. */
  parent?: string;
  /** Chains that had it. */
  count: number;
  p50: number | null;
  p90: number | null;
  mean: number | null;
  /** The p50 of each tool call of the chain alone (first, second, …; no gap after a call). */
  p50ByCall: (number | null)[];
}

/** The decomposition of one level of one section. */
export interface HopTable {
  /** Chains decomposed (a level's chains, at most a sample of them). */
  chains: number;
  /** Chains left out: a point of a top-level hop was missing. */
  skipped: number;
  /** Of the chains left out: how many calls lacked each point (what to look for in their histories). */
  missing: Record<string, number>;
  rows: HopRow[];
  /** First call sent → last answer read, from the same timestamps. */
  chain: { p50: number | null; p90: number | null; mean: number | null };
  /** The top-level hops' p50s added up (p50s do not add exactly; means do). */
  sumOfP50s: number;
  /** The top-level hops' means added up: the chain's mean, but for rounding. */
  sumOfMeans: number;
}

const figures = (samples: number[]) => {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    mean: sorted.length === 0 ? null : sorted.reduce((a, b) => a + b, 0) / sorted.length,
  };
};

/** The table over a level's chains (each a list of its calls' timelines). */
export function hopTable(chains: readonly (readonly CallTimeline[])[]): HopTable {
  const decomposed: Record<string, number>[] = [];
  const missing: Record<string, number> = {};
  /** Per call index, each decomposed chain's hops of that call alone. */
  const byCall: Record<string, number>[][] = [];
  const totals: number[] = [];
  for (const calls of chains) {
    const hops = chainHops(calls);
    const first = calls[0]?.sent;
    const last = calls.at(-1)?.answered;
    if (hops === undefined || first === undefined || last === undefined) {
      for (const call of calls) {
        for (const point of TOP_POINTS) if (call[point] === undefined) missing[point] = (missing[point] ?? 0) + 1;
      }
      continue;
    }
    decomposed.push(hops);
    totals.push(last - first);
    calls.forEach((call, i) => {
      byCall[i] ??= [];
      byCall[i]?.push(chainHops([call]) ?? {});
    });
  }
  const samplesOf = (list: readonly Record<string, number>[], key: string) =>
    list.flatMap((h) => (h[key] === undefined ? [] : [h[key] as number]));
  const rows = HOPS.map((hop): HopRow => {
    const samples = samplesOf(decomposed, hop.key);
    return {
      key: hop.key,
      label: hop.label,
      ...(hop.parent === undefined ? {} : { parent: hop.parent }),
      count: samples.length,
      ...figures(samples),
      p50ByCall: byCall.map((list) => figures(samplesOf(list, hop.key)).p50),
    };
  }).filter((row) => row.count > 0);
  const top = rows.filter((r) => r.parent === undefined);
  return {
    chains: decomposed.length,
    skipped: chains.length - decomposed.length,
    missing,
    rows,
    chain: figures(totals),
    sumOfP50s: top.reduce((s, r) => s + (r.p50 ?? 0), 0),
    sumOfMeans: top.reduce((s, r) => s + (r.mean ?? 0), 0),
  };
}

const num = (v: number | null | undefined) => (v === null || v === undefined ? '-' : v.toFixed(1));
const pair = (a: number | null | undefined, b: number | null | undefined) =>
  `${num(a).padStart(7)} /${num(b).padStart(7)}`;
const delta = (a: number | null | undefined, b: number | null | undefined) =>
  a === null || a === undefined || b === null || b === undefined ? '' : `${a - b >= 0 ? '+' : ''}${(a - b).toFixed(1)}`;

/**
 * The printed table: Switchboard's and the ceiling's hops side by side (p50 / p90, ms per chain)
 * and the difference of the p50s, then the sums against the chain.
 */
export function formatHops(concurrency: number, sb: HopTable | undefined, eq: HopTable | undefined): string[] {
  const width = 68;
  const out = [
    `== Goal 4 decomposed: one booking chain at c=${concurrency}, hop by hop (ms per chain, its tool calls summed; ` +
      `${sb?.chains ?? 0} switchboard and ${eq?.chains ?? 0} equal-work chains${(sb?.skipped ?? 0) + (eq?.skipped ?? 0) > 0 ? `, ${sb?.skipped ?? 0} and ${eq?.skipped ?? 0} left out` : ''})`,
    `${'hop'.padEnd(width)}${'switchboard p50 / p90'.padStart(22)}${'equal-work p50 / p90'.padStart(22)}${'Δ p50'.padStart(9)}`,
  ];
  const keys = [...new Set([...(sb?.rows ?? []), ...(eq?.rows ?? [])].map((r) => r.key))];
  for (const hop of HOPS.filter((h) => keys.includes(h.key))) {
    const a = sb?.rows.find((r) => r.key === hop.key);
    const b = eq?.rows.find((r) => r.key === hop.key);
    const label = hop.parent === undefined ? hop.label : `  ${hop.label}`;
    out.push(
      `${label.padEnd(width)}${(a ? pair(a.p50, a.p90) : '').padStart(22)}${(b ? pair(b.p50, b.p90) : '').padStart(22)}` +
        `${delta(a?.p50, b?.p50).padStart(9)}`,
    );
  }
  const sums = (t: HopTable | undefined) => (t ? `${num(t.sumOfP50s)} (${num(t.sumOfMeans)})` : '');
  const chain = (t: HopTable | undefined) => (t ? `${num(t.chain.p50)} (${num(t.chain.mean)})` : '');
  out.push(
    `${'top-level hops added up: p50s (means)'.padEnd(width)}${sums(sb).padStart(22)}${sums(eq).padStart(22)}` +
      `${delta(sb?.sumOfP50s, eq?.sumOfP50s).padStart(9)}`,
  );
  out.push(
    `${'chain, first call sent → last answer read: p50 (mean)'.padEnd(width)}${chain(sb).padStart(22)}${chain(eq).padStart(22)}` +
      `${delta(sb?.chain.p50, eq?.chain.p50).padStart(9)}`,
  );
  return out;
}
