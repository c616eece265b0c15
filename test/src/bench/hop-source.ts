/**
 * What a section records of its chains for the hop decomposition (hops.ts), and the reading
 * after the level that turns them into a table: the client notes each call's send and answer
 * (two clock readings it takes anyway) and its intent id; the session histories, the
 * `Server-Timing` headers and the results' JetStream timestamps are read only once the level
 * is over, so nothing is added to the path being measured.
 */
import type { Client } from '@temporalio/client';
import { type SignalledIntent, servicePoints, signalledIntents } from './hop-timeline.js';
import { type CallTimeline, type HopTable, hopTable } from './hops.js';

/** Chains read per level at most (spread over the level), to keep the reading cheap. */
const MAX_CHAINS = 60;

/** One tool call as the client saw it (`performance.now()` readings). */
export interface TracedCall {
  /** The intent id (Switchboard: the tool call's id; the ceiling: its intent's id). */
  intentId: string;
  sentAt: number;
  answeredAt: number;
  /** The answer's `Server-Timing` header (Switchboard). */
  serverTiming?: string | null;
}

/** One chain: its session workflow and its calls in order. */
export interface TracedChain {
  workflowId: string;
  /** Switchboard's conversation (where its results are on the events stream). */
  conversationId?: string;
  calls: TracedCall[];
}

/** The decomposition a section offers the harness: reset before a level, read after it. */
export interface HopSource {
  /** Forgets the chains recorded so far (warm-up, the level before). */
  reset(): void;
  /** Notes one chain of the level (cheap: kept in memory). */
  add(chain: TracedChain): void;
  /** Reads the histories (and results) of the level's chains and decomposes them. */
  decompose(): Promise<HopTable>;
}

/** How long a chain's history may take to hold its last call's outcome (see {@link settledIntents}). */
const SETTLE_MS = 10_000;

/**
 * The chain's intents from its session's history, once the last call's outcome marker is in:
 * the client has its answer while that local activity runs, and the marker is written when its
 * workflow task completes (the level's last chain is read right after it).
 */
async function settledIntents(
  client: Client,
  chain: TracedChain,
  signal: string,
): Promise<Map<string, SignalledIntent>> {
  const lastIntent = chain.calls.at(-1)?.intentId;
  const deadline = Date.now() + SETTLE_MS;
  for (;;) {
    const history = await client.workflow
      .getHandle(chain.workflowId)
      .fetchHistory()
      .catch(() => undefined);
    const intents = history ? signalledIntents(history, signal) : new Map<string, SignalledIntent>();
    const last = lastIntent === undefined ? undefined : intents.get(lastIntent);
    if (last?.timeline.outcomeLocalScheduled !== undefined || Date.now() > deadline) return intents;
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** `performance.now()` → wall-clock ms, with the sub-ms resolution of the former. */
function wallOffset(): number {
  // At the moment Date.now() ticks, both clocks agree to within this loop's turn (µs).
  const start = Date.now();
  let now = start;
  while (now === start) now = Date.now();
  return now - performance.now();
}

/** Evenly spread `max` of `items` (all when fewer). */
function spread<T>(items: readonly T[], max: number): T[] {
  if (items.length <= max) return [...items];
  return Array.from({ length: max }, (_, i) => items[Math.floor((i * items.length) / max)] as T);
}

/**
 * A section's hop source. `signal` is the session's intent signal; `resultStored`, where the
 * section has one, gives when a call's result was stored on the bus (ms).
 */
export function hopSource(options: {
  client: () => Promise<Client>;
  signal: string;
  resultStored?: (chain: TracedChain, intentId: string) => Promise<number | undefined>;
}): HopSource {
  let chains: TracedChain[] = [];
  let offset = wallOffset();
  return {
    reset() {
      chains = [];
      offset = wallOffset();
    },
    add(chain) {
      chains.push(chain);
    },
    async decompose() {
      const client = await options.client();
      const timelines: CallTimeline[][] = [];
      for (const chain of spread(chains, MAX_CHAINS)) {
        const intents = await settledIntents(client, chain, options.signal);
        const calls: CallTimeline[] = [];
        for (const call of chain.calls) {
          const intent = intents.get(call.intentId);
          const stored = await options.resultStored?.(chain, call.intentId).catch(() => undefined);
          calls.push({
            ...intent?.timeline,
            ...(intent?.createdAtMs === undefined || call.serverTiming === undefined
              ? {}
              : servicePoints(call.serverTiming, intent.createdAtMs)),
            ...(stored === undefined ? {} : { resultStored: stored }),
            sent: call.sentAt + offset,
            answered: call.answeredAt + offset,
          });
        }
        timelines.push(calls);
      }
      return hopTable(timelines);
    },
  };
}
