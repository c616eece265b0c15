import type { Bus } from '@switchboard/bus';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { openConversationEvents } from './event-reader.js';

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
  const events = await openConversationEvents(bus, conversationId, lastEventId);
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
    events.stop();
  };
  req.raw.once('close', close);
  try {
    for await (const m of events) {
      if (!out.write(`id: ${m.seq}\nevent: ${m.kind}\ndata: ${JSON.stringify(m.sse)}\n\n`)) {
        // A client that goes away while its buffer is full never drains: stop waiting then too.
        await new Promise((r) => {
          out.once('drain', r);
          out.once('close', r);
        });
      }
    }
  } finally {
    close();
    out.end();
  }
}
