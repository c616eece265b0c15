/**
 * The `bookingLifecycle` workflow on a real Temporal dev server (persistent SQLite file, so it
 * can be restarted mid-test), run by a chains worker from the built workflow bundle. Replies
 * arrive the way the orchestrator delivers them: signal-with-start of the `smsThread` workflow,
 * which forwards to its subscribers. The provider workers are fakes on the real provider task
 * queues (the real ones are tested against the provider sandboxes elsewhere): a Cal.com that
 * keeps bookings and follows the real worker's semantics (cancel is idempotent, reschedule
 * makes a new uid), and an SMS sender that keeps one message per idempotency key.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { effectKey, type ProviderCall, startBookingLifecycleWorkflow, workflowBundlePath } from '@switchboard/chains';
import type { bookingLifecycle } from '@switchboard/chains/workflows';
import type { JsonValue } from '@switchboard/common';
import { formatInZone, parseDateTime } from '@switchboard/common/time-zones';
import {
  type BookingLifecycleInput,
  type BookingLifecycleState,
  BookingLifecycleWorkflowType,
  bookingChangedSignal,
  bookingLifecycleStateQuery,
  bookingLifecycleWorkflowId,
  type InboundSms,
  inboundSmsSignal,
  type SmsThreadInput,
  smsThreadStateQuery,
  smsThreadWorkflowId,
  TaskQueues,
  WorkflowTypes,
} from '@switchboard/contracts';
import { freePort, startTemporal, type TemporalServer } from '@switchboard/devstack';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/stack.js';

const TENANT = 'ten_lifecycle';
const ZONE = 'America/New_York';
const FROM = '+15559870000';

interface FakeBooking {
  uid: string;
  startMs: number;
  status: 'accepted' | 'cancelled';
  rescheduledToUid?: string;
  rescheduledFromUid?: string;
}

/** A Cal.com worker stand-in: bookings in memory, faults on demand, every call recorded. */
class FakeCalcom {
  readonly bookings = new Map<string, FakeBooking>();
  readonly calls: ProviderCall[] = [];
  /** Booking changes actually made (a repeated cancel changes nothing). */
  readonly changes: string[] = [];
  /** Operation → attempts still to fail (retryable, after nothing was done). */
  readonly failures = new Map<string, number>();

  add(uid: string, startMs: number): void {
    this.bookings.set(uid, { uid, startMs, status: 'accepted' });
  }

  callsOf(operation: string, uid?: string): ProviderCall[] {
    return this.calls.filter(
      (c) => c.operation === operation && (uid === undefined || c.stepPointer.includes(`/lifecycle/${uid}/`)),
    );
  }

  private state(b: FakeBooking, zone: string): JsonValue {
    return {
      booking_id: 1,
      booking_uid: b.uid,
      status: b.status,
      start: formatInZone(b.startMs, zone),
      end: formatInZone(b.startMs + 30 * 60_000, zone),
      time_zone: zone,
      event_type_id: 7,
      cancellation_reason: null,
      rescheduled_from_uid: b.rescheduledFromUid ?? null,
      rescheduled_to_uid: b.rescheduledToUid ?? null,
    };
  }

  private enter(call: ProviderCall): { uid: string; zone: string; payload: Record<string, JsonValue> } {
    this.calls.push(call);
    const left = this.failures.get(call.operation) ?? 0;
    if (left > 0) {
      this.failures.set(call.operation, left - 1);
      throw ApplicationFailure.retryable('calcom answered 503', 'provider_unavailable');
    }
    const payload = call.payload as Record<string, JsonValue>;
    return { uid: String(payload.booking_uid), zone: String(payload.time_zone ?? 'UTC'), payload };
  }

  private find(uid: string): FakeBooking {
    const b = this.bookings.get(uid);
    if (!b) throw ApplicationFailure.nonRetryable(`no booking ${uid}`, 'provider_not_found');
    return b;
  }

  private current(uid: string): FakeBooking {
    let b = this.find(uid);
    while (b.status === 'cancelled' && b.rescheduledToUid) b = this.find(b.rescheduledToUid);
    return b;
  }

