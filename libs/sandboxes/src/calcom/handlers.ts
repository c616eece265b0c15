/**
 * The Cal.com v2 operations the sandbox serves, as pure functions of the model: validation
 * first (all problems at once), then the same status codes and messages as the real API.
 */

import { isTimeZone } from '@switchboard/common/time-zones';
import { CalcomHttpError, validationError } from './errors.js';
import { type BookingFilters, type CalcomModel, SandboxHost, type SortDirection, type StoredBooking } from './model.js';
import {
  AttendeeLanguages,
  checkMetadata,
  checkTimeZone,
  isE164,
  isEmail,
  isIsoDate,
  isObject,
  LocationIntegrations,
  Problems,
  parseIsoDateTime,
} from './validation.js';

/** A handler's answer. */
export interface Answer {
  status: number;
  body: unknown;
}

type Query = Record<string, string | string[]>;

const single = (q: Query, name: string, p: Problems): string | undefined => {
  const v = q[name];
  if (Array.isArray(v)) {
    p.add(`${name} must be a single value`);
    return v[0];
  }
  return v;
};

const SLOTS_QUERY = [
  'bookingUidToReschedule',
  'start',
  'end',
  'organizationSlug',
  'teamSlug',
  'username',
  'eventTypeSlug',
  'eventTypeId',
  'usernames',
  'format',
  'duration',
  'timeZone',
] as const;

/** Parses `start`/`end` of `GET /v2/slots`: a UTC date-time, or a date (start or end of that UTC day). */
function slotBound(value: string | undefined, name: 'start' | 'end', p: Problems): number | undefined {
  if (value === undefined || value === '') {
    p.add(`${name} must be a valid ISO 8601 date string`);
    return undefined;
  }
  if (isIsoDate(value)) return Date.parse(`${value}T${name === 'start' ? '00:00:00.000' : '23:59:59.999'}Z`);
  const parsed = parseIsoDateTime(value);
  if (!parsed) {
    p.add(`${name} must be a valid ISO 8601 date string`);
    return undefined;
  }
  if (!parsed.utc) p.add(`${name} must be in UTC timezone (a date, or a date-time ending in Z)`);
  return parsed.ms;
}

const positiveInt = (value: string | undefined): number | undefined => {
  if (value === undefined || !/^\d+$/.test(value)) return undefined;
  const n = Number(value);
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
};

/** `GET /v2/slots` (cal-api-version 2024-09-04). */
export function getSlots(model: CalcomModel, q: Query): Answer {
  const p = new Problems();
  p.onlyKnown(q, SLOTS_QUERY);
  const from = slotBound(single(q, 'start', p), 'start', p);
  const to = slotBound(single(q, 'end', p), 'end', p);
  const timeZone = single(q, 'timeZone', p) ?? 'UTC';
  if (!isTimeZone(timeZone)) p.add('timeZone must be a valid IANA time zone');
  const format = single(q, 'format', p) ?? 'time';
  if (format !== 'range' && format !== 'time') p.add('format must be one of the following values: range, time');
  const durationText = single(q, 'duration', p);
  const duration = durationText === undefined ? undefined : positiveInt(durationText);
  if (durationText !== undefined && duration === undefined) p.add('duration must be a positive integer');
  const idText = single(q, 'eventTypeId', p);
  const slug = single(q, 'eventTypeSlug', p);
  const username = single(q, 'username', p);
  const eventTypeId = idText === undefined ? undefined : positiveInt(idText);
  if (idText !== undefined && eventTypeId === undefined) p.add('eventTypeId must be a number');
  if (idText === undefined && (slug === undefined || username === undefined)) {
    p.add('Either eventTypeId, or eventTypeSlug with username or teamSlug, must be provided');
  }
  if (from !== undefined && to !== undefined && to < from) p.add('end must be after start');
  if (p.list.length > 0) throw validationError(p.list);
  const et =
    eventTypeId !== undefined
      ? model.eventType(eventTypeId)
      : username === SandboxHost.username
        ? model.eventTypeBySlug(slug as string)
        : undefined;
  if (!et) {
    throw new CalcomHttpError(
      404,
      eventTypeId !== undefined
        ? `Event Type with id=${eventTypeId} not found`
        : `Event type with slug ${slug} belonging to user ${username} not found.`,
    );
  }
  const length = duration ?? et.lengthInMinutes;
  if (!model.lengths(et).includes(length)) {
    throw new CalcomHttpError(
      400,
      `Requested duration ${length} is not one of the event type's lengths (${model.lengths(et).join(', ')})`,
    );
  }
  const exceptUid = single(q, 'bookingUidToReschedule', p);
  const data = model.slotsResponse(
    et,
    length,
    from as number,
    to as number,
    timeZone,
    format as 'range' | 'time',
    exceptUid,
  );
  return { status: 200, body: { status: 'success', data } };
}

