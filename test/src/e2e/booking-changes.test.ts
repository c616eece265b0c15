/**
 * Issue 16 item 7 through the public API, on the Cal.com and Twilio sandboxes: the
 * `cancel_booking` and `reschedule_booking` built-ins (credential from the action's
 * configuration), finding the booking by uid or among the caller's upcoming bookings, with
 * booking's time-zone handling, and the booking lifecycle following the change.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatInZone, parseDateTime } from '@switchboard/common/time-zones';
import { bookingLifecycleStateQuery, bookingLifecycleWorkflowId } from '@switchboard/contracts';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nextMonday } from '../support/dates.js';
import { eventually, startTestStack, type TestStack } from '../support/stack.js';

let stack: TestStack;
let connection: Connection;
let client: Client;

const AGENT = 'appointments-desk';

beforeAll(async () => {
  stack = await startTestStack(mkdtempSync(join(tmpdir(), 'switchboard-e2e-booking-changes-')), {
    exportSpans: false,
  });
  connection = await Connection.connect({ address: stack.infra.temporalAddress });
  client = new Client({ connection, namespace: stack.infra.temporalNamespace });
  const calcom = { credential: 'calcom_main', time_zone: 'America/New_York' };
  const saved = await stack.api('PUT', `/v1/agents/${AGENT}`, {
    instructions:
      "Use 'Book Consultation' to book, 'Send SMS Confirmation' to text the caller, 'Cancel Appointment' to cancel and 'Reschedule Appointment' to move an appointment.",
    actions: [
      {
        type: 'calcom_book',
        name: 'Book Consultation',
        description: 'Books a consultation for the caller.',
        config: { ...calcom, event_type_id: 1001 },
      },
      {
        type: 'send_sms',
        name: 'Send SMS Confirmation',
        description: 'Texts the caller a confirmation of their booking.',
        config: { credential: 'twilio_main', from: '+15557654321', body: 'Booked for {{calcom_booking.start}}.' },
      },
      {
        type: 'cancel_booking',
        name: 'Cancel Appointment',
        description: "Cancels the caller's appointment.",
        config: { ...calcom, failure_message: "I couldn't cancel that: {{error.message}}" },
      },
      {
        type: 'reschedule_booking',
        name: 'Reschedule Appointment',
        description: "Moves the caller's appointment to a new time.",
        config: { ...calcom, event_type_id: 1001 },
      },
    ],
  });
  expect(saved.status, JSON.stringify(saved.body)).toBe(200);
  const statuses = Object.fromEntries(
    saved.body.actions.map((a: { name: string; status: string }) => [a.name, a.status]),
  );
  expect(statuses).toMatchObject({ 'Cancel Appointment': 'configured', 'Reschedule Appointment': 'configured' });
}, 180_000);

afterAll(async () => {
  await connection?.close();
  await stack?.stop();
}, 60_000);

/** The Monday after next: the sandbox's weekday 09:00–17:00 New York hours, days ahead. */
const DAY = nextMonday(7);
const NY = 'America/New_York';
/** `DAY` at `time` in `zone`, written as the API answers times: with the zone's offset then. */
const local = (time: string, zone = NY) => formatInZone(parseDateTime(`${DAY}T${time}:00`, zone) as number, zone);

let callers = 0;
/** A call from a new caller (own e-mail and number), with `tool` to call the agent's actions. */
async function call() {
  const n = ++callers;
  const email = `caller${n}@example.com`;
  const phone = `+1555400${String(n).padStart(4, '0')}`;
  const conv = await stack.api('POST', '/v1/conversations', {
    agent: AGENT,
    contact: { first_name: 'Ada', email },
    call: { sid: `CA${String(n).padStart(32, '7')}`, from: phone, to: '+15557654321' },
  });
  expect(conv.status).toBe(201);
  const tool = async (name: string, args: Record<string, unknown> = {}) =>
    (await stack.api('POST', `/v1/conversations/${conv.body.id}/tool-calls`, { name, arguments: args })).body;
  const book = async (time: string) => {
    const booked = await tool('Book Consultation', { start: `${DAY}T${time}:00`, name: 'Ada Lovelace', email });
    expect(booked.status, JSON.stringify(booked)).toBe('succeeded');
    return booked.outputs.booking_uid as string;
  };
  return { email, phone, tool, book };
}

