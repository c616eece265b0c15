/**
 * The Cal.com operations (`calcom.*`, served by the Cal.com worker): their specs and the
 * contracts of those not compiled from built-in actions (`calcom.slots` and `calcom.book` are
 * defined in `@switchboard/actions`); their parsers are in `calcom-payloads.ts`.
 */
import { BuiltinOperations, type CalcomBookResult, type CalcomSlotsResult } from '@switchboard/actions';
import {
  type BookingRefRequest,
  type BookRequest,
  type FindBookingRequest,
  parseBookInput,
  parseCancelInput,
  parseFindBookingInput,
  parseGetInput,
  parseRescheduleInput,
  parseSlotsInput,
  type RescheduleRequest,
  type SlotsRequest,
} from './calcom-payloads.js';
import { defineOperation, READ_ONLY } from './spec.js';

/** Operation names the Cal.com worker serves (the activity type names on its task queue). */
export const CalcomOperations = {
  /** Free slots of an event type (`GET /v2/slots`). */
  Slots: BuiltinOperations.CalcomSlots,
  /** Book exactly once per (intent, step) (`POST /v2/bookings`). */
  Book: BuiltinOperations.CalcomBook,
  /** Read one booking (`GET /v2/bookings/{uid}`). */
  Get: 'calcom.get',
  /** One booking: by uid, else the attendee's one upcoming booking (`GET /v2/bookings`). */
  FindBooking: BuiltinOperations.CalcomFindBooking,
  /** Cancel a booking, idempotently (`POST /v2/bookings/{uid}/cancel`). */
  Cancel: BuiltinOperations.CalcomCancel,
  /** Move a booking to a new start, idempotently (`POST /v2/bookings/{uid}/reschedule`). */
  Reschedule: BuiltinOperations.CalcomReschedule,
} as const;
/** One of {@link CalcomOperations}. */
export type CalcomOperation = (typeof CalcomOperations)[keyof typeof CalcomOperations];

/** Payload of `calcom.get`. */
export interface CalcomGetInput {
  /** Name of the tenant's Cal.com credential. */
  credential: string;
  booking_uid: string;
  /** IANA zone to present times in; default the attendee's zone as stored by Cal.com. */
  time_zone?: string;
}

/**
 * Payload of `calcom.find_booking` (compiled from `cancel_booking` / `reschedule_booking`).
 * With `booking_uid` that booking (followed to where it was rescheduled); without, the one
 * upcoming booking (Cal.com's `status=upcoming`) with an attendee of that e-mail or phone:
 * several fail `booking_ambiguous` listing them, none fails `booking_not_found`.
 */
export interface CalcomFindBookingInput {
  credential: string;
  booking_uid?: string;
  /** What the LLM said: e-mail and E.164 phone (checked). */
  attendee?: { email?: string; phone?: string };
  /** What the call knows (contact e-mail, caller number); used where `attendee` says nothing. */
  caller?: { email?: string; phone?: string };
  /** Only bookings of this event type. */
  event_type_id?: number;
  /** IANA zone the result's times (and the choices of an ambiguous answer) are in. */
  time_zone: string;
}

/** Stable codes of `calcom.find_booking` failures (non-retryable: asking again finds the same). */
export const FindBookingErrorCodes = {
  /** No uid, and no upcoming booking of the caller (or no e-mail or phone to find one by). */
  NotFound: 'booking_not_found',
  /** Several upcoming bookings: `details.choices` lists them ({ booking_uid, start, spoken }). */
  Ambiguous: 'booking_ambiguous',
} as const;

/** One of the bookings a `booking_ambiguous` failure offers. */
export interface BookingChoice {
  booking_uid: string;
  /** ISO 8601 in the asked zone. */
  start: string;
  /** As a voice agent says it, e.g. "Monday, December 14 at 9 AM". */
  spoken: string;
}

/** Payload of `calcom.cancel`.*/
export interface CalcomCancelInput {
  credential: string;
  booking_uid: string;
  /** Sent as `cancellationReason`. */
  reason?: string;
  /** IANA zone to present times in; default the attendee's zone. */
  time_zone?: string;
}

/** Payload of `calcom.reschedule`. */
export interface CalcomRescheduleInput {
  credential: string;
  booking_uid: string;
  /** New start, ISO 8601; without an offset it is wall time in `time_zone`. */
  start: string;
  /** IANA zone of a `start` without offset, and of the returned times. */
  time_zone: string;
  /** Sent as `reschedulingReason`. */
  reason?: string;
}

