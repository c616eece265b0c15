import type { Bus } from '@switchboard/bus';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { openConversationEvents } from './event-reader.js';
import type { KeyRevocations } from './key-revocations.js';

/** Comment line that keeps proxies from closing an idle stream. */
const KEEPALIVE_MS = 15_000;

/** What {@link streamConversationEvents} needs. */
export interface SseStreamDeps {
  bus: Bus;
  /** Ends the stream when the request's API key is revoked. */
  revocations: KeyRevocations;
}

/** The last message of a stream whose API key was revoked (no `id`: it is not an event to resume after). */
const API_KEY_REVOKED_SSE = `event: error\ndata: ${JSON.stringify({
  code: 'api_key_revoked',
  message: 'the API key this stream was opened with has been revoked',
  retryable: false,
})}\n\n`;

/**
 * Streams a conversation's events and results as Server-Sent Events, replayed from the
 * events stream: from the beginning, or after `Last-Event-ID` (the JetStream sequence), so a
 * client that reconnects misses nothing and sees nothing twice. When the request's API key is
 * revoked, the stream sends an `error` event (`api_key_revoked`) and ends.
 */
export async function streamConversationEvents(
  deps: SseStreamDeps,
  req: FastifyRequest,
  reply: FastifyReply,
  conversationId: string,
  lastEventId: number | undefined,
): Promise<void> {
  const events = await openConversationEvents(deps.bus, conversationId, lastEventId);
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
  let revoked = false;
  let wake = () => {};
  const unwatch = deps.revocations.watch(req.principal.keyId, () => {
    revoked = true;
    events.stop();
    wake();
  });
  const close = () => {
    clearInterval(keepalive);
    unwatch();
    events.stop();
  };
  req.raw.once('close', close);
  try {
    for await (const m of events) {
      if (revoked) break;
      if (!out.write(`id: ${m.seq}\nevent: ${m.kind}\ndata: ${JSON.stringify(m.sse)}\n\n`)) {
        // A client that goes away while its buffer is full never drains: stop waiting then too.
        await new Promise<void>((r) => {
          wake = r;
          out.once('drain', r);
          out.once('close', r);
        });
      }
    }
  } finally {
    close();
    if (revoked && !out.writableEnded) out.write(API_KEY_REVOKED_SSE);
    out.end();
  }
}