const bookingIn = (uid: string) => stack.sandboxes.calcom.state().bookings.find((b) => b.uid === uid);

describe('configuration', () => {
  it('is Incomplete while its credential does not exist, and is then refused at call time', async () => {
    const saved = await stack.api('PUT', '/v1/agents/unconfigured-desk', {
      instructions: "Use 'Cancel Visit' to cancel and 'Move Visit' to reschedule.",
      actions: [
        {
          type: 'cancel_booking',
          name: 'Cancel Visit',
          description: 'Cancels a visit.',
          config: { credential: 'calcom_later' },
        },
        {
          type: 'reschedule_booking',
          name: 'Move Visit',
          description: 'Moves a visit.',
          config: { credential: 'calcom_later', time_zone: 'Europe/Paris' },
        },
      ],
    });
    expect(saved.status, JSON.stringify(saved.body)).toBe(200);
    for (const action of saved.body.actions) {
      expect(action.status).toBe('incomplete');
      expect(JSON.stringify(action.problems)).toContain('calcom_later');
    }
    const conv = await stack.api('POST', '/v1/conversations', { agent: 'unconfigured-desk' });
    const refused = await stack.api('POST', `/v1/conversations/${conv.body.id}/tool-calls`, { name: 'Cancel Visit' });
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ code: 'action_not_configured' });
  });
});

