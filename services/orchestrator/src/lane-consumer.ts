import type { ConsumerMessages, JsMsg } from '@nats-io/jetstream';
import { AckPolicy, DeliverPolicy } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { type Bus, traceFromHeaders } from '@switchboard/bus';
import type { Logger } from '@switchboard/common';
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
  /** Decodes a message; a throw terminates it (it never will decode). */
  decode(msg: JsMsg): T;
  /** Messages of one lane are handled one after another, in stream order. */
  laneOf(value: T, msg: JsMsg): string;
  /**
   * Hands a message over; resolving acks it, throwing naks it with back-off (redelivered).
   * Must only resolve once the receiver (Temporal) has durably accepted it.
   */
  handle(value: T, msg: JsMsg): Promise<void>;
  /** Attributes of the message's consume span (e.g. the intent id). */
  spanAttributes(value: T): Record<string, string>;
  /** Log context for a message that failed. */
  describe(value: T): Record<string, unknown>;
}

/** A running consumer; `stop()` stops pulling and waits for in-flight messages. */
export interface LaneConsumer {
  stop(): Promise<void>;
  /** Messages handed over (acked after `handle`) since start. */
  handed(): number;
}

/** Redelivery back-off for a message that was not accepted: 0.25 s, 0.5 s, … up to 10 s. */
export function backoffMs(deliveryCount: number): number {
  return Math.min(10_000, 250 * 2 ** Math.max(0, deliveryCount - 1));
}

/**
 * A durable pull consumer with per-lane ordering: messages of one lane are handled one after
 * another in stream order, different lanes in parallel, at most `maxInFlight` at once. A message
 * is acked only after `handle` resolved, nak'ed with back-off when it threw, and terminated
 * when it cannot be decoded.
 */
export async function startLaneConsumer<T>(options: LaneConsumerOptions<T>): Promise<LaneConsumer> {
  const { bus, log } = options;
  await bus.jsm.consumers
    .add(options.stream, {
      durable_name: options.durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: nanos(30_000),
      max_ack_pending: options.maxInFlight * 4,
    })
    .catch(async (err: Error) => {
      // Already exists with another config (e.g. a changed limit): keep using it.
      if (!/already in use|exists/i.test(err.message)) throw err;
    });
  const consumer = await bus.js.consumers.get(options.stream, options.durable);
  const messages: ConsumerMessages = await consumer.consume({ max_messages: options.maxInFlight });
  const lanes = new Map<string, Promise<void>>();
  const inFlight = new Set<Promise<void>>();
  let handed = 0;
  let slots = options.maxInFlight;
  let wake: (() => void) | undefined;

  const handle = async (value: T, msg: JsMsg): Promise<void> => {
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
    } catch (err) {
      log.warn(
        { err, ...options.describe(value), stream: options.stream, delivery: msg.info.deliveryCount },
        'message not accepted by Temporal; will retry',
      );
      msg.nak(backoffMs(msg.info.deliveryCount));
    }
  };

  const loop = (async () => {
    for await (const msg of messages) {
      let value: T;
      try {
        value = options.decode(msg);
      } catch (err) {
        // A message that cannot be decoded never will be: terminate it instead of looping.
        log.error({ err, seq: msg.seq, subject: msg.subject }, 'undecodable message terminated');
        msg.term('undecodable');
        continue;
      }
      while (slots === 0) {
        await new Promise<void>((r) => {
          wake = r;
        });
      }
      slots--;
      const lane = options.laneOf(value, msg);
      const previous = lanes.get(lane) ?? Promise.resolve();
      const task = previous.then(() => handle(value, msg));
      lanes.set(lane, task);
      const tracked = task.finally(() => {
        slots++;
        inFlight.delete(tracked);
        if (lanes.get(lane) === task) lanes.delete(lane);
        wake?.();
        wake = undefined;
      });
      inFlight.add(tracked);
    }
  })();

  return {
    handed: () => handed,
    async stop() {
      messages.stop();
      await loop.catch(() => {});
      await Promise.allSettled([...inFlight]);
    },
  };
}
