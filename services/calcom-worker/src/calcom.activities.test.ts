import type { JsonValue, Logger } from '@switchboard/common';
import { listCredentials, listSandboxEffects } from '@switchboard/db';
import { type ProviderTestEnv, type RunOperation, resultOf, startProviderTestEnv } from '@switchboard/provider-testing';
import type { ProviderWorkerContext } from '@switchboard/providers';
import { type CalcomSandbox, startCalcomSandbox } from '@switchboard/sandboxes/calcom';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createCalcomActivities, readCalcomConfig, SANDBOX_UNDO_REASON } from './calcom.activities.js';

const KEY = 'cal_live_activities_secret_5f3a9c1e7d';
const WRONG_KEY = 'cal_live_revoked_secret_0b8e2d4f6a';
let env: ProviderTestEnv;
let sb: CalcomSandbox;

/** Everything the activities log, as text: credentials must never show up in it. */
const logged: string[] = [];
const capture =
  (level: string) =>
  (...args: unknown[]) => {
    logged.push(`${level} ${JSON.stringify(args, (_k, v) => (v instanceof Error ? { message: v.message } : v))}`);
  };
const log = {
  trace: capture('trace'),
  debug: capture('debug'),
  info: capture('info'),
  warn: capture('warn'),
  error: capture('error'),
  fatal: capture('fatal'),
  child: () => log,
} as unknown as Logger;

beforeAll(async () => {
  [env, sb] = await Promise.all([startProviderTestEnv(), startCalcomSandbox({ apiKeys: [KEY] })]);
  await env.putCredential('calcom_main', 'calcom', { apiKey: KEY });
}, 120_000);
afterAll(async () => {
  await sb?.close();
  await env?.stop();
});
beforeEach(() => sb.reset());

/** A worker; its request timeout is generous unless a test is about timeouts. */
const withWorker = <T>(fn: (run: RunOperation) => Promise<T>, timeoutMs = 10_000) =>
  env.withWorker(
    (ctx: ProviderWorkerContext) =>
      createCalcomActivities({
        ...ctx,
        log,
        env: { CALCOM_API_URL: sb.url, CALCOM_TIMEOUT_MS: String(timeoutMs) },
      }),
    fn,
  );

const bookPayload = (start: string, extra: Record<string, unknown> = {}) => ({
  credential: 'calcom_main',
  event_type_id: 1001,
  start,
  time_zone: 'America/New_York',
  attendee: {
    name: 'Ada Lovelace',
    email: 'Ada@Example.com',
    phone_number: '+15551230000',
    time_zone: 'Europe/London',
  },
  notes: 'Prefers mornings',
  metadata: { source: 'voice-agent' },
  ...extra,
});
const creates = () => sb.requests({ method: 'POST', path: '/v2/bookings' });

