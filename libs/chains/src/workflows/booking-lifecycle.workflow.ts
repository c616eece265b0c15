/**
 * The booking lifecycle workflow: one per booking, started after `calcom.book` succeeded, and
 * outliving the conversation that made the booking. It texts the customer a confirmation
 * request, reacts to their SMS replies (YES confirms; NO / CANCEL / STOP cancels the booking;
 * RESCHEDULE <date> <time> moves it), sends a reminder before the appointment, cancels a
 * booking still unconfirmed at its deadline, and completes once the appointment has started.
 * A booking cancelled or moved on a call (`bookingChangedSignal`) is taken like the same reply
 * by SMS, without the texts: its lifecycle ends, or its reminder moves with it.
 *
 * Why a workflow of its own and not part of the session: the session ends with the
 * conversation (idle timeout, continue-as-new), while a booking's follow-up spans days. Timers
 * and the received replies live in Temporal history, so the lifecycle survives restarts of
 * every process (workers, orchestrator, and a Temporal server with a persistent database).
 *
 * Side effects are provider activities on the providers' task queues, like the session's: each
 * has a step pointer unique within the lifecycle, so (intent id, step pointer) — the workers'
 * idempotency key — keeps it exactly-once across activity retries and worker restarts.
 *
 * Inbound SMS reach the lifecycle through the `smsThread` workflow of (tenant, phone), which
 * forwards every new message to the workflow ids subscribed to it. The orchestrator subscribes
 * a lifecycle with signal-with-start of the thread before starting it (`lifecycle-start.ts`,
 * input `subscribed: true`). A lifecycle started otherwise subscribes itself first: the thread
 * may not exist yet (it is started by the first inbound SMS), so it starts it as an abandoned
 * child already holding the subscription. Either way no reply can slip between the
 * confirmation request and the subscription.
 */

import { isTimeZone, zonedTimeToUtc } from '@switchboard/common/time-zones';
import {
  type BookingChange,
  type BookingLifecycleEvent,
  type BookingLifecycleInput,
  type BookingLifecycleState,
  type BookingLifecycleStatus,
  bookingChangedSignal,
  bookingLifecycleStateQuery,
  bookingLifecycleWorkflowId,
  type InboundSms,
  inboundSmsSignal,
  smsAskedSignal,
  smsThreadWorkflowId,
  subscribeSmsSignal,
  TaskQueues,
  unsubscribeSmsSignal,
} from '@switchboard/contracts/temporal';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  condition,
  getExternalWorkflowHandle,
  log,
  ParentClosePolicy,
  patched,
  setHandler,
  startChild,
  WorkflowIdReusePolicy,
  workflowInfo,
} from '@temporalio/workflow';
import type { ProviderCall } from '../activity-types.js';
import { BookingTexts, exampleTime, formatWhen } from './booking-texts.js';
import { providerQueues } from './provider-queues.js';
import { classifyReply } from './sms-replies.js';
import { smsThread } from './sms-thread.workflow.js';

/** History entries kept for the state query. */
const KEPT_HISTORY = 50;
/** Message sids remembered to drop a message forwarded twice. */
const RECENT_SIDS = 50;
/**
 * Help texts sent at most this often per lifecycle: an auto-responder answering our help text
 * with another unrecognised message would otherwise make the two numbers text each other forever.
 */
const MAX_HELP_REPLIES = 3;
/**
 * The subscription is re-asserted this often. A thread completes after 30 idle days whether or
 * not it has subscribers; re-subscribing (which starts a new thread when the old one is gone)
 * bounds how long replies could go unheard for appointments booked far ahead.
 */
const RESUBSCRIBE_EVERY_MS = 24 * 3_600_000;
/** Reschedule chains followed at most this far when checking the booking before the reminder. */
const MAX_RESCHEDULE_HOPS = 3;

