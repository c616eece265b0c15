/**
 * What a session keeps between intents besides the chain state, carried across continue-as-new:
 * the conversation's controls and the bookings whose lifecycle has not started, and the call
 * status callbacks it folds into the chain state.
 */
import type { ChainState } from '@switchboard/actions';
import type { JsonValue } from '@switchboard/common';
import {
  type BookingChange,
  type BookingLifecycleInput,
  type CallStatusUpdate,
  DefaultSessionSettings,
  type SessionControl,
  type SessionIntent,
} from '@switchboard/contracts/temporal';

/** Control messages remembered (for intents not run yet, and de-duplication). */
const RECENT_CONTROLS = 500;

/**
 * What the conversation's controls said so far: confirmations, declines, cancels and
 * deliveries, by intent id. Kept by the session (and carried across continue-as-new) because a
 * control may arrive before the session reaches its intent.
 */
export class Controls {
  private readonly list: SessionControl[];
  constructor(carried: SessionControl[] = []) {
    this.list = [...carried];
  }
  add(control: SessionControl): void {
    if (this.list.some((c) => c.controlId === control.controlId)) return;
    this.list.push(control);
    if (this.list.length > RECENT_CONTROLS) this.list.splice(0, this.list.length - RECENT_CONTROLS);
  }
  private has(intentId: string, kind: SessionControl['kind']): boolean {
    return this.list.some((c) => c.intentId === intentId && c.kind === kind);
  }
  cancelled(intentId: string): boolean {
    return this.has(intentId, 'cancel');
  }
  delivered(intentId: string): boolean {
    return this.has(intentId, 'delivered');
  }
  /** The user's first answer to a confirmation request. */
  decision(intentId: string): 'confirm' | 'decline' | undefined {
    const first = this.list.find((c) => c.intentId === intentId && (c.kind === 'confirm' || c.kind === 'decline'));
    return first?.kind as 'confirm' | 'decline' | undefined;
  }
  carry(): SessionControl[] {
    return [...this.list];
  }
}

/**
 * Bookings this conversation made that have no lifecycle yet. A lifecycle needs to text the
 * customer, so it starts once the conversation has sent an SMS (the booking agent's "SMS
 * confirmation" step): from then on the credential, sender and number are known.
 */
export class Bookings {
  private readonly list: BookingLifecycleInput[];
  constructor(carried: Record<string, unknown>[] = []) {
    this.list = carried as unknown as BookingLifecycleInput[];
  }
  /** Remembers a booking `calcom.book` made. */
  booked(intent: SessionIntent, payload: JsonValue, result: JsonValue): void {
    const p = asObject(payload);
    const r = asObject(result);
    const attendee = asObject(p.attendee);
    if (typeof r.booking_uid !== 'string' || typeof r.start !== 'string') return;
    this.list.push({
      tenantId: intent.tenantId,
      conversationId: intent.conversationId,
      intentId: intent.intentId,
      bookingUid: r.booking_uid,
      start: r.start,
      timeZone: String(attendee.time_zone ?? p.time_zone ?? 'UTC'),
      phone: typeof attendee.phone_number === 'string' ? attendee.phone_number : '',
      attendeeName: String(attendee.name ?? ''),
      calcomCredential: String(p.credential ?? ''),
      smsCredential: '',
      ...(typeof p.event_type_id === 'number' ? { eventTypeId: p.event_type_id } : {}),
      bookedAtMs: Date.now(),
      timings: { ...(intent.settings?.lifecycle ?? DefaultSessionSettings.lifecycle) },
      sandbox: intent.sandbox,
      ...(intent.settings?.taskQueues ? { taskQueues: intent.settings.taskQueues } : {}),
    });
  }
  /** The bookings whose lifecycle can start now that an SMS went to `payload.to`; forgets them. */
  takeForSms(payload: JsonValue): BookingLifecycleInput[] {
    const p = asObject(payload);
    if (typeof p.to !== 'string' || typeof p.credential !== 'string') return [];
    const taken = this.list.splice(0, this.list.length);
    return taken.map((b) => ({
      ...b,
      phone: p.to as string,
      smsCredential: p.credential as string,
      ...(typeof p.from === 'string' ? { smsFrom: p.from } : {}),
      ...(typeof p.messaging_service_sid === 'string' ? { smsMessagingServiceSid: p.messaging_service_sid } : {}),
    }));
  }
  /**
   * A kept booking (one of `uids`) was cancelled or moved before its lifecycle started: a
   * cancelled one gets none, a moved one's starts at its new uid and start.
   */
  changed(change: BookingChange, uids: readonly string[]): void {
    for (let i = this.list.length - 1; i >= 0; i--) {
      const kept = this.list[i] as BookingLifecycleInput;
      if (!uids.includes(kept.bookingUid)) continue;
      if (change.change === 'cancelled') this.list.splice(i, 1);
      else this.list[i] = { ...kept, bookingUid: change.bookingUid, start: change.start };
    }
  }
  carry(): Record<string, unknown>[] {
    return this.list as unknown as Record<string, unknown>[];
  }
}