describe('cancel_booking', () => {
  it('cancels a booking by uid', async () => {
    const caller = await call();
    const uid = await caller.book('09:00');
    const cancelled = await caller.tool('Cancel Appointment', { booking_uid: uid, reason: 'Feeling better' });
    expect(cancelled).toMatchObject({
      status: 'succeeded',
      outputs: { booking_uid: uid, status: 'cancelled', start: local('09:00') },
    });
    expect(bookingIn(uid)).toMatchObject({ status: 'cancelled', cancellationReason: 'Feeling better' });
  });

  it("cancels the caller's one upcoming booking, found from the call's contact e-mail", async () => {
    const caller = await call();
    const uid = await caller.book('09:30');
    const cancelled = await caller.tool('Cancel Appointment');
    expect(cancelled).toMatchObject({ status: 'succeeded', outputs: { booking_uid: uid, status: 'cancelled' } });
    expect(bookingIn(uid)?.status).toBe('cancelled');
  });

  it('lists several upcoming bookings for the model (spoken times and uids) and cancels none; says when there is none', async () => {
    const caller = await call();
    const first = await caller.book('14:00');
    const second = await caller.book('14:30');
    const ambiguous = await caller.tool('Cancel Appointment');
    expect(ambiguous).toMatchObject({ status: 'failed', error: { code: 'booking_ambiguous', retryable: false } });
    const message = ambiguous.error.message as string;
    expect(message).toMatch(/has 2 upcoming bookings: Monday, \w+ \d+ at 2 PM \(booking_uid /);
    expect(message).toContain(`at 2 PM (booking_uid ${first})`);
    expect(message).toContain(`at 2:30 PM (booking_uid ${second})`);
    expect(ambiguous.messages).toEqual([`I couldn't cancel that: ${message}`]);
    expect([bookingIn(first)?.status, bookingIn(second)?.status]).toEqual(['accepted', 'accepted']);
    // The model asks, then names one: only that one is cancelled.
    const chosen = await caller.tool('Cancel Appointment', { booking_uid: second });
    expect(chosen).toMatchObject({ status: 'succeeded', outputs: { booking_uid: second } });
    expect([bookingIn(first)?.status, bookingIn(second)?.status]).toEqual(['accepted', 'cancelled']);

    const stranger = await call();
    const none = await stranger.tool('Cancel Appointment');
    expect(none).toMatchObject({ status: 'failed', error: { code: 'booking_not_found', retryable: false } });
    expect(none.error.message).toContain(stranger.email);
  });
});

describe('reschedule_booking', () => {
  it('moves the booking to a local time in another time zone: the UTC start is exact', async () => {
    const caller = await call();
    const uid = await caller.book('10:00');
    const moved = await caller.tool('Reschedule Appointment', {
      start: `${DAY}T17:00:00`,
      time_zone: 'Europe/London',
    });
    expect(moved.status, JSON.stringify(moved)).toBe('succeeded');
    const expectedMs = parseDateTime(`${DAY}T17:00:00`, 'Europe/London') as number;
    expect(moved.outputs).toMatchObject({
      previous_booking_uid: uid,
      status: 'accepted',
      start: local('17:00', 'Europe/London'),
    });
    const next = bookingIn(moved.outputs.booking_uid);
    expect(next?.start).toBe(new Date(expectedMs).toISOString());
    expect(bookingIn(uid)).toMatchObject({ status: 'cancelled', rescheduledToUid: moved.outputs.booking_uid });

    // A taken time is refused by Cal.com as booking is: the booking stays where it is.
    const other = await call();
    await other.book('11:00');
    const taken = await caller.tool('Reschedule Appointment', { start: local('11:00') });
    expect(taken).toMatchObject({ status: 'failed', error: { retryable: false } });
    expect(bookingIn(moved.outputs.booking_uid)?.status).toBe('accepted');
  });
});

describe('booking lifecycles follow the change', () => {
  const lifecycleOf = (uid: string) =>
    client.workflow.getHandle(bookingLifecycleWorkflowId(stack.seed.tenantId, uid)).query(bookingLifecycleStateQuery);
  const startLifecycle = async (caller: Awaited<ReturnType<typeof call>>, time: string) => {
    const uid = await caller.book(time);
    expect((await caller.tool('Send SMS Confirmation')).status).toBe('succeeded');
    await eventually(async () => ((await lifecycleOf(uid).catch(() => undefined)) ? true : undefined), 30_000);
    return uid;
  };

  it('a booking cancelled by the built-in ends its lifecycle (no reminder follows)', async () => {
    const caller = await call();
    const uid = await startLifecycle(caller, '15:00');
    expect((await caller.tool('Cancel Appointment')).status).toBe('succeeded');
    const state = await eventually(async () => {
      const s = await lifecycleOf(uid);
      return s.status === 'cancelled' ? s : undefined;
    }, 30_000);
    expect(state.history.at(-1)?.type).toBe('cancelled');
    // The state says cancelled as soon as the signal is handled; the workflow returns just after.
    const handle = client.workflow.getHandle(bookingLifecycleWorkflowId(stack.seed.tenantId, uid));
    const status = await eventually(async () => {
      const name = (await handle.describe()).status.name;
      return name === 'RUNNING' ? undefined : name;
    }, 30_000);
    expect(status).toBe('COMPLETED');
  });

  it("a booking moved by the built-in moves its lifecycle's booking and reminder", async () => {
    const caller = await call();
    const uid = await startLifecycle(caller, '15:30');
    const moved = await caller.tool('Reschedule Appointment', { start: `${DAY}T16:00:00` });
    expect(moved.status).toBe('succeeded');
    const state = await eventually(async () => {
      const s = await lifecycleOf(uid);
      return s.bookingUid === moved.outputs.booking_uid ? s : undefined;
    }, 30_000);
    expect(state).toMatchObject({ status: 'confirmed', start: local('16:00') });
    expect(state.history.at(-1)).toMatchObject({ type: 'rescheduled' });
  });
});
