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
import { createRng, seedFromEnv } from './prng.js';
import { runChaos } from './run.js';

// Exactly-once effects under chaos. N booking chains (book a Cal.com slot, then text the
// caller a confirmation) go through every process — conversation → NATS → orchestrator →
// Temporal → calcom-worker / telephony-worker → sandboxes — while every service process is
// SIGKILLed at random moments and started again (the Cal.com and Twilio workers once while their
// provider commits a write, the orchestrator once while it holds unacked intents), and NATS and
// Temporal are each killed and restarted once. Clients retry with the same Idempotency-Key.
// Afterwards the sandboxes' state must show one booking and one SMS per chain, no text twice,
// and every run must be terminal (judge.ts). The summary line starts with `CHAOS seed`; the
// whole story (timeline, every chain's timing) is in chaos-report.txt in the printed log
// directory. A failed run prints its seed and what was still running (harness.ts). The same
// chains in cluster mode, several calls in flight per conversation: booking-chaos-cluster.test.ts.
//
//   CHAOS_CHAINS       chains to run (default 200)
//   CHAOS_CONCURRENCY  chains in flight at once (default 16)
//   CHAOS_SEED         replay a run's choices (printed at the start)

const CHAINS = intEnv('CHAOS_CHAINS', 200, 1, 100_000);
const CONCURRENCY = intEnv('CHAOS_CONCURRENCY', 16, 1, 1000);
const SEED = seedFromEnv();
/**
 * How long the chains may take, chaos included; a chain not finished by then fails the test.
 * A bound against a hang, not a speed requirement: a quiet 2-core machine needs under 2 minutes
 * for 200 chains, a loaded one (a benchmark beside it) several times that.
 */
const RUN_BUDGET_MS = 600_000;
/** How long a tool call waits for its result before the API answers 202 (services' default 30 s). */
const TOOL_CALL_TIMEOUT_MS = 4000;

const rng = createRng(SEED);
const h: ChaosHarness = useChaosStack(
  `chaos: seed ${SEED} (replay with CHAOS_SEED=${SEED}), ${CHAINS} chains, concurrency ${CONCURRENCY}`,
  // Short, so crashes make the API answer 202 and clients retry with the same key.
  { serviceEnv: { TOOL_CALL_TIMEOUT_MS: String(TOOL_CALL_TIMEOUT_MS) } },
);

const keyOf = (chain: Chain, step: 'book' | 'sms') => `chaos-${SEED}-${chain.index}-${step}`;

/** One chain in a conversation of its own: the booking, then (once it succeeded) the text. */
async function runChain(client: ChaosClient, tenantId: string, chain: Chain, t0: number): Promise<ChainRun> {
  const started = Date.now();
  const run: ChainRun = { chain, intentIds: [], startedAt: started - t0 };
  if (started > client.deadline) {
    run.notStarted = true;
    return run;
  }
  h.chainsInFlight.set(chain.index, 'starting a conversation');
  try {
    const conversation = await client.retrying('POST', '/v1/conversations', conversationBody(chain, chain.index));
    if (conversation.status !== 201) throw new Error(`conversation: HTTP ${conversation.status}`);
    const conversationId: string = conversation.body.id;
    run.conversationId = conversationId;
    run.intentIds.push(intentIdForKey(tenantId, conversationId, keyOf(chain, 'book')));
    h.chainsInFlight.set(chain.index, `booking (run ${run.intentIds[0]})`);
    run.book = await client.toolCall(conversationId, BOOK, bookArguments(chain), keyOf(chain, 'book'));
    if (run.book.status !== 'succeeded') return run;
    run.intentIds.push(intentIdForKey(tenantId, conversationId, keyOf(chain, 'sms')));
    h.chainsInFlight.set(chain.index, `texting (run ${run.intentIds[1]})`);
    run.sms = await client.toolCall(conversationId, SMS, smsArguments(chain), keyOf(chain, 'sms'));
    if (run.sms.status === 'succeeded') run.latencyMs = Date.now() - started;
  } catch (err) {
    run.clientError = (err as Error).message;
  } finally {
    run.endedAt = Date.now() - t0;
    h.chainsInFlight.delete(chain.index);
  }
  return run;
}

describe('exactly-once effects under chaos', () => {
  it(
    'books once and texts once per chain while processes are killed and NATS and Temporal restart',
    async () => {
      const { client } = await runChaos(h, {
        label: 'CHAOS',
        seed: SEED,
        rng,
        chains: CHAINS,
        budgetMs: RUN_BUDGET_MS,
        units: chainsToRun(CHAINS),
        concurrency: CONCURRENCY,
        drive: (client, chain, t0) => runChain(client, h.stack.seed.tenantId, chain, t0),
        chainsOf: (run) => [run],
        // One conversation per chain: its booking, then its text (each sent once the one before
        // answered, so the order check cannot fail here; it is the cluster test's).
        sentOf: (run) =>
          run.conversationId === undefined
            ? undefined
            : [
                run.conversationId,
                [`${run.chain.index}:book`, `${run.chain.index}:sms`].slice(0, run.intentIds.length),
              ],
        gaps: { mandatory: { min: 1000, max: 3000 }, extra: { min: 6000, max: 12_000 } },
        summary: {
          after: (runs) => {
            const latencies = runs
              .flatMap((r) => (r.latencyMs === undefined ? [] : [r.latencyMs]))
              .sort((a, b) => a - b);
            return `latency p50 ${(percentile(latencies, 50) / 1000).toFixed(1)}s p99 ${(percentile(latencies, 99) / 1000).toFixed(1)}s`;
          },
        },
      });
      expect(client.stats.retries, 'requests repeated with the same Idempotency-Key').toBeGreaterThanOrEqual(1);
    },
    RUN_BUDGET_MS + SETTLE_BUDGET_MS + ACK_DRAIN_BUDGET_MS + 60_000,
  );
});
