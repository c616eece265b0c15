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
import type { FastifyReply, FastifyRequest } from 'fastify';
import { eventKindName, fromBusResult } from './results.js';

/** Comment line that keeps proxies from closing an idle stream. */
const KEEPALIVE_MS = 15_000;

/**
 * Streams a conversation's events and results as Server-Sent Events, replayed from the
 * events stream: from the beginning, or after `Last-Event-ID` (the JetStream sequence), so a
 * client that reconnects misses nothing and sees nothing twice.
 */
export async function streamConversationEvents(
  bus: Bus,
  req: FastifyRequest,
  reply: FastifyReply,
  conversationId: string,
  lastEventId: number | undefined,
): Promise<void> {
  const consumer = await bus.js.consumers.get(Streams.Events, {
    filter_subjects: Subjects.conversation(conversationId),
    ...(lastEventId === undefined
      ? { deliver_policy: DeliverPolicy.All }
      : { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: lastEventId + 1 }),
  });
  const messages = await consumer.consume();
  reply.hijack();
  const out = reply.raw;
  out.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  out.write(': connected\n\n');
  const keepalive = setInterval(() => out.write(': keepalive\n\n'), KEEPALIVE_MS);
  const close = () => {
    clearInterval(keepalive);
    messages.stop();
  };
  req.raw.once('close', close);
  try {
    for await (const m of messages) {
      const kind = m.headers?.get(SbHeaders.Kind);
      let name: string;
      let data: unknown;
      if (kind === MessageKinds.Result) {
        name = 'result';
        data = fromBusResult(decodeResult(m.data));
      } else {
        const e = decodeEvent(m.data);
        name = eventKindName(e.kind);
        data = {
          intentId: e.intentId,
          seq: e.seq,
          kind: name,
          data: e.data ?? {},
          at: e.at ? timestampDate(e.at).toISOString() : '',
        };
      }
      if (!out.write(`id: ${m.seq}\nevent: ${name}\ndata: ${JSON.stringify(data)}\n\n`)) {
        await new Promise((r) => out.once('drain', r));
      }
    }
  } finally {
    close();
    out.end();
  }
}
