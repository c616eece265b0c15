/**
 * The booking lifecycle workflow: one per booking, started after `calcom.book` succeeded, and
 * outliving the conversation that made the booking. It texts the customer a confirmation
 * request, reacts to their SMS replies (YES confirms; NO / CANCEL / STOP cancels the booking;
 * RESCHEDULE <date> <time> moves it), sends a reminder before the appointment, cancels a
 * booking still unconfirmed at its deadline, and completes once the appointment has started.
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

import {
  type BookingLifecycleEvent,
  type BookingLifecycleInput,
  type BookingLifecycleState,
  type BookingLifecycleStatus,
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
  proxyActivities,
  setHandler,
  startChild,
  WorkflowIdReusePolicy,
  workflowInfo,
} from '@temporalio/workflow';
import type { ProviderActivities, ProviderCall } from '../activity-types.js';
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

  if (!Number.isFinite(startMs)) {
    throw ApplicationFailure.nonRetryable(`booking start '${start}' is not an ISO 8601 time`, 'invalid_input');
  }
  if (!validZone(input.timeZone)) {
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
  const deadlineText = deadlineMs() < startMs ? ` by ${formatWhen(deadlineMs(), input.timeZone)}` : '';
  if (
    await text(
      'confirm_request',
      `Hi ${input.attendeeName}, your appointment is booked for ${when()}. Please reply YES to confirm${deadlineText}, ` +
        `NO to cancel, or RESCHEDULE with a new date and time (e.g. RESCHEDULE ${exampleTime(startMs, input.timeZone)}).`,
    )
  ) {
    note('confirmation_requested');
  } else {
    // Never cancel for want of an answer to a question the customer never got.
    deadlineHandled = true;
  }

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
        await text(
          `replies/${n}/confirmed`,
          `Thank you, ${input.attendeeName}! Your appointment on ${when()} is confirmed.`,
        );
        return false;
      }
      case 'cancel': {
        if (!(await cancelBooking(`replies/${n}/cancel`, 'Cancelled by the customer by SMS'))) {
          if (!reply.optOut) {
            await text(
              `replies/${n}/cancel_failed`,
              `Sorry, we could not cancel your appointment on ${when()} right now. Please try again later or call us.`,
            );
          }
          return false;
        }
        note('cancelled', 'by the customer');
        status = 'cancelled';
        // After STOP, Twilio refuses texts to the number (error 21610) until it opts back in.
        if (!reply.optOut) {
          await text(`replies/${n}/cancelled`, `Your appointment on ${when()} has been cancelled.`);
        }
        return true;
      }
      case 'reschedule': {
        if (reply.time === undefined) {
          await text(
            `replies/${n}/reschedule_help`,
            `To reschedule, reply RESCHEDULE followed by the new date and time, e.g. RESCHEDULE ${exampleTime(startMs, input.timeZone)}.`,
          );
          return false;
        }
        const atMs = wallTimeToMs(reply.time, input.timeZone);
        if (atMs <= Date.now()) {
          await text(
            `replies/${n}/reschedule_past`,
            `Sorry, ${reply.time.text} has already passed. Your appointment stays on ${when()}.`,
          );
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
          const previous = start;
          if (typeof result.booking_uid === 'string') bookingUid = result.booking_uid;
          const newStartMs = typeof result.start === 'string' ? Date.parse(result.start) : atMs;
          startMs = Number.isFinite(newStartMs) ? newStartMs : atMs;
          start = typeof result.start === 'string' && Number.isFinite(newStartMs) ? result.start : reply.time.wall;
          reschedules++;
          // Asking for a new time is an answer: the customer means to come.
          status = 'confirmed';
          note('rescheduled', `${previous} -> ${start}`);
          planReminder();
          await text(`replies/${n}/rescheduled`, `Your appointment has been moved to ${when()}.`);
        } catch (err) {
          note('reschedule_refused', failureText(err));
          const refused = isRefusal(err);
          await text(
            `replies/${n}/reschedule_failed`,
            refused
              ? `Sorry, ${reply.time.text} is not available. Your appointment stays on ${when()}.`
              : `Sorry, we could not reschedule right now. Your appointment stays on ${when()}. Please try again later.`,
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
        const ask = status === 'awaiting_confirmation' ? 'YES to confirm, ' : '';
        if (
          await text(
            `replies/${n}/help`,
            `About your appointment on ${when()}: reply ${ask}NO to cancel, or RESCHEDULE with a new date and time ` +
              `(e.g. RESCHEDULE ${exampleTime(startMs, input.timeZone)}).`,
          )
        ) {
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
        await text(
          'deadline/cancelled',
          `Your appointment on ${when()} has been cancelled because it was not confirmed in time.`,
        );
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
      const ask = status === 'awaiting_confirmation' ? ' Reply YES to confirm or NO to cancel.' : '';
      // A reply to this reminder is for this booking: the number's thread must route it here,
      // not to another booking of the customer that texted more recently. Told before the text
      // goes out, so even a reply that comes the moment it arrives finds its way.
      if (patched(REMINDER_ASKS_PATCH)) await asked(input.tenantId, input.phone, self);
      if (await text(`reminder/${reschedules}`, `Reminder: your appointment is on ${when()}.${ask}`)) {
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
    await condition(() => inbox.length > 0, Math.max(1, due - now));
  }
}

/** Provider activities per task queue; the activity type is the operation name. */
const providers = new Map<string, ProviderActivities>();
function providerQueue(queue: string): ProviderActivities {
  let proxy = providers.get(queue);
  if (!proxy) {
    proxy = proxyActivities<ProviderActivities>({
      taskQueue: queue,
      startToCloseTimeout: '30 seconds',
      // A provider outage of a few minutes is waited out; a longer one, and the effect is noted as failed.
      retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 10 },
    });
    providers.set(queue, proxy);
  }
  return proxy;
}

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

