/**
 * How long a killed orchestrator's intent partitions take to move to the other replica, with
 * the real settings (ack wait 5 s, pull expiry 2.5 s, pin timeout 8.75 s). Cluster mode (two
 * processes of every service, a three-node NATS cluster) under a light load (`save_meal` calls
 * of many conversations, so every partition sees intents); then, several times: SIGKILL the
 * orchestrator replica that holds the most partitions (by their pins), and time, per partition
 * whose pin changes, (a) until the server pinned the other replica and (b) until an intent of
 * the partition was handed over again (its consumer's ack floor moved). The killed replica is
 * started again and gets partitions back by the rebalance (one every ~10 s) before the next
 * kill, which then takes the other replica. A tool, not a test: it prints numbers.
 *
 *   npm run bench:failover -- [--kills 4] [--rebalance-s 30]
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Bus, connectBus } from '@switchboard/bus';
import { Consumers, INTENT_PARTITIONS, Streams } from '@switchboard/contracts';
import { startTestStack, type TestStack } from '../support/stack.js';
import { percentile } from './stats.js';

const log = (message: string) => console.error(`[failover ${new Date().toISOString().slice(11, 19)}] ${message}`);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const n = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number`);
  return n;
}

/** One partition's consumer as the server reports it: who is pinned, and the last hand-over. */
interface PartitionState {
  pinned: string;
  /** Ack floor's last activity (ms since the epoch), 0 when none yet. */
  lastAck: number;
}

async function partitionStates(bus: Bus): Promise<PartitionState[]> {
  return Promise.all(
    Array.from({ length: INTENT_PARTITIONS }, async (_, p) => {
      const info = await bus.jsm.consumers.info(Streams.Intents, Consumers.intentPartition(p)).catch(() => undefined);
      // nats-server 2.11+ reports the priority groups' pins; the client's types do not have them yet.
      const groups = (info as { priority_groups?: { pinned_client_id?: string }[] } | undefined)?.priority_groups;
      const lastActive = (info?.ack_floor as { last_active?: string } | undefined)?.last_active;
      return { pinned: groups?.[0]?.pinned_client_id ?? '', lastAck: lastActive ? Date.parse(lastActive) : 0 };
    }),
  );
}

/** A light load: every conversation sends a call now and then, until stopped. */
function lightLoad(stack: TestStack, conversations: string[], everyMs: number): () => Promise<number> {
  let stopping = false;
  let calls = 0;
  const lanes = conversations.map(async (conv, c) => {
    await sleep((everyMs * c) / conversations.length);
    for (let k = 0; !stopping; k++) {
      const apis = stack.services.apiUrls;
      await fetch(`${apis[k % apis.length]}/v1/conversations/${conv}/tool-calls`, {
        method: 'POST',
        headers: { authorization: `Bearer ${stack.seed.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'save_meal', arguments: { meal_type: 'lunch', dishes: [`${conv}:${k}`] } }),
        signal: AbortSignal.timeout(5_000),
      })
        .then(() => calls++)
        .catch(() => {});
      await sleep(everyMs);
    }
  });
  return async () => {
    stopping = true;
    await Promise.all(lanes);
    return calls;
  };
}

async function main(): Promise<void> {
  const kills = flag('kills', 4);
  const rebalanceMs = flag('rebalance-s', 30) * 1000;
  const logDir = mkdtempSync(join(tmpdir(), 'switchboard-failover-'));
  log(`starting the stack in cluster mode (logs in ${logDir})`);
  const stack = await startTestStack(logDir, {
    replicas: 2,
    exportSpans: false,
    serviceEnv: { TOOL_CALL_TIMEOUT_MS: '100', RATE_LIMIT_PER_KEY_PER_MIN: '0', RATE_LIMIT_PER_TENANT_PER_MIN: '0' },
  });
  const bus = await connectBus(stack.infra.natsUrl, { name: 'failover-bench' });
  const pinMoves: number[] = [];
  const handOvers: number[] = [];
  const perKill: string[] = [];
  try {
    const conversations: string[] = [];
    for (let c = 0; c < 24; c++)
      conversations.push((await stack.api('POST', '/v1/conversations', { agent: 'demo' })).body.id);
    // About 6 calls/s over 24 conversations: each partition sees an intent every 1–2 s.
    const stopLoad = lightLoad(stack, conversations, 4_000);
    log(`load running; letting the partitions spread (${rebalanceMs / 1000} s)`);
    await sleep(rebalanceMs);
    for (let k = 0; k < kills; k++) {
      // The replica to kill: the one the last restart did not hit (it holds most partitions).
      const replica = k % 2 === 0 ? 1 : 0;
      const before = await partitionStates(bus);
      const t0 = Date.now();
      stack.services.kill('orchestrator', replica);
      log(`kill ${k + 1}/${kills}: orchestrator replica ${replica} SIGKILLed`);
      // Partitions whose pin changes were the killed replica's; the survivor's keep theirs.
      const moved = new Map<number, number>();
      const served = new Map<number, number>();
      const watchUntil = t0 + 20_000;
      while (Date.now() < watchUntil) {
        const now = await partitionStates(bus);
        const at = Date.now() - t0;
        now.forEach((s, p) => {
          const was = before[p] as PartitionState;
          if (!moved.has(p) && s.pinned !== '' && s.pinned !== was.pinned) moved.set(p, at);
          if (moved.has(p) && !served.has(p) && s.lastAck > t0 + (moved.get(p) ?? 0) - 100) served.set(p, at);
        });
        await sleep(100);
      }
      const line = [...moved]
        .map(
          ([p, ms]) =>
            `p${p} pinned ${(ms / 1000).toFixed(2)} s, served ${((served.get(p) ?? Number.NaN) / 1000).toFixed(2)} s`,
        )
        .join('; ');
      perKill.push(`kill ${k + 1} (replica ${replica}): ${moved.size} partitions moved: ${line}`);
      log(perKill.at(-1) as string);
      pinMoves.push(...moved.values());
      handOvers.push(...served.values());
      await stack.services.restart('orchestrator', { replica });
      log(`replica ${replica} back; rebalancing (${rebalanceMs / 1000} s)`);
      await sleep(rebalanceMs);
    }
    const calls = await stopLoad();
    const fmt = (xs: number[]) => {
      const s = [...xs].sort((a, b) => a - b);
      return `p50 ${((percentile(s, 50) ?? Number.NaN) / 1000).toFixed(2)} s, max ${((s.at(-1) ?? Number.NaN) / 1000).toFixed(2)} s (n ${s.length})`;
    };
    console.log(perKill.join('\n'));
    console.log(
      `FAILOVER: ${kills} orchestrator kills, pin timeout 8.75 s, ${calls} calls of load; ` +
        `partition pinned to the other replica after ${fmt(pinMoves)}; first intent handed over after ${fmt(handOvers)}`,
    );
  } finally {
    await bus.close().catch(() => {});
    await stack.stop();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
