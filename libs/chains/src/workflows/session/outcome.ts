/**
 * The outcome publisher of one intent: numbers its events, sends them to the conversation's
 * stream in batches (a local activity), and publishes the final outcome with its chain span.
 */
import type { ChainEvent } from '@switchboard/actions';
import type { JsonValue } from '@switchboard/common';
import type { SessionIntent } from '@switchboard/contracts/temporal';
import type { FinalOutcome, OutcomeBatch, PublishedEvent } from '../../activity-types.js';
import { sessionActivities } from './activities.js';
import type { IntentTrace } from './intent-trace.js';

/** An event before the publisher numbers and stamps it. */
export type OutcomeEvent = Pick<PublishedEvent, 'kind' | 'data'>;

/** Where an intent's later steps send events: `emit` buffers, `flush` publishes the buffer. */
export interface EventSink {
  emit(e: OutcomeEvent): void;
  flush(): Promise<void>;
}

/** What an intent published before it was set aside; the publisher of its second part goes on from there. */
export interface PublishedSoFar {
  /** The next event's sequence number. */
  seq: number;
  events: PublishedEvent[];
  startedAtMs: number;
}

/** The final outcome of an intent as `finish` takes it. */
export interface FinalResult {
  status: FinalOutcome['status'];
  messages: string[];
  outputs: FinalOutcome['outputs'];
  error?: FinalOutcome['error'];
}

/** Publishes one intent's events and outcome (see the file comment). */
export class OutcomePublisher implements EventSink {
  readonly startedAtMs: number;
  private seq: number;
  private first: boolean;
  private readonly all: PublishedEvent[];
  private buffer: PublishedEvent[] = [];
  private readonly ref: {
    intentId: string;
    tenantId: string;
    conversationId: string;
    actionName: string;
    traceparent: SessionIntent['traceparent'];
  };

  /**
   * `before`: the first part of a parked intent (its events are not published again).
   * `explicitPauseUntil`: when the caller's explicit inactivity pause ends, if one holds now.
   */
  constructor(
    private readonly intent: SessionIntent,
    private readonly trace: IntentTrace | undefined,
    before: PublishedSoFar | undefined,
    private readonly explicitPauseUntil: () => number | undefined = () => undefined,
  ) {
    this.startedAtMs = before?.startedAtMs ?? Date.now();
    this.ref = {
      intentId: intent.intentId,
      tenantId: intent.tenantId,
      conversationId: intent.conversationId,
      actionName: intent.actionName,
      traceparent: intent.traceparent,
    };
    this.seq = before?.seq ?? 0;
    this.first = before === undefined;
    this.all = [...(before?.events ?? [])];
  }

  /** Buffers an event, numbered and stamped. */
  emit(e: OutcomeEvent): void {
    const published: PublishedEvent = { seq: this.seq++, ...e, atMs: Date.now() };
    this.buffer.push(published);
    this.all.push(published);
  }

  /** Publishes the buffered events (the first batch even when empty: it opens the run). */
  async flush(): Promise<void> {
    if (this.buffer.length === 0 && !this.first) return;
    const events = this.buffer;
    this.buffer = [];
    await sessionActivities.publishOutcome({ intent: this.ref, first: this.first, events });
    this.first = false;
  }

  /** What was published so far, for a second part to go on from. */
  soFar(): PublishedSoFar {
    return { seq: this.seq, events: this.all, startedAtMs: this.startedAtMs };
  }

  /** Publishes the final outcome with the rest of the buffer, every event and the spans. */
  async finish(final: FinalResult): Promise<void> {
    await sessionActivities.publishOutcome(this.finalBatch(final));
  }

  /** The next event's sequence number. */
  get nextSeq(): number {
    return this.seq;
  }

  /** Forgets the buffered events: another local activity published them, under the same numbers. */
  publishedElsewhere(): void {
    this.buffer = [];
  }

  /**
   * The final outcome's batch (the rest of the buffer, every event and the spans), for `finish`
   * or a local activity that publishes it with more work; the publisher takes it as published.
   */
  finalBatch(final: FinalResult): OutcomeBatch {
    if (final.status === 'failed' && final.error) {
      this.emit({ kind: 'failed', data: { ...final.error } });
    } else if (final.status === 'cancelled') {
      this.emit({ kind: 'cancelled', data: { ...(final.error ?? {}) } });
    }
    // The runtime paused its inactivity timer for this action; the action is over now. An
    // explicit pause the caller asked for holds on: this automatic resume must not end it.
    const holdsUntil = this.explicitPauseUntil();
    if (holdsUntil === undefined) {
      this.emit({ kind: 'call_control', data: { action: 'resume_inactivity', automatic: true } });
    } else {
      this.emit({
        kind: 'log',
        data: {
          level: 'info',
          message: 'inactivity timer left paused: an explicit pause holds',
          data: { until: new Date(holdsUntil).toISOString() },
        },
      });
    }
    const finishedAtMs = Date.now();
    const trace = this.trace;
    const intent = this.intent;
    const spans =
      trace === undefined
        ? undefined
        : [
            ...trace.spans,
            {
              name: `chain ${intent.actionName}`,
              spanId: trace.chainSpanId,
              parentSpanId: trace.parentSpanId,
              kind: 'internal' as const,
              startMs: this.startedAtMs,
              endMs: finishedAtMs,
              attributes: {
                'switchboard.intent_id': intent.intentId,
                'switchboard.conversation_id': intent.conversationId,
                'switchboard.status': final.status,
              },
              ...(final.status === 'failed' ? { error: final.error?.message ?? 'failed' } : {}),
            },
          ];
    const batch: OutcomeBatch = {
      intent: this.ref,
      first: this.first,
      events: this.buffer,
      final: {
        ...final,
        events: this.all,
        startedAtMs: this.startedAtMs,
        finishedAtMs,
        ...(spans ? { spans } : {}),
      },
    };
    this.first = false;
    this.buffer = [];
    return batch;
  }
}

/** A chain event as the conversation's stream carries it. */
export function toPublished(e: ChainEvent): OutcomeEvent {
  switch (e.type) {
    case 'respond':
      return { kind: 'respond', data: { message: e.message } };
    case 'handoff':
      return {
        kind: 'handoff',
        data: {
          target: e.target,
          ...(e.topic !== undefined ? { topic: e.topic } : {}),
          ...(e.message !== undefined ? { message: e.message } : {}),
        },
      };
    case 'log':
      return {
        kind: 'log',
        data: { level: e.level, message: e.message, ...(e.data !== undefined ? { data: e.data } : {}) },
      };
    case 'progress':
      return { kind: 'progress', data: { message: e.message } };
    case 'effect':
      return {
        kind: 'effect',
        data: { kind: e.kind, name: e.name, status: e.status, ...(e.error ? { error: e.error } : {}) },
      };
    default:
      return { kind: 'log', data: { level: 'debug', message: 'unknown event', data: e as unknown as JsonValue } };
  }
}
