/**
 * The lane consumer against a real nats-server (JetStream): order within a lane under
 * concurrency, back-off and redelivery of a failed hand-over, and messages that can never be
 * handed over (undecodable, or refused for good) recorded once and terminated. Each test has its
 * own stream and subjects; the receiver is a function that records what it was given.
 */
import type { JsMsg } from '@nats-io/jetstream';
import type { Logger } from '@switchboard/common';
import { Headers } from '@switchboard/contracts';
import { trace } from '@switchboard/telemetry';
import { describe, expect, it } from 'vitest';
import { decodeItem, type Item, recordingLogger, until, useConsumerHarness } from './consumer.test-support.js';
import { backoffMs, type LaneConsumer, type Rejection, startLaneConsumer } from './lane-consumer.js';

const harness = useConsumerHarness('lanes');
const { publish } = harness;
/** A fresh work-queue stream (like SB_INTENTS) and its subject prefix. */
const newStream = () => harness.newStream('lanes');

/** Options of one consumer; `handle` and `reject` are the receiver under test. */
async function consume(
  stream: string,
  receiver: {
    handle(item: Item, msg: JsMsg): Promise<void>;
    reject?(msg: JsMsg, rejection: Rejection, item?: Item): Promise<void>;
    isPermanent?(err: unknown): boolean;
    maxInFlight?: number;
    log?: Logger;
  },
): Promise<LaneConsumer> {
  const consumer = await startLaneConsumer<Item>({
    bus: harness.bus,
    log: receiver.log ?? recordingLogger().log,
    tracer: trace.getTracer('lane-consumer-test'),
    stream,
    durable: 'test',
    maxInFlight: receiver.maxInFlight ?? 8,
    decode: (msg) => decodeItem(msg.data),
    laneOf: (item) => item.lane,
    handle: receiver.handle,
    reject: receiver.reject ?? (async () => {}),
    ...(receiver.isPermanent ? { isPermanent: receiver.isPermanent } : {}),
    spanAttributes: (item) => ({ lane: item.lane }),
    describe: (item) => ({ lane: item.lane, n: item.n }),
  });
  return harness.track(consumer);
}

