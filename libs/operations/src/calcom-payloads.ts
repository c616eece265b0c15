/**
 * The payload parsers of the Cal.com operations. A payload is checked completely before any
 * call to Cal.com and every problem is reported at once, located by JSON pointer, as one
 * non-retryable `provider_invalid_input` failure: retrying the same payload cannot help.
 */
import { isIanaTimeZone } from '@switchboard/actions';
import type { JsonValue } from '@switchboard/common';
import {
  addDays,
  type CalendarDate,
  daysBetween,
  formatDate,
  hasExplicitOffset,
  parseDate,
  parseDateTime,
} from '@switchboard/common/time-zones';
import { invalidPayload } from './spec.js';

/** Metadata key holding the idempotency key of the step that made a booking (reserved in payloads). */
export const IDEMPOTENCY_METADATA_KEY = 'switchboard_key';

/** One problem in a payload. */
export interface InputIssue {
  /** JSON pointer into the payload (`/attendee/email`). */
  pointer: string;
  message: string;
}

const MAX_EVENT_TYPE_ID = 2_147_483_647;
/** Longest search window: Cal.com computes every slot in it, and a voice agent needs days, not years. */
export const MAX_SLOT_WINDOW_DAYS = 62;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const E164 = /^\+[1-9]\d{6,14}$/;

const describe = (v: unknown): string => {
  if (v === undefined) return 'nothing';
  const text = typeof v === 'string' ? `'${v}'` : JSON.stringify(v);
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
};

class Reader {
  readonly issues: InputIssue[] = [];
  constructor(private readonly payload: Record<string, JsonValue>) {}

  add(pointer: string, message: string): void {
    this.issues.push({ pointer, message });
  }

  /** A member; `null` counts as absent (optional members may arrive as null). */
  get(key: string, from: Record<string, JsonValue> = this.payload): JsonValue | undefined {
    const v = from[key];
    return v === null ? undefined : v;
  }

  string(pointer: string, value: JsonValue | undefined, opts: { required: boolean; max?: number }): string | undefined {
    if (value === undefined) {
      if (opts.required) this.add(pointer, 'is required');
      return undefined;
    }
    if (typeof value !== 'string') {
      this.add(pointer, `must be a string, got ${describe(value)}`);
      return undefined;
    }
    if (opts.required && value.trim() === '') {
      this.add(pointer, 'must not be empty');
      return undefined;
    }
    if (opts.max !== undefined && value.length > opts.max) {
      this.add(pointer, `must be at most ${opts.max} characters, got ${value.length}`);
      return undefined;
    }
    return value;
  }

  integer(
    pointer: string,
    value: JsonValue | undefined,
    opts: { required: boolean; min: number; max: number },
  ): number | undefined {
    if (value === undefined) {
      if (opts.required) this.add(pointer, 'is required');
      return undefined;
    }
    if (typeof value !== 'number' || !Number.isInteger(value) || value < opts.min || value > opts.max) {
      this.add(pointer, `must be an integer from ${opts.min} to ${opts.max}, got ${describe(value)}`);
      return undefined;
    }
    return value;
  }

  timeZone(pointer: string, value: JsonValue | undefined, required: boolean): string | undefined {
    const zone = this.string(pointer, value, { required });
    if (zone === undefined) return undefined;
    if (!isIanaTimeZone(zone)) {
      this.add(pointer, `must be an IANA time zone such as America/New_York, got ${describe(zone)}`);
      return undefined;
    }
    return zone;
  }

  date(pointer: string, value: JsonValue | undefined, required: boolean): CalendarDate | undefined {
    const text = this.string(pointer, value, { required });
    if (text === undefined) return undefined;
    const date = parseDate(text);
    if (!date) this.add(pointer, `must be a date YYYY-MM-DD, got ${describe(text)}`);
    return date;
  }

