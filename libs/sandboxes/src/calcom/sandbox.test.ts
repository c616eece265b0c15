import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type CalcomSandbox, startCalcomSandbox } from './index.js';

const KEY = 'cal_test_sandbox_key_0001';
const SLOTS = '2024-09-04';
const BOOKINGS = '2024-08-13';
let sb: CalcomSandbox;

beforeAll(async () => {
  sb = await startCalcomSandbox({ apiKeys: [KEY] });
});
afterAll(async () => {
  await sb?.close();
});
beforeEach(() => sb.reset());

interface CallOptions {
  version?: string | null;
  key?: string | null;
  body?: unknown;
  query?: Record<string, string>;
}

async function call(method: string, path: string, o: CallOptions = {}) {
  const url = new URL(path, sb.url);
  for (const [k, v] of Object.entries(o.query ?? {})) url.searchParams.set(k, v);
  const headers: Record<string, string> = {};
  if (o.key !== null) headers.authorization = `Bearer ${o.key ?? KEY}`;
  const version = o.version === undefined ? (path.startsWith('/v2/slots') ? SLOTS : BOOKINGS) : o.version;
  if (version !== null) headers['cal-api-version'] = version;
  if (o.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(url, {
    method,
    headers,
    ...(o.body !== undefined ? { body: JSON.stringify(o.body) } : {}),
  });
  // biome-ignore lint/suspicious/noExplicitAny: test responses are inspected loosely
  return { status: res.status, headers: res.headers, body: (await res.json()) as any };
}

const slots = (query: Record<string, string>) => call('GET', '/v2/slots', { query });
const book = (start: string, extra: Record<string, unknown> = {}) =>
  call('POST', '/v2/bookings', {
    body: {
      start,
      eventTypeId: 1001,
      attendee: { name: 'Ada Lovelace', email: 'ada@example.com', timeZone: 'Europe/London' },
      ...extra,
    },
  });

// 2030-03-04 is a Monday; US DST starts Sunday 2030-03-10; the host is in America/New_York.
describe('authentication and versions', () => {
  it('answers 401 in Cal.com’s error envelope without or with an unknown key', async () => {
    const ok = await slots({ eventTypeId: '1001', start: '2030-03-04', end: '2030-03-04' });
    expect(ok.status).toBe(200);
    const none = await call('GET', '/v2/bookings', { key: null });
    expect(none.status).toBe(401);
    expect(none.body).toMatchObject({
      status: 'error',
      path: '/v2/bookings',
      error: { code: 'UnauthorizedException', details: { statusCode: 401, error: 'Unauthorized' } },
    });
    expect(Date.parse(none.body.timestamp)).not.toBeNaN();
    const wrong = await call('GET', '/v2/bookings', { key: 'cal_wrong' });
    expect(wrong.status).toBe(401);
    expect(JSON.stringify(wrong.body)).not.toContain('cal_wrong');
  });

  it('requires the cal-api-version of each endpoint', async () => {
    const missing = await call('GET', '/v2/bookings', { version: null });
    expect(missing.status).toBe(400);
    expect(missing.body.error).toMatchObject({ code: 'BadRequestException' });
    expect(missing.body.error.message).toContain('2024-08-13');
    const crossed = await call('GET', '/v2/slots', {
      version: BOOKINGS,
      query: { eventTypeId: '1001', start: '2030-03-04', end: '2030-03-04' },
    });
    expect(crossed.status).toBe(400);
    expect(crossed.body.path).toBe('/v2/slots?eventTypeId=1001&start=2030-03-04&end=2030-03-04');
  });

  it('answers 404 for paths it does not serve', async () => {
    const res = await call('DELETE', '/v2/bookings/abc');
    expect(res.status).toBe(404);
    expect(res.body.error).toMatchObject({ code: 'NotFoundException', message: 'Cannot DELETE /v2/bookings/abc' });
  });
});

describe('slots', () => {
  it('lists a weekday’s slots in the host’s hours, expressed in the asked zone', async () => {
    const res = await slots({
      eventTypeId: '1001',
      start: '2030-03-04T00:00:00Z',
      end: '2030-03-04T23:59:59Z',
      timeZone: 'Europe/Paris',
      format: 'range',
    });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('success');
    const day = res.body.data['2030-03-04'];
    expect(day).toHaveLength(16);
    expect(day[0]).toEqual({ start: '2030-03-04T15:00:00.000+01:00', end: '2030-03-04T15:30:00.000+01:00' });
    expect(day[15]).toEqual({ start: '2030-03-04T22:30:00.000+01:00', end: '2030-03-04T23:00:00.000+01:00' });
  });

  it('follows the host’s DST change and groups by the asked zone’s dates', async () => {
    const res = await slots({ eventTypeId: '1001', start: '2030-03-08', end: '2030-03-11', timeZone: 'UTC' });
    expect(Object.keys(res.body.data)).toEqual(['2030-03-08', '2030-03-11']);
    // 09:00 EST is 14:00Z; after the change 09:00 EDT is 13:00Z. Default format: starts only.
    expect(res.body.data['2030-03-08'][0]).toEqual({ start: '2030-03-08T14:00:00.000Z' });
    expect(res.body.data['2030-03-11'][0]).toEqual({ start: '2030-03-11T13:00:00.000Z' });
  });

  it('honours durations of multi-length event types and refuses others', async () => {
    const q = { eventTypeId: '1002', start: '2030-03-04', end: '2030-03-04', timeZone: 'America/New_York' };
    const ninety = await slots({ ...q, duration: '90', format: 'range' });
    const day = ninety.body.data['2030-03-04'];
    // 10:00-16:00 every 30 minutes, 90 minutes long: 10:00 … 14:30.
    expect(day).toHaveLength(10);
    expect(day.at(-1)).toEqual({ start: '2030-03-04T14:30:00.000-05:00', end: '2030-03-04T16:00:00.000-05:00' });
    const bad = await slots({ ...q, duration: '45' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('30, 60, 90');
  });

  it('leaves out booked slots, and shows them again for the booking being rescheduled', async () => {
    const b = await book('2030-03-04T15:00:00Z');
    expect(b.status).toBe(201);
    const q = { eventTypeId: '1001', start: '2030-03-04', end: '2030-03-04', timeZone: 'America/New_York' };
    const after = await slots(q);
    const starts = after.body.data['2030-03-04'].map((s: { start: string }) => s.start);
    expect(starts).toHaveLength(15);
    expect(starts).not.toContain('2030-03-04T10:00:00.000-05:00');
    // The host is busy for every event type.
    const other = await slots({ ...q, eventTypeId: '1003' });
    expect(other.body.data['2030-03-04'].map((s: { start: string }) => s.start)).not.toContain(
      '2030-03-04T10:15:00.000-05:00',
    );
    const rescheduling = await slots({ ...q, bookingUidToReschedule: b.body.data.uid });
    expect(rescheduling.body.data['2030-03-04']).toHaveLength(16);
  });

  it('validates the query like the real API', async () => {
    const res = await slots({
      eventTypeId: 'x',
      start: 'soon',
      end: '2030-03-04T10:00:00',
      timeZone: 'Mars/Base',
      bogus: '1',
    });
    expect(res.status).toBe(400);
    expect(res.body.error.details.message).toEqual([
      'property bogus should not exist',
      'start must be a valid ISO 8601 date string',
      'end must be in UTC timezone (a date, or a date-time ending in Z)',
      'timeZone must be a valid IANA time zone',
      'eventTypeId must be a number',
    ]);
    const unknown = await slots({ eventTypeId: '999', start: '2030-03-04', end: '2030-03-04' });
    expect(unknown.status).toBe(404);
  });
});

describe('bookings', () => {
  it('creates a booking with the API’s output shape', async () => {
    const res = await book('2030-03-04T14:00:00Z', {
      attendee: { name: 'Ada', email: 'Ada@Example.com', timeZone: 'Europe/London', phoneNumber: '+447700900123' },
      metadata: { switchboard_key: 'int_1:/actions/0', source: 'test' },
      bookingFieldsResponses: { notes: 'Ring first' },
    });
    expect(res.status).toBe(201);
    expect(res.body.status).toBe('success');
    expect(res.body.data).toMatchObject({
      id: 1,
      status: 'accepted',
      start: '2030-03-04T14:00:00.000Z',
      end: '2030-03-04T14:30:00.000Z',
      duration: 30,
      eventTypeId: 1001,
      eventType: { id: 1001, slug: '30min-consultation' },
      attendees: [
        {
          name: 'Ada',
          email: 'ada@example.com',
          timeZone: 'Europe/London',
          phoneNumber: '+447700900123',
          absent: false,
        },
      ],
      metadata: { switchboard_key: 'int_1:/actions/0', source: 'test' },
      bookingFieldsResponses: { name: 'Ada', notes: 'Ring first', attendeePhoneNumber: '+447700900123' },
      hosts: [{ id: 1, timeZone: 'America/New_York' }],
    });
    expect(res.body.data.uid).toMatch(/^[A-Za-z0-9]{22}$/);
    expect(sb.state().bookings).toHaveLength(1);
  });

  it('refuses a taken slot, the past and hours outside availability with Cal.com’s 400s', async () => {
    expect((await book('2030-03-04T14:00:00Z')).status).toBe(201);
    const taken = await book('2030-03-04T14:00:00Z');
    expect(taken.status).toBe(400);
    expect(taken.body.error).toMatchObject({
      code: 'BadRequestException',
      message: 'User either already has booking at this time or is not available',
    });
    const overlapping = await book('2030-03-04T14:15:00Z');
    expect(overlapping.status).toBe(400);
    const night = await book('2030-03-04T03:00:00Z');
    expect(night.body.error.message).toBe('User either already has booking at this time or is not available');
    const past = await book('2020-03-02T14:00:00Z');
    expect(past.body.error.message).toBe('Attempting to book a meeting in the past.');
    expect(sb.state().bookings).toHaveLength(1);
  });

  it('validates the body: unknown properties, UTC start, attendee and metadata limits', async () => {
    const res = await call('POST', '/v2/bookings', {
      body: {
        start: '2030-03-04T09:00:00-05:00',
        eventTypeId: 1001,
        attendee: { name: '', email: 'nope', timeZone: 'EST5', phone: '1' },
        metadata: { ['k'.repeat(41)]: 'v', long: 'x'.repeat(501) },
        notes: 'x',
      },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toBe('Bad Request Exception');
    expect(res.body.error.details.message).toEqual([
      'property notes should not exist',
      'start must be in UTC timezone (ISO 8601 ending in Z)',
      'attendee.property phone should not exist',
      'attendee.name must be a non-empty string',
      'attendee.timeZone must be a valid IANA time zone',
      'attendee.email must be an email',
      `metadata key '${'k'.repeat(40)}…' must be at most 40 characters`,
      "metadata value of 'long' must be at most 500 characters",
    ]);
    const tooMany = await book('2030-03-04T14:00:00Z', {
      metadata: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v'])),
    });
    expect(tooMany.body.error.details.message).toEqual(['metadata must have at most 50 keys']);
    const unknownType = await book('2030-03-04T14:00:00Z', { eventTypeId: 4242 });
    expect(unknownType.status).toBe(404);
    expect(unknownType.body.error.message).toBe('Event type with id 4242 not found.');
  });

  it('gets, lists with filters and paginates', async () => {
    const a = (await book('2030-03-04T14:00:00Z')).body.data;
    const b = (
      await book('2030-03-05T14:00:00Z', { attendee: { name: 'Bo', email: 'bo@example.com', timeZone: 'UTC' } })
    ).body.data;
    const c = (await book('2030-03-06T15:00:00Z', { eventTypeId: 1003 })).body.data;
    const got = await call('GET', `/v2/bookings/${a.uid}`);
    expect(got.body).toEqual({ status: 'success', data: a });
    expect((await call('GET', '/v2/bookings/missing')).status).toBe(404);

    const list = async (query: Record<string, string>) =>
      (await call('GET', '/v2/bookings', { query })).body as {
        data: { uid: string }[];
        pagination: Record<string, unknown>;
      };
    expect((await list({ attendeeEmail: 'ADA@example.com' })).data.map((x) => x.uid)).toEqual([a.uid, c.uid]);
    expect((await list({ eventTypeId: '1003' })).data.map((x) => x.uid)).toEqual([c.uid]);
    expect((await list({ eventTypeIds: '1001,1003', sortStart: 'desc' })).data.map((x) => x.uid)).toEqual([
      c.uid,
      b.uid,
      a.uid,
    ]);
    const window = await list({ afterStart: '2030-03-04T14:00:00.000Z', beforeEnd: '2030-03-05T14:30:00.000Z' });
    expect(window.data.map((x) => x.uid)).toEqual([a.uid, b.uid]);
    const page = await list({ take: '2', skip: '2' });
    expect(page.data.map((x) => x.uid)).toEqual([c.uid]);
    expect(page.pagination).toEqual({
      totalItems: 3,
      remainingItems: 0,
      returnedItems: 1,
      itemsPerPage: 2,
      currentPage: 2,
      totalPages: 2,
      hasNextPage: false,
      hasPreviousPage: true,
    });
    await call('POST', `/v2/bookings/${b.uid}/cancel`, { body: {} });
    expect((await list({ status: 'cancelled' })).data.map((x) => x.uid)).toEqual([b.uid]);
    expect((await list({ status: 'upcoming' })).data.map((x) => x.uid)).toEqual([a.uid, c.uid]);
    const bad = await call('GET', '/v2/bookings', { query: { status: 'soon', metadata: 'x' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.message).toEqual([
      'property metadata should not exist',
      'each value in status must be one of the following values: upcoming, recurring, past, cancelled, unconfirmed',
    ]);
  });

  it('cancels once; a second cancel is refused', async () => {
    const a = (await book('2030-03-04T14:00:00Z')).body.data;
    const res = await call('POST', `/v2/bookings/${a.uid}/cancel`, { body: { cancellationReason: 'Sick' } });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ uid: a.uid, status: 'cancelled', cancellationReason: 'Sick' });
    const again = await call('POST', `/v2/bookings/${a.uid}/cancel`, { body: {} });
    expect(again.status).toBe(400);
    expect(again.body.error.message).toBe('This booking has already been cancelled.');
    // The slot is free again.
    expect((await book('2030-03-04T14:00:00Z')).status).toBe(201);
  });

  it('reschedules into a new booking and cancels the old one, pointing to the new', async () => {
    const a = (await book('2030-03-04T14:00:00Z', { metadata: { switchboard_key: 'k1' } })).body.data;
    const res = await call('POST', `/v2/bookings/${a.uid}/reschedule`, {
      body: { start: '2030-03-04T14:15:00Z', reschedulingReason: 'Later' },
    });
    expect(res.status).toBe(201);
    const moved = res.body.data;
    expect(moved).toMatchObject({
      id: 2,
      status: 'accepted',
      start: '2030-03-04T14:15:00.000Z',
      rescheduledFromUid: a.uid,
      reschedulingReason: 'Later',
      metadata: { switchboard_key: 'k1' },
      attendees: a.attendees,
    });
    const old = (await call('GET', `/v2/bookings/${a.uid}`)).body.data;
    expect(old).toMatchObject({ status: 'cancelled', rescheduledToUid: moved.uid });
    const twice = await call('POST', `/v2/bookings/${a.uid}/reschedule`, { body: { start: '2030-03-04T16:00:00Z' } });
    expect(twice.status).toBe(400);
    expect(twice.body.error.message).toContain(moved.uid);
    const busy = await book('2030-03-04T15:00:00Z');
    expect(busy.status).toBe(201);
    const clash = await call('POST', `/v2/bookings/${moved.uid}/reschedule`, {
      body: { start: '2030-03-04T15:00:00Z' },
    });
    expect(clash.status).toBe(400);
    expect(clash.body.error.message).toBe('User either already has booking at this time or is not available');
  });
});

describe('faults and inspection', () => {
  it('answers injected statuses with Retry-After and rate-limit headers, then recovers', async () => {
    sb.faults.add({ status: 503, retryAfterSeconds: 2, pathPrefix: '/v2/bookings', count: 2 });
    sb.faults.add({ status: 429, retryAfterSeconds: 1, pathPrefix: '/v2/slots' });
    const first = await call('GET', '/v2/bookings');
    expect(first.status).toBe(503);
    expect(first.headers.get('retry-after')).toBe('2');
    expect(first.body.error.code).toBe('ServiceUnavailableException');
    expect((await call('GET', '/v2/bookings')).status).toBe(503);
    expect((await call('GET', '/v2/bookings')).status).toBe(200);
    const limited = await slots({ eventTypeId: '1001', start: '2030-03-04', end: '2030-03-04' });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
    expect(limited.headers.get('x-ratelimit-remaining')).toBe('0');
    const ok = await slots({ eventTypeId: '1001', start: '2030-03-04', end: '2030-03-04' });
    expect(ok.status).toBe(200);
    expect(Number(ok.headers.get('x-ratelimit-remaining'))).toBeGreaterThan(0);
  });

  it('commits and then drops the connection on dropAfterCommit', async () => {
    sb.faults.add({ dropAfterCommit: true, method: 'POST', pathPrefix: '/v2/bookings' });
    await expect(book('2030-03-04T14:00:00Z')).rejects.toThrow();
    expect(sb.state().bookings).toHaveLength(1);
    const [rec] = sb.requests({ method: 'POST' });
    expect(rec).toMatchObject({ dropped: true, operation: 'BookingsController_2024_08_13_createBooking' });
    expect(rec?.status).toBeUndefined();
  });

  it('delays answers (latency and timeouts)', async () => {
    sb.faults.add({ delayMs: 300, pathPrefix: '/v2/bookings' });
    // The client's own timeout ends the wait: the answer had not come. (Both timers run in this
    // process, the client's registered first, so this holds however loaded the machine is.)
    const impatient = fetch(new URL('/v2/bookings', sb.url), {
      headers: { authorization: `Bearer ${KEY}`, 'cal-api-version': BOOKINGS },
      signal: AbortSignal.timeout(100),
    });
    await expect(impatient).rejects.toMatchObject({ name: 'TimeoutError' });
    // The fault was used up: the next request is answered at once.
    expect((await call('GET', '/v2/bookings')).status).toBe(200);
  });

  it('enforces a configured rate limit per key', async () => {
    const limited = await startCalcomSandbox({ apiKeys: [KEY], rateLimit: { limit: 2, windowMs: 60_000 } });
    try {
      const get = () =>
        fetch(new URL('/v2/bookings', limited.url), {
          headers: { authorization: `Bearer ${KEY}`, 'cal-api-version': BOOKINGS },
        });
      expect((await get()).headers.get('x-ratelimit-remaining')).toBe('1');
      expect((await get()).status).toBe(200);
      const third = await get();
      expect(third.status).toBe(429);
      expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(((await third.json()) as { error: { code: string } }).error.code).toBe('ThrottlerException');
    } finally {
      await limited.close();
    }
  });

  it('records every request and serves state, requests and faults over HTTP', async () => {
    await book('2030-03-04T14:00:00Z');
    const [rec] = sb.requests();
    expect(rec).toMatchObject({
      seq: 1,
      method: 'POST',
      path: '/v2/bookings',
      query: {},
      status: 201,
      operation: 'BookingsController_2024_08_13_createBooking',
      headers: { authorization: `Bearer ${KEY}`, 'cal-api-version': BOOKINGS, 'content-type': 'application/json' },
      json: { start: '2030-03-04T14:00:00Z', eventTypeId: 1001 },
    });
    expect(JSON.parse(rec?.body ?? '')).toEqual(rec?.json);

    const control = (path: string, init?: RequestInit) => fetch(new URL(path, sb.url), init);
    const state = (await (await control('/_sandbox/state')).json()) as { bookings: unknown[]; eventTypes: unknown[] };
    expect(state.bookings).toHaveLength(1);
    expect(state.eventTypes).toHaveLength(3);
    const requests = (await (await control('/_sandbox/requests')).json()) as { headers: Record<string, string> }[];
    expect(requests).toHaveLength(1);
    expect(requests[0]?.headers.authorization).toBe('Bearer [redacted]');
    const added = await control('/_sandbox/faults', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ status: 500, pathPrefix: '/v2/bookings' }),
    });
    expect(added.status).toBe(201);
    expect((await call('GET', '/v2/bookings')).status).toBe(500);
    const refused = await control('/_sandbox/faults', { method: 'POST', body: JSON.stringify({ explode: true }) });
    expect(refused.status).toBe(400);
    expect((await control('/_sandbox/reset', { method: 'POST' })).status).toBe(200);
    expect(sb.state().bookings).toHaveLength(0);
    expect(sb.requests()).toHaveLength(0);
  });
});