  readonly activities = {
    'calcom.get': async (call: ProviderCall) => {
      const { uid, zone } = this.enter(call);
      return this.state(this.find(uid), zone);
    },
    'calcom.cancel': async (call: ProviderCall) => {
      const { uid, zone } = this.enter(call);
      const b = this.current(uid);
      if (b.status !== 'cancelled') {
        b.status = 'cancelled';
        this.changes.push(`cancel ${b.uid}`);
      }
      return this.state(b, zone);
    },
    'calcom.reschedule': async (call: ProviderCall) => {
      const { uid, zone, payload } = this.enter(call);
      const startMs = parseDateTime(String(payload.start), zone);
      if (startMs === undefined) throw ApplicationFailure.nonRetryable('bad start', 'provider_invalid_input');
      const b = this.current(uid);
      if (b.startMs === startMs) return { ...(this.state(b, zone) as object), previous_booking_uid: b.uid };
      const moved: FakeBooking = { uid: `${b.uid}-r`, startMs, status: 'accepted', rescheduledFromUid: b.uid };
      this.bookings.set(moved.uid, moved);
      b.status = 'cancelled';
      b.rescheduledToUid = moved.uid;
      this.changes.push(`reschedule ${b.uid} -> ${moved.uid}`);
      return { ...(this.state(moved, zone) as object), previous_booking_uid: b.uid };
    },
  };
}

interface SentSms {
  key: string;
  stepPointer: string;
  to: string;
  from: string;
  body: string;
  atMs: number;
}

/** A telephony worker stand-in: one message per idempotency key, like the real `sms.send`. */
class FakeSms {
  readonly sent: SentSms[] = [];
  readonly attempts: ProviderCall[] = [];

  to(phone: string): SentSms[] {
    return this.sent.filter((m) => m.to === phone);
  }

  readonly activities = {
    'sms.send': async (call: ProviderCall) => {
      this.attempts.push(call);
      const key = effectKey(call);
      const payload = call.payload as Record<string, string>;
      let message = this.sent.find((m) => m.key === key);
      if (!message) {
        message = {
          key,
          stepPointer: call.stepPointer,
          to: payload.to ?? '',
          from: payload.from ?? '',
          body: payload.body ?? '',
          atMs: Date.now(),
        };
        this.sent.push(message);
      }
      return { message_sid: `SM${this.sent.indexOf(message)}`, status: 'queued' };
    },
  };
}

const dir = mkdtempSync(join(tmpdir(), 'switchboard-lifecycle-'));
const dbFile = join(dir, 'temporal.db');
let port: number;
let temporal: TemporalServer | undefined;
let connection: Connection | undefined;
let client: Client;
let stopWorkers: (() => Promise<void>) | undefined;
const calcom = new FakeCalcom();
const sms = new FakeSms();

async function connect(): Promise<void> {
  connection = await Connection.connect({ address: `127.0.0.1:${port}` });
  client = new Client({ connection });
}

/** The chains worker (real workflow bundle) and the fake provider workers. */
async function startWorkers(): Promise<() => Promise<void>> {
  const native = await NativeConnection.connect({ address: `127.0.0.1:${port}` });
  const workers = await Promise.all([
    Worker.create({
      connection: native,
      taskQueue: TaskQueues.Chains,
      workflowBundle: { codePath: workflowBundlePath },
    }),
    Worker.create({ connection: native, taskQueue: TaskQueues.Calcom, activities: calcom.activities }),
    Worker.create({ connection: native, taskQueue: TaskQueues.Telephony, activities: sms.activities }),
  ]);
  const runs = workers.map((w) => w.run());
  return async () => {
    for (const w of workers) w.shutdown();
    await Promise.all(runs);
    await native.close();
  };
}

beforeAll(async () => {
  Runtime.install({ logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} } as never });
  port = await freePort();
  temporal = await startTemporal({ dbFile, port, logDir: join(dir, 'logs') });
  await connect();
  stopWorkers = await startWorkers();
}, 120_000);