/**
 * The caller's explicit inactivity pause (the `pause_inactivity_timer` built-in,
 * `session.pause_inactivity`): the runtime was told to wait `duration_seconds` for the caller.
 * Every run is wrapped in an automatic pause and resume; while an explicit pause holds, the
 * automatic resume is not sent, so it never cancels the caller's pause. It holds until an
 * explicit resume (`resume_inactivity_timer`, `session.resume_inactivity`), its own duration
 * (the runtime times it too) or the end of the call; a later explicit pause extends it.
 */
export class InactivityPause {
  constructor(private untilMs: number | undefined = undefined) {}
  /** Remembers an explicit pause that succeeded at `nowMs` (workflow time). */
  paused(payload: JsonValue, nowMs: number): void {
    const seconds = asObject(payload).duration_seconds;
    if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds <= 0) return;
    this.untilMs = Math.max(this.untilMs ?? 0, nowMs + seconds * 1000);
  }
  /** Ends the explicit pause: an explicit resume succeeded, or the call ended. */
  lifted(): void {
    this.untilMs = undefined;
  }
  /** When the explicit pause ends, if one holds at `nowMs`. */
  holdsUntil(nowMs: number): number | undefined {
    return this.untilMs !== undefined && nowMs < this.untilMs ? this.untilMs : undefined;
  }
  carry(): number | undefined {
    return this.untilMs;
  }
}

/** Call statuses after which the call is over (Twilio's final statuses). */
const CALL_OVER = new Set(['completed', 'busy', 'no-answer', 'failed', 'canceled']);

/** Whether a call status callback says the call is over (an explicit pause ends with it). */
export function callIsOver(update: CallStatusUpdate): boolean {
  return CALL_OVER.has(update.status);
}

function asObject(value: JsonValue | undefined): { [key: string]: JsonValue } {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? value : {};
}

/** The call status a previous run (before continue-as-new) recorded in the state, if any. */
export function carriedCallStatus(state: ChainState): CallStatusUpdate | undefined {
  const call = state.context.call;
  if (call === null || typeof call !== 'object' || Array.isArray(call)) return undefined;
  const { sid, status, statusAt } = call;
  return typeof sid === 'string' && typeof status === 'string' && typeof statusAt === 'number'
    ? { callSid: sid, status, at: statusAt }
    : undefined;
}

/** The state with `context.call.status` / `statusAt` set from a call status callback. */
export function withCallStatus(state: ChainState, update: CallStatusUpdate): ChainState {
  const current = state.context.call;
  const call = current !== null && typeof current === 'object' && !Array.isArray(current) ? current : {};
  // A status of another call (the caller replaced the call context) does not apply.
  if (call.sid !== undefined && call.sid !== update.callSid) return state;
  return {
    ...state,
    context: {
      ...state.context,
      call: {
        ...call,
        ...(call.sid === undefined ? { sid: update.callSid } : {}),
        status: update.status,
        statusAt: update.at,
      },
    },
  };
}
