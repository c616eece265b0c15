/**
 * HTTP client for the Cal.com API v2 operations Switchboard uses: slots (API version
 * 2024-09-04) and bookings (2024-08-13). Requests follow the published OpenAPI description
 * exactly; answers are checked before use; failures become {@link ProviderError}s through
 * `errorForStatus` carrying Cal.com's own message (never a header: headers carry the key).
 */
import type { JsonValue } from '@switchboard/common';
import {
  addDays,
  type CalendarDate,
  formatInZone,
  isTimeZone,
  parseDate,
  parseDateTime,
  startOfDay,
  toUtcIso,
} from '@switchboard/common/time-zones';
import { errorForStatus, ProviderError, ProviderErrorCodes, type ProviderHttp } from '@switchboard/providers';

/** Provider name in errors and spans. */
export const CALCOM_PROVIDER = 'calcom';

/** `cal-api-version` per endpoint family: Cal.com routes on it, so it must be exact. */
export const CalcomApiVersions = {
  Slots: '2024-09-04',
  Bookings: '2024-08-13',
} as const;

/** Default base URL of the hosted API. */
export const CALCOM_DEFAULT_BASE_URL = 'https://api.cal.com';

/** Options of {@link createCalcomClient}. */
export interface CalcomClientOptions {
  http: ProviderHttp;
  /** e.g. `https://api.cal.com` (a trailing `/v2` is accepted and ignored). */
  baseUrl: string;
  /** The `cal_…` API key, sent as `Authorization: Bearer`. */
  apiKey: string;
  /** Per-request timeout (default 10 s). */
  timeoutMs?: number;
}

/** A free slot, ISO 8601 with the offset of the zone it was asked in. */
export interface CalcomSlot {
  start: string;
  end: string;
}

/** Query of {@link CalcomClient.getSlots}: whole local days in `timeZone`. */
export interface GetSlotsRequest {
  eventTypeId: number;
  /** First day, `YYYY-MM-DD` in `timeZone`. */
  startDate: string;
  /** Last day (inclusive), `YYYY-MM-DD` in `timeZone`. */
  endDate: string;
  /** IANA zone the days are in and the slots are presented in. */
  timeZone: string;
  /** For event types with several lengths. */
  durationMinutes?: number;
  /** Show the slot of this booking as free (when looking for a new time for it). */
  bookingUidToReschedule?: string;
}

/** An attendee as Cal.com returns it. */
export interface CalcomAttendee {
  name: string;
  email: string;
  timeZone: string;
  phoneNumber?: string;
  language?: string;
}

/** The members of `BookingOutput_2024_08_13` the worker relies on (others are kept in `raw`). */
export interface CalcomBooking {
  id: number;
  uid: string;
  /** `accepted`, `cancelled`, `rejected` or `pending`. */
  status: string;
  /** UTC ISO 8601, as Cal.com returns it. */
  start: string;
  end: string;
  eventTypeId?: number;
  attendees: CalcomAttendee[];
  metadata: Record<string, JsonValue>;
  cancellationReason?: string;
  rescheduledFromUid?: string;
  rescheduledToUid?: string;
  /** The whole booking object as received. */
  raw: Record<string, JsonValue>;
}

/** Body of {@link CalcomClient.createBooking}. */
export interface CreateBookingRequest {
  eventTypeId: number;
  /** ISO 8601; without an offset it is wall time in `timeZone`. Sent to Cal.com as UTC. */
  start: string;
  /** IANA zone of a `start` without offset. */
  timeZone: string;
  attendee: { name: string; timeZone: string; email?: string; phoneNumber?: string; language?: string };
  /** At most 50 keys, keys up to 40 characters, values up to 500 (Cal.com's limits). */
  metadata?: Record<string, string>;
  bookingFieldsResponses?: Record<string, JsonValue>;
  lengthInMinutes?: number;
  location?: Record<string, string>;
}

/** Statuses `GET /v2/bookings` filters by. */
export type BookingListStatus = 'upcoming' | 'recurring' | 'past' | 'cancelled' | 'unconfirmed';

/** Filters of `GET /v2/bookings` (only those the spec defines; dates are UTC ISO 8601). */
export interface ListBookingsQuery {
  status?: BookingListStatus[];
  attendeeEmail?: string;
  attendeeName?: string;
  bookingUid?: string;
  eventTypeId?: number;
  eventTypeIds?: number[];
  afterStart?: string;
  beforeEnd?: string;
  afterCreatedAt?: string;
  beforeCreatedAt?: string;
  afterUpdatedAt?: string;
  beforeUpdatedAt?: string;
  sortStart?: 'asc' | 'desc';
  sortEnd?: 'asc' | 'desc';
  sortCreated?: 'asc' | 'desc';
  take?: number;
  skip?: number;
}