const CREATE_KEYS = [
  'start',
  'attendee',
  'bookingFieldsResponses',
  'eventTypeId',
  'eventTypeSlug',
  'username',
  'teamSlug',
  'organizationSlug',
  'guests',
  'meetingUrl',
  'location',
  'metadata',
  'lengthInMinutes',
  'routing',
  'emailVerificationCode',
  'instant',
  'recurrenceCount',
] as const;
const ATTENDEE_KEYS = ['name', 'email', 'timeZone', 'phoneNumber', 'language'] as const;

/** Checks a start that Cal.com documents as UTC; returns the instant. */
function utcStart(p: Problems, value: unknown): number | undefined {
  if (typeof value !== 'string') {
    p.add('start must be a valid ISO 8601 date string');
    return undefined;
  }
  const parsed = parseIsoDateTime(value);
  if (!parsed) {
    p.add('start must be a valid ISO 8601 date string');
    return undefined;
  }
  if (!parsed.utc) p.add('start must be in UTC timezone (ISO 8601 ending in Z)');
  return parsed.ms;
}

/** Checks `location` and renders the string a booking reports. */
function checkLocation(p: Problems, value: unknown): string | undefined {
  if (!isObject(value) || typeof value.type !== 'string') {
    p.add('location must be an object with a string type');
    return undefined;
  }
  const need = (key: string): string | undefined => {
    const v = value[key];
    if (typeof v !== 'string' || v === '') {
      p.add(`location.${key} must be a non-empty string`);
      return undefined;
    }
    return v;
  };
  switch (value.type) {
    case 'address':
      return '1 Sandbox Street, Testville';
    case 'link':
      return 'https://sandbox.cal.local/meet';
    case 'phone':
      return '+15550000000';
    case 'organizersDefaultApp':
    case 'integration': {
      if (value.type === 'integration') {
        const integration = need('integration');
        if (integration !== undefined && !(LocationIntegrations as readonly string[]).includes(integration)) {
          p.add(`location.integration must be one of the following values: ${LocationIntegrations.join(', ')}`);
        }
        if (integration !== undefined && integration !== 'cal-video') return `integrations:${integration}`;
      }
      return 'integrations:daily';
    }
    case 'attendeeAddress':
      return need('address');
    case 'attendeeDefined':
      return need('location');
    case 'attendeePhone':
      return need('phone');
    default:
      p.add(
        'location.type must be one of: address, attendeeAddress, attendeeDefined, attendeePhone, integration, link, phone, organizersDefaultApp',
      );
      return undefined;
  }
}