  /** An ISO 8601 date-time; checked against `timeZone` when it has no offset. */
  dateTime(pointer: string, value: JsonValue | undefined, timeZone: string | undefined): string | undefined {
    const text = this.string(pointer, value, { required: true });
    if (text === undefined) return undefined;
    if (parseDateTime(text, timeZone ?? 'UTC') === undefined) {
      this.add(
        pointer,
        `must be an ISO 8601 date-time such as 2025-03-14T15:00:00-04:00 (or without offset, in time_zone), got ${describe(text)}`,
      );
      return undefined;
    }
    if (!hasExplicitOffset(text) && timeZone === undefined) {
      this.add(pointer, 'has no offset, and no valid time_zone says which zone it is in');
      return undefined;
    }
    return text;
  }

  fail(operation: string): never {
    const summary = this.issues.map((i) => `${i.pointer} ${i.message}`).join('; ');
    throw invalidPayload(`${operation}: ${summary}`, { issues: this.issues });
  }
}

function reader(operation: string, payload: unknown): Reader {
  if (typeof payload === 'object' && payload !== null && !Array.isArray(payload)) {
    return new Reader(payload as Record<string, JsonValue>);
  }
  const r = new Reader({});
  r.add('', `the payload must be an object, got ${describe(payload)}`);
  return r.fail(operation);
}

const credentialOf = (r: Reader) => r.string('/credential', r.get('credential'), { required: true, max: 200 });

/** Checked payload of `calcom.slots`. */
export interface SlotsRequest {
  credential: string;
  eventTypeId: number;
  startDate: string;
  endDate: string;
  timeZone: string;
  durationMinutes?: number;
  maxSlots: number;
}

/**
 * Checks a `calcom.slots` payload. `end` absent means `start` + `days_ahead` days (as the
 * operation's contract says); `days_ahead` defaults to 7 and `max_slots` to 10 when a custom
 * action leaves them out.
 */
export function parseSlotsInput(payload: unknown): SlotsRequest {
  const op = 'calcom.slots';
  const r = reader(op, payload);
  const credential = credentialOf(r);
  const eventTypeId = r.integer('/event_type_id', r.get('event_type_id'), {
    required: true,
    min: 1,
    max: MAX_EVENT_TYPE_ID,
  });
  const start = r.date('/start', r.get('start'), true);
  const end = r.date('/end', r.get('end'), false);
  const daysAhead =
    r.integer('/days_ahead', r.get('days_ahead'), { required: false, min: 0, max: MAX_SLOT_WINDOW_DAYS }) ?? 7;
  const timeZone = r.timeZone('/time_zone', r.get('time_zone'), true);
  const durationMinutes = r.integer('/duration_minutes', r.get('duration_minutes'), {
    required: false,
    min: 1,
    max: 1440,
  });
  const maxSlots = r.integer('/max_slots', r.get('max_slots'), { required: false, min: 1, max: 500 }) ?? 10;
  let last: CalendarDate | undefined;
  if (start) {
    last = end ?? addDays(start, daysAhead);
    const span = daysBetween(start, last);
    if (span < 0) r.add('/end', `must not be before start (${formatDate(start)}), got ${formatDate(last)}`);
    else if (span > MAX_SLOT_WINDOW_DAYS) {
      r.add('/end', `must be at most ${MAX_SLOT_WINDOW_DAYS} days after start, got ${span} days`);
    }
  }
  if (r.issues.length > 0) r.fail(op);
  return {
    credential: credential as string,
    eventTypeId: eventTypeId as number,
    startDate: formatDate(start as CalendarDate),
    endDate: formatDate(last as CalendarDate),
    timeZone: timeZone as string,
    ...(durationMinutes !== undefined ? { durationMinutes } : {}),
    maxSlots,
  };
}

/** Checked payload of `calcom.book`. */
export interface BookRequest {
  credential: string;
  eventTypeId: number;
  start: string;
  timeZone: string;
  attendee: { name: string; email: string; phoneNumber?: string; timeZone: string };
  notes?: string;
  metadata: Record<string, string>;
}

/**
 * Checks a `calcom.book` payload. The attendee's zone defaults to `time_zone`, and
 * `time_zone` to the attendee's: both are the caller's (or the action's configured) zone.
 * Metadata must leave room for the idempotency key within Cal.com's limits.
 */
