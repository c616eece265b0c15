/**
 * The partitioned consumer against a real nats-server: a stream partitioned by a subject
 * transform, consumed by two "replicas" (two connections); one of them is lost while it holds
 * messages, and every lane is still handed over in publish order. And what a stream kept from
 * before partitioning holds is handed over first, then its consumer deleted.
 */
import type { JsMsg } from '@nats-io/jetstream';
import type { Bus } from '@switchboard/bus';
import type { Logger } from '@switchboard/common';
import { trace } from '@switchboard/telemetry';
import { describe, expect, it } from 'vitest';
import { decodeItem, type Item, type TestStream, until, useConsumerHarness } from './consumer.test-support.js';
import {
  type PartitionedConsumer,
  pinTimeoutMs,
  pullExpiresMs,
  startPartitionedConsumer,
} from './partitioned-consumer.js';

const PARTITIONS = 4;
const ACK_WAIT_MS = 1_000;

const harness = useConsumerHarness('partitions');
const { publish } = harness;
const replicaBus = (name: string) => harness.connect(name);

const silent = (() => {
  const no = () => {};
  return { debug: no, info: no, warn: no, error: no, fatal: no } as unknown as Logger;
})();

/** A fresh work-queue stream partitioned like SB_INTENTS (`p.<n>.<partition>.<lane>`). */
function newStream(partitioned = true): Promise<TestStream> {
  return harness.newStream('p', (n) => (partitioned ? { subject_transform: transform(n) } : {}));
}

function transform(n: number) {
  return { src: `p${n}.*`, dest: `p${n}.{{partition(${PARTITIONS},1)}}.{{wildcard(1)}}` };
}

async function consume(
  on: Bus,
  stream: string,
  n: number,
  handle: (item: Item, msg: JsMsg) => Promise<void>,
  legacy?: { durable: string; filter: string },
  presence?: string,
): Promise<PartitionedConsumer> {
  const consumer = await startPartitionedConsumer<Item>({
    bus: on,
    log: silent,
    tracer: trace.getTracer('partitioned-consumer-test'),
    stream,
    partitions: PARTITIONS,
    durable: (p) => `part-${p}`,
    filter: (p) => `p${n}.${p}.*`,
    group: 'replicas',
    ackWaitMs: ACK_WAIT_MS,
    ...(legacy ? { legacy } : {}),
    ...(presence ? { presence, rebalanceMs: 300 } : {}),
    maxInFlight: 16,
    decode: (msg) => decodeItem(msg.data),
    laneOf: (item) => item.lane,
    handle,
    reject: async () => {},
    spanAttributes: (item) => ({ lane: item.lane }),
    describe: (item) => ({ lane: item.lane, n: item.n }),
  });
  return harness.track(consumer);
}

/** Lanes whose hand-overs went backwards (a message after a later one of its lane). */
function outOfOrder(seen: Map<string, number[]>): string[] {
  return [...seen].filter(([, ns]) => ns.some((v, i) => i > 0 && v < (ns[i - 1] ?? 0))).map(([lane]) => lane);
}