describe('calcom activities through Temporal', () => {
  it('finds slots, books, gets, reschedules and cancels', async () => {
    await withWorker(async (run) => {
      const slots = await run('calcom.slots', {
        credential: 'calcom_main',
        event_type_id: 1001,
        start: '2030-03-08',
        days_ahead: 3,
        time_zone: 'America/New_York',
        max_slots: 3,
      });
      expect(slots).toEqual({
        ok: true,
        result: {
          available: true,
          slots: [
            { start: '2030-03-08T09:00:00-05:00', end: '2030-03-08T09:30:00-05:00' },
            { start: '2030-03-08T09:30:00-05:00', end: '2030-03-08T10:00:00-05:00' },
            { start: '2030-03-08T10:00:00-05:00', end: '2030-03-08T10:30:00-05:00' },
          ],
          time_zone: 'America/New_York',
        },
      });
      // start + days_ahead days: through the 11th, local days in New York (DST starts on the 10th).
      expect(sb.requests({ path: '/v2/slots' })[0]?.query).toMatchObject({
        start: '2030-03-08T05:00:00.000Z',
        end: '2030-03-12T03:59:59.999Z',
      });

      // Wall time without offset, in time_zone, after the DST change.
      const booked = await run('calcom.book', bookPayload('2030-03-11T10:00:00'), {
        intentId: 'int_book1',
        stepPointer: '/actions/2',
      });
      expect(booked.ok).toBe(true);
      const result = (booked as { result: Record<string, unknown> }).result;
      expect(result).toEqual({
        booking_id: 1,
        booking_uid: expect.any(String),
        status: 'accepted',
        start: '2030-03-11T10:00:00-04:00',
        end: '2030-03-11T10:30:00-04:00',
      });
      const [booking] = sb.state().bookings;
      expect(booking).toMatchObject({
        start: '2030-03-11T14:00:00.000Z',
        metadata: { source: 'voice-agent', switchboard_key: 'int_book1:/actions/2' },
        attendees: [{ email: 'ada@example.com', timeZone: 'Europe/London', phoneNumber: '+15551230000' }],
        bookingFieldsResponses: { notes: 'Prefers mornings' },
      });
      // Looked before booking, with the narrowest filters the list endpoint offers.
      expect(sb.requests({ method: 'GET', path: '/v2/bookings' })[0]?.query).toEqual({
        attendeeEmail: 'ada@example.com',
        eventTypeId: '1001',
        afterStart: '2030-03-11T13:59:00.000Z',
        beforeEnd: '2030-03-12T14:01:00.000Z',
        sortStart: 'asc',
        take: '100',
        skip: '0',
      });

      const uid = result.booking_uid as string;
      const got = await run('calcom.get', { credential: 'calcom_main', booking_uid: uid });
      expect(got).toEqual({
        ok: true,
        result: {
          booking_id: 1,
          booking_uid: uid,
          status: 'accepted',
          start: '2030-03-11T14:00:00+00:00',
          end: '2030-03-11T14:30:00+00:00',
          time_zone: 'Europe/London',
          event_type_id: 1001,
          cancellation_reason: null,
          rescheduled_from_uid: null,
          rescheduled_to_uid: null,
        },
      });

      // The reschedule's answer is lost after Cal.com moved the booking; the retry finds the move.
      sb.faults.add({ dropAfterCommit: true, method: 'POST', pathPrefix: `/v2/bookings/${uid}/reschedule` });
      const moved = await run('calcom.reschedule', {
        credential: 'calcom_main',
        booking_uid: uid,
        start: '2030-03-12T15:00:00+01:00',
        time_zone: 'Europe/Paris',
        reason: 'Caller is travelling',
      });
      expect(moved).toMatchObject({
        ok: true,
        result: {
          booking_id: 2,
          status: 'accepted',
          start: '2030-03-12T15:00:00+01:00',
          time_zone: 'Europe/Paris',
          rescheduled_from_uid: uid,
          previous_booking_uid: uid,
        },
      });
      expect(sb.requests({ method: 'POST' }).filter((r) => r.path.endsWith('/reschedule'))).toHaveLength(1);
      expect(sb.state().bookings.map((b) => b.status)).toEqual(['cancelled', 'accepted']);

      // Cancelling by the old uid cancels where the appointment is now; twice changes nothing.
      const newUid = resultOf<{ booking_uid: string }>(moved).booking_uid;
      const cancel = { credential: 'calcom_main', booking_uid: uid, reason: 'No longer needed' };
      const cancelled = await run('calcom.cancel', cancel);
      expect(cancelled).toMatchObject({
        ok: true,
        result: { booking_uid: newUid, status: 'cancelled', cancellation_reason: 'No longer needed' },
      });
      expect(await run('calcom.cancel', cancel)).toEqual(cancelled);
      expect(sb.requests({ method: 'POST' }).filter((r) => r.path.endsWith('/cancel'))).toHaveLength(1);
      const again = await run('calcom.reschedule', { ...cancel, start: '2030-03-13T10:00:00', time_zone: 'UTC' });
      expect(again).toMatchObject({ ok: false, error: { code: 'provider_rejected', retryable: false } });
    });
  });

  it('records how to undo a test call: cancel a booking, move a reschedule back; a cancel is irreversible', async () => {
    await withWorker(async (run) => {
      const conv = 'conv_calcom_sandbox';
      const sandbox = { sandbox: true, conversationId: conv };
      const booked = await run('calcom.book', bookPayload('2030-03-11T10:00:00'), {
        ...sandbox,
        intentId: 'int_sbbook',
        stepPointer: '/actions/0',
      });
      const uid = resultOf<{ booking_uid: string }>(booked).booking_uid;
      // The same step again finds its booking and records nothing new.
      await run('calcom.book', bookPayload('2030-03-11T10:00:00'), {
        ...sandbox,
        intentId: 'int_sbbook',
        stepPointer: '/actions/0',
      });
      const moved = await run(
        'calcom.reschedule',
        { credential: 'calcom_main', booking_uid: uid, start: '2030-03-12T15:00:00', time_zone: 'UTC' },
        { ...sandbox, intentId: 'int_sbmove' },
      );
      const movedUid = resultOf<{ booking_uid: string }>(moved).booking_uid;
      const [book, move, ...none] = await listSandboxEffects(env.db, env.tenantId, conv);
      expect(none).toEqual([]);
      expect(book).toMatchObject({
        operation: 'calcom.book',
        provider: 'calcom',
        providerRef: uid,
        state: 'pending',
        undo: {
          operation: 'calcom.cancel',
          payload: { credential: 'calcom_main', booking_uid: uid, reason: SANDBOX_UNDO_REASON },
        },
      });
      expect(move).toMatchObject({
        operation: 'calcom.reschedule',
        providerRef: movedUid,
        undo: {
          operation: 'calcom.reschedule',
          payload: { booking_uid: movedUid, start: '2030-03-11T14:00:00.000Z', time_zone: 'UTC' },
        },
      });

      // Newest first, as the compensation does: move back, then cancel (which follows the moves).
      expect(await run('calcom.reschedule', move?.undo?.payload ?? null)).toMatchObject({
        ok: true,
        result: { start: '2030-03-11T14:00:00+00:00' },
      });
      expect(await run('calcom.reschedule', move?.undo?.payload ?? null)).toMatchObject({ ok: true });
      expect(await run('calcom.cancel', book?.undo?.payload ?? null)).toMatchObject({
        ok: true,
        result: { status: 'cancelled', cancellation_reason: SANDBOX_UNDO_REASON },
      });
      expect(sb.state().bookings.map((b) => b.status)).toEqual(['cancelled', 'cancelled', 'cancelled']);

      const other = await run('calcom.book', bookPayload('2030-03-13T10:00:00'));
      const otherUid = resultOf<{ booking_uid: string }>(other).booking_uid;
      await run(
        'calcom.cancel',
        { credential: 'calcom_main', booking_uid: otherUid },
        { ...sandbox, intentId: 'int_sbcancel' },
      );
      const cancelled = (await listSandboxEffects(env.db, env.tenantId, conv)).at(-1);
      expect(cancelled).toMatchObject({ operation: 'calcom.cancel', state: 'irreversible', undo: null });
      expect(cancelled?.reason).toContain('un-cancel');
      // Undo operations themselves run as ordinary calls: nothing was recorded for them.
      expect(await listSandboxEffects(env.db, env.tenantId, 'conv_test')).toEqual([]);
    });
  });

  it('books exactly once when the answer is lost after Cal.com committed, and when a step runs twice', async () => {
    await withWorker(async (run) => {
      sb.faults.add({ dropAfterCommit: true, method: 'POST', pathPrefix: '/v2/bookings' });
      const opts = { intentId: 'int_dropped', stepPointer: '/actions/0' };
      const first = await run('calcom.book', bookPayload('2030-03-04T10:00:00-05:00'), opts);
      expect(first).toMatchObject({
        ok: true,
        result: { booking_id: 1, status: 'accepted', start: '2030-03-04T10:00:00-05:00' },
      });
      expect(sb.state().bookings).toHaveLength(1);
      expect(creates()).toHaveLength(1);
      expect(creates()[0]?.dropped).toBe(true);
      const uid = sb.state().bookings[0]?.uid;
      expect(resultOf<{ booking_uid: string }>(first).booking_uid).toBe(uid);

      // The same intent and step again (a redelivery): the same booking, no new request to book.
      expect(await run('calcom.book', bookPayload('2030-03-04T10:00:00-05:00'), opts)).toEqual(first);
      expect(creates()).toHaveLength(1);

      // Another step wanting the same slot is refused, without retries.
      const other = await run('calcom.book', bookPayload('2030-03-04T10:00:00-05:00'), {
        intentId: 'int_dropped',
        stepPointer: '/actions/1',
      });
      expect(other).toMatchObject({ ok: false, error: { code: 'provider_rejected', retryable: false } });
      expect((other as { error: { message: string } }).error.message).toContain('already has booking at this time');
      expect(creates()).toHaveLength(2);
      expect(sb.state().bookings).toHaveLength(1);
    });
  });

  it('retries 5xx until success and honours a 429’s Retry-After', async () => {
    await withWorker(async (run) => {
      sb.faults.add({ status: 503, count: 2, method: 'POST', pathPrefix: '/v2/bookings' });
      const booked = await run('calcom.book', bookPayload('2030-03-05T09:00:00'));
      expect(booked).toMatchObject({ ok: true, result: { status: 'accepted' } });
      expect(creates().map((r) => r.status)).toEqual([503, 503, 201]);
      expect(sb.state().bookings).toHaveLength(1);

      sb.faults.add({ status: 429, retryAfterSeconds: 1, pathPrefix: '/v2/slots' });
      const slots = await run('calcom.slots', {
        credential: 'calcom_main',
        event_type_id: 1001,
        start: '2030-03-05',
        end: '2030-03-05',
        days_ahead: 7,
        time_zone: 'UTC',
        max_slots: 50,
      });
      expect(slots).toMatchObject({ ok: true, result: { available: true } });
      // The booked 09:00 New York slot (14:00Z) is not offered.
      const starts = resultOf<{ slots: { start: string }[] }>(slots).slots.map((s) => s.start);
      expect(starts).toHaveLength(15);
      expect(starts).not.toContain('2030-03-05T14:00:00+00:00');
      const attempts = sb.requests({ path: '/v2/slots' });
      expect(attempts.map((r) => r.status)).toEqual([429, 200]);
      // Temporal's own backoff is 100 ms here: the gap comes from Retry-After.
      expect((attempts[1]?.at ?? 0) - (attempts[0]?.at ?? 0)).toBeGreaterThanOrEqual(950);
    });
  });

  it('retries a timeout', async () => {
    const booked = await withWorker((run) => run('calcom.book', bookPayload('2030-03-06T11:00:00')));
    const uid = resultOf<{ booking_uid: string }>(booked).booking_uid;
    // One slow answer, far slower than the timeout (the worker's timer starts first: it runs out).
    sb.faults.add({ delayMs: 8_000, pathPrefix: '/v2/bookings/' });
    await withWorker(async (run) => {
      const got = await run('calcom.get', { credential: 'calcom_main', booking_uid: uid, time_zone: 'Asia/Tokyo' });
      expect(got).toMatchObject({ ok: true, result: { start: '2030-03-07T01:00:00+09:00' } });
      expect(sb.requests({ path: `/v2/bookings/${uid}` }).length).toBeGreaterThanOrEqual(2);
    }, 2_000);
  });

  it('refuses 4xx without retrying', async () => {
    await withWorker(async (run) => {
      expect((await run('calcom.book', bookPayload('2030-03-06T11:00:00'))).ok).toBe(true);
      // Outside the host's hours: Cal.com's 400 ends the action, once.
      const night = await run('calcom.book', bookPayload('2030-03-06T23:00:00'));
      expect(night).toEqual({
        ok: false,
        error: {
          code: 'provider_rejected',
          message: 'calcom answered 400: User either already has booking at this time or is not available',
          retryable: false,
        },
      });
      const missing = await run('calcom.get', { credential: 'calcom_main', booking_uid: 'no-such-booking' });
      expect(missing).toMatchObject({ ok: false, error: { code: 'provider_not_found', retryable: false } });
      expect(creates()).toHaveLength(2);
    });
  });

  it('marks a refused credential auth_failed and fails without retrying', async () => {
    await env.putCredential('calcom_revoked', 'calcom', { apiKey: WRONG_KEY });
    await withWorker(async (run) => {
      const res = await run('calcom.book', { ...bookPayload('2030-03-07T10:00:00'), credential: 'calcom_revoked' });
      expect(res).toEqual({
        ok: false,
        error: {
          code: 'provider_auth_failed',
          message: 'calcom answered 401: ApiAuthStrategy - api key - Invalid API Key',
          retryable: false,
        },
      });
      expect(sb.requests()).toHaveLength(1);
      const fine = await run('calcom.slots', {
        credential: 'calcom_main',
        event_type_id: 1001,
        start: '2030-03-07',
        time_zone: 'UTC',
      });
      expect(fine).toMatchObject({ ok: true, result: { available: true, time_zone: 'UTC' } });
      const missing = await run('calcom.get', { credential: 'calcom_nowhere', booking_uid: 'x' });
      expect(missing).toMatchObject({ ok: false, error: { code: 'credential_missing', retryable: false } });
    });
    const rows = await listCredentials(env.db, env.tenantId);
    expect(rows.find((r) => r.name === 'calcom_revoked')).toMatchObject({
      status: 'auth_failed',
      statusReason: 'calcom answered 401: ApiAuthStrategy - api key - Invalid API Key',
    });
    expect(rows.find((r) => r.name === 'calcom_main')?.status).toBe('ok');
  });

  it('refuses invalid payloads with every problem, before calling Cal.com', async () => {
    await withWorker(async (run) => {
      const res = await run('calcom.book', {
        credential: 'calcom_main',
        event_type_id: '1001',
        start: 'next Tuesday at 3',
        time_zone: 'EST',
        attendee: { name: 'Ada', email: 'ada at example', phone_number: '555-1230' },
        metadata: { switchboard_key: 'mine', n: 5 },
      });
      expect(res).toMatchObject({ ok: false, error: { code: 'provider_invalid_input', retryable: false } });
      expect((res as { error: { message: string } }).error.message).toBe(
        "calcom.book: /event_type_id must be an integer from 1 to 2147483647, got '1001'; " +
          "/time_zone must be an IANA time zone such as America/New_York, got 'EST'; " +
          "/start must be an ISO 8601 date-time such as 2025-03-14T15:00:00-04:00 (or without offset, in time_zone), got 'next Tuesday at 3'; " +
          "/attendee/email must be an e-mail address, got 'ada at example'; " +
          "/attendee/phone_number must be in E.164 format such as +15551234567, got '555-1230'; " +
          "/metadata/switchboard_key is reserved for Switchboard's idempotency key; " +
          '/metadata/n must be a string, got 5',
      );
      const slots = await run('calcom.slots', {
        credential: 'calcom_main',
        event_type_id: 1001,
        start: '2030-03-10',
        end: '2030-03-01',
        days_ahead: 7,
        time_zone: 'Europe/Paris',
        max_slots: 0,
      });
      expect((slots as { error: { message: string } }).error.message).toBe(
        'calcom.slots: /max_slots must be an integer from 1 to 500, got 0; /end must not be before start (2030-03-10), got 2030-03-01',
      );
    });
    expect(sb.requests()).toHaveLength(0);
  });

  it('reads its settings from the environment', () => {
    expect(readCalcomConfig({})).toEqual({ baseUrl: 'https://api.cal.com', timeoutMs: 10_000 });
    expect(() => readCalcomConfig({ CALCOM_API_URL: 'ftp://x', CALCOM_TIMEOUT_MS: '5' })).toThrow(
      /CALCOM_TIMEOUT_MS must be an integer in \[100, 120000\]/,
    );
    expect(() => readCalcomConfig({ CALCOM_API_URL: 'not a url' })).toThrow(/CALCOM_API_URL must be an http\(s\) URL/);
  });

  it('never logs a credential', () => {
    expect(logged.length).toBeGreaterThan(5);
    const all = logged.join('\n');
    expect(all).not.toContain(KEY);
    expect(all).not.toContain(WRONG_KEY);
    expect(all).not.toMatch(/Bearer/i);
  });
});

