import {
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamClient,
  type JetStreamManager,
  type JetStreamPublishOptions,
  jetstream,
  jetstreamManager,
  type PubAck,
  RetentionPolicy,
  StorageType,
} from '@nats-io/jetstream';
import { connect, headers, type MsgHdrs, type NatsConnection, nanos } from '@nats-io/transport-node';
import { UnavailableError } from '@switchboard/common';
import { Headers, INBOUND_PARTITIONS, INTENT_PARTITIONS, Streams, Subjects } from '@switchboard/contracts';

/** A connection to the bus with its JetStream handles. */
export interface Bus {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  /** Drains subscriptions and closes the connection. */
  close(): Promise<void>;
}

/** Options of {@link connectBus}. */
export interface BusOptions {
  /** Connection name, shown in `nats-server` monitoring. */
  name: string;
  /** Keep reconnecting forever (services) instead of failing (tools). Default true. */
  reconnectForever?: boolean;
}

/**
 * Connects to NATS and returns JetStream handles. Fails fast if the server is unreachable.
 * `url` may list several servers of a cluster, comma-separated.
 */
export async function connectBus(url: string, options: BusOptions): Promise<Bus> {
  let nc: NatsConnection;
  try {
    nc = await connect({
      servers: url.split(',').map((u) => u.trim()),
      name: options.name,
      maxReconnectAttempts: options.reconnectForever === false ? 10 : -1,
      reconnectTimeWait: 250,
      // Otherwise the client builds an Error (a captured stack) for every request, PubAck and
      // ack timer up front, only to name the caller should it fail: 2 % of the orchestrator's
      // CPU at c=10. Our failures say what failed in their message (see publishDurable).
      noAsyncTraces: true,
    });
  } catch (err) {
    throw new UnavailableError(`cannot connect to NATS at ${url}: ${(err as Error).message}`, err, 'bus_unavailable');
  }
  const jsm = await jetstreamManager(nc);
  const js = jetstream(nc);
  return {
    nc,
    js,
    jsm,
    close: async () => {
      if (!nc.isClosed()) await nc.drain();
    },
  };
}

/** Stream limits; the duplicate window bounds how long JetStream alone de-duplicates intents. */
export interface StreamOptions {
  /** JetStream de-duplication window for intents. Default 2 minutes. */
  duplicateWindowMs?: number;
  /** How long events and results are kept for replay (SSE reconnects). Default 24 h. */
  eventsMaxAgeMs?: number;
  /** Replicas of each stream (see {@link streamReplicas}). Default 1. */
  replicas?: number;
}

/**
 * Replicas a stream should have on the server `nc` is connected to: 3 when that server is
 * part of a cluster of three or more (a NATS node lost then loses nothing), as many as the
 * cluster has when smaller, 1 on a single server.
 */
export function streamReplicas(nc: NatsConnection): number {
  const info = nc.info;
  if (!info?.cluster) return 1;
  return Math.min(3, Math.max(1, info.connect_urls?.length ?? 1));
}

/**
 * Creates or updates the streams (intents, events, inbound webhooks). Idempotent; every service that publishes or consumes
 * calls it on start, so start order does not matter.
 */
export async function ensureStreams(jsm: JetStreamManager, options: StreamOptions = {}): Promise<void> {
  const dup = nanos(options.duplicateWindowMs ?? 120_000);
  const replicas = options.replicas ?? 1;
  const intents = {
    name: Streams.Intents,
    subjects: [Subjects.IntentsAll],
    retention: RetentionPolicy.Workqueue,
    storage: StorageType.File,
    duplicate_window: dup,
    // Stores each intent under its conversation's partition, deterministic in tenant and
    // conversation: one consumer per partition keeps a conversation's intents in order however
    // many orchestrators there are (see the orchestrator's intent consumer).
    subject_transform: {
      src: 'sb.intent.*.*',
      dest: `sb.intent.{{partition(${INTENT_PARTITIONS},1,2)}}.{{wildcard(1)}}.{{wildcard(2)}}`,
    },
    num_replicas: replicas,
  };
  const events = {
    name: Streams.Events,
    subjects: [Subjects.EventsAll],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    duplicate_window: dup,
    max_age: nanos(options.eventsMaxAgeMs ?? 24 * 3600_000),
    allow_direct: true,
    num_replicas: replicas,
  };
  const inbound = {
    name: Streams.Inbound,
    subjects: [Subjects.InboundAll],
    retention: RetentionPolicy.Workqueue,
    storage: StorageType.File,
    // Twilio retries a webhook for up to a few minutes; message ids are its own ids.
    duplicate_window: nanos(Math.max(options.duplicateWindowMs ?? 120_000, 600_000)),
    // Stores each webhook under the partition of its lane (tenant and lane token: an SMS
    // thread's sender, a call's sid), as the intents stream does conversations: one pinned
    // consumer per partition keeps a thread's or a call's webhooks in order however many
    // orchestrators there are.
    subject_transform: {
      src: 'sb.inbound.*.*.*',
      dest: `sb.inbound.{{partition(${INBOUND_PARTITIONS},1,3)}}.{{wildcard(1)}}.{{wildcard(2)}}.{{wildcard(3)}}`,
    },
    num_replicas: replicas,
  };
  for (const config of [intents, events, inbound]) {
    await answered(() => ensureStream(jsm, config));
  }
}

