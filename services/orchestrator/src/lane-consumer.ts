import type { ConsumerConfig, ConsumerMessages, JsMsg, MsgRequest } from '@nats-io/jetstream';
import { AckPolicy, DeliverPolicy } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { type Bus, traceFromHeaders } from '@switchboard/bus';
import type { Logger } from '@switchboard/common';
import { Headers } from '@switchboard/contracts';
import { contextFromTraceHeaders, SpanKind, type Tracer, withSpan } from '@switchboard/telemetry';

/** What {@link startLaneConsumer} needs: where to pull from and what to do with a message. */
export interface LaneConsumerOptions<T> {
  bus: Bus;
  log: Logger;
  /** Every message is handled inside a CONSUMER span continuing the publisher's trace. */
  tracer: Tracer;
  stream: string;
  durable: string;
  /** Messages handled concurrently (across lanes). */
  maxInFlight: number;
  /** More of the durable consumer's configuration (a filter subject, a priority group). */
  consumerConfig?: Partial<ConsumerConfig>;
  /** The priority group the consumer pulls in (with `consumerConfig.priority_groups`). */
  group?: string;
  /** How long the server waits for an ack before redelivering. Default 30 s. */
  ackWaitMs?: number;
  /** How long each pull request lives, so at most this long passes between two pulls. Default 30 s. */
  pullExpiresMs?: number;
  /**
   * Whether a failed hand-over keeps its lane: retried in place (same back-off, the message kept
   * in progress) rather than nak'ed, so no later message of its lane overtakes it. On `stop()`
   * it, and every message queued behind it in its lane, is given back unhandled.
   */
  holdLane?: boolean;
  /** Decodes a message; a throw rejects it (see `reject`): it never will decode. */
  decode(msg: JsMsg): T;
  /** Messages of one lane are handled one after another, in stream order. */
  laneOf(value: T, msg: JsMsg): string;
  /**
   * Hands a message over; resolving acks it, throwing naks it with back-off (redelivered).
   * Must only resolve once the receiver (Temporal) has durably accepted it.
   */
  handle(value: T, msg: JsMsg): Promise<void>;
  /**
   * Whether a failed hand-over can never succeed, because the receiver refused the message
   * itself (not because it is unavailable): such a message is rejected instead of redelivered.
   * Without it every failure is retried.
   */
  isPermanent?(err: unknown): boolean;
  /**
   * Records that a message will never be handed over — it cannot be decoded, or the receiver
   * refused it for good — so that whoever waits for it learns so. Resolving terminates the
   * message; throwing naks it with back-off, to be recorded on redelivery: nothing is dropped
   * unrecorded. `value` is absent when the message could not be decoded.
   */
  reject(msg: JsMsg, rejection: Rejection, value?: T): Promise<void>;
  /** Attributes of the message's consume span (e.g. the intent id). */
  spanAttributes(value: T): Record<string, string>;
  /** Log context for a message that failed. */
  describe(value: T): Record<string, unknown>;
}

/** How soon a redelivered message that must wait for an older one of its lane comes again. */
const REORDER_RETRY_MS = 200;

/** Why a message will never be handed over. */
export interface Rejection {
  /** `undecodable`: `decode` threw; `refused`: `handle` threw an error `isPermanent` called final. */
  reason: 'undecodable' | 'refused';
  err: unknown;
}

/** A running consumer; `stop()` stops pulling and waits for in-flight messages. */
export interface LaneConsumer {
  stop(): Promise<void>;
  /** Messages handed over (acked after `handle`) since start. */
  handed(): number;
  /** Whether the server pinned this client in its priority group (`group`): it receives all. */
  pinned(): boolean;
}

/** Redelivery back-off for a message that was not accepted: 0.25 s, 0.5 s, … up to 10 s. */
export function backoffMs(deliveryCount: number): number {
  return Math.min(10_000, 250 * 2 ** Math.max(0, deliveryCount - 1));
}

/**
 * A durable pull consumer with per-lane ordering: messages of one lane are handled one after
 * another in stream order, different lanes in parallel, at most `maxInFlight` at once. A message
 * is acked only after `handle` resolved and nak'ed with back-off when it threw; one that cannot
 * be decoded, or that the receiver refused for good, is terminated once `reject` recorded it.
 */
