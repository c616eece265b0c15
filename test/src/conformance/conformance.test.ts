/**
 * Provider conformance: every request our provider clients send, as the sandboxes recorded it,
 * must validate against the provider's published OpenAPI description with zero problems.
 * Needs `PROVIDER_SPECS_DIR` (the descriptions are not part of the project); skipped without.
 */
import type { JsonValue } from '@switchboard/common';
import type { ProviderTestEnv } from '@switchboard/provider-testing';
import { createProviderHttp } from '@switchboard/providers';
import type { CalcomSandbox } from '@switchboard/sandboxes/calcom';
import type { TwilioSandbox } from '@switchboard/sandboxes/twilio';
import { trace } from '@switchboard/telemetry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nextMonday } from '../support/dates.js';
import { formatProblems, type OpenApiSpec, type RecordedHttpRequest, validateRequest } from './openapi.js';
import { loadProviderSpec, specsDir } from './providers.js';
import { conformanceContext, memoryCredentials, providerCall } from './support.js';

const dir = specsDir();

describe.skipIf(!dir)('published descriptions: the validator on hand-made requests', () => {
  let calcom: OpenApiSpec;
  let twilio: OpenApiSpec;
  beforeAll(() => {
    calcom = loadProviderSpec(dir as string, 'calcom');
    twilio = loadProviderSpec(dir as string, 'twilio');
  });
  const cal = { authorization: 'Bearer cal_live_0123', 'content-type': 'application/json' };
  const sid = `AC${'0'.repeat(31)}1`;
  const basic = {
    authorization: `Basic ${Buffer.from(`${sid}:token`).toString('base64')}`,
    'content-type': 'application/x-www-form-urlencoded',
  };
  const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

  it('accepts conforming Cal.com requests, a plain booking included (oneOf read as anyOf)', () => {
    const booking = {
      start: '2030-01-07T09:00:00Z',
      eventTypeId: 1001,
      attendee: { name: 'Ada', email: 'ada@example.com', timeZone: 'Europe/Rome', phoneNumber: '+393331234567' },
      metadata: { switchboard_key: 'int_1:/actions/0' },
      bookingFieldsResponses: { notes: 'call me' },
    };
    const requests = [
      {
        method: 'POST',
        path: '/v2/bookings',
        headers: { ...cal, 'cal-api-version': '2024-08-13' },
        body: JSON.stringify(booking),
      },
      {
        method: 'GET',
        path: '/v2/slots?eventTypeId=1001&start=2030-01-06T23:00:00.000Z&end=2030-01-07T22:59:59.999Z&timeZone=Europe%2FRome&format=range',
        headers: { ...cal, 'cal-api-version': '2024-09-04' },
      },
      {
        method: 'GET',
        path: '/v2/bookings?status=upcoming,past&take=100&skip=0&sortStart=asc',
        headers: { ...cal, 'cal-api-version': '2024-08-13' },
      },
      {
        method: 'POST',
        path: '/v2/bookings/abc/cancel',
        headers: { ...cal, 'cal-api-version': '2024-08-13' },
        body: '{}',
      },
    ];
    for (const r of requests) expect(formatProblems(validateRequest(calcom, r))).toBe('');
  });

  it('reports what is wrong with bad Cal.com requests, field by field', () => {
    const problems = validateRequest(calcom, {
      method: 'POST',
      path: '/v2/bookings',
      headers: { ...cal, 'cal-api-version': '2024-09-04' },
      body: JSON.stringify({
        start: '2030-01-07T10:00:00',
        eventTypeID: 1001,
        attendee: { name: 'Ada', email: 'ada', timeZone: 'Rome', phoneNumber: '3331234567' },
        metadata: { ['k'.repeat(41)]: 'v' },
      }),
    });
    expect(problems.map((p) => `${p.in} ${p.field}: ${p.message}`).sort()).toEqual([
      'body attendee.email: must be a valid email (got "ada")',
      'body attendee.phoneNumber: must match pattern "^\\+[1-9]\\d{1,14}$" (got "3331234567")',
      'body attendee.timeZone: must be a valid iana-time-zone (got "Rome")',
      'body eventTypeID: is not declared in the published schema',
      `body metadata.${'k'.repeat(41)}: the member name must NOT have more than 40 characters`,
      'body start: must be a valid date-time (got "2030-01-07T10:00:00")',
      'body start: must match pattern "(?:Z|[+-]00:?00)$" (got "2030-01-07T10:00:00")',
      'header cal-api-version: must be "2024-08-13" (got "2024-09-04")',
    ]);
    const slots = validateRequest(calcom, {
      method: 'GET',
      path: '/v2/slots?eventTypeId=x&start=2030-01-07T10:00:00%2B01:00&format=list',
      headers: { authorization: 'Token abc', 'cal-api-version': '2024-09-04' },
    });
    expect(slots.map((p) => `${p.in} ${p.field}`).sort()).toEqual([
      'query end',
      'query eventTypeId',
      'query format',
      'query start',
      'security Authorization',
    ]);
  });

  it('checks Twilio form bodies, TwiML and the x-twilio.conditional groups', () => {
    const messages = `/2010-04-01/Accounts/${sid}/Messages.json`;
    const call = `/2010-04-01/Accounts/${sid}/Calls/CA${'a'.repeat(32)}.json`;
    expect(
      validateRequest(twilio, {
        method: 'POST',
        path: messages,
        headers: basic,
        body: form({ To: '+15551234567', MessagingServiceSid: `MG${'b'.repeat(32)}`, Body: 'Hi' }),
      }),
    ).toEqual([]);
    expect(
      validateRequest(twilio, {
        method: 'POST',
        path: call,
        headers: basic,
        body: form({ Twiml: '<Response><Dial><Sip>sip:desk@pbx.example.com</Sip></Dial></Response>' }),
      }),
    ).toEqual([]);
    const bad = validateRequest(twilio, {
      method: 'POST',
      path: messages,
      headers: basic,
      body: form({ To: '+15551234567', StatusCallback: '/status' }),
    });
    expect(bad.map((p) => p.message)).toEqual([
      'must be a valid uri (got "/status")',
      'one of From, MessagingServiceSid is required (x-twilio.conditional)',
      'one of Body, MediaUrl, ContentSid is required (x-twilio.conditional)',
    ]);
    const twiml = validateRequest(twilio, {
      method: 'POST',
      path: call,
      headers: basic,
      body: form({ Twiml: '<Response><Say>Tom & Jerry</Say></Response>', Status: 'ended' }),
    });
    expect(twiml.map((p) => `${p.field}: ${p.message}`)).toEqual([
      'Status: must be one of "canceled", "completed" (got "ended")',
      `Twiml: must be a valid twiml: a bare '&' in text (write &amp;) (got "<Response><Say>Tom & Jerry</Say></Response>")`,
    ]);
    expect(
      validateRequest(twilio, {
        method: 'POST',
        path: `/2010-04-01/Accounts/AC1/Messages.json`,
        headers: basic,
        body: form({ To: '+15551234567', From: '+15557654321', Body: 'x' }),
      })[0],
    ).toMatchObject({
      in: 'path',
      field: 'AccountSid',
    });
  });
});