describe('partitioned consumer', () => {
  it('keeps every lane in publish order when the replica holding partitions is lost mid-hand-over', async () => {
    const { stream, subject, n } = await newStream();
    const LANES = 12;
    const PER_LANE = 20;
    const seen = new Map<string, number[]>();
    const record = (item: Item) => seen.set(item.lane, [...(seen.get(item.lane) ?? []), item.n]);
    const total = () => [...seen.values()].reduce((s, ns) => s + new Set(ns).size, 0);

    const a = await replicaBus('replica-a');
    const b = await replicaBus('replica-b');
    let lost = false;
    let lostAt = 0;
    let movedAt = 0;
    let aHanded = 0;
    // What A holds when it is lost never finishes (a dead process); freed after the test.
    let free: () => void = () => {};
    const dead = new Promise<void>((_, reject) => {
      free = () => reject(new Error('replica lost'));
    });
    dead.catch(() => {});
    // Replica A: hands over (records) messages, then, at its 40th, is lost: that one is recorded
    // (Temporal got it) but never acked, and everything it holds stays unacked.
    await consume(a, stream, n, async (item) => {
      if (lost) return dead;
      record(item);
      if (++aHanded === 40) {
        lost = true;
        lostAt = Date.now();
        void a.nc.close();
        return dead;
      }
      await new Promise((r) => setTimeout(r, 2));
    });
    // Replica B starts second: the server pinned the partitions to A, B waits as a standby.
    await consume(b, stream, n, async (item) => {
      movedAt ||= Date.now();
      record(item);
      await new Promise((r) => setTimeout(r, 2));
    });
    // One burst (the publishes of one connection are stored in the order they were sent): A
    // holds many messages of a lane when it is lost, and they come back to B as redeliveries,
    // which the server does not send in stream order.
    const burst: Promise<unknown>[] = [];
    for (let i = 0; i < PER_LANE; i++) {
      for (let lane = 0; lane < LANES; lane++) burst.push(publish(subject(`l${lane}`), { lane: `l${lane}`, n: i }));
    }
    await Promise.all(burst);
    await until(() => total() === LANES * PER_LANE, 'every message is handed over', 120_000);
    free();
    console.log(`partitions moved to the standby ${movedAt - lostAt} ms after their replica was lost`);

    expect(lost).toBe(true);
    expect(outOfOrder(seen)).toEqual([]);
    for (const [, ns] of seen) expect([...new Set(ns)]).toEqual(Array.from({ length: PER_LANE }, (_, i) => i));
  }, 180_000);

  it('keeps a lane in order when its replica is lost holding messages received at different moments', async () => {
    // The lost replica kept each held message alive on its own timer, started at the message's
    // receipt: the message ahead in the lane (stuck in its hand-over) may have been kept alive
    // last, so it is due again after the ones behind it, and the server redelivers in the order
    // messages became due. A lane whose messages arrive apart in time must not come out reversed.
    const { stream, subject, n } = await newStream();
    const seen: number[] = [];
    const a = await replicaBus('replica-a');
    let free: () => void = () => {};
    const dead = new Promise<void>((_, reject) => {
      free = () => reject(new Error('replica lost'));
    });
    dead.catch(() => {});
    // Replica A: the first message's hand-over never ends (Temporal not answering), the others
    // wait behind it in their lane.
    let first = 0;
    await consume(a, stream, n, async () => {
      first ||= Date.now();
      return dead;
    });
    await consume(await replicaBus('replica-b'), stream, n, async (item) => {
      seen.push(item.n);
    });
    await publish(subject('l0'), { lane: 'l0', n: 0 });
    await until(() => first > 0, 'replica A holds the first message');
    for (let i = 1; i <= 3; i++) {
      await new Promise((r) => setTimeout(r, 150));
      await publish(subject('l0'), { lane: 'l0', n: i });
    }
    // Lost just after the first message was last kept alive (every ack wait / 3 since its
    // receipt): the messages behind it were kept alive earlier.
    const keepAliveMs = Math.floor(ACK_WAIT_MS / 3);
    const since = Date.now() - first;
    await new Promise((r) => setTimeout(r, keepAliveMs - (since % keepAliveMs) + 30));
    await a.nc.close();
    await until(() => seen.length >= 4, 'the standby handed over every message', 60_000);
    free();
    expect(seen.slice(0, 4)).toEqual([0, 1, 2, 3]);
  }, 90_000);

  it('spreads the partitions over the replicas: one holding them all gives some back, in order', async () => {
    const { stream, subject, n } = await newStream();
    const LANES = 16;
    const seen = new Map<string, number[]>();
    const record = (item: Item) => seen.set(item.lane, [...(seen.get(item.lane) ?? []), item.n]);
    const presence = `presence.${n}`;
    const a = await consume(
      await replicaBus('replica-a'),
      stream,
      n,
      async (item) => {
        record(item);
      },
      undefined,
      presence,
    );
    // A alone receives the first messages: it is pinned on every partition.
    let i = 0;
    const publishRound = async () => {
      for (let lane = 0; lane < LANES; lane++) await publish(subject(`l${lane}`), { lane: `l${lane}`, n: i });
      i++;
    };
    await publishRound();
    await until(() => a.held().length === PARTITIONS, 'A holds every partition');
    const b = await consume(
      await replicaBus('replica-b'),
      stream,
      n,
      async (item) => {
        record(item);
      },
      undefined,
      presence,
    );
    // Traffic goes on; A gives back partitions beyond its share (2 of 4), B is pinned on them.
    const deadline = Date.now() + 60_000;
    while (!(a.held().length === PARTITIONS / 2 && b.held().length === PARTITIONS / 2) && Date.now() < deadline) {
      await publishRound();
      await new Promise((r) => setTimeout(r, 100));
    }
    expect({ a: a.held().length, b: b.held().length }).toEqual({ a: PARTITIONS / 2, b: PARTITIONS / 2 });
    const published = i;
    await until(() => [...seen.values()].every((ns) => new Set(ns).size === published), 'every message is handed over');
    expect(outOfOrder(seen)).toEqual([]);
  }, 120_000);

  it('hands over what a stream held before partitioning first, in order, then deletes the old consumer', async () => {
    const { stream, subject, n } = await newStream(false);
    // The old consumer (no filter), with messages left on it.
    await harness.bus.jsm.consumers.add(stream, { durable_name: 'legacy', ack_policy: 'explicit' as never });
    for (let i = 0; i < 5; i++) await publish(subject('x'), { lane: 'x', n: i });
    // This release partitions the stream; later messages are stored under their partition.
    const info = await harness.bus.jsm.streams.info(stream);
    await harness.bus.jsm.streams.update(stream, { ...info.config, subject_transform: transform(n) });
    for (let i = 5; i < 10; i++) await publish(subject('x'), { lane: 'x', n: i });

    const seen: number[] = [];
    const consumer = await consume(
      harness.bus,
      stream,
      n,
      async (item) => {
        seen.push(item.n);
      },
      { durable: 'legacy', filter: `p${n}.*` },
    );
    await until(() => consumer.handed() === 5 && seen.length === 10, 'both old and new messages are handed over');
    expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    await expect(harness.bus.jsm.consumers.info(stream, 'legacy')).rejects.toThrow(/consumer not found/i);
  }, 60_000);

  it('moves a partition only after the messages its replica held are due again', () => {
    for (const ackWait of [1_000, 5_000, 30_000]) {
      expect(pinTimeoutMs(ackWait)).toBeGreaterThan(ackWait + pullExpiresMs(ackWait));
    }
  });
});