/**
 * Starts a booking's lifecycle as an abandoned child of the calling workflow. Sessions did this
 * before the `lifecycle-start-by-activity` patch and still do on replay; new ones have the
 * orchestrator start it (`startBookingLifecycleWorkflow`), which costs Temporal less.
 */
export async function startBookingLifecycle(input: BookingLifecycleInput): Promise<'started' | 'already_started'> {
  try {
    // Not cancellable from the caller's scope: the lifecycle outlives the conversation.
    await CancellationScope.nonCancellable(() =>
      startChild(bookingLifecycle, {
        workflowId: bookingLifecycleWorkflowId(input.tenantId, input.bookingUid),
        args: [input],
        parentClosePolicy: ParentClosePolicy.ABANDON,
        // A lifecycle that completed is not started again for the same booking; one that failed
        // or was terminated may be.
        workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
      }),
    );
    return 'started';
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return 'already_started';
    throw err;
  }
}

/** The booking lifecycle workflow (see the module comment). Returns the final state. */
export async function bookingLifecycle(input: BookingLifecycleInput): Promise<BookingLifecycleState> {
  const self = workflowInfo().workflowId;
  const origin = input.bookingUid;
  const bookedAtMs = input.bookedAtMs ?? Date.now();
  let status: BookingLifecycleStatus = 'awaiting_confirmation';
  let bookingUid = input.bookingUid;
  let start = input.start;
  let startMs = Date.parse(start);
  const history: BookingLifecycleEvent[] = [];
  const inbox: InboundSms[] = [];
  /** Changes made on a call (cancel_booking / reschedule_booking), oldest first. */
  const changes: BookingChange[] = [];
  const recentSids: string[] = [];
  let replies = 0;
  let helpSent = 0;
  let reschedules = 0;
  let deadlineHandled = false;
  let reminderAtMs = Number.NaN;
  let reminderPending = false;

  const note = (type: string, detail?: string) => {
    history.push({ atMs: Date.now(), type, ...(detail !== undefined ? { detail } : {}) });
    if (history.length > KEPT_HISTORY) history.splice(0, history.length - KEPT_HISTORY);
  };
  const snapshot = (): BookingLifecycleState => ({ status, bookingUid, start, history: [...history] });

  setHandler(inboundSmsSignal, (sms) => {
    if (recentSids.includes(sms.messageSid)) return;
    recentSids.push(sms.messageSid);
    if (recentSids.length > RECENT_SIDS) recentSids.splice(0, recentSids.length - RECENT_SIDS);
    inbox.push(sms);
  });
  setHandler(bookingLifecycleStateQuery, snapshot);
  setHandler(bookingChangedSignal, (change) => {
    changes.push(change);
  });

  if (!Number.isFinite(startMs)) {
    throw ApplicationFailure.nonRetryable(`booking start '${start}' is not an ISO 8601 time`, 'invalid_input');
  }
  if (!isTimeZone(input.timeZone)) {
    throw ApplicationFailure.nonRetryable(`'${input.timeZone}' is not an IANA time zone`, 'invalid_input');
  }
  if ((input.smsFrom === undefined) === (input.smsMessagingServiceSid === undefined)) {
    throw ApplicationFailure.nonRetryable(
      'exactly one of smsFrom / smsMessagingServiceSid is required',
      'invalid_input',
    );
  }

  // Effects of this lifecycle: the step pointer names the booking it began with, so two
  // bookings made by one tool call never share an idempotency key.
  const pointer = (path: string) => `/lifecycle/${escapePointer(origin)}/${path}`;
  const call = async (operation: string, path: string, payload: ProviderCall['payload']) => {
    const queues = input.taskQueues ?? TaskQueues;
    const queue = operation.startsWith('calcom.') ? queues.Calcom : queues.Telephony;
    const acts = providerQueue(queue);
    return acts[operation]!({
      tenantId: input.tenantId,
      intentId: input.intentId,
      conversationId: input.conversationId,
      stepPointer: pointer(path),
      operation,
      payload,
      sandbox: input.sandbox,
    });
  };
  /** Sends a text; a failure (after the activity's retries) is noted, never fatal. */
  const text = async (path: string, body: string): Promise<boolean> => {
    try {
      await call('sms.send', path, {
        credential: input.smsCredential,
        to: input.phone,
        ...(input.smsFrom !== undefined ? { from: input.smsFrom } : {}),
        ...(input.smsMessagingServiceSid !== undefined ? { messaging_service_sid: input.smsMessagingServiceSid } : {}),
        body,
      });
      return true;
    } catch (err) {
      note('sms_failed', `${path}: ${failureText(err)}`);
      log.warn('booking lifecycle sms failed', { bookingUid, step: path, error: failureText(err) });
      return false;
    }
  };
  const when = () => formatWhen(startMs, input.timeZone);

  const planReminder = () => {
    reminderAtMs = startMs - input.timings.reminderBeforeMs;
    reminderPending = input.timings.reminderBeforeMs > 0 && reminderAtMs > Date.now();
  };
  const deadlineMs = () => Math.min(bookedAtMs + input.timings.confirmWithinMs, startMs);

  /** Cancels the booking; false (noted) when Cal.com refused or stayed unreachable. */
  const cancelBooking = async (path: string, reason: string): Promise<boolean> => {
    try {
      await call('calcom.cancel', path, {
        credential: input.calcomCredential,
        booking_uid: bookingUid,
        reason,
        time_zone: input.timeZone,
      });
      return true;
    } catch (err) {
      note('cancel_failed', failureText(err));
      return false;
    }
  };

  const finish = async (final: BookingLifecycleStatus): Promise<BookingLifecycleState> => {
    status = final;
    if (final === 'completed') note('completed');
    await unsubscribe(input.tenantId, input.phone, self);
    return snapshot();
  };

  if (Date.now() >= startMs) {
    note('completed', 'the appointment had already started');
    status = 'completed';
    return snapshot();
  }

  // Subscribe before asking: a fast reply must find the subscription in place. A starter that
  // subscribed us with signal-with-start (the orchestrator) saves the child start and its
  // workflow task here.
  let subscribedAtMs = Date.now();
  if (input.subscribed !== true && !(await subscribe(input.tenantId, input.phone, self))) note('subscribe_failed');
  planReminder();
  const example = () => exampleTime(startMs, input.timeZone);
  const deadline = deadlineMs() < startMs ? formatWhen(deadlineMs(), input.timeZone) : undefined;
  if (await text('confirm_request', BookingTexts.confirmRequest(input.attendeeName, when(), deadline, example()))) {
    note('confirmation_requested');
  } else {
    // Never cancel for want of an answer to a question the customer never got.
    deadlineHandled = true;
  }

  /**
   * The booking moved at the customer's request (by SMS, or on a call: `how`): it stands at its
   * new uid and start, the customer means to come (asking for a new time is an answer), and the
   * reminder moves with it. `fallbackMs` / `fallbackStart` are what was asked for, used when
   * the answer has no usable uid or start.
   */
  const moved = (uid: unknown, newStart: unknown, fallbackMs: number, fallbackStart: string, how: string) => {
    const previous = start;
    if (typeof uid === 'string') bookingUid = uid;
    const newStartMs = typeof newStart === 'string' ? Date.parse(newStart) : fallbackMs;
    startMs = Number.isFinite(newStartMs) ? newStartMs : fallbackMs;
    start = typeof newStart === 'string' && Number.isFinite(newStartMs) ? newStart : fallbackStart;
    reschedules++;
    status = 'confirmed';
    note('rescheduled', `${previous} -> ${start}${how}`);
    planReminder();
  };

  /** Takes a change made on a call; returns true when the lifecycle is over (the booking was cancelled). */
  const handleChange = (change: BookingChange): boolean => {
    const on = ` (on a call, conversation ${change.conversationId})`;
    if (change.change === 'cancelled') {
      note('cancelled', `by the customer${on}`);
      return true;
    }
    moved(change.bookingUid, change.start, startMs, start, on);
    return false;
  };

  /** Handles one reply; returns true when the lifecycle is over (the booking was cancelled). */
  const handleReply = async (sms: InboundSms): Promise<boolean> => {
    const n = ++replies;
    const reply = classifyReply(sms.body);
    note('reply', reply.kind);
    switch (reply.kind) {
      case 'confirm': {
        const wasAwaiting = status === 'awaiting_confirmation';
        status = 'confirmed';
        if (wasAwaiting) note('confirmed');
        await text(`replies/${n}/confirmed`, BookingTexts.confirmed(input.attendeeName, when()));
        return false;
      }
      case 'cancel': {
        if (!(await cancelBooking(`replies/${n}/cancel`, 'Cancelled by the customer by SMS'))) {
          if (!reply.optOut) {
            await text(`replies/${n}/cancel_failed`, BookingTexts.cancelFailed(when()));
          }
          return false;
        }
        note('cancelled', 'by the customer');
        status = 'cancelled';
        // After STOP, Twilio refuses texts to the number (error 21610) until it opts back in.
        if (!reply.optOut) {
          await text(`replies/${n}/cancelled`, BookingTexts.cancelled(when()));
        }
        return true;
      }
      case 'reschedule': {
        if (reply.time === undefined) {
          await text(`replies/${n}/reschedule_help`, BookingTexts.rescheduleHelp(example()));
          return false;
        }
        const atMs = zonedTimeToUtc({ ...reply.time, second: 0 }, input.timeZone);
        if (atMs <= Date.now()) {
          await text(`replies/${n}/reschedule_past`, BookingTexts.reschedulePast(reply.time.text, when()));
          return false;
        }
        try {
          const result = (await call('calcom.reschedule', `replies/${n}/reschedule`, {
            credential: input.calcomCredential,
            booking_uid: bookingUid,
            start: reply.time.wall,
            time_zone: input.timeZone,
            reason: 'Rescheduled by the customer by SMS',
          })) as { booking_uid?: unknown; start?: unknown };
          moved(result.booking_uid, result.start, atMs, reply.time.wall, '');
          await text(`replies/${n}/rescheduled`, BookingTexts.rescheduled(when()));
        } catch (err) {
          note('reschedule_refused', failureText(err));
          const refused = isRefusal(err);
          await text(
            `replies/${n}/reschedule_failed`,
            refused ? BookingTexts.rescheduleRefused(reply.time.text, when()) : BookingTexts.rescheduleFailed(when()),
          );
        }
        return false;
      }
      default: {
        if (helpSent >= MAX_HELP_REPLIES) {
          note('help_suppressed');
          return false;
        }
        helpSent++;
        const awaitingAnswer = status === 'awaiting_confirmation';
        if (await text(`replies/${n}/help`, BookingTexts.help(when(), awaitingAnswer, example()))) {
          note('help_sent');
        }
        return false;
      }
    }
  };

  /**
   * Reads the booking before the reminder: it may have been cancelled or moved in Cal.com by
   * someone else. Returns false when it no longer stands (then no reminder goes out).
   */
  const checkBooking = async (): Promise<'live' | 'moved' | 'cancelled'> => {
    let uid = bookingUid;
    for (let hop = 0; hop <= MAX_RESCHEDULE_HOPS; hop++) {
      let booking: { status?: unknown; start?: unknown; rescheduled_to_uid?: unknown; booking_uid?: unknown };
      try {
        booking = (await call('calcom.get', `check/${reschedules}/${hop}`, {
          credential: input.calcomCredential,
          booking_uid: uid,
          time_zone: input.timeZone,
        })) as typeof booking;
      } catch (err) {
        // Unknown is not cancelled: remind rather than stay silent.
        note('check_failed', failureText(err));
        return 'live';
      }
      const cancelled = booking.status === 'cancelled' || booking.status === 'rejected';
      if (cancelled && typeof booking.rescheduled_to_uid === 'string' && booking.rescheduled_to_uid !== '') {
        uid = booking.rescheduled_to_uid;
        continue;
      }
      if (cancelled) return 'cancelled';
      const atMs = typeof booking.start === 'string' ? Date.parse(booking.start) : Number.NaN;
      if (uid !== bookingUid || (Number.isFinite(atMs) && atMs !== startMs)) {
        const previous = start;
        bookingUid = uid;
        if (Number.isFinite(atMs)) {
          startMs = atMs;
          start = booking.start as string;
        }
        reschedules++;
        note('rescheduled', `${previous} -> ${start} (in Cal.com)`);
        return 'moved';
      }
      return 'live';
    }
    return 'live';
  };

  for (;;) {
    const now = Date.now();
    const deadline = deadlineMs();
    const awaiting = status === 'awaiting_confirmation' && !deadlineHandled;
    const change = changes.shift();
    // Taken off the queue either way: a change left there would wake the wait below forever.
    if (change !== undefined && patched(BOOKING_CHANGES_PATCH)) {
      if (handleChange(change)) return finish('cancelled');
      continue;
    }
    const next = inbox[0];
    // A reply sent before the deadline counts even when the deadline's timer fired first.
    if (next !== undefined && !(awaiting && now >= deadline && next.receivedAtMs >= deadline)) {
      inbox.shift();
      if (await handleReply(next)) return finish('cancelled');
      continue;
    }
    if (awaiting && now >= deadline) {
      deadlineHandled = true;
      if (await cancelBooking('deadline/cancel', 'Not confirmed in time')) {
        note('auto_cancelled');
        status = 'cancelled';
        await text('deadline/cancelled', BookingTexts.autoCancelled(when()));
        return finish('cancelled');
      }
      continue;
    }
    if (reminderPending && now >= reminderAtMs) {
      reminderPending = false;
      const booking = await checkBooking();
      if (booking === 'cancelled') {
        note('cancelled_externally');
        return finish('cancelled');
      }
      if (booking === 'moved') {
        planReminder();
        continue;
      }
      if (now >= startMs) continue;
      // A reply to this reminder is for this booking: the number's thread must route it here,
      // not to another booking of the customer that texted more recently. Told before the text
      // goes out, so even a reply that comes the moment it arrives finds its way.
      if (patched(REMINDER_ASKS_PATCH)) await asked(input.tenantId, input.phone, self);
      const reminder = BookingTexts.reminder(when(), status === 'awaiting_confirmation');
      if (await text(`reminder/${reschedules}`, reminder)) {
        note('reminder_sent');
      }
      continue;
    }
    if (now >= startMs) return finish('completed');
    if (now >= subscribedAtMs + RESUBSCRIBE_EVERY_MS) {
      subscribedAtMs = now;
      if (!(await subscribe(input.tenantId, input.phone, self))) note('subscribe_failed');
      continue;
    }
    const due = Math.min(
      awaiting ? deadline : Number.POSITIVE_INFINITY,
      reminderPending ? reminderAtMs : Number.POSITIVE_INFINITY,
      startMs,
      subscribedAtMs + RESUBSCRIBE_EVERY_MS,
    );
    await condition(() => inbox.length > 0 || changes.length > 0, Math.max(1, due - now));
  }
}