export function parseBookInput(payload: unknown): BookRequest {
  const op = 'calcom.book';
  const r = reader(op, payload);
  const credential = credentialOf(r);
  const eventTypeId = r.integer('/event_type_id', r.get('event_type_id'), {
    required: true,
    min: 1,
    max: MAX_EVENT_TYPE_ID,
  });
  const rawAttendee = r.get('attendee');
  const attendee =
    typeof rawAttendee === 'object' && rawAttendee !== null && !Array.isArray(rawAttendee) ? rawAttendee : undefined;
  if (!attendee) r.add('/attendee', `must be an object with name and email, got ${describe(rawAttendee)}`);
  const attendeeZone = attendee ? r.timeZone('/attendee/time_zone', r.get('time_zone', attendee), false) : undefined;
  const zoneValue = r.get('time_zone');
  let timeZone = r.timeZone('/time_zone', zoneValue, false);
  if (zoneValue === undefined) {
    timeZone = attendeeZone;
    if (timeZone === undefined) r.add('/time_zone', 'is required: an IANA time zone such as America/New_York');
  }
  const start = r.dateTime('/start', r.get('start'), timeZone);
  let name: string | undefined;
  let email: string | undefined;
  let phoneNumber: string | undefined;
  if (attendee) {
    name = r.string('/attendee/name', r.get('name', attendee), { required: true, max: 255 });
    email = r.string('/attendee/email', r.get('email', attendee), { required: true, max: 254 });
    if (email !== undefined && !EMAIL.test(email)) {
      r.add('/attendee/email', `must be an e-mail address, got ${describe(email)}`);
    }
    phoneNumber = r.string('/attendee/phone_number', r.get('phone_number', attendee), { required: false });
    if (phoneNumber !== undefined && !E164.test(phoneNumber)) {
      r.add('/attendee/phone_number', `must be in E.164 format such as +15551234567, got ${describe(phoneNumber)}`);
    }
  }
  const notes = r.string('/notes', r.get('notes'), { required: false, max: 10_000 });
  const metadata: Record<string, string> = {};
  const rawMetadata = r.get('metadata');
  if (rawMetadata !== undefined) {
    if (typeof rawMetadata !== 'object' || rawMetadata === null || Array.isArray(rawMetadata)) {
      r.add('/metadata', `must be an object of strings, got ${describe(rawMetadata)}`);
    } else {
      const keys = Object.keys(rawMetadata);
      if (keys.length > 49) {
        r.add(
          '/metadata',
          `has ${keys.length} keys; Cal.com allows 50 and Switchboard uses one for its idempotency key`,
        );
      }
      for (const key of keys) {
        const at = `/metadata/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
        const value = rawMetadata[key];
        if (key === IDEMPOTENCY_METADATA_KEY) r.add(at, "is reserved for Switchboard's idempotency key");
        else if (key.length > 40) r.add(at, `key is ${key.length} characters; Cal.com allows 40`);
        else if (typeof value !== 'string') r.add(at, `must be a string, got ${describe(value)}`);
        else if (value.length > 500) r.add(at, `is ${value.length} characters; Cal.com allows 500`);
        else metadata[key] = value;
      }
    }
  }
  if (r.issues.length > 0) r.fail(op);
  return {
    credential: credential as string,
    eventTypeId: eventTypeId as number,
    start: start as string,
    timeZone: timeZone as string,
    attendee: {
      name: name as string,
      email: email as string,
      ...(phoneNumber !== undefined ? { phoneNumber } : {}),
      timeZone: attendeeZone ?? (timeZone as string),
    },
    ...(notes !== undefined && notes !== '' ? { notes } : {}),
    metadata,
  };
}

/** Checked payload of `calcom.get` / `calcom.cancel` / `calcom.reschedule`. */
export interface BookingRefRequest {
  credential: string;
  bookingUid: string;
  reason?: string;
  timeZone?: string;
}

function bookingRef(r: Reader, withReason: boolean, zoneRequired: boolean): BookingRefRequest {
  const credential = credentialOf(r);
  const bookingUid = r.string('/booking_uid', r.get('booking_uid'), { required: true, max: 200 });
  const reason = withReason ? r.string('/reason', r.get('reason'), { required: false, max: 1000 }) : undefined;
  const timeZone = r.timeZone('/time_zone', r.get('time_zone'), zoneRequired);
  return {
    credential: credential as string,
    bookingUid: bookingUid as string,
    ...(reason !== undefined && reason !== '' ? { reason } : {}),
    ...(timeZone !== undefined ? { timeZone } : {}),
  };
}

/** Checks a `calcom.get` payload. */
export function parseGetInput(payload: unknown): BookingRefRequest {
  const r = reader('calcom.get', payload);
  const ref = bookingRef(r, false, false);
  if (r.issues.length > 0) r.fail('calcom.get');
  return ref;
}

/** Checks a `calcom.cancel` payload. */
export function parseCancelInput(payload: unknown): BookingRefRequest {
  const r = reader('calcom.cancel', payload);
  const ref = bookingRef(r, true, false);
  if (r.issues.length > 0) r.fail('calcom.cancel');
  return ref;
}

/** Checked payload of `calcom.reschedule`. */
export type RescheduleRequest = BookingRefRequest & { start: string; timeZone: string };

/** Checks a `calcom.reschedule` payload. */
export function parseRescheduleInput(payload: unknown): RescheduleRequest {
  const r = reader('calcom.reschedule', payload);
  const ref = bookingRef(r, true, true);
  const start = r.dateTime('/start', r.get('start'), ref.timeZone);
  if (r.issues.length > 0) r.fail('calcom.reschedule');
  return { ...ref, start: start as string, timeZone: ref.timeZone as string };
}

/** Checked payload of `calcom.find_booking`. */
export interface FindBookingRequest {
  credential: string;
  /** The booking named by uid; the attendee is then not looked at. */
  bookingUid?: string;
  /** Who the caller is: the LLM's e-mail and phone, else the call's (contact e-mail, caller number). */
  email?: string;
  phone?: string;
  eventTypeId?: number;
  timeZone: string;
}

/**
 * Checks a `calcom.find_booking` payload. The LLM's `attendee` members win over the call's
 * `caller` ones, member by member; values that are not an e-mail or an E.164 number are
 * refused when the LLM gave them and ignored when the call context has them (a contact record
 * may hold anything).
 */
export function parseFindBookingInput(payload: unknown): FindBookingRequest {
  const op = 'calcom.find_booking';
  const r = reader(op, payload);
  const credential = credentialOf(r);
  const bookingUid = r.string('/booking_uid', r.get('booking_uid'), { required: false, max: 200 });
  const timeZone = r.timeZone('/time_zone', r.get('time_zone'), true);
  const eventTypeId = r.integer('/event_type_id', r.get('event_type_id'), {
    required: false,
    min: 1,
    max: MAX_EVENT_TYPE_ID,
  });
  const member = (object: string, key: 'email' | 'phone'): string | undefined => {
    const raw = r.get(object);
    if (raw === undefined) return undefined;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      r.add(`/${object}`, `must be an object with email and phone, got ${describe(raw)}`);
      return undefined;
    }
    const value = r.get(key, raw);
    if (value === undefined || value === '') return undefined;
    const pattern = key === 'email' ? EMAIL : E164;
    if (typeof value === 'string' && pattern.test(value.trim())) return value.trim();
    if (object === 'attendee') {
      r.add(
        `/attendee/${key}`,
        key === 'email'
          ? `must be an e-mail address, got ${describe(value)}`
          : `must be in E.164 format such as +15551234567, got ${describe(value)}`,
      );
    }
    return undefined;
  };
  const email = member('attendee', 'email') ?? member('caller', 'email');
  const phone = member('attendee', 'phone') ?? member('caller', 'phone');
  if (r.issues.length > 0) r.fail(op);
  return {
    credential: credential as string,
    ...(bookingUid !== undefined && bookingUid.trim() !== '' ? { bookingUid: bookingUid.trim() } : {}),
    ...(email !== undefined ? { email } : {}),
    ...(phone !== undefined ? { phone } : {}),
    ...(eventTypeId !== undefined ? { eventTypeId } : {}),
    timeZone: timeZone as string,
  };
}