/** A small seeded PRNG (mulberry32), so a failing order can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function pendingOf(stream: string): Promise<{ pending: number; ackPending: number }> {
  const info = await harness.bus.jsm.consumers.info(stream, 'test');
  return { pending: info.num_pending, ackPending: info.num_ack_pending };
}

describe('backoffMs', () => {
  it('doubles from 250 ms per delivery and stops at 10 s', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 50].map(backoffMs)).toEqual([
      250, 500, 1000, 2000, 4000, 8000, 10_000, 10_000, 10_000,
    ]);
  });
});

describe('order within a lane', () => {
  it('hands over each lane in publish order while lanes run in parallel, with random handler delays', async () => {
    const seed = Number(process.env.LANES_SEED ?? Date.now() % 100_000);
    const random = prng(seed);
    const { stream, subject } = await newStream();
    const LANES = 24;
    const PER_LANE = 25;
    const MAX_IN_FLIGHT = 8;
    // Every lane's messages, interleaved in a random publish order.
    const published: Item[] = [];
    const next = new Array(LANES).fill(0);
    while (published.length < LANES * PER_LANE) {
      const lane = Math.floor(random() * LANES);
      if (next[lane] === PER_LANE) continue;
      published.push({ lane: `l${lane}`, n: next[lane]++ });
    }
    for (const item of published) await publish(subject(item.lane), item);

    const seen = new Map<string, number[]>();
    const busy = new Set<string>();
    let inFlight = 0;
    let maxInFlight = 0;
    let overlapInLane = false;
    const consumer = await consume(stream, {
      maxInFlight: MAX_IN_FLIGHT,
      handle: async (item) => {
        if (busy.has(item.lane)) overlapInLane = true;
        busy.add(item.lane);
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((r) => setTimeout(r, Math.floor(random() * 6)));
        seen.set(item.lane, [...(seen.get(item.lane) ?? []), item.n]);
        inFlight--;
        busy.delete(item.lane);
      },
    });
    await until(() => consumer.handed() === published.length, 'every message is handed over');

    const inOrder = Array.from({ length: PER_LANE }, (_, i) => i);
    for (let lane = 0; lane < LANES; lane++) expect(seen.get(`l${lane}`), `seed ${seed}`).toEqual(inOrder);
    expect(overlapInLane, `seed ${seed}`).toBe(false);
    expect(maxInFlight).toBeLessThanOrEqual(MAX_IN_FLIGHT);
    // Lanes did run side by side (with 24 lanes and delays, more than one at a time).
    expect(maxInFlight).toBeGreaterThan(1);
    await until(async () => (await pendingOf(stream)).ackPending === 0, 'every message is acked');
    expect(await pendingOf(stream)).toEqual({ pending: 0, ackPending: 0 });
  });
});

describe('back-off and redelivery', () => {
  it('redelivers a message whose hand-over failed, after its back-off, until it is accepted; nothing is lost', async () => {
    const { stream, subject } = await newStream();
    const items: Item[] = Array.from({ length: 12 }, (_, n) => ({ lane: `l${n % 3}`, n }));
    for (const item of items) await publish(subject(item.lane), item);
    // Items 4 and 7 fail their first two deliveries (the receiver is "unavailable").
    const failing = new Set([4, 7]);
    const attempts = new Map<number, { delivery: number; at: number }[]>();
    const accepted: number[] = [];
    const consumer = await consume(stream, {
      handle: async (item, msg) => {
        const tries = [...(attempts.get(item.n) ?? []), { delivery: msg.info.deliveryCount, at: Date.now() }];
        attempts.set(item.n, tries);
        if (failing.has(item.n) && tries.length <= 2) throw new Error('receiver unavailable');
        accepted.push(item.n);
      },
    });
    await until(() => consumer.handed() === items.length, 'every message is accepted');

    expect([...accepted].sort((a, b) => a - b)).toEqual(items.map((i) => i.n));
    for (const n of failing) {
      const tries = attempts.get(n) ?? [];
      expect(tries.map((t) => t.delivery)).toEqual([1, 2, 3]);
      // Redelivered no sooner than the back-off of the failed delivery (a lower bound only).
      for (let i = 1; i < tries.length; i++) {
        const gap = (tries[i]?.at ?? 0) - (tries[i - 1]?.at ?? 0);
        expect(gap).toBeGreaterThanOrEqual(backoffMs(i) - 25);
      }
    }
    for (const item of items) if (!failing.has(item.n)) expect(attempts.get(item.n)).toHaveLength(1);
    await until(async () => (await pendingOf(stream)).ackPending === 0, 'every message is acked');
  });
});

describe('messages that can never be handed over', () => {
  it('records an undecodable message, terminates it, and goes on with its lane', async () => {
    const { stream, subject } = await newStream();
    await publish(subject('a'), { lane: 'a', n: 1 });
    const garbageId = await publish(subject('a'), new Uint8Array([0xff, 0x00, 0x13]));
    await publish(subject('a'), { lane: 'a', n: 2 });
    const rejected: { msgId: string; reason: string; value: Item | undefined; seq: number }[] = [];
    const handled: number[] = [];
    const { log, lines } = recordingLogger();
    let recordFails = true;
    const consumer = await consume(stream, {
      log,
      handle: async (item) => void handled.push(item.n),
      // The first attempt to record fails (say, the database is down): it must be tried again.
      reject: async (msg, rejection, value) => {
        if (recordFails) {
          recordFails = false;
          throw new Error('database unavailable');
        }
        rejected.push({ msgId: msg.headers?.get(Headers.MsgId) ?? '', reason: rejection.reason, value, seq: msg.seq });
      },
    });
    await until(() => consumer.handed() === 2 && rejected.length === 1, 'both items and the garbage are done');

    expect(handled).toEqual([1, 2]);
    expect(rejected).toEqual([{ msgId: garbageId, reason: 'undecodable', value: undefined, seq: 2 }]);
    // Terminated, not left to be redelivered: nothing is pending or waiting for an ack.
    await until(async () => (await pendingOf(stream)).ackPending === 0, 'the garbage is no longer pending');
    expect(await pendingOf(stream)).toEqual({ pending: 0, ackPending: 0 });
    // Logged with the ids that find it: stream sequence, subject and message id.
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: 'error',
        msg: 'message terminated: it cannot be decoded',
        seq: 2,
        subject: subject('a'),
        msgId: garbageId,
        reason: 'undecodable',
      }),
    );
    expect(lines).toContainEqual(expect.objectContaining({ msgId: garbageId, delivery: 1, level: 'warn' }));
  });

  it('records a message the receiver refuses for good once, without redelivering it', async () => {
    const { stream, subject } = await newStream();
    await publish(subject('a'), { lane: 'a', n: 1 });
    await publish(subject('a'), { lane: 'a', n: 2 });
    class Refused extends Error {}
    const rejected: { reason: string; value: Item | undefined; err: unknown }[] = [];
    const deliveries: number[] = [];
    const consumer = await consume(stream, {
      handle: async (item, msg) => {
        deliveries.push(msg.info.deliveryCount);
        if (item.n === 1) throw new Refused('too large');
      },
      isPermanent: (err) => err instanceof Refused,
      reject: async (_msg, rejection, value) => void rejected.push({ ...rejection, value }),
    });
    await until(() => consumer.handed() === 1 && rejected.length === 1, 'the refused and the accepted item are done');
    expect(rejected).toEqual([{ reason: 'refused', value: { lane: 'a', n: 1 }, err: expect.any(Refused) }]);
    await until(async () => (await pendingOf(stream)).ackPending === 0, 'the refused item is no longer pending');
    expect(deliveries).toEqual([1, 1]);
  });
});