/** Provider activities per task queue. */
const providerQueue = providerQueues({
  startToCloseTimeout: '30 seconds',
  // A provider outage of a few minutes is waited out; a longer one, and the effect is noted as failed.
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 10 },
});

const isNotFound = (err: unknown) => err instanceof Error && /not found/i.test(err.message);

/**
 * Patch id of starting the SMS thread before signalling it: lifecycles that began before it
 * replay signal-first. Why: a booking's number usually has no thread yet, and the signal that
 * fails first cost a failed-signal event and a workflow task per booking.
 */
const SMS_THREAD_START_FIRST_PATCH = 'sms-thread-start-first';

/**
 * Subscribes `self` to the SMS thread of (tenant, phone), starting the thread when there is
 * none. The thread is started as an abandoned child that already lists the subscriber, so it
 * forwards even the first message; when it already runs (another booking of the number, or
 * the orchestrator started it for an inbound SMS), the start fails as already started and the
 * subscription is signalled instead. False when it failed.
 */
async function subscribe(tenantId: string, phone: string, self: string): Promise<boolean> {
  const threadId = smsThreadWorkflowId(tenantId, phone);
  const startFirst = patched(SMS_THREAD_START_FIRST_PATCH);
  for (let attempt = 0; attempt < 3; attempt++) {
    if (!startFirst || attempt > 0) {
      try {
        await getExternalWorkflowHandle(threadId).signal(subscribeSmsSignal, self);
        return true;
      } catch (err) {
        if (!isNotFound(err)) {
          log.warn('sms subscription failed', { thread: threadId, error: failureText(err) });
          return false;
        }
      }
    }
    try {
      // Not cancellable from this workflow: the thread serves every workflow of that number.
      await CancellationScope.nonCancellable(() =>
        startChild(smsThread, {
          workflowId: threadId,
          args: [{ tenantId, phone, carried: { messages: [], subscribers: [self], recentSids: [], received: 0 } }],
          parentClosePolicy: ParentClosePolicy.ABANDON,
          workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
        }),
      );
      return true;
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) {
        log.warn('starting the sms thread failed', { thread: threadId, error: failureText(err) });
        return false;
      }
    }
  }
  return false;
}