/** `POST /v2/bookings` (cal-api-version 2024-08-13). */
export function createBooking(model: CalcomModel, body: unknown): Answer {
  if (!isObject(body)) throw validationError(['request body must be a JSON object']);
  const p = new Problems();
  p.onlyKnown(body, CREATE_KEYS);
  const startMs = utcStart(p, body.start);
  const attendee = body.attendee;
  if (!isObject(attendee)) {
    p.add('attendee must be an object');
  } else {
    p.onlyKnown(attendee, ATTENDEE_KEYS, 'attendee.');
    if (typeof attendee.name !== 'string' || attendee.name.trim() === '')
      p.add('attendee.name must be a non-empty string');
    checkTimeZone(p, attendee.timeZone, 'attendee.timeZone');
    if (attendee.email !== undefined && !isEmail(attendee.email)) p.add('attendee.email must be an email');
    if (attendee.phoneNumber !== undefined && !isE164(attendee.phoneNumber)) {
      p.add('attendee.phoneNumber must be a valid phone number in E.164 format, e.g. +15551234567');
    }
    if (attendee.email === undefined && attendee.phoneNumber === undefined) {
      p.add('attendee.email must be an email (or attendee.phoneNumber given)');
    }
    if (attendee.language !== undefined && !(AttendeeLanguages as readonly unknown[]).includes(attendee.language)) {
      p.add(`attendee.language must be one of the following values: ${AttendeeLanguages.join(', ')}`);
    }
  }
  const { eventTypeId, eventTypeSlug, username } = body;
  if (eventTypeId !== undefined && (typeof eventTypeId !== 'number' || !Number.isInteger(eventTypeId))) {
    p.add('eventTypeId must be a number');
  }
  if (eventTypeId === undefined && (typeof eventTypeSlug !== 'string' || typeof username !== 'string')) {
    p.add('eventTypeId is required, or eventTypeSlug with username or teamSlug');
  }
  for (const key of [
    'eventTypeSlug',
    'username',
    'teamSlug',
    'organizationSlug',
    'meetingUrl',
    'emailVerificationCode',
  ]) {
    if (body[key] !== undefined && typeof body[key] !== 'string') p.add(`${key} must be a string`);
  }
  if (body.guests !== undefined && (!Array.isArray(body.guests) || !body.guests.every(isEmail))) {
    p.add('each value in guests must be an email');
  }
  const location = body.location === undefined ? 'integrations:daily' : checkLocation(p, body.location);
  if (body.metadata !== undefined) checkMetadata(p, body.metadata);
  if (body.bookingFieldsResponses !== undefined && !isObject(body.bookingFieldsResponses)) {
    p.add('bookingFieldsResponses must be an object');
  }
  if (body.lengthInMinutes !== undefined && (typeof body.lengthInMinutes !== 'number' || body.lengthInMinutes <= 0)) {
    p.add('lengthInMinutes must be a positive number');
  }
  if (body.routing !== undefined && !isObject(body.routing)) p.add('routing must be an object');
  if (body.instant !== undefined && typeof body.instant !== 'boolean') p.add('instant must be a boolean value');
  if (body.recurrenceCount !== undefined && typeof body.recurrenceCount !== 'number') {
    p.add('recurrenceCount must be a number');
  }
  if (p.list.length > 0) throw validationError(p.list);

  const et =
    typeof eventTypeId === 'number'
      ? model.eventType(eventTypeId)
      : username === SandboxHost.username
        ? model.eventTypeBySlug(eventTypeSlug as string)
        : undefined;
  if (!et) {
    throw new CalcomHttpError(
      404,
      typeof eventTypeId === 'number'
        ? `Event type with id ${eventTypeId} not found.`
        : `Event type with slug ${String(eventTypeSlug)} belonging to user ${String(username)} not found.`,
    );
  }
  if (body.instant === true) throw new CalcomHttpError(400, 'Instant bookings are only possible for team event types');
  if (body.recurrenceCount !== undefined) {
    throw new CalcomHttpError(400, `Event type with id ${et.id} is not a recurring event type`);
  }
  const length = (body.lengthInMinutes as number | undefined) ?? et.lengthInMinutes;
  if (!model.lengths(et).includes(length)) {
    throw new CalcomHttpError(
      400,
      `Provided lengthInMinutes ${length} is not one of the event type's lengths (${model.lengths(et).join(', ')})`,
    );
  }
  const start = startMs as number;
  checkBookable(model, et.id, start, length);
  const a = attendee as Record<string, unknown>;
  const email = typeof a.email === 'string' ? a.email.toLowerCase() : '';
  const phone = typeof a.phoneNumber === 'string' ? a.phoneNumber : undefined;
  const guests = (body.guests as string[] | undefined) ?? [];
  const booking = model.create({
    eventTypeId: et.id,
    title: `${et.title} between ${SandboxHost.name} and ${String(a.name)}`,
    description: '',
    startMs: start,
    endMs: start + length * 60_000,
    attendees: [
      {
        name: String(a.name),
        email,
        timeZone: String(a.timeZone),
        language: typeof a.language === 'string' ? a.language : 'en',
        absent: false,
        ...(phone !== undefined ? { phoneNumber: phone } : {}),
      },
    ],
    guests,
    metadata: { ...((body.metadata as Record<string, string | number | boolean> | undefined) ?? {}) },
    bookingFieldsResponses: {
      name: String(a.name),
      email,
      ...(phone !== undefined ? { attendeePhoneNumber: phone } : {}),
      guests,
      ...((body.bookingFieldsResponses as Record<string, unknown> | undefined) ?? {}),
    },
    location: location as string,
  });
  return { status: 201, body: { status: 'success', data: model.output(booking) } };
}

/** Refuses a start the host cannot take, with Cal.com's messages. */
function checkBookable(model: CalcomModel, eventTypeId: number, start: number, length: number, exceptUid?: string) {
  const et = model.eventType(eventTypeId);
  if (!et) throw new CalcomHttpError(404, `Event type with id ${eventTypeId} not found.`);
  const why = model.unavailability(et, start, length, exceptUid);
  if (why === 'past') throw new CalcomHttpError(400, 'Attempting to book a meeting in the past.');
  if (why === 'out_of_bounds') {
    throw new CalcomHttpError(
      400,
      `The event type can't be booked at the "start" time provided. This could be because it's too soon (violating the minimum booking notice) or too far in the future (outside the event's scheduling window). Try fetching available slots first using the GET /v2/slots endpoint and then make a booking with "start" time equal to one of the available slots: https://cal.com/docs/api-reference/v2/slots`,
    );
  }
  if (why === 'busy')
    throw new CalcomHttpError(400, 'User either already has booking at this time or is not available');
}