/** A customer's reply, classified. */
export type LifecycleReply =
  | { kind: 'confirm' }
  | { kind: 'cancel'; optOut: boolean }
  | { kind: 'reschedule'; time?: WallTime }
  | { kind: 'other' };

/** A wall-clock time the customer wrote, in the booking's zone. */
export interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  /** ISO 8601 without offset, `YYYY-MM-DDTHH:MM:00` (how `calcom.reschedule` takes a zone-local time). */
  wall: string;
  /** As the customer wrote it (for texts). */
  text: string;
}

const CONFIRM = new Set(['YES', 'Y', 'CONFIRM', 'CONFIRMED']);
const CANCEL = new Set(['NO', 'N', 'CANCEL']);
/** Twilio's opt-out keywords besides CANCEL: after them, Twilio blocks texts to the number. */
const OPT_OUT = new Set(['STOP', 'STOPALL', 'UNSUBSCRIBE', 'END', 'QUIT', 'REVOKE', 'OPTOUT']);
const RESCHEDULE = /^RESCHEDULE\b[\s:,-]*(.*)$/i;
const DATE_TIME = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:\s+|T|\s*(?:AT|,)\s*)(\d{1,2})(?:[:.h](\d{2}))?\s*([AP]\.?M\.?)?$/i;

/**
 * Classifies an SMS reply, ignoring case, surrounding whitespace and punctuation: YES / Y /
 * CONFIRM confirm; NO / N / CANCEL and Twilio's opt-out words (STOP…) cancel; RESCHEDULE,
 * optionally followed by `YYYY-MM-DD HH:MM` (24-hour, or with AM/PM), asks to move.
 */
export function classifyReply(body: string): LifecycleReply {
  const text = body.trim().replace(/\s+/g, ' ');
  const word = text
    .toUpperCase()
    .replace(/[^A-Z0-9 ]/g, '')
    .trim();
  if (CONFIRM.has(word)) return { kind: 'confirm' };
  if (CANCEL.has(word)) return { kind: 'cancel', optOut: false };
  if (OPT_OUT.has(word)) return { kind: 'cancel', optOut: true };
  const reschedule = RESCHEDULE.exec(text);
  if (reschedule) {
    const time = parseWallTime((reschedule[1] ?? '').replace(/[.!]+$/, '').trim());
    return time === undefined ? { kind: 'reschedule' } : { kind: 'reschedule', time };
  }
  return { kind: 'other' };
}

/** Parses `YYYY-MM-DD HH:MM` (or `…THH:MM`, `… 3pm`, `… 3:30 PM`); undefined unless a real date and time. */
export function parseWallTime(text: string): WallTime | undefined {
  const m = DATE_TIME.exec(text);
  if (!m) return undefined;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  let hour = Number(m[4]);
  const minute = m[5] === undefined ? 0 : Number(m[5]);
  const meridiem = m[6]?.replace(/\./g, '').toUpperCase();
  if (meridiem !== undefined) {
    if (hour < 1 || hour > 12) return undefined;
    hour = (hour % 12) + (meridiem === 'PM' ? 12 : 0);
  }
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59) return undefined;
  if (day > new Date(Date.UTC(year, month, 0)).getUTCDate()) return undefined;
  const two = (n: number) => String(n).padStart(2, '0');
  return {
    year,
    month,
    day,
    hour,
    minute,
    wall: `${year}-${two(month)}-${two(day)}T${two(hour)}:${two(minute)}:00`,
    text,
  };
}

/** Offset of `timeZone` from UTC at the instant `utcMs`, in milliseconds. */
function zoneOffsetMs(utcMs: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  }).formatToParts(new Date(utcMs));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return asUtc - (utcMs - (((utcMs % 1000) + 1000) % 1000));
}

/**
 * The instant of a wall time in `timeZone`. Two passes settle the offset around DST changes;
 * a time skipped by a change lands after it, like Cal.com reads it.
 */
export function wallTimeToMs(
  t: Pick<WallTime, 'year' | 'month' | 'day' | 'hour' | 'minute'>,
  timeZone: string,
): number {
  const guess = Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute);
  const first = guess - zoneOffsetMs(guess, timeZone);
  return guess - zoneOffsetMs(first, timeZone);
}

/** An instant as the customer reads it, e.g. `Tue, Mar 12, 3:00 PM EDT`. */
export function formatWhen(ms: number, timeZone: string): string {
  return new Intl.DateTimeFormat('en-US', {
    timeZone,
    weekday: 'short',
    month: 'short',
    day: 'numeric',
    hour: 'numeric',
    minute: '2-digit',
    timeZoneName: 'short',
  }).format(new Date(ms));
}

/** A sample RESCHEDULE time for the texts: the day after the appointment, same hour, in its zone. */
function exampleTime(startMs: number, timeZone: string): string {
  const at = startMs + 24 * 3_600_000;
  const local = new Date(at + zoneOffsetMs(at, timeZone));
  const two = (n: number) => String(n).padStart(2, '0');
  return `${local.getUTCFullYear()}-${two(local.getUTCMonth() + 1)}-${two(local.getUTCDate())} ${two(local.getUTCHours())}:${two(local.getUTCMinutes())}`;
}

function validZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}
