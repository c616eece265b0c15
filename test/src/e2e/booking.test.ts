import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nextMonday } from '../support/dates.js';
import { openSse } from '../support/sse.js';
import { eventually, startTestStack, type TestStack } from '../support/stack.js';
import { postTwilioWebhook, smsFields } from '../support/twilio-webhooks.js';

// The voice seed's appointment-booking workflow on built-in actions, through every process:
// conversation → NATS → orchestrator → Temporal → calcom-worker / telephony-worker → sandboxes.
let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack(mkdtempSync(join(tmpdir(), 'switchboard-e2e-booking-')), { exportSpans: false });
}, 180_000);

afterAll(async () => {
  await stack?.stop();
}, 60_000);

async function receptionistCall(): Promise<string> {
  const res = await stack.api('POST', '/v1/conversations', {
    agent: 'receptionist',
    contact: { first_name: 'Ada', email: 'ada@example.com' },
    call: { sid: `CA${'1'.repeat(32)}`, from: '+15551112222', to: '+15557654321' },
  });
  expect(res.status).toBe(201);
  return res.body.id;
}

const tool = (conv: string, name: string, args: Record<string, unknown>, key?: string) =>
  stack.api(
    'POST',
    `/v1/conversations/${conv}/tool-calls`,
    { name, arguments: args },
    key ? { 'idempotency-key': key } : {},
  );

describe('appointment booking workflow', () => {
  it('checks availability, books exactly once, and texts a confirmation', async () => {
    const conv = await receptionistCall();
    const availability = await tool(conv, 'Check Availability', { start_date: nextMonday() });
    expect(availability.body.status).toBe('succeeded');
    expect(availability.body.outputs.available).toBe(true);
    const slot = availability.body.outputs.slots[0];
    expect(slot.start).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?-0[45]:00$/);

    const args = { start: slot.start, name: 'Ada Lovelace', email: 'ada@example.com' };
    const booked = await tool(conv, 'Book Consultation', args, `book-${conv}`);
    expect(booked.body.status).toBe('succeeded');
    expect(booked.body.outputs.booking_uid).toBeTruthy();
    const again = await tool(conv, 'Book Consultation', args, `book-${conv}`);
    expect(again.body.outputs.booking_uid).toBe(booked.body.outputs.booking_uid);
    const bookings = stack.sandboxes.calcom.state().bookings.filter((b) => b.uid === booked.body.outputs.booking_uid);
    expect(bookings).toHaveLength(1);
    expect(JSON.stringify(bookings[0])).toContain('switchboard_key');

    const sms = await tool(conv, 'Send SMS Confirmation', {});
    expect(sms.body.status).toBe('succeeded');
    expect(sms.body.outputs.message_sid).toMatch(/^SM[0-9a-f]{32}$/);
    const sent = JSON.stringify(stack.sandboxes.twilio.state());
    expect(sent).toContain(sms.body.outputs.message_sid);
    expect(sent).toContain('+15551112222');
  });

  it('hands the booking to a lifecycle that outlives the call: an SMS "NO" cancels it in Cal.com', async () => {
    const conv = await receptionistCall();
    const phone = '+15551112222';
    const availability = await tool(conv, 'Check Availability', { start_date: nextMonday() });
    const slot = availability.body.outputs.slots.at(-1);
    const booked = await tool(conv, 'Book Consultation', {
      start: slot.start,
      name: 'Ada Lovelace',
      email: 'ada@example.com',
    });
    expect(booked.body.status).toBe('succeeded');
    const uid = booked.body.outputs.booking_uid;
    const texts = () =>
      stack.sandboxes.twilio
        .state()
        .messages.filter((m) => m.to === phone)
        .map((m) => String(m.body));
    const before = texts().length;
    const stream = await openSse(`${stack.services.apiUrl}/v1/conversations/${conv}/events`, stack.seed.apiKey);
    const sms = await tool(conv, 'Send SMS Confirmation', {});
    expect(sms.body.status).toBe('succeeded');
    expect(sms.body.events).toContainEqual(
      expect.objectContaining({
        kind: 'log',
        data: expect.objectContaining({ message: 'booking lifecycle starting' }),
      }),
    );
    // After the result the stream says the lifecycle started, numbered on from the run's events
    // (published by the local activity that published the result and started the lifecycle).
    const read = await stream.readUntil(
      (e) => e.data.intentId === sms.body.id && e.data.data?.message === 'booking lifecycle started',
    );
    stream.close();
    const lastOfRun = Math.max(...sms.body.events.map((e: { seq: number }) => e.seq));
    expect(read.at(-1)?.data).toMatchObject({ kind: 'log', seq: lastOfRun + 1, data: { level: 'info' } });
    // The lifecycle (started once the result was out) asks for a confirmation by SMS on its own...
    const request = await eventually(
      () =>
        texts()
          .slice(before + 1)
          .find((t) => /YES/.test(t)),
      15_000,
    );
    expect(request).toMatch(/NO/);
    // ...and the customer's "NO" (a signed Twilio webhook) cancels the booking and says so.
    expect((await postTwilioWebhook(stack, 'sms', smsFields(stack, phone, ' no '))).status).toBe(200);
    await eventually(
      () =>
        stack.sandboxes.calcom.state().bookings.find((b) => b.uid === uid)?.status === 'cancelled' ? true : undefined,
      15_000,
    );
    await eventually(() => (texts().some((t) => /cancel/i.test(t) && t !== request) ? true : undefined), 15_000);
  });

  it('reports a taken slot as a failure the agent can speak, and retries a provider outage', async () => {
    const conv = await receptionistCall();
    const availability = await tool(conv, 'Check Availability', { start_date: nextMonday() });
    const slot = availability.body.outputs.slots[1];
    const args = { start: slot.start, name: 'Grace Hopper', email: 'grace@example.com' };
    stack.sandboxes.calcom.faults.add({ status: 503, count: 1, method: 'POST', pathPrefix: '/v2/bookings' });
    const first = await tool(conv, 'Book Consultation', args);
    expect(first.body.status).toBe('succeeded');
    const taken = await tool(conv, 'Book Consultation', { ...args, email: 'someone@example.com' });
    expect(taken.body.status).toBe('failed');
    expect(taken.body.error.retryable).toBe(false);
    expect(taken.body.messages.length).toBeGreaterThan(0);
    const { rows } = await stack.db.query('SELECT status, error_code FROM action_runs WHERE intent_id = $1', [
      taken.body.id,
    ]);
    expect(rows[0].status).toBe('failed');
  });

  it('rejects a malformed e-mail before any provider call', async () => {
    const conv = await receptionistCall();
    const before = stack.sandboxes.calcom.requests().length;
    const res = await tool(conv, 'Book Consultation', {
      start: `${nextMonday()}T10:00:00`,
      name: 'X',
      email: 'not-an-email',
    });
    expect(res.body.status).toBe('failed');
    expect(res.body.messages.join(' ')).toContain('not a valid e-mail address');
    expect(stack.sandboxes.calcom.requests().length).toBe(before);
  });
});