/**
 * A booking as `calcom.get`, `calcom.cancel` and `calcom.reschedule` return it. Times are ISO
 * 8601 with the offset of `time_zone`; absent links are `null`.
 */
export type CalcomBookingState = {
  booking_id: number;
  booking_uid: string;
  /** `accepted`, `cancelled`, `rejected` or `pending`. */
  status: string;
  start: string;
  end: string;
  /** The zone `start` and `end` are written in. */
  time_zone: string;
  event_type_id: number | null;
  cancellation_reason: string | null;
  /** The booking this one replaced (it was rescheduled from there). */
  rescheduled_from_uid: string | null;
  /** The booking that replaced this one (this one is then cancelled). */
  rescheduled_to_uid: string | null;
};

/** Result of `calcom.find_booking`. */
export type CalcomFindBookingResult = CalcomBookingState;

/**
 * What `calcom.cancel` and `calcom.reschedule` add to the booking state: the uids the booking
 * had before, nearest first (it was rescheduled from there), so whoever follows a booking by
 * the uid it started with (the booking lifecycle) can be found.
 */
export type CalcomBookingChange = {
  booking_lineage: string[];
};

/** Result of `calcom.get`. */
export type CalcomGetResult = CalcomBookingState;

/** Result of `calcom.cancel`: the booking, now `cancelled`. */
export type CalcomCancelResult = CalcomBookingState & CalcomBookingChange;

/** Result of `calcom.reschedule`: the new booking, and the one it replaced. */
export type CalcomRescheduleResult = CalcomBookingState &
  CalcomBookingChange & {
    /**
     * Uid of the booking that was moved (now cancelled, pointing to the new one); equal to
     * `booking_uid` when the booking already was at the requested start and nothing moved.
     */
    previous_booking_uid: string;
  };

/** `calcom.slots`. */
export const calcomSlots = defineOperation<SlotsRequest, CalcomSlotsResult>({
  name: CalcomOperations.Slots,
  family: 'Calcom',
  summary: 'Finds free slots of an event type.',
  traits: READ_ONLY,
  parse: parseSlotsInput,
});

/** `calcom.book`. */
export const calcomBook = defineOperation<BookRequest, CalcomBookResult>({
  name: CalcomOperations.Book,
  family: 'Calcom',
  summary: 'Books an event type for an attendee.',
  traits: {
    tracksBooking: true,
    reversibility: { reversible: true, undo: [CalcomOperations.Cancel], how: 'the booking is cancelled' },
    exactlyOnce: 'provider-key',
  },
  parse: parseBookInput,
});

/** `calcom.get`. */
export const calcomGet = defineOperation<BookingRefRequest, CalcomGetResult>({
  name: CalcomOperations.Get,
  family: 'Calcom',
  summary: 'Reads one booking.',
  traits: READ_ONLY,
  parse: parseGetInput,
});

/** `calcom.find_booking`. */
export const calcomFindBooking = defineOperation<FindBookingRequest, CalcomFindBookingResult>({
  name: CalcomOperations.FindBooking,
  family: 'Calcom',
  summary: "Finds one booking: by uid, else the attendee's one upcoming booking.",
  traits: READ_ONLY,
  parse: parseFindBookingInput,
});

/** `calcom.cancel`. */
export const calcomCancel = defineOperation<BookingRefRequest, CalcomCancelResult>({
  name: CalcomOperations.Cancel,
  family: 'Calcom',
  summary: 'Cancels a booking (one already cancelled is answered as it is).',
  traits: {
    reversibility: {
      reversible: false,
      why: 'Cal.com cannot un-cancel a booking (harmless when the test call made it)',
    },
    exactlyOnce: 'idempotent',
    changesBooking: 'cancelled',
  },
  parse: parseCancelInput,
});

/** `calcom.reschedule`. */
export const calcomReschedule = defineOperation<RescheduleRequest, CalcomRescheduleResult>({
  name: CalcomOperations.Reschedule,
  family: 'Calcom',
  summary: 'Moves a booking to a new start.',
  traits: {
    reversibility: {
      reversible: true,
      undo: [CalcomOperations.Reschedule],
      how: 'the booking is moved back to the start it had',
    },
    exactlyOnce: 'idempotent',
    changesBooking: 'rescheduled',
  },
  parse: parseRescheduleInput,
});

/** Every `calcom.*` operation. */
export const CALCOM_OPERATIONS = [
  calcomSlots,
  calcomBook,
  calcomGet,
  calcomFindBooking,
  calcomCancel,
  calcomReschedule,
] as const;
