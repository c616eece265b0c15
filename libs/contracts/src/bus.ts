/**
 * NATS names: streams, subjects, consumers and headers. One place, so that the publisher
 * and the consumer of a subject can never disagree about its spelling.
 */

/** JetStream streams. */
export const Streams = {
  /** Action intents, consumed by the orchestrator (work-queue retention). */
  Intents: 'SB_INTENTS',
  /** Events and results of intents, per conversation (limits retention, replayable). */
  Events: 'SB_EVENTS',
  /** Verified provider webhooks (inbound SMS, call status), consumed by the orchestrator (work-queue retention). */
  Inbound: 'SB_INBOUND',
} as const;
export type StreamName = (typeof Streams)[keyof typeof Streams];

/** Subject tokens must not contain these; ids are validated before they become subjects. */
const SUBJECT_TOKEN = /^[A-Za-z0-9_-]+$/;

function token(kind: string, value: string): string {
  if (!SUBJECT_TOKEN.test(value)) {
    throw new TypeError(`${kind} '${value}' cannot be used in a NATS subject`);
  }
  return value;
}

/** Kind token of an inbound subject: what the webhook reports. */
export type InboundSubjectKind = 'sms' | 'call_status';

/**
 * A subject token standing for any string (an inbound lane: a sender's number, a call sid):
 * 32-bit FNV-1a over its UTF-16 code units, as 8 hex digits. Deterministic, so every conversation
 * replica publishes a lane's webhooks under the same token; two lanes sharing a token only share
 * a partition (the consumer keeps its lanes by the decoded webhook, not by the subject).
 */
export function laneToken(value: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < value.length; i++) {
    hash ^= value.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(16).padStart(8, '0');
}

/** Subject builders and wildcards. */
export const Subjects = {
  /** Wildcard bound to the intents stream. */
  IntentsAll: 'sb.intent.>',
  /** Core NATS (no stream): every orchestrator replica answers here, so each can count them. */
  OrchestratorPresence: 'sb.presence.orchestrator',
  /** Wildcard bound to the events stream. */
  EventsAll: 'sb.conv.>',
  /** Wildcard bound to the inbound stream. */
  InboundAll: 'sb.inbound.>',
  /** Core NATS (no stream): every orchestrator replica answers here for its inbound partitions. */
  OrchestratorInboundPresence: 'sb.presence.orchestrator-inbound',
  /**
   * Where a verified provider webhook of a tenant is published: `lane` is what orders its
   * webhooks (an SMS's sender, a call status's call sid), carried as a {@link laneToken} so that
   * the inbound stream's subject transform can derive a partition from tenant and lane.
   */
  inbound: (tenantId: string, kind: InboundSubjectKind, lane: string) =>
    `sb.inbound.${token('tenant id', tenantId)}.${token('inbound kind', kind)}.${laneToken(lane)}`,
  /**
   * What the inbound stream stores a webhook under: its subject transform inserts the lane's
   * partition (`sb.inbound.<partition>.<tenant>.<kind>.<lane token>`), which a partition's
   * consumer filters on. Publishers use {@link Subjects.inbound}.
   */
  inboundPartition: (partition: number) => `sb.inbound.${partition}.*.*.*`,
  /** Webhooks stored before the stream partitioned them (`sb.inbound.<tenant>.<kind>`). */
  InboundUnpartitioned: 'sb.inbound.*.*',
  /** Where an intent for a conversation is published. */
  intent: (tenantId: string, conversationId: string) =>
    `sb.intent.${token('tenant id', tenantId)}.${token('conversation id', conversationId)}`,
  /**
   * What the intents stream stores an intent under: its stream's subject transform inserts the
   * conversation's partition (`sb.intent.<partition>.<tenant>.<conversation>`), which a
   * partition's consumer filters on. Publishers use {@link Subjects.intent}.
   */
  intentPartition: (partition: number) => `sb.intent.${partition}.*.*`,
  /** Matches where the intents stream stores the intents of one conversation, whatever its partition. */
  intentStored: (tenantId: string, conversationId: string) =>
    `sb.intent.*.${token('tenant id', tenantId)}.${token('conversation id', conversationId)}`,
  /** Intents stored before the stream partitioned them (`sb.intent.<tenant>.<conversation>`). */
  IntentsUnpartitioned: 'sb.intent.*.*',
  /**
   * The tenant and conversation an intent subject names, as published or as stored with its
   * partition; `undefined` for any other subject.
   */
  parseIntent: (subject: string): { tenantId: string; conversationId: string } | undefined => {
    const tokens = subject.split('.');
    // A stored subject carries the partition (a number) as its third token.
    if (tokens.length === 5 && /^[0-9]+$/.test(tokens[2] ?? '')) tokens.splice(2, 1);
    const [sb, intent, tenantId, conversationId, ...rest] = tokens;
    if (sb !== 'sb' || intent !== 'intent' || rest.length > 0) return undefined;
    if (!tenantId || !conversationId || !SUBJECT_TOKEN.test(tenantId) || !SUBJECT_TOKEN.test(conversationId)) {
      return undefined;
    }
    return { tenantId, conversationId };
  },
  /** Everything that happens in one conversation (for SSE). */
  conversation: (conversationId: string) => `sb.conv.${token('conversation id', conversationId)}.>`,
  /** One event of an intent. */
  event: (conversationId: string, intentId: string) =>
    `sb.conv.${token('conversation id', conversationId)}.event.${token('intent id', intentId)}`,
  /** The single result of an intent. */
  result: (conversationId: string, intentId: string) =>
    `sb.conv.${token('conversation id', conversationId)}.result.${token('intent id', intentId)}`,
} as const;