/**
 * Patch id of taking booking changes made on a call (`bookingChangedSignal`); no lifecycle of
 * an earlier release received one, so the patch only marks the histories that did.
 */
const BOOKING_CHANGES_PATCH = 'booking-lifecycle-changes';

/**
 * Patch id of telling the SMS thread after a reminder that the next reply is for this
 * lifecycle; lifecycles that sent reminders before it replay without the signal.
 */
const REMINDER_ASKS_PATCH = 'reminder-asks-thread';

/** Tells the number's thread that the next reply is for `self` (see {@link smsAskedSignal}). */
async function asked(tenantId: string, phone: string, self: string): Promise<void> {
  try {
    await getExternalWorkflowHandle(smsThreadWorkflowId(tenantId, phone)).signal(smsAskedSignal, self);
  } catch (err) {
    // A thread that is gone is started by the next inbound SMS, without subscribers; the
    // daily re-subscription brings this lifecycle back into it.
    log.warn('telling the sms thread about a reminder failed', { error: failureText(err) });
  }
}

/** Removes the subscription; a thread that is gone has none to remove. */
async function unsubscribe(tenantId: string, phone: string, self: string): Promise<void> {
  try {
    await getExternalWorkflowHandle(smsThreadWorkflowId(tenantId, phone)).signal(unsubscribeSmsSignal, self);
  } catch (err) {
    if (!isNotFound(err)) log.warn('sms unsubscription failed', { error: failureText(err) });
  }
}

/** The failure's type and message, as the provider worker reported it. */
function failureText(err: unknown): string {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof ApplicationFailure) return `${cause.type ?? 'failed'}: ${cause.message}`;
  return cause instanceof Error ? cause.message : String(cause);
}

/** Cal.com refused the request itself (slot taken, bad time): retrying cannot help. */
function isRefusal(err: unknown): boolean {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  return (
    cause instanceof ApplicationFailure &&
    (cause.type === 'provider_rejected' ||
      cause.type === 'provider_conflict' ||
      cause.type === 'provider_invalid_input')
  );
}

/** Escapes a JSON pointer segment. */
const escapePointer = (segment: string) => segment.replace(/~/g, '~0').replace(/\//g, '~1');