describe.skipIf(!dir)('Cal.com worker against the Cal.com API v2 description', () => {
  const apiKey = 'cal_conformance_0000000000000000000000';
  let sandbox: CalcomSandbox;
  let spec: OpenApiSpec;
  let createCalcomActivities: typeof import('@switchboard/calcom-worker').createCalcomActivities;
  let createCalcomClient: typeof import('@switchboard/calcom-worker').createCalcomClient;
  beforeAll(async () => {
    spec = loadProviderSpec(dir as string, 'calcom');
    // Imported only when the suite runs, so a skipped suite needs no provider worker built.
    ({ createCalcomActivities, createCalcomClient } = await import('@switchboard/calcom-worker'));
    const { startCalcomSandbox } = await import('@switchboard/sandboxes/calcom');
    sandbox = await startCalcomSandbox({ apiKeys: [apiKey] });
  });
  afterAll(async () => {
    await sandbox?.close();
  });

  it('sends only conforming requests for slots, book, get, list, find, reschedule and cancel', async () => {
    const credentials = memoryCredentials({ cal: { provider: 'calcom', secret: { apiKey } } });
    const acts = createCalcomActivities(conformanceContext({ CALCOM_API_URL: sandbox.url }, credentials));
    const run = async (operation: string, payload: JsonValue) => {
      const fn = acts[operation];
      if (!fn) throw new Error(`the Cal.com worker does not serve ${operation}`);
      return (await fn(providerCall(operation, payload))) as Record<string, JsonValue>;
    };
    const zone = 'Europe/Rome';
    const slots = await run('calcom.slots', {
      credential: 'cal',
      event_type_id: 1001,
      start: nextMonday(),
      days_ahead: 2,
      time_zone: zone,
      max_slots: 5,
    });
    await run('calcom.slots', {
      credential: 'cal',
      event_type_id: 1002,
      start: nextMonday(),
      end: nextMonday(1),
      days_ahead: 1,
      time_zone: zone,
      duration_minutes: 90,
      max_slots: 3,
    });
    const free = slots.slots as { start: string }[];
    expect(free.length).toBeGreaterThan(1);
    const booked = await run('calcom.book', {
      credential: 'cal',
      event_type_id: 1001,
      start: free[0]?.start ?? '',
      time_zone: zone,
      attendee: { name: 'Ada Lovelace', email: 'Ada@Example.com', phone_number: '+393331234567', time_zone: zone },
      notes: 'Prefers mornings',
      metadata: { source: 'voice' },
    });
    const uid = String(booked.booking_uid);
    await run('calcom.get', { credential: 'cal', booking_uid: uid });
    // The caller's upcoming booking: by e-mail alone (the API's attendee filter), by phone too (a scan).
    const byEmail = await run('calcom.find_booking', {
      credential: 'cal',
      caller: { email: 'ada@example.com' },
      event_type_id: 1001,
      time_zone: zone,
    });
    expect(byEmail.booking_uid).toBe(uid);
    await run('calcom.find_booking', { credential: 'cal', caller: { phone: '+393331234567' }, time_zone: zone });
    await run('calcom.find_booking', { credential: 'cal', booking_uid: uid, time_zone: zone });
    const moved = await run('calcom.reschedule', {
      credential: 'cal',
      booking_uid: uid,
      start: free[1]?.start ?? '',
      time_zone: zone,
      reason: 'caller asked',
    });
    await run('calcom.cancel', {
      credential: 'cal',
      booking_uid: String(moved.booking_uid),
      reason: 'caller cancelled',
    });
    // The list filters the worker does not use on its own path (status lists, paging).
    const client = createCalcomClient({
      http: createProviderHttp({ tracer: trace.getTracer('conformance') }),
      baseUrl: sandbox.url,
      apiKey,
    });
    await client.listBookings({ status: ['upcoming', 'past', 'cancelled'], take: 10, skip: 0, sortCreated: 'desc' });
    expect(credentials.refused).toEqual([]);

    const recorded = sandbox.requests();
    const operations = new Set(recorded.map((r) => r.operation));
    expect([...operations].sort()).toEqual([
      'BookingsController_2024_08_13_cancelBooking',
      'BookingsController_2024_08_13_createBooking',
      'BookingsController_2024_08_13_getBooking',
      'BookingsController_2024_08_13_getBookings',
      'BookingsController_2024_08_13_rescheduleBooking',
      'SlotsController_2024_09_04_getAvailableSlots',
    ]);
    expect(recorded.every((r) => r.status !== undefined && r.status < 300)).toBe(true);
    const problems = recorded.flatMap((r) => validateRequest(spec, r));
    expect(formatProblems(problems)).toBe('');
  });
});