/** One page of bookings. */
export interface BookingPage {
  bookings: CalcomBooking[];
  totalItems: number;
  hasNextPage: boolean;
}

/** Body of {@link CalcomClient.rescheduleBooking}. */
export interface RescheduleBookingRequest {
  /** ISO 8601; without an offset it is wall time in `timeZone`. */
  start: string;
  timeZone: string;
  reschedulingReason?: string;
  /** E-mail of who reschedules (owner e-mail confirms automatically). */
  rescheduledBy?: string;
}

/** The Cal.com operations Switchboard uses. */
export interface CalcomClient {
  /** Free slots in the whole local days asked for, earliest first, in the asked zone. */
  getSlots(request: GetSlotsRequest): Promise<CalcomSlot[]>;
  createBooking(request: CreateBookingRequest): Promise<CalcomBooking>;
  getBooking(uid: string): Promise<CalcomBooking>;
  listBookings(query?: ListBookingsQuery): Promise<BookingPage>;
  cancelBooking(uid: string, request?: { cancellationReason?: string }): Promise<CalcomBooking>;
  rescheduleBooking(uid: string, request: RescheduleBookingRequest): Promise<CalcomBooking>;
}

const isObject = (v: unknown): v is Record<string, JsonValue> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const invalidInput = (message: string) =>
  new ProviderError(CALCOM_PROVIDER, ProviderErrorCodes.InvalidInput, message, { retryable: false });

// A malformed success answer may still mean the change happened: retrying is safe because
// every write looks for its own earlier effect first.
const invalidResponse = (what: string) =>
  new ProviderError(CALCOM_PROVIDER, ProviderErrorCodes.InvalidResponse, `calcom sent an unexpected ${what}`, {
    retryable: true,
  });

/** Cal.com's message from an error envelope (`error.details.message` holds validation problems). */
function errorMessage(text: string): string {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return text.slice(0, 200);
  }
  if (!isObject(body)) return '';
  const error = body.error;
  if (!isObject(error)) return typeof body.message === 'string' ? body.message : '';
  const details = error.details;
  const problems = isObject(details) && Array.isArray(details.message) ? details.message : undefined;
  if (problems && problems.length > 0) return problems.map(String).join('; ');
  return typeof error.message === 'string' ? error.message : '';
}

function parseBooking(value: unknown): CalcomBooking {
  if (
    !isObject(value) ||
    typeof value.id !== 'number' ||
    typeof value.uid !== 'string' ||
    typeof value.status !== 'string' ||
    typeof value.start !== 'string' ||
    typeof value.end !== 'string'
  ) {
    throw invalidResponse('booking (no id, uid, status, start or end)');
  }
  const attendees: CalcomAttendee[] = [];
  if (Array.isArray(value.attendees)) {
    for (const a of value.attendees) {
      if (!isObject(a) || typeof a.name !== 'string') continue;
      attendees.push({
        name: a.name,
        email: typeof a.email === 'string' ? a.email : '',
        timeZone: typeof a.timeZone === 'string' ? a.timeZone : '',
        ...(typeof a.phoneNumber === 'string' ? { phoneNumber: a.phoneNumber } : {}),
        ...(typeof a.language === 'string' ? { language: a.language } : {}),
      });
    }
  }
  const eventTypeId =
    typeof value.eventTypeId === 'number'
      ? value.eventTypeId
      : isObject(value.eventType) && typeof value.eventType.id === 'number'
        ? value.eventType.id
        : undefined;
  const str = (key: string) => (typeof value[key] === 'string' ? (value[key] as string) : undefined);
  const cancellationReason = str('cancellationReason');
  const rescheduledFromUid = str('rescheduledFromUid');
  const rescheduledToUid = str('rescheduledToUid');
  return {
    id: value.id,
    uid: value.uid,
    status: value.status,
    start: value.start,
    end: value.end,
    ...(eventTypeId !== undefined ? { eventTypeId } : {}),
    attendees,
    metadata: isObject(value.metadata) ? value.metadata : {},
    ...(cancellationReason !== undefined ? { cancellationReason } : {}),
    ...(rescheduledFromUid !== undefined ? { rescheduledFromUid } : {}),
    ...(rescheduledToUid !== undefined ? { rescheduledToUid } : {}),
    raw: value,
  };
}

