/**
 * Operations of the Cal.com worker and the contracts of those not defined by the built-in
 * actions (`calcom.slots` and `calcom.book` are defined in `@switchboard/actions`).
 */
export type { CalcomBookInput, CalcomBookResult, CalcomSlotsInput, CalcomSlotsResult } from '@switchboard/actions';

/** Operation names the worker serves (the activity type names on its task queue). */
export const CalcomOperations = {
  /** Free slots of an event type (`GET /v2/slots`). */
  Slots: 'calcom.slots',
  /** Book exactly once per (intent, step) (`POST /v2/bookings`). */
  Book: 'calcom.book',
  /** Read one booking (`GET /v2/bookings/{uid}`). */
  Get: 'calcom.get',
  /** Cancel a booking, idempotently (`POST /v2/bookings/{uid}/cancel`). */
  Cancel: 'calcom.cancel',
  /** Move a booking to a new start, idempotently (`POST /v2/bookings/{uid}/reschedule`). */
  Reschedule: 'calcom.reschedule',
} as const;
/** One of {@link CalcomOperations}. */
export type CalcomOperation = (typeof CalcomOperations)[keyof typeof CalcomOperations];

/** Metadata key holding the idempotency key of the step that made a booking. */
export const IDEMPOTENCY_METADATA_KEY = 'switchboard_key';

/** Payload of `calcom.get`. */
export interface CalcomGetInput {
  /** Name of the tenant's Cal.com credential. */
  credential: string;
  booking_uid: string;
  /** IANA zone to present times in; default the attendee's zone as stored by Cal.com. */
  time_zone?: string;
}

/** Payload of `calcom.cancel`. */
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

/** Result of `calcom.get`. */
export type CalcomGetResult = CalcomBookingState;

/** Result of `calcom.cancel`: the booking, now `cancelled`. */
export type CalcomCancelResult = CalcomBookingState;

/** Result of `calcom.reschedule`: the new booking, and the one it replaced. */
export type CalcomRescheduleResult = CalcomBookingState & {
  /**
   * Uid of the booking that was moved (now cancelled, pointing to the new one); equal to
   * `booking_uid` when the booking already was at the requested start and nothing moved.
   */
  previous_booking_uid: string;
};
