import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import type { Logger } from '@switchboard/common';
import { type LaneConsumer, type LaneConsumerOptions, startLaneConsumer } from './lane-consumer.js';

/** What {@link startPartitionedConsumer} needs beyond a lane consumer's options. */
export interface PartitionedConsumerOptions<T>
  extends Omit<LaneConsumerOptions<T>, 'durable' | 'consumerConfig' | 'group' | 'holdLane' | 'ackWaitMs'> {
  /** How many partitions the stream's subject transform spreads its messages over. */
  partitions: number;
  /** The durable consumer of partition `p`. */
  durable(partition: number): string;
  /** The (stored) subjects of partition `p`. */
  filter(partition: number): string;
  /** The priority group every replica pulls in; the server pins each partition to one of them. */
  group: string;
  /**
   * How long a delivered message stays with its replica without an ack (kept alive while the
   * replica holds it). A partition moves to another replica only once its pinned replica has
   * not pulled for `pinTimeoutMs`, longer than a pull lives plus this, so everything the lost
   * replica held is due again (and redeliveries come before new messages) by the time the new
   * one is pinned: in order.
   */
  ackWaitMs: number;
  /**
   * A consumer of the same stream from before it was partitioned: what is left on it is
   * handed over first, in order, then it is deleted (a work-queue stream allows no overlapping
   * consumers, so its filter is narrowed to `filter` first).
   */
  legacy?: { durable: string; filter: string };
  /**
   * A core NATS subject every replica answers on, so that each can count the replicas and
   * give back partitions it holds beyond its fair share (see `rebalanceMs`). Without it a
   * replica keeps what it was pinned.
   */
  presence?: string;
  /** How often (±25 %) a replica compares what it holds with its fair share. Default 10 s. */
  rebalanceMs?: number;
}

/** A partitioned consumer: one lane consumer per partition, all stopped together. */
export interface PartitionedConsumer extends Omit<LaneConsumer, 'pinned'> {
  /** The partitions this replica is pinned on now (it receives their messages). */
  held(): number[];
}

/**
 * Ordered consumption that scales out: the stream stores each message under a partition the
 * server derives from its lane (a `partition()` subject transform); each partition has a
 * durable consumer with a `pinned_client` priority group, so one replica at a time receives
 * a partition's messages, in stream order, and the server moves the partition to another
 * replica when that one is gone. Within a partition, lanes still run side by side (a lane
 * consumer that holds a lane on failure, see `holdLane`).
 */
export async function startPartitionedConsumer<T>(
  options: PartitionedConsumerOptions<T>,
): Promise<PartitionedConsumer> {
  const { partitions: count, durable, filter, group, ackWaitMs, legacy, presence, rebalanceMs, ...lane } = options;
  const perPartition = Math.max(1, Math.ceil(lane.maxInFlight / count));
  if (legacy !== undefined) {
    await untilAnswered(lane.log, `the drain of ${legacy.durable}`, () => drainLegacy(options, legacy, perPartition));
  }
  const start = (p: number) => untilAnswered(lane.log, `partition ${p} of ${lane.stream}`, () => startOne(p));
  const startOne = (p: number) =>
    startLaneConsumer({
      ...lane,
      maxInFlight: perPartition,
      durable: durable(p),
      consumerConfig: {
        filter_subject: filter(p),
        priority_groups: [group],
        priority_policy: 'pinned_client',
        priority_timeout: nanos(pinTimeoutMs(ackWaitMs)),
      },
      group,
      ackWaitMs,
      pullExpiresMs: pullExpiresMs(ackWaitMs),
      holdLane: true,
    });
  const partitions: (LaneConsumer | undefined)[] = [];
  try {
    for (let p = 0; p < count; p++) partitions.push(await start(p));
  } catch (err) {
    await Promise.allSettled(partitions.map((c) => c?.stop()));
    throw err;
  }
  let handedBefore = 0;
  let stopping = false;
  let onStop: () => void = () => {};
  const stopped = new Promise<void>((r) => {
    onStop = r;
  });
  const pause = (ms: number) => Promise.race([stopped, new Promise((r) => setTimeout(r, ms))]);
  const held = () => partitions.flatMap((c, p) => (c?.pinned() ? [p] : []));

  /**
   * Gives back one partition when this replica holds more than its share: stops pulling it for
   * longer than the pin timeout (the server then pins a replica that pulls, after everything
   * held here is due again, as on a lost replica), then pulls it again as a standby.
   */
  const rebalance = async (subject: string): Promise<void> => {
    const mine = held();
    if (mine.length <= 1) return;
    let replicas = 0;
    for await (const _ of await lane.bus.nc.requestMany(subject, undefined, { strategy: 'timer', maxWait: 500 })) {
      replicas++;
    }
    const share = Math.ceil(count / Math.max(1, replicas));
    const p = mine.at(-1);
    if (mine.length <= share || p === undefined) return;
    lane.log.info({ stream: lane.stream, partition: p, held: mine.length, replicas }, 'giving back a partition');
    const consumer = partitions[p];
    partitions[p] = undefined;
    handedBefore += consumer?.handed() ?? 0;
    await consumer?.stop();
    await pause(pinTimeoutMs(ackWaitMs) + 1_000);
    if (!stopping) partitions[p] = await start(p);
  };
  const presenceSub =
    presence === undefined
      ? undefined
      : lane.bus.nc.subscribe(presence, {
          callback: (err, m) => {
            if (!err) m.respond();
          },
        });
  const balancing =
    presence === undefined
      ? Promise.resolve()
      : (async () => {
          const every = rebalanceMs ?? 10_000;
          while (!stopping) {
            await pause(every * (0.75 + Math.random() / 2));
            if (stopping) break;
            await rebalance(presence).catch((err: unknown) =>
              lane.log.warn({ err, stream: lane.stream }, 'partition rebalance failed; will try again'),
            );
          }
        })();
  return {
    held,
    handed: () => partitions.reduce((sum, c) => sum + (c?.handed() ?? 0), handedBefore),
    async stop() {
      stopping = true;
      onStop();
      presenceSub?.unsubscribe();
      await balancing;
      await Promise.allSettled(partitions.map((c) => c?.stop()));
    },
  };
}

