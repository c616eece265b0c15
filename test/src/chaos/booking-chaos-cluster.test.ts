import { intentIdForKey } from '@switchboard/db';
import { describe, expect, it } from 'vitest';
import {
  BOOK,
  bookArguments,
  type Chain,
  type ChainRun,
  chainsToRun,
  conversationBody,
  intEnv,
  percentile,
  SMS,
  smsArguments,
} from './booking.js';
import type { ChaosClient } from './client.js';
import { type ChaosHarness, useChaosStack } from './harness.js';
import { ACK_DRAIN_BUDGET_MS, SETTLE_BUDGET_MS } from './judge.js';
import { KillableServices } from './monkey.js';
import { createRng, seedFromEnv } from './prng.js';
import { runChaos } from './run.js';

// The booking chaos in cluster mode: two processes of every service and a three-node NATS
// cluster (streams at replicas 3). Each conversation runs several booking chains, and its calls
// are all in flight at once — book, text, book, text — each sent as soon as the one before was
// stored (the API answers 202 after a short wait) and to the API replicas in turn, so that two
// orchestrator replicas could hand them to the conversation's session out of order. Meanwhile
// one replica of every service is SIGKILLed, every replica of the Cal.com worker, the Twilio
// worker and the orchestrator at once at the moment a provider commits a write or intents are
// unacked, a NATS node is killed and restarted, Temporal is restarted, and random replicas are
// killed while the load lasts. The verdict is the single-mode test's (judge.ts) — nothing lost,
// doubled, missing or stuck — plus the order: per conversation, the bookings and texts happened
// in the order their calls were sent. The summary line starts with `CHAOS-CLUSTER seed`.
//
//   CHAOS_CLUSTER_CONVERSATIONS  conversations to run (default 24)
//   CHAOS_CLUSTER_CHAINS         booking chains per conversation (default 2: four calls in flight)
//   CHAOS_CLUSTER_CONCURRENCY    conversations at once (default 8)
//   CHAOS_SEED                   replay a run's choices (printed at the start)

const CONVERSATIONS = intEnv('CHAOS_CLUSTER_CONVERSATIONS', 24, 1, 10_000);
const PER_CONVERSATION = intEnv('CHAOS_CLUSTER_CHAINS', 2, 1, 16);
const CONCURRENCY = intEnv('CHAOS_CLUSTER_CONCURRENCY', 8, 1, 1000);
const CHAINS = CONVERSATIONS * PER_CONVERSATION;
const SEED = seedFromEnv();
/** A bound against a hang, not a speed requirement (see the single-mode test). */
const RUN_BUDGET_MS = 480_000;
/**
 * How long the API waits for a call's result before it answers 202: short, so the client sends
 * the conversation's next call while this one is still in flight.
 */
const TOOL_CALL_TIMEOUT_MS = 100;

const rng = createRng(SEED);
const h: ChaosHarness = useChaosStack(
  `cluster chaos: seed ${SEED} (replay with CHAOS_SEED=${SEED}), ${CONVERSATIONS} conversations × ${PER_CONVERSATION} chains, ` +
    `concurrency ${CONCURRENCY}`,
  { replicas: 2, serviceEnv: { TOOL_CALL_TIMEOUT_MS: String(TOOL_CALL_TIMEOUT_MS) } },
);

const keyOf = (chain: Chain, step: 'book' | 'sms') => `chaos-${SEED}-${chain.index}-${step}`;

/** One conversation: its chains' calls sent one after another without waiting for results. */
interface ConversationRun {
  chains: ChainRun[];
  /** The effects its calls were sent for, in sending order (`<chain>:book`, `<chain>:sms`). */
  sent: string[];
  conversationId?: string;
  durationMs?: number;
}