afterAll(async () => {
  await stopWorkers?.();
  await connection?.close();
  await temporal?.stop();
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

let seq = 0;
const runTag = Date.now().toString(36);

interface Started {
  handle: WorkflowHandle<typeof bookingLifecycle>;
  uid: string;
  phone: string;
  startMs: number;
  input: BookingLifecycleInput;
}

/**
 * Books (in the fake Cal.com) and starts the booking's lifecycle: directly (the lifecycle
 * subscribes itself, as sessions of before the `lifecycle-start-by-activity` patch have it), or
 * through `startBookingLifecycleWorkflow` as the orchestrator does.
 */
async function startLifecycle(
  t: { startInMs: number; confirmWithinMs: number; reminderBeforeMs: number },
  via: 'direct' | 'starter' = 'direct',
  samePhoneAs?: Started,
) {
  const n = ++seq;
  const uid = `bk${runTag}x${n}`;
  const phone = samePhoneAs?.phone ?? `+1555010${String(n).padStart(4, '0')}`;
  // Cal.com works in whole minutes; whole seconds are enough to keep the text's times exact.
  const startMs = Math.ceil((Date.now() + t.startInMs) / 1000) * 1000;
  calcom.add(uid, startMs);
  const input: BookingLifecycleInput = {
    tenantId: TENANT,
    conversationId: `conv_${n}`,
    intentId: `int_${runTag}_${n}`,
    bookingUid: uid,
    start: formatInZone(startMs, ZONE),
    timeZone: ZONE,
    phone,
    attendeeName: 'Ada',
    calcomCredential: 'calcom_main',
    smsCredential: 'twilio_main',
    smsFrom: FROM,
    eventTypeId: 7,
    timings: { confirmWithinMs: t.confirmWithinMs, reminderBeforeMs: t.reminderBeforeMs },
    sandbox: false,
  };
  if (via === 'starter') {
    const started = await startBookingLifecycleWorkflow(client, TaskQueues.Chains, input);
    expect(started).toEqual({
      workflowId: bookingLifecycleWorkflowId(TENANT, uid),
      status: 'started',
      subscribed: true,
    });
    const handle = client.workflow.getHandle<typeof bookingLifecycle>(started.workflowId);
    return { handle, uid, phone, startMs, input } satisfies Started;
  }
  const handle = await client.workflow.start<typeof bookingLifecycle>(BookingLifecycleWorkflowType, {
    workflowId: bookingLifecycleWorkflowId(TENANT, uid),
    taskQueue: TaskQueues.Chains,
    args: [input],
  });
  return { handle, uid, phone, startMs, input } satisfies Started;
}

let sid = 0;
/** An inbound SMS, delivered exactly as the orchestrator's inbound consumer does. */
async function reply(phone: string, body: string): Promise<void> {
  const message: InboundSms = {
    messageSid: `SM${runTag}${String(++sid).padStart(8, '0')}`,
    tenantId: TENANT,
    from: phone,
    to: FROM,
    body,
    receivedAtMs: Date.now(),
    credential: 'twilio_main',
  };
  const input: SmsThreadInput = { tenantId: TENANT, phone };
  await client.workflow.signalWithStart(WorkflowTypes.SmsThread, {
    workflowId: smsThreadWorkflowId(TENANT, phone),
    taskQueue: TaskQueues.Chains,
    args: [input],
    signal: inboundSmsSignal,
    signalArgs: [message],
  });
}

const stateOf = (s: Started) => s.handle.query(bookingLifecycleStateQuery);
const textsTo = (s: Started) => sms.to(s.phone).map((m) => m.body);
async function textMatching(s: Started, pattern: RegExp, timeoutMs = 15_000): Promise<SentSms> {
  return eventually(() => sms.to(s.phone).find((m) => pattern.test(m.body)), timeoutMs);
}
async function statusIs(s: Started, status: BookingLifecycleState['status'], timeoutMs = 15_000) {
  return eventually(async () => {
    const state = await stateOf(s);
    return state.status === status ? state : undefined;
  }, timeoutMs);
}

/**
 * Two bookings of one number, each asking for confirmation by SMS: `first` started directly,
 * `second` as the orchestrator starts it (subscribed to the thread before it runs).
 */
async function twoBookingsOfOneNumber(
  first: { startInMs: number; reminderBeforeMs: number },
  second: { startInMs: number },
): Promise<[Started, Started]> {
  const a = await startLifecycle({ ...first, confirmWithinMs: 60_000 });
  await textMatching(a, /Please reply YES/);
  const b = await startLifecycle({ ...second, confirmWithinMs: 60_000, reminderBeforeMs: 0 }, 'starter', a);
  await eventually(() => (textsTo(b).filter((t) => /Please reply YES/.test(t)).length >= 2 ? true : undefined));
  return [a, b];
}

describe('booking lifecycle', () => {
  it('asks for confirmation, and YES confirms (no cancellation at the deadline after that)', async () => {
    // The reply must come before the deadline: generous, then the test waits past it.
    const s = await startLifecycle({ startInMs: 120_000, confirmWithinMs: 15_000, reminderBeforeMs: 0 });
    const startedAt = Date.now();
    const request = await textMatching(s, /Please reply YES to confirm/);
    expect(request).toMatchObject({ to: s.phone, from: FROM });
    expect(request.body).toContain('Hi Ada');
    expect(request.body).toContain(
      new Intl.DateTimeFormat('en-US', { timeZone: ZONE, hour: 'numeric', minute: '2-digit' }).format(s.startMs),
    );
    // The thread did not exist: the lifecycle started it with itself subscribed.
    const thread = client.workflow.getHandle(smsThreadWorkflowId(TENANT, s.phone));
    expect((await thread.query(smsThreadStateQuery)).subscribers).toEqual([bookingLifecycleWorkflowId(TENANT, s.uid)]);

    await reply(s.phone, '  Yes! ');
    const state = await statusIs(s, 'confirmed');
    expect(state.history.map((h) => h.type)).toEqual(['confirmation_requested', 'reply', 'confirmed']);
    await textMatching(s, /is confirmed/);
    // Past the confirmation deadline: a confirmed booking stays.
    await new Promise((r) => setTimeout(r, Math.max(0, startedAt + 16_000 - Date.now())));
    expect(calcom.callsOf('calcom.cancel', s.uid)).toEqual([]);
    expect((await stateOf(s)).status).toBe('confirmed');
    expect(textsTo(s)).toHaveLength(2);
    await s.handle.terminate('test done');
  }, 120_000);

  it('started as the orchestrator does: subscribed before it starts, no thread start of its own, started once', async () => {
    const s = await startLifecycle({ startInMs: 120_000, confirmWithinMs: 60_000, reminderBeforeMs: 0 }, 'starter');
    await textMatching(s, /Please reply YES to confirm/);
    const thread = client.workflow.getHandle(smsThreadWorkflowId(TENANT, s.phone));
    expect((await thread.query(smsThreadStateQuery)).subscribers).toEqual([bookingLifecycleWorkflowId(TENANT, s.uid)]);
    // Its first workflow task asked for confirmation: no child start, no signal to the thread.
    const events = (await s.handle.fetchHistory()).events ?? [];
    expect(events.filter((e) => e.startChildWorkflowExecutionInitiatedEventAttributes)).toHaveLength(0);
    expect(events.filter((e) => e.signalExternalWorkflowExecutionInitiatedEventAttributes)).toHaveLength(0);
    expect(events.filter((e) => e.workflowTaskCompletedEventAttributes).length).toBeLessThanOrEqual(2);

    // A second start (a retried local activity) neither restarts it nor subscribes it twice.
    expect(await startBookingLifecycleWorkflow(client, TaskQueues.Chains, s.input)).toMatchObject({
      status: 'already_started',
    });
    expect((await thread.query(smsThreadStateQuery)).subscribers).toHaveLength(1);

    await reply(s.phone, 'yes');
    expect((await statusIs(s, 'confirmed')).history.map((h) => h.type)).toEqual([
      'confirmation_requested',
      'reply',
      'confirmed',
    ]);
    await s.handle.terminate('test done');
  });

  it("routes a customer's reply to the booking that asked last: the newest request, then a reminder", async () => {
    // Two bookings of one customer: the older one is reminded 15 s in (after the YES below,
    // however slow the machine).
    const [older, newer] = await twoBookingsOfOneNumber(
      { startInMs: 40_000, reminderBeforeMs: 25_000 },
      { startInMs: 120_000 },
    );
    // "YES" answers the newest request: the newer booking is confirmed, the older still waits.
    await reply(older.phone, 'yes');
    await statusIs(newer, 'confirmed');
    expect((await stateOf(older)).status).toBe('awaiting_confirmation');
    // The older one's reminder asks again: "NO" now cancels it, and only it.
    await textMatching(older, /^Reminder: your appointment is on .* Reply YES to confirm or NO to cancel\.$/, 60_000);
    await reply(older.phone, 'no');
    await statusIs(older, 'cancelled');
    expect(calcom.callsOf('calcom.cancel', older.uid)).toHaveLength(1);
    expect(calcom.callsOf('calcom.cancel', newer.uid)).toEqual([]);
    expect((await stateOf(newer)).status).toBe('confirmed');
    await newer.handle.terminate('test done');
  }, 120_000);

  it('sends an opt-out (STOP) to every booking of the number: the carrier stops texts to all of them', async () => {
    const [first, second] = await twoBookingsOfOneNumber(
      { startInMs: 120_000, reminderBeforeMs: 0 },
      { startInMs: 180_000 },
    );
    await reply(first.phone, 'STOP');
    await statusIs(first, 'cancelled');
    await statusIs(second, 'cancelled');
  });

  it('NO cancels the booking once, texts the customer, and ends the lifecycle', async () => {
    const s = await startLifecycle({ startInMs: 120_000, confirmWithinMs: 60_000, reminderBeforeMs: 0 });
    await textMatching(s, /Please reply YES/);
    await reply(s.phone, 'no');
    const final = await s.handle.result();
    expect(final.status).toBe('cancelled');
    expect(final.history.map((h) => h.type)).toEqual(['confirmation_requested', 'reply', 'cancelled']);
    const cancels = calcom.callsOf('calcom.cancel', s.uid);
    expect(cancels).toHaveLength(1);
    expect(cancels[0]).toMatchObject({
      tenantId: TENANT,
      intentId: expect.stringMatching(/^int_/),
      payload: { credential: 'calcom_main', booking_uid: s.uid },
    });
    expect(calcom.bookings.get(s.uid)?.status).toBe('cancelled');
    expect(textsTo(s)).toEqual([
      expect.stringContaining('Please reply YES'),
      expect.stringMatching(/has been cancelled\.$/),
    ]);
    // Unsubscribed on the way out.
    const thread = client.workflow.getHandle(smsThreadWorkflowId(TENANT, s.phone));
    await eventually(async () =>
      (await thread.query(smsThreadStateQuery)).subscribers.length === 0 ? true : undefined,
    );
  });

  it('STOP cancels without texting (Twilio blocks texts after an opt-out)', async () => {
    const s = await startLifecycle({ startInMs: 120_000, confirmWithinMs: 60_000, reminderBeforeMs: 0 });
    await textMatching(s, /Please reply YES/);
    await reply(s.phone, 'STOP');
    expect((await s.handle.result()).status).toBe('cancelled');
    expect(calcom.bookings.get(s.uid)?.status).toBe('cancelled');
    expect(textsTo(s)).toHaveLength(1);
  });

  it('RESCHEDULE with a time moves the booking; without one, explains how; anything else gets help', async () => {
    const s = await startLifecycle({ startInMs: 120_000, confirmWithinMs: 60_000, reminderBeforeMs: 0 });
    await textMatching(s, /Please reply YES/);
    await reply(s.phone, 'reschedule');
    await textMatching(s, /To reschedule, reply RESCHEDULE followed by/);
    await reply(s.phone, 'what is this?');
    await textMatching(s, /^About your appointment on .*: reply YES to confirm, NO to cancel/);
    expect(calcom.callsOf('calcom.reschedule', s.uid)).toEqual([]);

    await reply(s.phone, 'RESCHEDULE 2030-03-12 3:00 pm');
    const moved = await textMatching(s, /has been moved to/);
    expect(moved.body).toBe('Your appointment has been moved to Tue, Mar 12, 3:00 PM EDT.');
    const calls = calcom.callsOf('calcom.reschedule', s.uid);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.payload).toMatchObject({ booking_uid: s.uid, start: '2030-03-12T15:00:00', time_zone: ZONE });
    const state = await stateOf(s);
    expect(state).toMatchObject({ status: 'confirmed', bookingUid: `${s.uid}-r`, start: '2030-03-12T15:00:00-04:00' });
    expect(state.history.at(-1)).toMatchObject({ type: 'rescheduled' });

    // A later NO cancels the booking where it is now.
    await reply(s.phone, 'cancel');
    expect((await s.handle.result()).status).toBe('cancelled');
    expect(calcom.callsOf('calcom.cancel', s.uid)[0]?.payload).toMatchObject({ booking_uid: `${s.uid}-r` });
    expect(calcom.bookings.get(`${s.uid}-r`)?.status).toBe('cancelled');
    expect(sms.to(s.phone).at(-1)?.body).toBe('Your appointment on Tue, Mar 12, 3:00 PM EDT has been cancelled.');
  });

  it('cancels a booking still unconfirmed at its deadline, and tells the customer', async () => {
    const s = await startLifecycle({ startInMs: 120_000, confirmWithinMs: 2_000, reminderBeforeMs: 0 });
    const startedAt = Date.now();
    const final = await s.handle.result();
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(1_500);
    expect(final.status).toBe('cancelled');
    expect(final.history.map((h) => h.type)).toEqual(['confirmation_requested', 'auto_cancelled']);
    expect(calcom.callsOf('calcom.cancel', s.uid)).toHaveLength(1);
    expect(calcom.callsOf('calcom.cancel', s.uid)[0]?.stepPointer).toBe(`/lifecycle/${s.uid}/deadline/cancel`);
    expect(textsTo(s).at(-1)).toMatch(/has been cancelled because it was not confirmed in time\.$/);
  });

  it('sends the reminder before the start, then completes after it', async () => {
    // Reminded 15 s in: after the reply below, however slow the machine.
    const s = await startLifecycle({ startInMs: 30_000, confirmWithinMs: 60_000, reminderBeforeMs: 15_000 });
    await textMatching(s, /Please reply YES/);
    await reply(s.phone, 'y');
    const reminder = await textMatching(s, /^Reminder: your appointment is on/, 60_000);
    expect(reminder.atMs).toBeGreaterThanOrEqual(s.startMs - 15_000);
    expect(reminder.atMs).toBeLessThan(s.startMs);
    // Confirmed already: the reminder does not ask again.
    expect(reminder.body).not.toContain('Reply YES');
    const final = await s.handle.result();
    expect(Date.now()).toBeGreaterThanOrEqual(s.startMs);
    expect(final.status).toBe('completed');
    expect(final.history.map((h) => h.type)).toEqual([
      'confirmation_requested',
      'reply',
      'confirmed',
      'reminder_sent',
      'completed',
    ]);
    // The booking was checked right before reminding.
    expect(calcom.callsOf('calcom.get', s.uid)).toHaveLength(1);
  }, 120_000);

  it('sends no reminder for a booking cancelled in Cal.com meanwhile', async () => {
    // Checked 15 s in: after the test cancelled it below, however slow the machine.
    const s = await startLifecycle({ startInMs: 30_000, confirmWithinMs: 60_000, reminderBeforeMs: 15_000 });
    await textMatching(s, /Please reply YES/);
    const booking = calcom.bookings.get(s.uid);
    if (booking) booking.status = 'cancelled';
    const final = await s.handle.result();
    expect(final.status).toBe('cancelled');
    expect(final.history.map((h) => h.type)).toEqual(['confirmation_requested', 'cancelled_externally']);
    expect(textsTo(s)).toHaveLength(1);
  }, 120_000);

  it('retries a transiently failing cancel: one effect, under one idempotency key', async () => {
    const s = await startLifecycle({ startInMs: 120_000, confirmWithinMs: 60_000, reminderBeforeMs: 0 });
    await textMatching(s, /Please reply YES/);
    calcom.failures.set('calcom.cancel', 1);
    await reply(s.phone, 'NO');
    expect((await s.handle.result()).status).toBe('cancelled');
    const attempts = calcom.callsOf('calcom.cancel', s.uid);
    expect(attempts).toHaveLength(2);
    expect(new Set(attempts.map((c) => effectKey(c))).size).toBe(1);
    expect(calcom.changes.filter((c) => c === `cancel ${s.uid}`)).toHaveLength(1);
    expect(textsTo(s).filter((b) => /has been cancelled/.test(b))).toHaveLength(1);
  });

  it('survives a restart of Temporal (same database) and of the workers; a reply still gets handled', async () => {
    const s = await startLifecycle({ startInMs: 300_000, confirmWithinMs: 200_000, reminderBeforeMs: 0 });
    await textMatching(s, /Please reply YES/);
    await stopWorkers?.();
    stopWorkers = undefined;
    await connection?.close();
    connection = undefined;
    await temporal?.stop();
    temporal = undefined;

    temporal = await startTemporal({ dbFile, port, logDir: join(dir, 'logs') });
    await connect();
    stopWorkers = await startWorkers();
    await reply(s.phone, 'YES');
    const handle = client.workflow.getHandle<typeof bookingLifecycle>(bookingLifecycleWorkflowId(TENANT, s.uid));
    await eventually(async () => {
      const state = await handle.query(bookingLifecycleStateQuery);
      return state.status === 'confirmed' ? state : undefined;
    }, 30_000);
    await textMatching(s, /is confirmed/, 30_000);
    // Nothing sent twice by the replay after the restart.
    expect(textsTo(s)).toHaveLength(2);
    expect(sms.attempts.filter((c) => c.stepPointer === `/lifecycle/${s.uid}/confirm_request`)).toHaveLength(1);
    await handle.terminate('test done');
  }, 120_000);
});

describe('booking lifecycle: changes made on a call (cancel_booking / reschedule_booking)', () => {
  it('a booking cancelled on a call ends its lifecycle: no reminder, no cancellation of its own', async () => {
    const s = await startLifecycle({ startInMs: 120_000, confirmWithinMs: 60_000, reminderBeforeMs: 100_000 });
    await textMatching(s, /Please reply YES/);
    // The built-in cancelled it in Cal.com, then the session tells the lifecycle.
    const booking = calcom.bookings.get(s.uid);
    if (booking) booking.status = 'cancelled';
    await s.handle.signal(bookingChangedSignal, {
      change: 'cancelled',
      bookingUid: s.uid,
      start: s.input.start,
      conversationId: 'conv_call',
      intentId: 'int_call',
    });
    // Over: a completed workflow sends no reminder and makes no cancellation any more.
    const final = await s.handle.result();
    expect(final.status).toBe('cancelled');
    expect(final.history.at(-1)).toMatchObject({
      type: 'cancelled',
      detail: 'by the customer (on a call, conversation conv_call)',
    });
    expect(calcom.callsOf('calcom.cancel', s.uid)).toEqual([]);
    expect(textsTo(s)).toHaveLength(1);
    const thread = client.workflow.getHandle(smsThreadWorkflowId(TENANT, s.phone));
    await eventually(async () =>
      (await thread.query(smsThreadStateQuery)).subscribers.length === 0 ? true : undefined,
    );
  }, 60_000);

  it('a booking moved on a call moves its reminder and is not cancelled at the confirmation deadline', async () => {
    // Deadline 8 s in; reminder 45 s before the start: 15 s in before the move, 40 s in after it.
    const s = await startLifecycle({ startInMs: 60_000, confirmWithinMs: 8_000, reminderBeforeMs: 45_000 });
    await textMatching(s, /Please reply YES/);
    const newUid = `${s.uid}-call`;
    const newStartMs = s.startMs + 25_000;
    const old = calcom.bookings.get(s.uid) as FakeBooking;
    calcom.bookings.set(newUid, { uid: newUid, startMs: newStartMs, status: 'accepted', rescheduledFromUid: s.uid });
    old.status = 'cancelled';
    old.rescheduledToUid = newUid;
    const newStart = formatInZone(newStartMs, ZONE);
    await s.handle.signal(bookingChangedSignal, {
      change: 'rescheduled',
      bookingUid: newUid,
      start: newStart,
      conversationId: 'conv_call',
      intentId: 'int_call',
    });
    const moved = await eventually(async () => {
      const state = await stateOf(s);
      return state.bookingUid === newUid ? state : undefined;
    });
    // Asking for a new time is an answer, as by SMS: confirmed, so the deadline cancels nothing.
    expect(moved).toMatchObject({ status: 'confirmed', start: newStart });
    expect(moved.history.map((h) => h.type)).toEqual(['confirmation_requested', 'rescheduled']);
    const reminder = await textMatching(s, /^Reminder: /, 60_000);
    expect(reminder.atMs).toBeGreaterThanOrEqual(newStartMs - 45_000);
    const newTime = new Intl.DateTimeFormat('en-US', { timeZone: ZONE, hour: 'numeric', minute: '2-digit' }).format(
      newStartMs,
    );
    expect(reminder.body).toContain(newTime);
    expect(reminder.stepPointer).toBe(`/lifecycle/${s.uid}/reminder/1`);
    expect(calcom.callsOf('calcom.cancel', s.uid)).toEqual([]);
    expect(calcom.bookings.get(newUid)?.status).toBe('accepted');
    await s.handle.terminate('test done');
  }, 120_000);
});
