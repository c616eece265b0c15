import { createProviderHttp, ProviderError } from '@switchboard/providers';
import { type CalcomSandbox, startCalcomSandbox } from '@switchboard/sandboxes/calcom';
import { trace } from '@switchboard/telemetry';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type CalcomClient, createCalcomClient, startToUtc } from './calcom-client.js';

const KEY = 'cal_live_client_test_0123456789abcdef';
const http = createProviderHttp({ tracer: trace.getTracer('calcom-client-test') });
let sb: CalcomSandbox;
let client: CalcomClient;

beforeAll(async () => {
  sb = await startCalcomSandbox({ apiKeys: [KEY] });
  // Generous: an ordinary answer must never time out, however loaded the machine.
  client = createCalcomClient({ http, baseUrl: `${sb.url}/v2/`, apiKey: KEY, timeoutMs: 10_000 });
});
afterAll(async () => {
  await sb?.close();
});
beforeEach(() => sb.reset());

async function failure(p: Promise<unknown>): Promise<ProviderError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProviderError);
  return err as ProviderError;
}

const ada = { name: 'Ada Lovelace', email: 'ada@example.com', timeZone: 'America/New_York' };

describe('requests', () => {
  it('asks for slots of whole local days in UTC, with the slots API version, and answers in the zone', async () => {
    // Friday before and Monday after the 2030 US DST change (Sunday 2030-03-10).
    const slots = await client.getSlots({
      eventTypeId: 1001,
      startDate: '2030-03-08',
      endDate: '2030-03-11',
      timeZone: 'America/New_York',
    });
    const [req] = sb.requests();
    expect(req).toMatchObject({
      method: 'GET',
      path: '/v2/slots',
      query: {
        eventTypeId: '1001',
        start: '2030-03-08T05:00:00.000Z',
        end: '2030-03-12T03:59:59.999Z',
        timeZone: 'America/New_York',
        format: 'range',
      },
      body: '',
      status: 200,
    });
    expect(req?.headers).toMatchObject({
      authorization: `Bearer ${KEY}`,
      'cal-api-version': '2024-09-04',
      accept: 'application/json',
    });
    expect(req?.headers['content-type']).toBeUndefined();
    expect(slots).toHaveLength(32);
    expect(slots[0]).toEqual({ start: '2030-03-08T09:00:00-05:00', end: '2030-03-08T09:30:00-05:00' });
    expect(slots[16]).toEqual({ start: '2030-03-11T09:00:00-04:00', end: '2030-03-11T09:30:00-04:00' });
  });

  it('presents slots in the caller’s zone, not the host’s', async () => {
    const slots = await client.getSlots({
      eventTypeId: 1002,
      startDate: '2030-03-05',
      endDate: '2030-03-05',
      timeZone: 'Asia/Kolkata',
      durationMinutes: 90,
    });
    expect(sb.requests()[0]?.query).toMatchObject({
      start: '2030-03-04T18:30:00.000Z',
      end: '2030-03-05T18:29:59.999Z',
      duration: '90',
    });
    // The host's Monday hours (10:00-16:00 EST) run until 02:30 IST on the 5th: the day opens at 00:00.
    expect(slots[0]).toEqual({ start: '2030-03-05T00:00:00+05:30', end: '2030-03-05T01:30:00+05:30' });
    expect(slots.every((s) => s.start.endsWith('+05:30') && s.start.startsWith('2030-03-05'))).toBe(true);
  });

  it('books with the exact body: UTC start from wall time in the zone (across DST), attendee, metadata', async () => {
    const booking = await client.createBooking({
      eventTypeId: 1001,
      start: '2030-03-11T10:00:00',
      timeZone: 'America/New_York',
      attendee: { ...ada, phoneNumber: '+15551230000' },
      metadata: { switchboard_key: 'int_1:/actions/2', source: 'voice' },
      bookingFieldsResponses: { notes: 'Gate code 42' },
    });
    const [req] = sb.requests();
    expect(req?.method).toBe('POST');
    expect(req?.path).toBe('/v2/bookings');
    expect(req?.headers).toMatchObject({
      authorization: `Bearer ${KEY}`,
      'cal-api-version': '2024-08-13',
      'content-type': 'application/json',
    });
    expect(req?.json).toEqual({
      start: '2030-03-11T14:00:00.000Z',
      eventTypeId: 1001,
      attendee: {
        name: 'Ada Lovelace',
        timeZone: 'America/New_York',
        email: 'ada@example.com',
        phoneNumber: '+15551230000',
      },
      metadata: { switchboard_key: 'int_1:/actions/2', source: 'voice' },
      bookingFieldsResponses: { notes: 'Gate code 42' },
    });
    expect(booking).toMatchObject({
      id: 1,
      status: 'accepted',
      start: '2030-03-11T14:00:00.000Z',
      end: '2030-03-11T14:30:00.000Z',
      eventTypeId: 1001,
      metadata: { switchboard_key: 'int_1:/actions/2' },
      attendees: [{ name: 'Ada Lovelace', email: 'ada@example.com', timeZone: 'America/New_York' }],
    });
    // Before the change the same wall time is an hour later in UTC.
    const friday = await client.createBooking({
      eventTypeId: 1001,
      start: '2030-03-08T10:00:00',
      timeZone: 'America/New_York',
      attendee: ada,
    });
    expect(friday.start).toBe('2030-03-08T15:00:00.000Z');
  });

  it('keeps an explicit offset and converts skipped and repeated wall times deterministically', () => {
    expect(startToUtc('2030-03-14T15:00:00-04:00', 'Europe/Paris')).toBe('2030-03-14T19:00:00.000Z');
    expect(startToUtc('2030-03-10T02:30:00', 'America/New_York')).toBe('2030-03-10T07:30:00.000Z');
    expect(startToUtc('2030-11-03T01:30:00', 'America/New_York')).toBe('2030-11-03T05:30:00.000Z');
  });

  it('lists with the spec’s filters, gets, cancels and reschedules with their exact requests', async () => {
    const b = await client.createBooking({
      eventTypeId: 1001,
      start: '2030-03-04T10:00:00',
      timeZone: 'America/New_York',
      attendee: ada,
    });
    const page = await client.listBookings({
      attendeeEmail: 'ada@example.com',
      eventTypeId: 1001,
      afterStart: '2030-03-04T14:59:00.000Z',
      beforeEnd: '2030-03-05T15:01:00.000Z',
      status: ['upcoming', 'past'],
      sortStart: 'asc',
      take: 10,
      skip: 0,
    });
    expect(page).toMatchObject({ totalItems: 1, hasNextPage: false });
    expect(page.bookings.map((x) => x.uid)).toEqual([b.uid]);
    const list = sb.requests({ method: 'GET', path: '/v2/bookings' })[0];
    expect(list?.query).toEqual({
      status: 'upcoming,past',
      attendeeEmail: 'ada@example.com',
      afterStart: '2030-03-04T14:59:00.000Z',
      beforeEnd: '2030-03-05T15:01:00.000Z',
      sortStart: 'asc',
      eventTypeId: '1001',
      take: '10',
      skip: '0',
    });
    expect(list?.headers['cal-api-version']).toBe('2024-08-13');

    expect((await client.getBooking(b.uid)).uid).toBe(b.uid);
    const moved = await client.rescheduleBooking(b.uid, {
      start: '2030-03-04T11:00:00',
      timeZone: 'America/New_York',
      reschedulingReason: 'Caller asked',
    });
    expect(moved).toMatchObject({ start: '2030-03-04T16:00:00.000Z', rescheduledFromUid: b.uid });
    const reschedule = sb.requests({ method: 'POST', path: `/v2/bookings/${b.uid}/reschedule` })[0];
    expect(reschedule?.json).toEqual({ start: '2030-03-04T16:00:00.000Z', reschedulingReason: 'Caller asked' });
    expect((await client.getBooking(b.uid)).rescheduledToUid).toBe(moved.uid);

    const cancelled = await client.cancelBooking(moved.uid, { cancellationReason: 'Sick' });
    expect(cancelled).toMatchObject({ status: 'cancelled', cancellationReason: 'Sick' });
    const refused = await failure(client.cancelBooking(b.uid));
    expect(refused.message).toBe('calcom answered 400: This booking has already been cancelled.');
    const cancels = sb.requests({ method: 'POST' }).filter((r) => r.path.endsWith('/cancel'));
    expect(cancels.map((r) => r.json)).toEqual([{ cancellationReason: 'Sick' }, {}]);
    expect(cancels.every((r) => r.headers['content-type'] === 'application/json')).toBe(true);
  });
});