function findBooking(model: CalcomModel, uid: string): StoredBooking {
  const b = model.booking(uid);
  if (!b) throw new CalcomHttpError(404, `Booking with uid=${uid} was not found in the database`);
  return b;
}

/** `GET /v2/bookings/{bookingUid}`. */
export function getBooking(model: CalcomModel, uid: string): Answer {
  return { status: 200, body: { status: 'success', data: model.output(findBooking(model, uid)) } };
}

/** `POST /v2/bookings/{bookingUid}/cancel`. */
export function cancelBooking(model: CalcomModel, uid: string, body: unknown, now: number): Answer {
  const input = body === undefined ? {} : body;
  if (!isObject(input)) throw validationError(['request body must be a JSON object']);
  const p = new Problems();
  p.onlyKnown(input, ['cancellationReason', 'cancelSubsequentBookings', 'seatUid']);
  if (input.cancellationReason !== undefined && typeof input.cancellationReason !== 'string') {
    p.add('cancellationReason must be a string');
  }
  if (input.cancelSubsequentBookings !== undefined && typeof input.cancelSubsequentBookings !== 'boolean') {
    p.add('cancelSubsequentBookings must be a boolean value');
  }
  if (input.seatUid !== undefined && typeof input.seatUid !== 'string') p.add('seatUid must be a string');
  if (p.list.length > 0) throw validationError(p.list);
  const b = findBooking(model, uid);
  if (input.seatUid !== undefined) {
    throw new CalcomHttpError(400, `Booking with uid=${uid} is not a seated booking: cancel it without seatUid`);
  }
  if (b.status === 'cancelled' || b.status === 'rejected') {
    throw new CalcomHttpError(400, 'This booking has already been cancelled.');
  }
  b.status = 'cancelled';
  if (typeof input.cancellationReason === 'string') b.cancellationReason = input.cancellationReason;
  b.cancelledByEmail = SandboxHost.email;
  b.updatedAt = now;
  return { status: 200, body: { status: 'success', data: model.output(b) } };
}

/** `POST /v2/bookings/{bookingUid}/reschedule`: a new booking; the old one is cancelled and points to it. */
export function rescheduleBooking(model: CalcomModel, uid: string, body: unknown, now: number): Answer {
  if (!isObject(body)) throw validationError(['request body must be a JSON object']);
  const p = new Problems();
  p.onlyKnown(body, ['start', 'rescheduledBy', 'reschedulingReason', 'emailVerificationCode', 'seatUid']);
  const startMs = utcStart(p, body.start);
  if (body.rescheduledBy !== undefined && !isEmail(body.rescheduledBy)) p.add('rescheduledBy must be an email');
  for (const key of ['reschedulingReason', 'emailVerificationCode', 'seatUid']) {
    if (body[key] !== undefined && typeof body[key] !== 'string') p.add(`${key} must be a string`);
  }
  if (p.list.length > 0) throw validationError(p.list);
  const old = findBooking(model, uid);
  if (body.seatUid !== undefined) {
    throw new CalcomHttpError(400, `Booking with uid=${uid} is not a seated booking: reschedule it without seatUid`);
  }
  if (old.status === 'cancelled' || old.status === 'rejected') {
    throw new CalcomHttpError(
      400,
      old.rescheduledToUid !== undefined
        ? `Booking with uid=${uid} has already been rescheduled to the booking with uid=${old.rescheduledToUid}`
        : `Can't reschedule booking with uid=${uid} because it has been cancelled. Please provide uid of a booking that is not cancelled.`,
    );
  }
  const length = Math.round((old.endMs - old.startMs) / 60_000);
  const start = startMs as number;
  checkBookable(model, old.eventTypeId, start, length, old.uid);
  const by = typeof body.rescheduledBy === 'string' ? body.rescheduledBy : undefined;
  const reason = typeof body.reschedulingReason === 'string' ? body.reschedulingReason : undefined;
  // Cal.com carries the attendees, responses and metadata over to the new booking.
  const next = model.create({
    eventTypeId: old.eventTypeId,
    title: old.title,
    description: old.description,
    startMs: start,
    endMs: start + length * 60_000,
    attendees: old.attendees.map((a) => ({ ...a })),
    guests: [...old.guests],
    metadata: { ...old.metadata },
    bookingFieldsResponses: structuredClone(old.bookingFieldsResponses),
    location: old.location,
    rescheduledFromUid: old.uid,
    ...(reason !== undefined ? { reschedulingReason: reason } : {}),
    ...(by !== undefined ? { rescheduledByEmail: by } : {}),
  });
  old.status = 'cancelled';
  old.rescheduledToUid = next.uid;
  if (reason !== undefined) old.reschedulingReason = reason;
  if (by !== undefined) old.rescheduledByEmail = by;
  old.updatedAt = now;
  return { status: 201, body: { status: 'success', data: model.output(next) } };
}

