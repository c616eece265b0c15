/**
 * Activity contracts of the chain workflows. Workflows import these as types only; the
 * implementations live in the worker services (webhook-worker, orchestrator, provider workers).
 */
import type { JsonValue } from '@switchboard/common';
import type { BookingLifecycleInput } from '@switchboard/contracts/temporal';
import type { LifecycleStart } from './lifecycle-start.js';
import type { ResultDeliveryInput } from './result-delivery.js';

/** A call of a tenant's named webhook endpoint, made by the webhook worker. */
export interface WebhookCall {
  tenantId: string;
  intentId: string;
  /** Endpoint name, resolved per tenant in the endpoint table. */
  endpoint: string;
  /** JSON pointer of the step in the action, for idempotency keys and errors. */
  stepPointer: string;
  payload: JsonValue;
  /** The conversation; with `sandbox`, a test call's webhook is recorded as irreversible. */
  conversationId?: string;
  /** A test call: the (irreversible) effect is recorded for the clean-up report. */
  sandbox?: boolean;
}

/** Activities served by `services/webhook-worker` on the webhook task queue. */
export interface WebhookActivities {
  /** Sends the payload; returns the parsed JSON response (or `{ status, body }` for non-JSON). */
  callWebhook(call: WebhookCall): Promise<JsonValue>;
}

/**
 * A provider operation (e.g. `calcom.book`, `sms.send`) as an activity input. The activity's
 * type name is the operation itself, served by the worker of the operation's family.
 */
export interface ProviderCall {
  tenantId: string;
  intentId: string;
  conversationId: string;
  /** JSON pointer of the step; with the intent id it forms the effect's idempotency key. */
  stepPointer: string;
  operation: string;
  /** The operation's input as the chain resolved it (see `@switchboard/actions` operations). */
  payload: JsonValue;
  /** A test call: effects are recorded for one-call clean-up. */
  sandbox: boolean;
}

/** The idempotency key of a provider call: stable across activity retries and redeliveries. */
export function effectKey(call: Pick<ProviderCall, 'intentId' | 'stepPointer'>): string {
  return `${call.intentId}:${call.stepPointer}`;
}

/** Activities of a provider worker, keyed by operation name. */
export type ProviderActivities = Record<string, (call: ProviderCall) => Promise<JsonValue>>;

/** Identity of the intent an outcome belongs to. */
export interface IntentRef {
  intentId: string;
  tenantId: string;
  conversationId: string;
  actionName: string;
  traceparent: string;
}

/** One event as published on the bus (see `ActionEvent` in proto/). */
export interface PublishedEvent {
  seq: number;
  kind:
    | 'accepted'
    | 'respond'
    | 'handoff'
    | 'log'
    | 'progress'
    | 'effect'
    | 'call_control'
    | 'confirmation_required'
    | 'failed'
    | 'cancelled';
  data: { [key: string]: JsonValue };
  atMs: number;
}

/** The final outcome of an intent. */
export interface FinalOutcome {
  status: 'succeeded' | 'failed' | 'cancelled';
  messages: string[];
  /** Every event of the run, in order (earlier batches included). */
  events: PublishedEvent[];
  outputs: { [key: string]: JsonValue };
  error?: { code: string; message: string; retryable: boolean; step?: string };
  startedAtMs: number;
  finishedAtMs: number;
  /** Spans the workflow stands for, to be recorded in the intent's trace (see {@link WorkflowSpan}). */
  spans?: WorkflowSpan[];
}

/**
 * A span that a workflow describes and the orchestrator records: the sandbox cannot export
 * spans, so the workflow chooses the ids (and puts them into the headers of what it schedules,
 * so activity spans on the workers are its children) and hands the rest over with the outcome.
 * Times are workflow time: the start of the workflow task that saw the event, so they are
 * accurate to a workflow task, not to the millisecond.
 */
export interface WorkflowSpan {
  name: string;
  /** 16 hex digits; 32-digit trace id of the intent's `traceparent`. */
  spanId: string;
  parentSpanId: string;
  kind: 'internal' | 'client';
  startMs: number;
  endMs: number;
  attributes: { [key: string]: string | number | boolean };
  /** Set when the span's work failed: its status is then ERROR with this message. */
  error?: string;
}

/** A batch of events, and optionally the final outcome, of one intent. */
export interface OutcomeBatch {
  intent: IntentRef;
  /** True for the first batch of the intent: marks the audit row running. */
  first: boolean;
  events: PublishedEvent[];
  final?: FinalOutcome;
}

/**
 * Local activities of the orchestrator (it holds the NATS connection and the database pool).
 * Publishing is idempotent (per-event message ids), so local-activity retries never duplicate.
 */
export interface SessionActivities {
  publishOutcome(batch: OutcomeBatch): Promise<void>;
  /**
   * Starts the lifecycles of the bookings an intent made, each after subscribing it to its SMS
   * thread (`startBookingLifecycleWorkflow`); one answer per input, in order. Throws only when
   * Temporal refused a start for another reason than "already started" (then retried).
   */
  startBookingLifecycles(inputs: BookingLifecycleInput[]): Promise<LifecycleStart[]>;
  /**
   * Starts the delivery of a run's final result (`resultDelivery`, one workflow per intent;
   * a repeated start joins it). Only for actions whose tool calls may be answered early.
   */
  startResultDelivery(input: ResultDeliveryInput): Promise<void>;
}

/**
 * An intent's final outcome and the lifecycles of the bookings it made, handed to one local
 * activity (see {@link OutcomeThenLifecyclesActivities}).
 */
export interface OutcomeThenLifecycles {
  /** The final batch, exactly as `publishOutcome` takes it (`final` set). */
  outcome: OutcomeBatch;
  lifecycles: BookingLifecycleInput[];
  /** The sequence number of the first start report (one `log` event per lifecycle, in order). */
  reportSeq: number;
}

/** What {@link OutcomeThenLifecyclesActivities.publishOutcomeThenStartLifecycles} got done after the outcome. */
export interface LifecyclesStarted {
  /** The starter's answers; absent when the start failed or took too long (nothing was reported then). */
  started?: LifecycleStart[];
  /** The start reports are on the conversation's stream. */
  reported: boolean;
}

/**
 * The session's local activity for the tail of an intent that made bookings: publish the
 * outcome, start the lifecycles, publish one report per lifecycle — in that order, the work of
 * `publishOutcome`, `startBookingLifecycles` and `publishOutcome` again, in one workflow
 * activation round trip instead of three. Only a failed outcome publish fails it (and is
 * retried, as that local activity is): once the outcome is out, a start or report that fails is
 * answered, not thrown, so a retry never publishes the outcome (and records its spans) twice;
 * the session then starts and reports through the separate local activities, with their retries.
 */
export interface OutcomeThenLifecyclesActivities {
  publishOutcomeThenStartLifecycles(input: OutcomeThenLifecycles): Promise<LifecyclesStarted>;
}