/**
 * How many partitions the intents stream spreads conversations over (subject transform
 * `partition(N, tenant, conversation)`): each has its own consumer, handled by one orchestrator
 * replica at a time. Changing it moves conversations between partitions: only with no intents
 * in flight.
 */
export const INTENT_PARTITIONS = 8;

/**
 * How many partitions the inbound stream spreads webhook lanes over (subject transform
 * `partition(N, tenant, lane token)`), as {@link INTENT_PARTITIONS} does conversations; the
 * same caveat about changing it.
 */
export const INBOUND_PARTITIONS = 8;

/** Durable consumer names. */
export const Consumers = {
  /**
   * The single consumer of intents before they were partitioned; an orchestrator drains what
   * is left on it (see the orchestrator's intent consumer) and deletes it.
   */
  Orchestrator: 'orchestrator',
  /** The consumer of one intent partition (see {@link INTENT_PARTITIONS}). */
  intentPartition: (partition: number) => `orchestrator-p${partition}`,
  /**
   * The single consumer of {@link Streams.Inbound} before it was partitioned; drained and
   * deleted like {@link Consumers.Orchestrator}.
   */
  OrchestratorInbound: 'orchestrator-inbound',
  /** The consumer of one inbound partition (see {@link INBOUND_PARTITIONS}). */
  inboundPartition: (partition: number) => `orchestrator-inbound-p${partition}`,
} as const;

/** NATS header names. */
export const Headers = {
  /** JetStream's de-duplication header; always the intent id. */
  MsgId: 'Nats-Msg-Id',
  /** W3C trace context. */
  TraceParent: 'traceparent',
  TraceState: 'tracestate',
  /** What a message on the events stream is: `event` or `result`. */
  Kind: 'Sb-Kind',
  Tenant: 'Sb-Tenant',
  IntentId: 'Sb-Intent-Id',
} as const;

/** Values of the {@link Headers.Kind} header. */
export const MessageKinds = {
  Event: 'event',
  Result: 'result',
  /** A `ConversationControl` on an intent subject (absent header there means an `ActionIntent`). */
  Control: 'control',
} as const;
export type MessageKind = (typeof MessageKinds)[keyof typeof MessageKinds];
