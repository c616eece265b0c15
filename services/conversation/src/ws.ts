import type { Bus } from '@switchboard/bus';
import type { Logger } from '@switchboard/common';
import type { ConversationEnds } from './conversation-ends.js';
import { type ConversationEventReader, openConversationEvents } from './event-reader.js';
import type { KeyRevocations } from './key-revocations.js';

/** The part of a `ws` WebSocket this module uses (the server side of the connection). */
export interface EventSocket {
  readonly readyState: number;
  readonly bufferedAmount: number;
  send(data: string, cb?: (err?: Error) => void): void;
  close(code?: number, reason?: string): void;
  terminate(): void;
  ping(): void;
  on(event: 'close' | 'pong', listener: () => void): unknown;
}

/** One message of the WebSocket event stream. */
export interface WebSocketEventMessage {
  /** Stream sequence: reconnect with `?after=<seq>` to continue after this message. */
  seq: number;
  /** The event kind (`respond`, `confirmation_required`, …) or `result`. */
  kind: string;
  intentId: string;
  data: unknown;
  at: string;
}

/** Close codes the stream ends with (RFC 6455). */
export const WsCloseCodes = {
  /** The conversation ended and every event was sent. */
  Normal: 1000,
  /** The server is shutting down. */
  GoingAway: 1001,
  /** The API key the stream was opened with was revoked (reason `api_key_revoked`). */
  PolicyViolation: 1008,
  /** The event stream failed; reconnect with `?after=`. */
  InternalError: 1011,
} as const;

const OPEN = 1;
/** A ping per interval; a peer that did not answer the previous one is cut off. */
const HEARTBEAT_MS = 15_000;
/** Above this many bytes queued to the client, wait for the socket before reading more. */
const HIGH_WATER_BYTES = 1_048_576;
/** How long an ended conversation's stream waits for its last events to arrive. */
const END_DRAIN_MS = 5_000;

/** What {@link streamEventsOverWebSocket} needs. */
export interface WebSocketStreamDeps {
  bus: Bus;
  ends: ConversationEnds;
  /** Closes the stream (1008) when its API key is revoked. */
  revocations: KeyRevocations;
  log: Pick<Logger, 'warn' | 'error'>;
  heartbeatMs?: number;
}

/**
 * Sends a conversation's events and results over a WebSocket as JSON
 * {@link WebSocketEventMessage}s: the same ones, in the same order, as the SSE stream, after
 * `afterSeq` when given. When the conversation ends (or had `ended` already), the stream sends
 * what is left and closes with 1000; when the API key `keyId` is revoked, it closes with 1008
 * (`api_key_revoked`) at once; when the client goes away, its consumer is deleted at once.
 */
export async function streamEventsOverWebSocket(
  deps: WebSocketStreamDeps,
  socket: EventSocket,
  conversationId: string,
  keyId: string,
  options: { afterSeq?: number; ended?: boolean } = {},
): Promise<void> {
  let events: ConversationEventReader;
  try {
    events = await openConversationEvents(deps.bus, conversationId, options.afterSeq);
  } catch (err) {
    deps.log.error({ err, conversationId }, 'could not open the event stream for a WebSocket');
    if (socket.readyState === OPEN) socket.close(WsCloseCodes.InternalError, 'event stream unavailable');
    return;
  }
  if (socket.readyState !== OPEN) {
    events.stop();
    return;
  }

  let ended = false;
  let alive = true;
  const heartbeat = setInterval(() => {
    if (!alive) {
      socket.terminate();
      return;
    }
    alive = false;
    socket.ping();
  }, deps.heartbeatMs ?? HEARTBEAT_MS);
  socket.on('pong', () => {
    alive = true;
  });
  socket.on('close', () => events.stop());

  // Ended: let what is already on the stream arrive, then stop reading; the loop below sends
  // the rest of what it has and closes.
  const onEnd = () => {
    ended = true;
    void (async () => {
      const deadline = Date.now() + END_DRAIN_MS;
      while (Date.now() < deadline && !(await events.caughtUp().catch(() => true))) {
        await new Promise((r) => setTimeout(r, 50));
      }
      events.stop();
    })();
  };
  let unwatch = () => {};
  if (options.ended) onEnd();
  else unwatch = deps.ends.watch(conversationId, onEnd);
  // Revoked: nothing more is sent, not even what is buffered.
  let revoked = false;
  const unwatchKey = deps.revocations.watch(keyId, () => {
    revoked = true;
    events.stop();
  });

  let failed = false;
  try {
    for await (const m of events) {
      if (socket.readyState !== OPEN || revoked) break;
      const message: WebSocketEventMessage = {
        seq: m.seq,
        kind: m.kind,
        intentId: m.intentId,
        data: m.data,
        at: m.at,
      };
      const text = JSON.stringify(message);
      if (socket.bufferedAmount > HIGH_WATER_BYTES) {
        await new Promise<void>((resolve) => socket.send(text, () => resolve()));
      } else {
        socket.send(text);
      }
    }
  } catch (err) {
    failed = true;
    deps.log.warn({ err, conversationId }, 'WebSocket event stream failed');
  } finally {
    clearInterval(heartbeat);
    unwatch();
    unwatchKey();
    events.stop();
  }
  if (socket.readyState !== OPEN) return;
  if (revoked) socket.close(WsCloseCodes.PolicyViolation, 'api_key_revoked');
  else if (failed) socket.close(WsCloseCodes.InternalError, 'event stream failed');
  else if (ended) socket.close(WsCloseCodes.Normal, 'conversation ended');
  else socket.close(WsCloseCodes.GoingAway, 'server closing');
}