export async function startLaneConsumer<T>(options: LaneConsumerOptions<T>): Promise<LaneConsumer> {
  const { bus, log } = options;
  const ackWaitMs = options.ackWaitMs ?? 30_000;
  await bus.jsm.consumers
    .add(options.stream, {
      durable_name: options.durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: nanos(ackWaitMs),
      max_ack_pending: options.maxInFlight * 4,
      ...options.consumerConfig,
    })
    .catch(async (err: Error) => {
      // Already exists with another config (e.g. a changed limit): keep using it.
      if (!/already in use|exists/i.test(err.message)) throw err;
    });
  const consumer = await bus.js.consumers.get(options.stream, options.durable);
  const messages: ConsumerMessages = await consumer.consume({
    max_messages: options.maxInFlight,
    ...(options.pullExpiresMs === undefined ? {} : { expires: options.pullExpiresMs }),
    ...(options.group === undefined ? {} : { group: options.group }),
  });
  const lanes = new Map<string, Promise<void>>();
  const inFlight = new Set<Promise<void>>();
  let handed = 0;
  let slots = options.maxInFlight;
  let wake: (() => void) | undefined;
  let pinned = false;
  if (options.group !== undefined) {
    void (async () => {
      for await (const status of messages.status()) {
        if (status.type === 'consumer_pinned') pinned = true;
        else if (status.type === 'consumer_unpinned') pinned = false;
      }
    })().catch(() => {});
  }
  let stopping = false;
  let onStop: () => void = () => {};
  const stopped = new Promise<void>((r) => {
    onStop = r;
  });

  const handle = async (value: T, msg: JsMsg): Promise<void> => {
    if (!options.holdLane) {
      await handleOnce(value, msg, msg.info.deliveryCount);
      return;
    }
    // Given back unhandled when stopping: the message ahead of it in its lane may have been.
    if (stopping) return msg.nak();
    for (let attempt = msg.info.deliveryCount; !(await handleOnce(value, msg, attempt)); attempt++) {
      await Promise.race([stopped, new Promise((r) => setTimeout(r, backoffMs(attempt)))]);
      if (stopping) return msg.nak();
    }
  };

  /**
   * With `holdLane`, a message is kept in progress from its receipt until it is done, also
   * while it waits behind its lane or for a slot: the server redelivers
   * nothing this replica still holds (the ack wait only matters once the replica is gone). One
   * timer touches everything held.
   */
  const held = new Map<number, JsMsg>();
  const touching = options.holdLane
    ? setInterval(
        () => {
          // A closed connection holds nothing any more (the server redelivers it all).
          if (bus.nc.isClosed()) return;
          for (const msg of held.values()) msg.working();
        },
        Math.max(250, Math.floor(ackWaitMs / 3)),
      )
    : undefined;
  const keepAlive = (msg: JsMsg): (() => void) => {
    if (!options.holdLane) return () => {};
    held.set(msg.seq, msg);
    return () => held.delete(msg.seq);
  };

  /** Hands a message over once; false when it failed and is to be retried in place. */
  const handleOnce = async (value: T, msg: JsMsg, attempt: number): Promise<boolean> => {
    try {
      const { traceparent, tracestate } = traceFromHeaders(msg.headers);
      await withSpan(
        options.tracer,
        `consume ${options.stream}`,
        {
          kind: SpanKind.CONSUMER,
          parent: contextFromTraceHeaders(traceparent, tracestate),
          attributes: {
            'messaging.system': 'nats',
            'messaging.destination.name': msg.subject,
            'messaging.delivery_count': msg.info.deliveryCount,
            ...options.spanAttributes(value),
          },
        },
        () => options.handle(value, msg),
      );
      msg.ack();
      handed++;
      return true;
    } catch (err) {
      if (options.isPermanent?.(err)) {
        await reject(msg, { reason: 'refused', err }, value);
        return true;
      }
      log.warn(
        { err, ...options.describe(value), stream: options.stream, delivery: msg.info.deliveryCount, attempt },
        'message not accepted by Temporal; will retry',
      );
      if (options.holdLane) return false;
      msg.nak(backoffMs(msg.info.deliveryCount));
      return true;
    }
  };

  const reject = async (msg: JsMsg, rejection: Rejection, value?: T): Promise<void> => {
    const where = {
      err: rejection.err,
      reason: rejection.reason,
      stream: options.stream,
      seq: msg.seq,
      subject: msg.subject,
      msgId: msg.headers?.get(Headers.MsgId) ?? '',
      delivery: msg.info.deliveryCount,
      ...(value === undefined ? {} : options.describe(value)),
    };
    try {
      await options.reject(msg, rejection, value);
    } catch (err) {
      log.warn({ ...where, recordErr: err }, 'message that will never be handed over not recorded yet; will retry');
      msg.nak(backoffMs(msg.info.deliveryCount));
      return;
    }
    log.error(where, `message terminated: ${rejection.reason === 'undecodable' ? 'it cannot be decoded' : 'refused'}`);
    msg.term(rejection.reason);
  };

  /** Runs `task` in one of the `maxInFlight` slots, waiting for one to be free. */
  const occupy = async (task: () => Promise<void>, lane?: string): Promise<void> => {
    while (slots === 0) {
      await new Promise<void>((r) => {
        wake = r;
      });
    }
    slots--;
    const previous = lane === undefined ? Promise.resolve() : (lanes.get(lane) ?? Promise.resolve());
    const run = previous.then(task);
    if (lane !== undefined) lanes.set(lane, run);
    const tracked = run.finally(() => {
      slots++;
      inFlight.delete(tracked);
      if (lane !== undefined && lanes.get(lane) === run) lanes.delete(lane);
      wake?.();
      wake = undefined;
    });
    inFlight.add(tracked);
  };

  /**
   * Whether an older message of the same subject (a lane: one conversation, one SMS thread, one
   * call) is still stored and not held here. A replica lost while holding several messages of a
   * lane has them redelivered in the order their ack waits ran out, which need not be stream
   * order (seen with nats-server 2.12 and pinned clients), and a message it never received may
   * come before them; the later one must not be handed over before the older one arrives (a
   * work-queue stream keeps a message until it is acked, so "still stored" means "still to be
   * handed over"). A message enters its lane only once every older stored message of its
   * subject is held here, ahead of it in its lane, so the oldest always gets through. One message
   * get per message, only with `holdLane`.
   */
  const olderStillDue = async (msg: JsMsg): Promise<boolean> => {
    for (let from = 1; ; ) {
      // The server's message get takes `next_by_subj` (the first message of the subject from
      // `seq` on); the client types it for direct gets only, which these streams do not allow.
      const query = { next_by_subj: msg.subject, seq: from } as unknown as MsgRequest;
      const older = await bus.jsm.streams.getMessage(options.stream, query).catch(() => null);
      if (older === null || older.seq >= msg.seq) return false;
      if (!held.has(older.seq)) return true;
      from = older.seq + 1;
    }
  };

  const loop = (async () => {
    for await (const msg of messages) {
      let value: T;
      try {
        value = options.decode(msg);
      } catch (err) {
        // A message that cannot be decoded never will be: recorded and terminated, not looped.
        // It has no lane (nothing of it reaches the receiver), so it waits for no one.
        await occupy(() => reject(msg, { reason: 'undecodable', err }));
        continue;
      }
      if (options.holdLane && (await olderStillDue(msg))) {
        // Back behind the older one: it comes again after a short delay, and waits again until
        // the older one is here (then its lane keeps it behind) or handed over.
        msg.nak(REORDER_RETRY_MS);
        continue;
      }
      const release = keepAlive(msg);
      await occupy(() => handle(value, msg).finally(release), options.laneOf(value, msg));
    }
  })();
  // The loop ends in an error only when its connection is closed (services reconnect forever, so
  // only at shutdown, or a replica's connection closed under it): what it held is redelivered to
  // another replica. Logged, never an unhandled rejection; `stop` still waits for it.
  loop.catch((err: unknown) => {
    if (!stopping) log.warn({ durable: options.durable, err }, 'consumer stopped receiving: its connection is closed');
  });

  return {
    handed: () => handed,
    pinned: () => pinned,
    async stop() {
      stopping = true;
      onStop();
      messages.stop();
      await loop.catch(() => {});
      await Promise.allSettled([...inFlight]);
      clearInterval(touching);
    },
  };
}