async function runConversation(
  client: ChaosClient,
  tenantId: string,
  chains: Chain[],
  n: number,
  t0: number,
): Promise<ConversationRun> {
  const started = Date.now();
  const conv: ConversationRun = {
    chains: chains.map((chain) => ({ chain, intentIds: [], startedAt: started - t0 })),
    sent: [],
  };
  const first = conv.chains[0] as ChainRun;
  if (started > client.deadline) {
    for (const run of conv.chains) run.notStarted = true;
    return conv;
  }
  h.chainsInFlight.set(first.chain.index, `conversation ${n}: starting`);
  try {
    const res = await client.retrying('POST', '/v1/conversations', conversationBody(first.chain, n));
    if (res.status !== 201) throw new Error(`conversation: HTTP ${res.status}`);
    const conversationId: string = res.body.id;
    conv.conversationId = conversationId;
    for (const run of conv.chains) run.conversationId = conversationId;
    // Every call goes out once the one before is stored, not once it ran.
    for (const run of conv.chains) {
      for (const step of ['book', 'sms'] as const) {
        h.chainsInFlight.set(first.chain.index, `conversation ${n}: sending ${run.chain.index}:${step}`);
        const outcome = await client.toolCall(
          conversationId,
          step === 'book' ? BOOK : SMS,
          step === 'book' ? bookArguments(run.chain) : smsArguments(run.chain),
          keyOf(run.chain, step),
          { untilAccepted: true },
        );
        run[step] = outcome;
        if (outcome.status === 'rejected' || outcome.status === 'gave_up') continue;
        run.intentIds.push(intentIdForKey(tenantId, conversationId, keyOf(run.chain, step)));
        conv.sent.push(`${run.chain.index}:${step}`);
      }
    }
    // Then the conversation waits for its calls (the judge waits again, bounded, for stragglers).
    h.chainsInFlight.set(first.chain.index, `conversation ${n}: waiting for its runs`);
    for (const id of conv.chains.flatMap((r) => r.intentIds)) await client.runUntilTerminal(id, client.deadline);
    conv.durationMs = Date.now() - started;
  } catch (err) {
    for (const run of conv.chains) run.clientError = (err as Error).message;
  } finally {
    for (const run of conv.chains) run.endedAt = Date.now() - t0;
    h.chainsInFlight.delete(first.chain.index);
  }
  return conv;
}

describe('exactly-once effects in order under chaos, cluster mode', () => {
  it(
    "books once, texts once, in each conversation's order, while replicas of every kind, a NATS node and Temporal die",
    async () => {
      expect(h.stack.services.replicas).toBe(2);
      expect(h.stack.infra.natsUrl.split(',')).toHaveLength(3);
      const chains = chainsToRun(CHAINS, (i) => Math.floor(i / PER_CONVERSATION));
      const { report: r, client } = await runChaos(h, {
        label: 'CHAOS-CLUSTER',
        seed: SEED,
        rng,
        chains: CHAINS,
        budgetMs: RUN_BUDGET_MS,
        units: Array.from({ length: CONVERSATIONS }, (_, n) => ({
          n,
          cs: chains.slice(n * PER_CONVERSATION, (n + 1) * PER_CONVERSATION),
        })),
        concurrency: CONCURRENCY,
        drive: (client, { n, cs }, t0) => runConversation(client, h.stack.seed.tenantId, cs, n, t0),
        chainsOf: (conv) => conv.chains,
        sentOf: (conv) => (conv.conversationId === undefined ? undefined : [conv.conversationId, conv.sent]),
        gaps: { mandatory: { min: 500, max: 1500 }, extra: { min: 4000, max: 8000 } },
        summary: {
          before: `conversations ${CONVERSATIONS} × ${PER_CONVERSATION * 2} calls in flight, `,
          after: (convs, r) => {
            const durations = convs
              .flatMap((c) => (c.durationMs === undefined ? [] : [c.durationMs]))
              .sort((a, b) => a - b);
            return (
              `replica kills ${JSON.stringify(r.replicaKills)}, solo kills ${JSON.stringify(r.soloKills)}, nats nodes restarted ${JSON.stringify(r.natsNodes)}, ` +
              `conversation p50 ${(percentile(durations, 50) / 1000).toFixed(1)}s p99 ${(percentile(durations, 99) / 1000).toFixed(1)}s`
            );
          },
        },
      });
      // Across replicas: every kind lost one replica while the other carried on (besides the
      // timed kills of every replica), and the conversations really had calls in flight.
      for (const kind of KillableServices) {
        expect(r.soloKills[kind], `${kind}: a replica killed while the other ran on`).toBeGreaterThanOrEqual(1);
      }
      expect(
        Object.values(r.natsNodes).reduce((a, b) => a + b, 0),
        'NATS node restarts',
      ).toBe(1);
      expect(client.stats.accepted, 'calls answered 202 while in flight').toBeGreaterThan(CHAINS);
    },
    RUN_BUDGET_MS + SETTLE_BUDGET_MS + ACK_DRAIN_BUDGET_MS + 60_000,
  );
});