describe('errors', () => {
  it('maps 401 to auth_failed with Cal.com’s message and never the key', async () => {
    const wrong = createCalcomClient({ http, baseUrl: sb.url, apiKey: 'cal_live_wrong_key_999' });
    const err = await failure(wrong.getBooking('abc'));
    expect(err).toMatchObject({ code: 'provider_auth_failed', retryable: false, httpStatus: 401 });
    expect(err.message).toBe('calcom answered 401: ApiAuthStrategy - api key - Invalid API Key');
    expect(err.message).not.toContain('cal_live_wrong_key_999');
  });

  it('maps a taken slot to a rejected 400, and validation problems to their list', async () => {
    const input = { eventTypeId: 1001, start: '2030-03-04T10:00:00', timeZone: 'America/New_York', attendee: ada };
    await client.createBooking(input);
    const taken = await failure(client.createBooking(input));
    expect(taken).toMatchObject({ code: 'provider_rejected', retryable: false, httpStatus: 400 });
    expect(taken.message).toBe('calcom answered 400: User either already has booking at this time or is not available');
    const invalid = await failure(client.createBooking({ ...input, metadata: { ['k'.repeat(41)]: 'v' } }));
    expect(invalid.message).toBe(
      `calcom answered 400: metadata key '${'k'.repeat(40)}…' must be at most 40 characters`,
    );
    const missing = await failure(client.getBooking('no-such-uid'));
    expect(missing).toMatchObject({ code: 'provider_not_found', retryable: false, httpStatus: 404 });
  });

  it('maps 5xx and 429 to retryable failures with their Retry-After', async () => {
    sb.faults.add({ status: 503, retryAfterSeconds: 3 });
    const down = await failure(client.getBooking('x'));
    expect(down).toMatchObject({ code: 'provider_unavailable', retryable: true, retryAfterMs: 3000 });
    sb.faults.add({ status: 429, retryAfterSeconds: 2 });
    const limited = await failure(client.listBookings());
    expect(limited).toMatchObject({ code: 'provider_rate_limited', retryable: true, retryAfterMs: 2000 });
    expect(limited.message).toBe('calcom answered 429: ThrottlerException: Too Many Requests');
  });

  it('maps a slow answer to a retryable timeout and a dropped connection to unavailable', async () => {
    sb.faults.add({ delayMs: 800, pathPrefix: '/v2/slots' });
    // Its timer starts before the sandbox's delay does (one process): it always runs out first.
    const impatient = createCalcomClient({ http, baseUrl: `${sb.url}/v2/`, apiKey: KEY, timeoutMs: 500 });
    const slow = await failure(
      impatient.getSlots({ eventTypeId: 1001, startDate: '2030-03-04', endDate: '2030-03-04', timeZone: 'UTC' }),
    );
    expect(slow).toMatchObject({ code: 'provider_timeout', retryable: true });
    sb.faults.add({ dropAfterCommit: true, pathPrefix: '/v2/bookings' });
    const dropped = await failure(
      client.createBooking({ eventTypeId: 1001, start: '2030-03-04T15:00:00Z', timeZone: 'UTC', attendee: ada }),
    );
    expect(dropped).toMatchObject({ code: 'provider_unavailable', retryable: true });
    expect(sb.state().bookings).toHaveLength(1);
  });

  it('refuses input it cannot send before calling Cal.com', async () => {
    const zone = await failure(
      client.getSlots({ eventTypeId: 1001, startDate: '2030-03-04', endDate: '2030-03-04', timeZone: 'EST5EDT+' }),
    );
    expect(zone).toMatchObject({ code: 'provider_invalid_input', retryable: false });
    const start = await failure(
      client.createBooking({ eventTypeId: 1001, start: 'next Tuesday', timeZone: 'UTC', attendee: ada }),
    );
    expect(start.message).toContain("start 'next Tuesday' is not an ISO 8601 date-time");
    expect(sb.requests()).toHaveLength(0);
  });
});