describe('calcom.find_booking, and the lineage cancel and reschedule report', () => {
  const find = (extra: Record<string, JsonValue>): JsonValue => ({
    credential: 'calcom_main',
    time_zone: 'America/New_York',
    ...extra,
  });

  it("finds the caller's one upcoming booking by e-mail or phone; lists several; says when there is none", async () => {
    await withWorker(async (run) => {
      const book = async (intentId: string, start: string, attendee: Record<string, string>) => {
        const payload = bookPayload(start);
        const booked = await run(
          'calcom.book',
          { ...payload, attendee: { ...payload.attendee, ...attendee } },
          {
            intentId,
            stepPointer: '/actions/2',
          },
        );
        return resultOf<{ booking_uid: string }>(booked).booking_uid;
      };
      const first = await book('int_a', '2030-03-11T10:00:00', {});
      const second = await book('int_b', '2030-03-12T11:30:00', {});
      const grace = await book('int_c', '2030-03-13T09:00:00', {
        name: 'Grace Hopper',
        email: 'grace@example.com',
        phone_number: '+15559990000',
      });

      // The call's contact e-mail; the API filters by it (no phone: nothing else to match).
      const byEmail = await run('calcom.find_booking', find({ caller: { email: 'Grace@Example.com' } }));
      expect(byEmail).toMatchObject({
        ok: true,
        result: { booking_uid: grace, start: '2030-03-13T09:00:00-04:00', status: 'accepted' },
      });
      expect(sb.requests({ method: 'GET', path: '/v2/bookings' }).at(-1)?.query).toMatchObject({
        status: 'upcoming',
        attendeeEmail: 'Grace@Example.com',
      });
      // The phone the LLM gave wins over the caller's number; Cal.com has no phone filter.
      const byPhone = await run(
        'calcom.find_booking',
        find({ attendee: { phone: '+15559990000' }, caller: { phone: '+15550000000', email: 'nobody@example.com' } }),
      );
      expect(byPhone).toMatchObject({ ok: true, result: { booking_uid: grace } });

      const several = await run('calcom.find_booking', find({ caller: { email: 'ada@example.com' } }));
      expect(several).toMatchObject({ ok: false, error: { code: 'booking_ambiguous', retryable: false } });
      const message = (several as { error: { message: string } }).error.message;
      expect(message).toContain(`Monday, March 11 at 10 AM (booking_uid ${first})`);
      expect(message).toContain(`Tuesday, March 12 at 11:30 AM (booking_uid ${second})`);
      expect(message).toContain('has 2 upcoming bookings');

      const none = await run('calcom.find_booking', find({ attendee: { email: 'nobody@example.com' } }));
      expect(none).toMatchObject({ ok: false, error: { code: 'booking_not_found', retryable: false } });
      const nothing = await run('calcom.find_booking', find({ caller: { email: 'not an e-mail' } }));
      expect(nothing).toMatchObject({ ok: false, error: { code: 'booking_not_found' } });
      expect((nothing as { error: { message: string } }).error.message).toContain('ask the caller for the e-mail');
      const bad = await run('calcom.find_booking', find({ attendee: { phone: '555-1234' } }));
      expect(bad).toMatchObject({ ok: false, error: { code: 'provider_invalid_input' } });

      // A uid wins, and a moved booking is followed to where it is now.
      const moved = await run('calcom.reschedule', {
        credential: 'calcom_main',
        booking_uid: first,
        start: '2030-03-14T16:00:00+01:00',
        time_zone: 'Europe/Paris',
      });
      const movedUid = resultOf<{ booking_uid: string }>(moved).booking_uid;
      expect(moved).toMatchObject({ ok: true, result: { booking_lineage: [first], previous_booking_uid: first } });
      const byUid = await run('calcom.find_booking', find({ booking_uid: first, caller: { email: 'x@example.com' } }));
      expect(byUid).toMatchObject({ ok: true, result: { booking_uid: movedUid, rescheduled_from_uid: first } });
      const cancelled = await run('calcom.cancel', { credential: 'calcom_main', booking_uid: movedUid });
      expect(cancelled).toMatchObject({ ok: true, result: { status: 'cancelled', booking_lineage: [first] } });
      const plain = await run('calcom.cancel', { credential: 'calcom_main', booking_uid: grace });
      expect(plain).toMatchObject({ ok: true, result: { booking_uid: grace, booking_lineage: [] } });
    });
  });
});