describe.skipIf(!dir)('Telephony worker against the Twilio 2010-04-01 description', () => {
  const accountSid = `AC${'7'.repeat(32)}`;
  const authToken = 'conformance-auth-token-000000000000';
  let env: ProviderTestEnv;
  let sandbox: TwilioSandbox;
  let spec: OpenApiSpec;
  let createTelephonyActivities: typeof import('@switchboard/telephony-worker').createTelephonyActivities;
  beforeAll(async () => {
    spec = loadProviderSpec(dir as string, 'twilio');
    ({ createTelephonyActivities } = await import('@switchboard/telephony-worker'));
    const { startProviderTestEnv } = await import('@switchboard/provider-testing');
    const { startTwilioSandbox } = await import('@switchboard/sandboxes/twilio');
    [env, sandbox] = await Promise.all([
      startProviderTestEnv(),
      startTwilioSandbox({
        accounts: [{ sid: accountSid, authToken }],
        timing: { ringMs: 50, messageStepMs: 10 },
        statusCallbacks: false,
      }),
    ]);
    await env.putCredential('twilio_main', 'twilio', { accountSid, authToken });
  }, 120_000);
  afterAll(async () => {
    // Pool clients still closing when Postgres stops get "terminating connection" (57P01).
    env?.db.on('error', () => {});
    await Promise.all([env?.stop(), sandbox?.close()]);
  });

  /**
   * The sandbox records `Authorization: Basic <sid>:<redacted>` (never the token); the request
   * it answered carried valid Basic credentials, so the record is re-encoded for the check.
   */
  const asSent = (r: ReturnType<TwilioSandbox['requests']>[number]): RecordedHttpRequest => {
    const redacted = /^Basic (\S+):<redacted>$/.exec(r.headers.authorization ?? '');
    const authorization = redacted
      ? `Basic ${Buffer.from(`${redacted[1]}:<redacted>`).toString('base64')}`
      : r.headers.authorization;
    return { ...r, headers: { ...r.headers, authorization } };
  };

  it('sends only conforming requests for SMS, cold and warm transfers and ending calls', async () => {
    const live = () => String(sandbox.createCall({ from: '+15550100001', to: '+15550100002' }).sid);
    sandbox.setDestination('+15550109999', 'answer');
    sandbox.setDestination('+15550108888', 'no-answer');
    const outcomes = await env.withWorker(
      (ctx) =>
        createTelephonyActivities(ctx, {
          apiUrl: sandbox.url,
          speechMsPerChar: 0,
          pollMaxMs: 50,
          smsStatusCallbackUrl: 'https://hooks.example.com/twilio/status',
        }),
      async (run) => {
        const text = (t: string): JsonValue => [t];
        return {
          smsFrom: await run('sms.send', {
            credential: 'twilio_main',
            to: '+15550100003',
            from: '+15550100001',
            body: text('Your booking is confirmed & paid: 10:00'),
          }),
          smsService: await run('sms.send', {
            credential: 'twilio_main',
            to: '+15550100003',
            messaging_service_sid: `MG${'1'.repeat(32)}`,
            body: ['Hi ', 'Ada', ', see you <soon>'],
          }),
          coldPhone: await run('telephony.transfer', {
            call_sid: live(),
            destination: { kind: 'phone', address: '+15550109999' },
            mode: 'cold',
            message: text('Transferring you to billing & accounts, one moment.'),
            ring_timeout_seconds: 20,
          }),
          coldSip: await run('telephony.transfer', {
            call_sid: live(),
            destination: { kind: 'sip', address: 'sip:desk@pbx.example.com' },
            mode: 'cold',
            ring_timeout_seconds: 20,
          }),
          warm: await run('telephony.transfer', {
            call_sid: live(),
            destination: { kind: 'phone', address: '+15550109999' },
            mode: 'warm',
            message: text('Please hold while I connect you.'),
            hold_music_url: 'https://media.example.com/hold.mp3',
            whisper: text('Caller <Ada> asks about invoice #12 & a refund'),
            ring_timeout_seconds: 15,
            reason: 'billing question',
            summary: 'Invoice 12 was charged twice.',
          }),
          warmNoAnswer: await run('telephony.transfer', {
            call_sid: live(),
            destination: { kind: 'phone', address: '+15550108888' },
            mode: 'warm',
            ring_timeout_seconds: 5,
          }),
          end: await run('telephony.end_call', { call_sid: live(), message: text('Goodbye & thanks!') }),
          endSilently: await run('telephony.end_call', { call_sid: live() }),
        };
      },
    );
    for (const [name, outcome] of Object.entries(outcomes)) expect(outcome, name).toMatchObject({ ok: true });

    const recorded = sandbox.requests().map(asSent);
    const operations = new Set(
      recorded.map((r) => {
        const found = spec.templates.find((t) => t.regex.test(r.path));
        return `${r.method} ${found?.template ?? r.path}`;
      }),
    );
    for (const expected of [
      'POST /2010-04-01/Accounts/{AccountSid}/Messages.json',
      'POST /2010-04-01/Accounts/{AccountSid}/Calls/{Sid}.json',
      'POST /2010-04-01/Accounts/{AccountSid}/Conferences/{ConferenceSid}/Participants.json',
      'POST /2010-04-01/Accounts/{AccountSid}/Conferences/{ConferenceSid}/Participants/{CallSid}.json',
    ]) {
      expect(operations).toContain(expected);
    }
    const problems = recorded.flatMap((r) => validateRequest(spec, r));
    expect(formatProblems(problems)).toBe('');
  });
});

describe.skipIf(!dir)('HubSpot CRM v3', () => {
  // HubSpot's OpenAPI description is not licensed for redistribution, so none is in the specs
  // folder (hubspot-crm.md has prose facts only): the CRM worker is covered by its sandbox tests.
  it.skip('has no published description to validate against', () => {});
});