const LIST_QUERY = [
  'status',
  'attendeeEmail',
  'attendeeName',
  'bookingUid',
  'eventTypeIds',
  'eventTypeId',
  'teamsIds',
  'teamId',
  'afterStart',
  'beforeEnd',
  'afterCreatedAt',
  'beforeCreatedAt',
  'afterUpdatedAt',
  'beforeUpdatedAt',
  'sortStart',
  'sortEnd',
  'sortCreated',
  'sortUpdatedAt',
  'take',
  'skip',
] as const;
const LIST_STATUSES = ['upcoming', 'recurring', 'past', 'cancelled', 'unconfirmed'] as const;

/** `GET /v2/bookings`: the filters of API version 2024-08-13, with its pagination block. */
export function listBookings(model: CalcomModel, q: Query): Answer {
  const p = new Problems();
  p.onlyKnown(q, LIST_QUERY);
  const f: BookingFilters = { take: 100, skip: 0 };
  const status = single(q, 'status', p);
  if (status !== undefined) {
    const values = status.split(',').map((s) => s.trim());
    if (!values.every((s) => (LIST_STATUSES as readonly string[]).includes(s))) {
      p.add(`each value in status must be one of the following values: ${LIST_STATUSES.join(', ')}`);
    }
    f.status = values;
  }
  for (const key of ['attendeeEmail', 'attendeeName', 'bookingUid'] as const) {
    const v = single(q, key, p);
    if (v !== undefined) f[key] = v;
  }
  const ids: number[] = [];
  for (const key of ['eventTypeIds', 'eventTypeId'] as const) {
    const v = single(q, key, p);
    if (v === undefined) continue;
    for (const part of v.split(',')) {
      const n = positiveInt(part.trim());
      if (n === undefined) p.add(`${key} must be a number or a comma-separated list of numbers`);
      else ids.push(n);
    }
  }
  if (ids.length > 0) f.eventTypeIds = ids;
  // The sandbox host belongs to no team: a team filter matches nothing.
  if (q.teamId !== undefined || q.teamsIds !== undefined) f.eventTypeIds = [];
  const dates = [
    'afterStart',
    'beforeEnd',
    'afterCreatedAt',
    'beforeCreatedAt',
    'afterUpdatedAt',
    'beforeUpdatedAt',
  ] as const;
  for (const key of dates) {
    const v = single(q, key, p);
    if (v === undefined) continue;
    const parsed = isIsoDate(v) ? { ms: Date.parse(`${v}T00:00:00Z`) } : parseIsoDateTime(v);
    if (!parsed) p.add(`${key} must be a valid ISO 8601 date string`);
    else f[key] = parsed.ms;
  }
  for (const key of ['sortStart', 'sortEnd', 'sortCreated', 'sortUpdatedAt'] as const) {
    const v = single(q, key, p);
    if (v === undefined) continue;
    if (v !== 'asc' && v !== 'desc') p.add(`${key} must be one of the following values: asc, desc`);
    else f[key] = v as SortDirection;
  }
  const take = single(q, 'take', p);
  if (take !== undefined) {
    const n = positiveInt(take);
    if (n === undefined || n > 250) p.add('take must not be greater than 250 and at least 1');
    else f.take = n;
  }
  const skip = single(q, 'skip', p);
  if (skip !== undefined) {
    if (!/^\d+$/.test(skip)) p.add('skip must not be less than 0');
    else f.skip = Number(skip);
  }
  if (p.list.length > 0) throw validationError(p.list);
  const { items, total } = model.list(f);
  const returned = items.length;
  return {
    status: 200,
    body: {
      status: 'success',
      data: items.map((b) => model.output(b)),
      pagination: {
        totalItems: total,
        remainingItems: Math.max(0, total - (f.skip + returned)),
        returnedItems: returned,
        itemsPerPage: f.take,
        currentPage: Math.floor(f.skip / f.take) + 1,
        totalPages: Math.ceil(total / f.take),
        hasNextPage: f.skip + returned < total,
        hasPreviousPage: f.skip > 0,
      },
    },
  };
}