/**
 * How long a pull request of a partition lives: a pinned replica pulls at least this often
 * (the server unpins a client that has not pulled for the pin timeout, busy or not).
 */
export function pullExpiresMs(ackWaitMs: number): number {
  return Math.max(1_000, Math.floor(ackWaitMs / 2));
}

/**
 * How long a pinned replica may go without pulling before the server moves its partition. The
 * last message it received came on a pull at most `pullExpiresMs` old, and is due again at
 * most the ack wait after it was last kept alive: past both, with a margin, everything it held
 * is due for redelivery before another replica is pinned.
 */
export function pinTimeoutMs(ackWaitMs: number): number {
  return ackWaitMs + pullExpiresMs(ackWaitMs) + Math.max(1_000, Math.floor(ackWaitMs / 4));
}

/**
 * Runs `start` again while JetStream does not answer (a timeout, or a cluster electing its
 * leaders after losing a node), for up to about a minute: a replica starting meanwhile waits
 * instead of exiting.
 */
async function untilAnswered<R>(log: Logger, what: string, start: () => Promise<R>): Promise<R> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (err) {
      const unanswered = /timeout|temporarily unavailable|no responders/i.test((err as Error).message);
      if (!unanswered || attempt >= 12) throw err;
      log.warn({ err, attempt }, `JetStream did not answer starting ${what}; trying again`);
      await new Promise((r) => setTimeout(r, 500 * attempt));
    }
  }
}

/** Hands over what is left on the pre-partition consumer, then deletes it. */
async function drainLegacy<T>(
  options: PartitionedConsumerOptions<T>,
  legacy: { durable: string; filter: string },
  maxInFlight: number,
): Promise<void> {
  const { bus, stream } = options;
  const info = await bus.jsm.consumers.info(stream, legacy.durable).catch((err: unknown) => {
    if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.ConsumerNotFound) return undefined;
    throw err;
  });
  if (info === undefined) return;
  if (info.config.filter_subject !== legacy.filter) {
    await bus.jsm.consumers.update(stream, legacy.durable, { filter_subject: legacy.filter });
  }
  const left = async () => {
    const now = await bus.jsm.consumers.info(stream, legacy.durable);
    return now.num_pending + now.num_ack_pending;
  };
  if ((await left()) > 0) {
    options.log.info({ stream, durable: legacy.durable }, 'handing over messages stored before partitioning');
    const { partitions: _p, durable: _d, filter: _f, group: _g, legacy: _l, ...lane } = options;
    const consumer = await startLaneConsumer({ ...lane, maxInFlight, durable: legacy.durable, holdLane: true });
    try {
      while ((await left()) > 0) await new Promise((r) => setTimeout(r, 250));
    } finally {
      await consumer.stop();
    }
  }
  await bus.jsm.consumers.delete(stream, legacy.durable).catch((err: unknown) => {
    // Another replica drained and deleted it first.
    if (!(err instanceof JetStreamApiError && err.code === JetStreamApiCodes.ConsumerNotFound)) throw err;
  });
}
