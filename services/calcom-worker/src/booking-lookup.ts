/**
 * Finding the booking a caller means, and following a booking through its reschedules: by
 * uid (to where it was moved since), or among the caller's upcoming bookings by the e-mail or
 * phone of an attendee. Cal.com's list endpoint filters by attendee e-mail but not by phone,
 * so with a phone the upcoming bookings are scanned (bounded) and matched here.
 */
import { DEFAULT_SPOKEN_LOCALE, SpokenFilters, spokenValue } from '@switchboard/actions';
import { formatInZone, parseDateTime } from '@switchboard/common/time-zones';
import { type BookingChoice, FindBookingErrorCodes, type FindBookingRequest } from '@switchboard/operations';
import { ProviderError } from '@switchboard/providers';
import { CALCOM_PROVIDER, type CalcomBooking, type CalcomClient } from './calcom-client.js';

/** Reschedule chains followed at most this far (a loop in the data must not spin). */
export const MAX_RESCHEDULE_HOPS = 10;
const PAGE_SIZE = 100;
const MAX_PAGES = 20;
/** Choices an ambiguous answer lists: a caller cannot listen to more. */
const MAX_CHOICES = 10;

/** Cancelled or rejected: the booking no longer stands. */
export const isCancelled = (b: CalcomBooking) => b.status === 'cancelled' || b.status === 'rejected';

/** Follows `rescheduledToUid` from a booking to the one that currently stands for it. */
export async function resolveCurrent(client: CalcomClient, booking: CalcomBooking): Promise<CalcomBooking> {
  let current = booking;
  for (let hop = 0; hop < MAX_RESCHEDULE_HOPS && isCancelled(current) && current.rescheduledToUid; hop++) {
    current = await client.getBooking(current.rescheduledToUid);
  }
  return current;
}

/**
 * The uids a booking had before, nearest first, following `rescheduledFromUid`: whoever keys
 * something by the uid a booking started with (the booking lifecycle) finds it among them.
 */
export async function bookingLineage(client: CalcomClient, booking: CalcomBooking): Promise<string[]> {
  const uids: string[] = [];
  let from = booking.rescheduledFromUid;
  while (from !== undefined && from !== '' && uids.length < MAX_RESCHEDULE_HOPS && !uids.includes(from)) {
    uids.push(from);
    from = (await client.getBooking(from)).rescheduledFromUid;
  }
  return uids;
}

const notFound = (message: string) =>
  new ProviderError(CALCOM_PROVIDER, FindBookingErrorCodes.NotFound, message, { retryable: false });

/** `start` as a voice agent says it in `timeZone` ("Monday, December 14 at 9 AM"). */
export function spokenStart(start: string, timeZone: string): string {
  const ms = parseDateTime(start, 'UTC');
  const local = ms === undefined ? start : formatInZone(ms, timeZone);
  return spokenValue(SpokenFilters.DateTime, local, timeZone, DEFAULT_SPOKEN_LOCALE) ?? local;
}

/**
 * The booking a `calcom.find_booking` request means: by uid (followed to where it stands now),
 * else the caller's one upcoming booking. Fails `booking_not_found` (nothing to go by, or no
 * upcoming booking) or `booking_ambiguous` (several: `details.choices`, earliest first).
 */
export async function findBooking(client: CalcomClient, request: FindBookingRequest): Promise<CalcomBooking> {
  if (request.bookingUid !== undefined) {
    return resolveCurrent(client, await client.getBooking(request.bookingUid));
  }
  const { email, phone } = request;
  if (email === undefined && phone === undefined) {
    throw notFound(
      "no booking uid was given and neither the caller's e-mail address nor phone number is known to find their bookings by; ask the caller for the e-mail address they booked with",
    );
  }
  const wanted = email?.toLowerCase();
  const matches: CalcomBooking[] = [];
  for (let page = 0; page < MAX_PAGES; page++) {
    const result = await client.listBookings({
      status: ['upcoming'],
      // Without a phone the API filters by e-mail itself; a phone match needs every upcoming booking.
      ...(phone === undefined && email !== undefined ? { attendeeEmail: email } : {}),
      ...(request.eventTypeId !== undefined ? { eventTypeId: request.eventTypeId } : {}),
      sortStart: 'asc',
      take: PAGE_SIZE,
      skip: page * PAGE_SIZE,
    });
    for (const b of result.bookings) {
      if (isCancelled(b)) continue;
      const mine = b.attendees.some(
        (a) =>
          (wanted !== undefined && a.email.toLowerCase() === wanted) ||
          (phone !== undefined && a.phoneNumber !== undefined && a.phoneNumber.replace(/[\s().-]/g, '') === phone),
      );
      if (mine && !matches.some((m) => m.uid === b.uid)) matches.push(b);
    }
    if (!result.hasNextPage || result.bookings.length === 0) break;
  }
  const who = [email, phone].filter((v) => v !== undefined).join(' or ');
  const [only] = matches;
  if (only === undefined) {
    throw notFound(
      `no upcoming booking found for ${who}; ask the caller whether they booked with another e-mail address or phone number`,
    );
  }
  if (matches.length === 1) return only;
  const sorted = [...matches].sort(
    (a, b) => (parseDateTime(a.start, 'UTC') ?? 0) - (parseDateTime(b.start, 'UTC') ?? 0),
  );
  const choices: BookingChoice[] = sorted.slice(0, MAX_CHOICES).map((b) => {
    const ms = parseDateTime(b.start, 'UTC');
    return {
      booking_uid: b.uid,
      start: ms === undefined ? b.start : formatInZone(ms, request.timeZone),
      spoken: spokenStart(b.start, request.timeZone),
    };
  });
  const more = matches.length > choices.length ? ` and ${matches.length - choices.length} more` : '';
  const listed = choices.map((c) => `${c.spoken} (booking_uid ${c.booking_uid})`).join('; ');
  throw new ProviderError(
    CALCOM_PROVIDER,
    FindBookingErrorCodes.Ambiguous,
    `${who} has ${matches.length} upcoming bookings: ${listed}${more}. Ask the caller which one they mean and call again with its booking_uid`,
    { retryable: false, details: { choices } },
  );
}
