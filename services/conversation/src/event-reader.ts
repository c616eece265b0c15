import { DeliverPolicy } from '@nats-io/jetstream';
import type { Bus } from '@switchboard/bus';
import {
  decodeEvent,
  decodeResult,
  MessageKinds,
  Headers as SbHeaders,
  Streams,
  Subjects,
  timestampDate,
} from '@switchboard/contracts';
import { eventKindName, fromBusResult } from './results.js';

/** One event or result of a conversation, as the SSE and WebSocket streams send it. */
export interface ConversationStreamMessage {
  /** Its sequence on the events stream: the resume cursor (SSE `id`, WebSocket `seq`). */
  seq: number;
  /** The event kind (`respond`, `confirmation_required`, …) or `result`. */
  kind: string;
  /** The tool call (run) it belongs to. */
  intentId: string;
  /** An event's data, or a result's whole outcome (the tool-call response shape). */
  data: unknown;
  /** When it happened (a result: when it was published), ISO 8601. */
  at: string;
  /** What SSE sends as `data:` (kept as it was before WebSocket: events carry their own `seq`). */
  sse: unknown;
}

/** A conversation's events, in stream order; iterate once, and `stop()` when done. */
export interface ConversationEventReader extends AsyncIterable<ConversationStreamMessage> {
  /**
   * True once everything on the stream for this conversation so far has been yielded: nothing
   * left on the server for this consumer, nothing buffered, nothing in between.
   */
  caughtUp(): Promise<boolean>;
  /** Ends the iteration and deletes the server-side consumer (idempotent). */
  stop(): void;
}

/**
 * Replays a conversation's events and results from the events stream: from the start, or
 * after `afterSeq` (a stream sequence a client saw last), then follows new ones.
 *
 * An ordered consumer, deleted on `stop()`: left alone, the server would keep it until its
 * inactivity threshold (minutes), one per stream a client ever opened.
 */
export async function openConversationEvents(
  bus: Bus,
  conversationId: string,
  afterSeq: number | undefined,
): Promise<ConversationEventReader> {
  const consumer = await bus.js.consumers.get(Streams.Events, {
    filter_subjects: Subjects.conversation(conversationId),
    ...(afterSeq === undefined
      ? { deliver_policy: DeliverPolicy.All }
      : { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: afterSeq + 1 }),
  });
  const messages = await consumer.consume();
  // Consumer sequence of the last message received; compared with what the server delivered.
  let lastDelivery = 0;
  let stopped = false;

  async function* iterate(): AsyncGenerator<ConversationStreamMessage> {
    for await (const m of messages) {
      lastDelivery = m.info.deliverySequence;
      if (m.headers?.get(SbHeaders.Kind) === MessageKinds.Result) {
        const result = fromBusResult(decodeResult(m.data));
        yield { seq: m.seq, kind: 'result', intentId: result.id, data: result, at: m.time.toISOString(), sse: result };
        continue;
      }
      const e = decodeEvent(m.data);
      const kind = eventKindName(e.kind);
      const at = e.at ? timestampDate(e.at).toISOString() : '';
      const data = e.data ?? {};
      yield {
        seq: m.seq,
        kind,
        intentId: e.intentId,
        data,
        at,
        sse: { intentId: e.intentId, seq: e.seq, kind, data, at },
      };
    }
  }

  return {
    [Symbol.asyncIterator]: iterate,
    async caughtUp() {
      if (messages.getPending() > 0) return false;
      // The stream sequence the server reports moves past other conversations' messages too;
      // the consumer sequence counts only this consumer's deliveries.
      const info = await consumer.info(false);
      return info.num_pending === 0 && info.delivered.consumer_seq <= lastDelivery;
    },
    stop() {
      if (stopped) return;
      stopped = true;
      messages.stop();
      consumer.delete().catch(() => {});
    },
  };
}