/** Converts an ISO start (offset or wall time in `timeZone`) to Cal.com's UTC form. */
export function startToUtc(start: string, timeZone: string): string {
  const ms = parseDateTime(start, timeZone);
  if (ms === undefined) {
    throw invalidInput(`start '${start}' is not an ISO 8601 date-time such as 2025-03-14T15:00:00`);
  }
  return toUtcIso(ms);
}

// isTimeZone keeps the zone's formatter: building an Intl.DateTimeFormat per call was 3 % of
// this worker's CPU.
function checkZone(timeZone: string): void {
  if (!isTimeZone(timeZone)) throw invalidInput(`'${timeZone}' is not an IANA time zone`);
}

/**
 * Creates a Cal.com client. Each call sends `Authorization: Bearer <apiKey>`, the endpoint's
 * `cal-api-version`, and JSON bodies with `Content-Type: application/json`.
 */
export function createCalcomClient(o: CalcomClientOptions): CalcomClient {
  const base = o.baseUrl.replace(/\/+$/, '').replace(/\/v2$/, '');
  const timeoutMs = o.timeoutMs ?? 10_000;

  const send = async (
    operation: string,
    method: 'GET' | 'POST',
    path: string,
    version: string,
    query?: Record<string, string>,
    body?: unknown,
  ): Promise<Record<string, JsonValue>> => {
    const url = new URL(`${base}${path}`);
    for (const [k, v] of Object.entries(query ?? {})) url.searchParams.set(k, v);
    const headers: Record<string, string> = {
      authorization: `Bearer ${o.apiKey}`,
      'cal-api-version': version,
      accept: 'application/json',
    };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await o.http.send({
      provider: CALCOM_PROVIDER,
      operation,
      method,
      url,
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      timeoutMs,
    });
    if (res.status < 200 || res.status > 299) {
      throw errorForStatus(CALCOM_PROVIDER, res.status, errorMessage(res.text), res.headers);
    }
    const json = res.json<unknown>();
    if (!isObject(json) || json.status !== 'success') throw invalidResponse(`answer to ${operation}`);
    return json;
  };

  const bookingPath = (uid: string) => {
    if (uid === '') throw invalidInput('booking uid is empty');
    return `/v2/bookings/${encodeURIComponent(uid)}`;
  };

  return {
    async getSlots(r) {
      checkZone(r.timeZone);
      const first = parseDate(r.startDate);
      const last = parseDate(r.endDate);
      if (!first) throw invalidInput(`startDate '${r.startDate}' is not a date YYYY-MM-DD`);
      if (!last) throw invalidInput(`endDate '${r.endDate}' is not a date YYYY-MM-DD`);
      // Cal.com takes the range in UTC: the local days become the instants they span.
      const fromMs = startOfDay(first, r.timeZone);
      const toMs = startOfDay(addDays(last as CalendarDate, 1), r.timeZone) - 1;
      if (toMs < fromMs) throw invalidInput(`endDate ${r.endDate} is before startDate ${r.startDate}`);
      const query: Record<string, string> = {
        eventTypeId: String(r.eventTypeId),
        start: toUtcIso(fromMs),
        end: toUtcIso(toMs),
        timeZone: r.timeZone,
        format: 'range',
      };
      if (r.durationMinutes !== undefined) query.duration = String(r.durationMinutes);
      if (r.bookingUidToReschedule !== undefined) query.bookingUidToReschedule = r.bookingUidToReschedule;
      const json = await send('calcom.slots', 'GET', '/v2/slots', CalcomApiVersions.Slots, query);
      const data = json.data;
      if (!isObject(data)) throw invalidResponse('slots answer (no data)');
      const seen = new Map<number, number>();
      for (const day of Object.values(data)) {
        if (!Array.isArray(day)) throw invalidResponse('slots answer (a day is not a list)');
        for (const slot of day) {
          const startText = typeof slot === 'string' ? slot : isObject(slot) ? slot.start : undefined;
          const endText = isObject(slot) ? slot.end : undefined;
          // A zone-less slot time is in the zone asked for, never in this server's zone.
          const start = typeof startText === 'string' ? parseDateTime(startText, r.timeZone) : undefined;
          let end = typeof endText === 'string' ? parseDateTime(endText, r.timeZone) : undefined;
          if (end === undefined && r.durationMinutes !== undefined && start !== undefined) {
            end = start + r.durationMinutes * 60_000;
          }
          if (start === undefined || end === undefined) throw invalidResponse('slot (no start or end)');
          seen.set(start, end);
        }
      }
      return [...seen.entries()]
        .sort((a, b) => a[0] - b[0])
        .map(([start, end]) => ({ start: formatInZone(start, r.timeZone), end: formatInZone(end, r.timeZone) }));
    },

    async createBooking(r) {
      checkZone(r.timeZone);
      checkZone(r.attendee.timeZone);
      const body: Record<string, JsonValue> = {
        start: startToUtc(r.start, r.timeZone),
        eventTypeId: r.eventTypeId,
        attendee: {
          name: r.attendee.name,
          timeZone: r.attendee.timeZone,
          ...(r.attendee.email !== undefined ? { email: r.attendee.email } : {}),
          ...(r.attendee.phoneNumber !== undefined ? { phoneNumber: r.attendee.phoneNumber } : {}),
          ...(r.attendee.language !== undefined ? { language: r.attendee.language } : {}),
        },
      };
      if (r.metadata !== undefined) body.metadata = r.metadata;
      if (r.bookingFieldsResponses !== undefined) body.bookingFieldsResponses = r.bookingFieldsResponses;
      if (r.lengthInMinutes !== undefined) body.lengthInMinutes = r.lengthInMinutes;
      if (r.location !== undefined) body.location = r.location;
      const json = await send(
        'calcom.bookings.create',
        'POST',
        '/v2/bookings',
        CalcomApiVersions.Bookings,
        undefined,
        body,
      );
      // Recurring event types answer with a list; Switchboard books single events only.
      return parseBooking(json.data);
    },

    async getBooking(uid) {
      const json = await send('calcom.bookings.get', 'GET', bookingPath(uid), CalcomApiVersions.Bookings);
      return parseBooking(json.data);
    },

    async listBookings(q = {}) {
      const query: Record<string, string> = {};
      if (q.status !== undefined && q.status.length > 0) query.status = q.status.join(',');
      for (const key of [
        'attendeeEmail',
        'attendeeName',
        'bookingUid',
        'afterStart',
        'beforeEnd',
        'afterCreatedAt',
        'beforeCreatedAt',
        'afterUpdatedAt',
        'beforeUpdatedAt',
        'sortStart',
        'sortEnd',
        'sortCreated',
      ] as const) {
        const v = q[key];
        if (v !== undefined) query[key] = v;
      }
      if (q.eventTypeId !== undefined) query.eventTypeId = String(q.eventTypeId);
      if (q.eventTypeIds !== undefined && q.eventTypeIds.length > 0) query.eventTypeIds = q.eventTypeIds.join(',');
      if (q.take !== undefined) query.take = String(q.take);
      if (q.skip !== undefined) query.skip = String(q.skip);
      const json = await send('calcom.bookings.list', 'GET', '/v2/bookings', CalcomApiVersions.Bookings, query);
      if (!Array.isArray(json.data)) throw invalidResponse('bookings list (data is not a list)');
      const pagination = isObject(json.pagination) ? json.pagination : {};
      const bookings = json.data.map(parseBooking);
      return {
        bookings,
        totalItems: typeof pagination.totalItems === 'number' ? pagination.totalItems : bookings.length,
        hasNextPage: pagination.hasNextPage === true,
      };
    },

    async cancelBooking(uid, r = {}) {
      const body: Record<string, JsonValue> = {};
      if (r.cancellationReason !== undefined) body.cancellationReason = r.cancellationReason;
      const json = await send(
        'calcom.bookings.cancel',
        'POST',
        `${bookingPath(uid)}/cancel`,
        CalcomApiVersions.Bookings,
        undefined,
        body,
      );
      return parseBooking(json.data);
    },

    async rescheduleBooking(uid, r) {
      checkZone(r.timeZone);
      const body: Record<string, JsonValue> = { start: startToUtc(r.start, r.timeZone) };
      if (r.reschedulingReason !== undefined) body.reschedulingReason = r.reschedulingReason;
      if (r.rescheduledBy !== undefined) body.rescheduledBy = r.rescheduledBy;
      const json = await send(
        'calcom.bookings.reschedule',
        'POST',
        `${bookingPath(uid)}/reschedule`,
        CalcomApiVersions.Bookings,
        undefined,
        body,
      );
      return parseBooking(json.data);
    },
  };
}
