/**
 * Temporal names and messages of the booking lifecycle: the workflow that follows one Cal.com
 * booking after the conversation that made it (confirmation request by SMS, reactions to the
 * customer's replies, reminder, automatic cancellation of an unconfirmed booking).
 * Re-exported by `./temporal.js`, so workflows import it from `@switchboard/contracts/temporal`.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { BookingLifecycleTimings, TaskQueueNames } from './temporal.js';

/** Workflow type name of the booking lifecycle (the exported function in `@switchboard/chains/workflows`). */
export const BookingLifecycleWorkflowType = 'bookingLifecycle';

/** Workflow id of a booking's lifecycle: one per tenant + booking uid (as `calcom.book` returned it). */
export function bookingLifecycleWorkflowId(tenantId: string, bookingUid: string): string {
  return `booking:${tenantId}:${bookingUid}`;
}

/**
 * Input of the `bookingLifecycle` workflow. The credentials and sender are those the booking
 * and SMS steps of the chain used; the workflow reuses them for every later effect.
 */
export interface BookingLifecycleInput {
  tenantId: string;
  /** The conversation that made the booking (carried into every provider call, for audit). */
  conversationId: string;
  /** The intent (tool call) that made the booking; with a step pointer it keys the lifecycle's effects. */
  intentId: string;
  /** Uid of the booking as `calcom.book` returned it; it also names the workflow. */
  bookingUid: string;
  /** Appointment start, ISO 8601 with offset (as `calcom.book` returned it). */
  start: string;
  /** IANA zone the customer's texts show times in (and a zone-less reschedule time is read in). */
  timeZone: string;
  /** The customer's mobile number, E.164: the confirmation request goes there, replies come from there. */
  phone: string;
  /** The attendee's name, for the texts. */
  attendeeName: string;
  /** Name of the tenant's Cal.com credential (`calcom.cancel` / `calcom.reschedule` / `calcom.get`). */
  calcomCredential: string;
  /** Name of the tenant's Twilio credential (`sms.send`). */
  smsCredential: string;
  /** Sender number, E.164. Exactly one of `smsFrom` / `smsMessagingServiceSid`. */
  smsFrom?: string;
  /** Twilio Messaging Service SID (`MG…`) to send from instead of a number. */
  smsMessagingServiceSid?: string;
  /** Event type of the booking (informational; rescheduling keeps the booking's event type). */
  eventTypeId?: number;
  /** Epoch milliseconds at which the booking was made; default the workflow's start. */
  bookedAtMs?: number;
  timings: BookingLifecycleTimings;
  /** A test conversation: provider calls carry the sandbox flag. */
  sandbox: boolean;
  /**
   * The deployment's task queues, from the intent that made the booking; absent (lifecycles of
   * earlier releases): the default names. A lifecycle keeps the names it started with, so a
   * renamed queue must keep a worker until the lifecycles started before the rename are done.
   */
  taskQueues?: TaskQueueNames;
  /**
   * The starter already subscribed this lifecycle to the SMS thread of (tenant, phone), with
   * signal-with-start, before starting it (see `startBookingLifecycleWorkflow`): the workflow
   * then sends its confirmation request at once instead of starting or signalling the thread
   * itself. Absent or false: the workflow subscribes first.
   */
  subscribed?: boolean;
}

/** Where a booking's lifecycle stands. */
export type BookingLifecycleStatus = 'awaiting_confirmation' | 'confirmed' | 'cancelled' | 'completed';

/** One thing that happened in a lifecycle (an SMS sent or received, a booking change). */
export interface BookingLifecycleEvent {
  /** Epoch milliseconds (workflow time). */
  atMs: number;
  /**
   * What happened: `confirmation_requested`, `reply` (with `detail` the classified reply),
   * `confirmed`, `cancelled`, `auto_cancelled`, `cancelled_externally`, `rescheduled`,
   * `reschedule_refused`, `reminder_sent`, `reminder_skipped`, `help_sent`, `completed`, or
   * `<something>_failed` when an effect failed for good.
   */
  type: string;
  detail?: string;
}

/** Snapshot returned by {@link bookingLifecycleStateQuery} (and the workflow's result). */
export interface BookingLifecycleState {
  status: BookingLifecycleStatus;
  /** The booking's current uid (a reschedule gives the booking a new uid). */
  bookingUid: string;
  /** The booking's current start, ISO 8601 with offset. */
  start: string;
  /** What happened, oldest first (the last 50 entries). */
  history: BookingLifecycleEvent[];
}

/** Reads a booking lifecycle's status, current booking and history. */
export const bookingLifecycleStateQuery = defineQuery<BookingLifecycleState>('bookingLifecycleState');

/**
 * A booking the lifecycle follows was cancelled or moved outside its SMS thread (by the
 * `cancel_booking` / `reschedule_booking` built-ins on a call): the lifecycle takes the change
 * as if the customer had texted it — a cancelled booking's lifecycle ends (no reminder, no
 * automatic cancellation), a moved one's reminder moves with it.
 */
export interface BookingChange {
  change: 'cancelled' | 'rescheduled';
  /** The booking's uid now (a reschedule gives it a new one). */
  bookingUid: string;
  /** Its start now, ISO 8601 with offset (for a cancellation, the start it had). */
  start: string;
  /** The conversation and intent that made the change (for the lifecycle's history). */
  conversationId: string;
  intentId: string;
}

/** Tells a booking's lifecycle of a {@link BookingChange}. */
export const bookingChangedSignal = defineSignal<[BookingChange]>('bookingChanged');