/**
 * Runs `op` again while JetStream does not answer (a timeout, or a cluster electing its leaders
 * after losing a node), for up to about half a minute.
 */
async function answered(op: () => Promise<void>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await op();
    } catch (err) {
      const unanswered = /timeout|temporarily unavailable|no responders/i.test((err as Error).message);
      if (!unanswered || attempt >= 8) throw err;
      await new Promise((r) => setTimeout(r, 500 * attempt));
    }
  }
}

/** Creates one stream, or updates it to `config`. */
async function ensureStream(
  jsm: JetStreamManager,
  config: Parameters<JetStreamManager['streams']['add']>[0],
): Promise<void> {
  try {
    await jsm.streams.info(config.name);
    await jsm.streams.update(config.name, config);
  } catch (err) {
    if (!/stream not found/i.test((err as Error).message)) throw err;
    try {
      await jsm.streams.add(config);
    } catch (addErr) {
      // Another service created it between our info and add.
      if (!/already in use|exists/i.test((addErr as Error).message)) throw addErr;
    }
  }
}

/** Headers carrying the message id and W3C trace context. */
export function busHeaders(
  msgId: string,
  trace: { traceparent: string; tracestate: string },
  extra: Record<string, string> = {},
): MsgHdrs {
  const h = headers();
  h.set(Headers.MsgId, msgId);
  if (trace.traceparent) h.set(Headers.TraceParent, trace.traceparent);
  if (trace.tracestate) h.set(Headers.TraceState, trace.tracestate);
  for (const [k, v] of Object.entries(extra)) h.set(k, v);
  return h;
}

/** Reads the W3C trace context out of NATS headers. */
export function traceFromHeaders(h: MsgHdrs | undefined): { traceparent: string; tracestate: string } {
  return { traceparent: h?.get(Headers.TraceParent) ?? '', tracestate: h?.get(Headers.TraceState) ?? '' };
}

/**
 * Publishes with JetStream acknowledgement; `duplicate` in the ack tells whether the server
 * dropped it as a repeat of an earlier message id.
 */
export async function publishDurable(
  js: JetStreamClient,
  subject: string,
  payload: Uint8Array,
  msgId: string,
  trace: { traceparent: string; tracestate: string },
  extra: Record<string, string> = {},
): Promise<PubAck> {
  try {
    return await js.publish(subject, payload, publishOptions(msgId, trace, extra));
  } catch (err) {
    throw publishFailed(subject, err);
  }
}

/**
 * Publishes the first message of `subject`, at most once however late it is repeated:
 * {@link publishDurable} with JetStream's *expected last subject sequence 0*. Resolves `true` when
 * the message was stored now, `false` when the subject already held one — within the stream's
 * duplicate window the server answers a repeated message id as a duplicate, after it the
 * expectation rejects the publish (`wrong last sequence`, API error 10071). One round trip, where
 * asking the stream first and publishing after would take two.
 *
 * Like {@link publishDurable} it writes the request before its first `await`, so publishes issued
 * after it in the same tick on the same connection reach the stream after it (see the
 * orchestrator's `publishOutcome`).
 */
export async function publishFirstOnSubject(
  js: JetStreamClient,
  subject: string,
  payload: Uint8Array,
  msgId: string,
  trace: { traceparent: string; tracestate: string },
  extra: Record<string, string> = {},
): Promise<boolean> {
  try {
    const ack = await js.publish(subject, payload, {
      ...publishOptions(msgId, trace, extra),
      expect: { lastSubjectSequence: 0 },
    });
    return !ack.duplicate;
  } catch (err) {
    if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamWrongLastSequence) return false;
    throw publishFailed(subject, err);
  }
}

function publishOptions(
  msgId: string,
  trace: { traceparent: string; tracestate: string },
  extra: Record<string, string>,
): Partial<JetStreamPublishOptions> {
  return { msgID: msgId, headers: busHeaders(msgId, trace, extra), timeout: 5000 };
}

function publishFailed(subject: string, err: unknown): UnavailableError {
  return new UnavailableError(`publish to ${subject} failed: ${(err as Error).message}`, err, 'bus_unavailable');
}
