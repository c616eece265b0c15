/**
 * Behaviour that only shows after hours or days, at its real default durations, on Temporal's
 * time-skipping test server: the whole stack (public API, NATS, orchestrator, provider workers,
 * Cal.com and Twilio sandboxes) runs against it, and a test skips the workflows' time forward to
 * just before a due time (nothing has happened yet) and just after it (it happened). What is
 * asserted is what the customer sees: texts in the Twilio sandbox, the booking in the Cal.com
 * sandbox, what a tool call answers.
 *
 * Tests share one server, so they run in order and each counts from the server's time at its
 * start (skipped time is global). Time moves only through `skipTo`: the tests use a plain client,
 * because waiting on a result with `env.client` lets the server skip through every timer there
 * is (ten years ahead, in one try) while it waits. No test's effects may come from a task whose timeout ran out in
 * skipped time: each checks its workflows' histories for timed-out tasks.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type BookingLifecycleInput,
  type BookingLifecycleState,
  bookingLifecycleWorkflowId,
  DefaultSessionSettings,
  type InboundSms,
  inboundSmsSignal,
  type SmsThreadInput,
  sessionWorkflowId,
  smsThreadStateQuery,
  smsThreadWorkflowId,
  TaskQueues,
  WorkflowTypes,
} from '@switchboard/contracts';
import { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerCalls, putLedgerAgent } from '../support/long-conversation.js';
import { eventually, startTestStack, type TestStack } from '../support/stack.js';
import { skipTo, startTimeSkippingTemporal, timedOutTasks } from '../support/time-skipping.js';
import { postTwilioWebhook, smsFields } from '../support/twilio-webhooks.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const ZONE = 'America/New_York';

let env: TestWorkflowEnvironment;
/** A plain client of the test server: unlike `env.client`, waiting on a result never skips time. */
let client: Client;
let stack: TestStack;

beforeAll(async () => {
  env = await startTimeSkippingTemporal();
  client = new Client({ connection: env.connection });
  stack = await startTestStack(mkdtempSync(join(tmpdir(), 'switchboard-e2e-long-lived-')), {
    exportSpans: false,
    temporalAddress: env.address,
  });
  await putLedgerAgent(stack);
}, 180_000);

afterAll(async () => {
  await stack?.stop();
  await env?.teardown();
}, 60_000);

const now = () => env.currentTimeMs();
const skip = (atMs: number) => skipTo(env, atMs);
const tenant = () => stack.seed.tenantId;
const handle = (workflowId: string, runId?: string) => client.workflow.getHandle(workflowId, runId);
const statusOf = async (workflowId: string, runId?: string) => (await handle(workflowId, runId).describe()).status.name;

/** The texts the Twilio sandbox sent to `phone`, oldest first. */
const textsTo = (phone: string) =>
  stack.sandboxes.twilio
    .state()
    .messages.filter((m) => m.to === phone)
    .map((m) => String(m.body));
const bookingIn = (uid: string) => stack.sandboxes.calcom.state().bookings.find((b) => b.uid === uid);

/** `YYYY-MM-DD` in New York of the first weekday at least `minMs` after `fromMs`. */
function weekdayAfter(fromMs: number, minMs: number): string {
  for (let at = fromMs + minMs; ; at += DAY) {
    const day = new Intl.DateTimeFormat('en-US', { timeZone: ZONE, weekday: 'short' }).format(at);
    if (day !== 'Sat' && day !== 'Sun') return new Intl.DateTimeFormat('en-CA', { timeZone: ZONE }).format(at);
  }
}

let callers = 0;
/** A receptionist call from a new number; `slotOn` finds the first free slot of a day. */
async function receptionistCall() {
  const n = ++callers;
  const phone = `+1555300${String(n).padStart(4, '0')}`;
  const email = `ada${n}@example.com`;
  const conv = await stack.api('POST', '/v1/conversations', {
    agent: 'receptionist',
    contact: { first_name: 'Ada', email },
    call: { sid: `CA${String(n).padStart(32, '0')}`, from: phone, to: '+15557654321' },
  });
  expect(conv.status).toBe(201);
  const tool = async (name: string, args: Record<string, unknown>) => {
    const res = await stack.api('POST', `/v1/conversations/${conv.body.id}/tool-calls`, { name, arguments: args });
    expect(res.body.status, `${name}: ${JSON.stringify(res.body)}`).toBe('succeeded');
    return res.body;
  };
  return {
    phone,
    async slotOn(date: string): Promise<{ start: string; startMs: number }> {
      const start = (await tool('Check Availability', { start_date: date })).outputs.slots[0].start as string;
      return { start, startMs: Date.parse(start) };
    },
    /** Books the slot and texts the confirmation, as the receptionist agent does; the lifecycle starts. */
    async book(start: string) {
      const uid = (await tool('Book Consultation', { start, name: 'Ada Lovelace', email })).outputs
        .booking_uid as string;
      await tool('Send SMS Confirmation', {});
      const workflowId = bookingLifecycleWorkflowId(tenant(), uid);
      await eventually(() => textsTo(phone).find((t) => /Please reply YES/.test(t)), 30_000);
      const history = await handle(workflowId).fetchHistory();
      const data = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0]?.data;
      const input = JSON.parse(Buffer.from(data as Uint8Array).toString('utf8')) as BookingLifecycleInput;
      return { uid, workflowId, input, bookedAtMs: input.bookedAtMs as number };
    },
  };
}

/** An inbound SMS from the customer, through the signed Twilio webhook; returns its message sid. */
async function customerTexts(phone: string, body: string): Promise<string> {
  const fields = smsFields(stack, phone, body);
  expect((await postTwilioWebhook(stack, 'sms', fields)).status).toBe(200);
  return fields.MessageSid as string;
}

const textMatching = (phone: string, pattern: RegExp) =>
  eventually(() => textsTo(phone).find((t) => pattern.test(t)), 30_000);

describe("the session's idle watchdog", () => {
  it('ends a session idle for 24 h (not before), re-armed by every call; the next call starts afresh', async () => {
    const conv = await stack.api('POST', '/v1/conversations', { agent: 'ledger' });
    const calls = ledgerCalls(stack, conv.body.id);
    const workflowId = sessionWorkflowId(tenant(), conv.body.id);
    expect((await calls.note(1)).body.messages).toEqual(['Noted 1 as entry 1.']);
    const run = (await handle(workflowId).describe()).runId;

    // Half a day later the conversation goes on, in the same session: the ledger continues.
    await skip((await now()) + 12 * HOUR);
    expect((await calls.note(2)).body.messages).toEqual(['Noted 2 as entry 2.']);
    const runs = await stack.api('GET', `/v1/conversations/${conv.body.id}/runs`);
    const lastActiveMs = Math.max(...runs.body.runs.map((r: { finishedAt: string }) => Date.parse(r.finishedAt)));

    // 24 h after the last call, counted from that call (not from the first).
    await skip(lastActiveMs + DAY - MINUTE);
    expect(await statusOf(workflowId, run)).toBe('RUNNING');
    await skip(lastActiveMs + DAY + MINUTE);
    const ended = await eventually(async () => {
      const d = await handle(workflowId, run).describe();
      return d.status.name === 'COMPLETED' ? d : undefined;
    });
    expect((ended.closeTime?.getTime() ?? 0) - lastActiveMs).toBeGreaterThanOrEqual(DAY);

    // The caller's next call starts a new session: the ended one's ledger is gone with it.
    expect((await calls.note(3)).body.messages).toEqual(['Noted 3 as entry 1.']);
    expect((await handle(workflowId).describe()).runId).not.toBe(run);
    expect(await timedOutTasks(client, workflowId)).toEqual([]);
  });
});

describe('a booking lifecycle at its default timings (24 h to confirm, reminder 24 h before)', () => {
  it('runs on the defaults when nothing is configured', () => {
    expect(DefaultSessionSettings.lifecycle).toEqual({ confirmWithinMs: DAY, reminderBeforeMs: DAY });
  });

  it('reminds an unconfirmed booking 24 h before its start, then cancels it 24 h after it was made', async () => {
    const caller = await receptionistCall();
    const slot = await caller.slotOn(weekdayAfter(await now(), 3 * DAY));
    // Booked 36 h ahead: the reminder (start − 24 h) comes before the deadline (booked + 24 h).
    await skip(slot.startMs - 36 * HOUR);
    const booking = await caller.book(slot.start);
    expect(booking.input.timings).toEqual(DefaultSessionSettings.lifecycle);
    const { phone } = caller;
    const before = textsTo(phone);
    expect(before).toEqual([
      expect.stringMatching(/^Acme: your consultation is booked/),
      expect.stringMatching(/Please reply YES/),
    ]);

    await skip(slot.startMs - DAY - MINUTE);
    expect(textsTo(phone)).toEqual(before);
    await skip(slot.startMs - DAY + MINUTE);
    const reminder = await textMatching(phone, /^Reminder:/);
    expect(reminder).toMatch(/^Reminder: your appointment is on .*\. Reply YES to confirm or NO to cancel\.$/);

    const deadline = booking.bookedAtMs + DAY;
    await skip(deadline - MINUTE);
    expect(bookingIn(booking.uid)?.status).toBe('accepted');
    expect(textsTo(phone)).toEqual([...before, reminder]);
    await skip(deadline + MINUTE);
    const cancelled = await textMatching(phone, /not confirmed in time/);
    expect(cancelled).toMatch(/^Your appointment on .* has been cancelled because it was not confirmed in time\.$/);
    expect(bookingIn(booking.uid)).toMatchObject({ status: 'cancelled', cancellationReason: 'Not confirmed in time' });
    expect(textsTo(phone)).toEqual([...before, reminder, cancelled]);

    const final = (await handle(booking.workflowId).result()) as BookingLifecycleState;
    expect(final.history.map((h) => h.type)).toEqual(['confirmation_requested', 'reminder_sent', 'auto_cancelled']);
    expect(await timedOutTasks(client, booking.workflowId)).toEqual([]);
  });

  it('keeps a confirmed booking past the deadline, reminds it 24 h before, and completes at its start', async () => {
    const caller = await receptionistCall();
    // More than two days ahead: the deadline (booked + 24 h) passes before the reminder is due.
    const slot = await caller.slotOn(weekdayAfter(await now(), 4 * DAY));
    const booking = await caller.book(slot.start);
    const { phone } = caller;
    await customerTexts(phone, 'Yes');
    await textMatching(phone, /is confirmed\.$/);
    const before = textsTo(phone);

    await skip(booking.bookedAtMs + DAY + MINUTE);
    expect(bookingIn(booking.uid)?.status).toBe('accepted');
    await skip(slot.startMs - DAY - MINUTE);
    expect(textsTo(phone)).toEqual(before);
    await skip(slot.startMs - DAY + MINUTE);
    const reminder = await textMatching(phone, /^Reminder:/);
    // Confirmed already: the reminder does not ask again.
    expect(reminder).toMatch(/^Reminder: your appointment is on [^.]*\.$/);

    await skip(slot.startMs + MINUTE);
    const final = (await handle(booking.workflowId).result()) as BookingLifecycleState;
    expect(final.status).toBe('completed');
    expect(final.history.map((h) => h.type)).toEqual([
      'confirmation_requested',
      'reply',
      'confirmed',
      'reminder_sent',
      'completed',
    ]);
    expect(bookingIn(booking.uid)?.status).toBe('accepted');
    expect(textsTo(phone)).toEqual([...before, reminder]);
    expect(await timedOutTasks(client, booking.workflowId)).toEqual([]);
  });
});

describe("the SMS thread's continue-as-new", () => {
  it('after 100 texts carries its subscriber and the message ids it saw: replies still land, a redelivery does not repeat', async () => {
    const caller = await receptionistCall();
    const { phone } = caller;
    const slot = await caller.slotOn(weekdayAfter(await now(), 3 * DAY));
    const booking = await caller.book(slot.start);
    const yes = await customerTexts(phone, 'YES');
    await textMatching(phone, /is confirmed\.$/);
    const threadId = smsThreadWorkflowId(tenant(), phone);
    const first = (await handle(threadId).describe()).runId;

    // A chatty customer: 100 more texts, each forwarded to the booking (it answers the first 3).
    for (let i = 0; i < 100; i++) await customerTexts(phone, `thanks ${i}`);
    await eventually(
      async () => ((await statusOf(threadId, first)) === 'CONTINUED_AS_NEW' ? true : undefined),
      120_000,
    );
    // The next run counts on (the last texts may have come to it) and still forwards to the booking.
    const state = await eventually(async () => {
      const s = await handle(threadId).query(smsThreadStateQuery);
      return s.received === 101 ? s : undefined;
    }, 30_000);
    expect(state.subscribers).toEqual([booking.workflowId]);

    // The orchestrator delivers the first "YES" again (a redelivery after a crash, say): dropped.
    const redelivered: InboundSms = {
      messageSid: yes,
      tenantId: tenant(),
      from: phone,
      to: '+15559870000',
      body: 'YES',
      receivedAtMs: Date.now(),
      credential: 'twilio_main',
    };
    const input: SmsThreadInput = { tenantId: tenant(), phone };
    await client.workflow.signalWithStart(WorkflowTypes.SmsThread, {
      workflowId: threadId,
      taskQueue: TaskQueues.Chains,
      args: [input],
      signal: inboundSmsSignal,
      signalArgs: [redelivered],
    });
    // The next text is handled after it (one thread, in order) and reaches the booking.
    await customerTexts(phone, 'NO');
    await textMatching(phone, /^Your appointment on .* has been cancelled\.$/);
    expect(bookingIn(booking.uid)?.status).toBe('cancelled');

    const texts = textsTo(phone);
    expect(texts.filter((t) => /is confirmed\.$/.test(t))).toHaveLength(1);
    expect(texts.filter((t) => /^About your appointment/.test(t))).toHaveLength(3);
    expect(texts.filter((t) => /has been cancelled/.test(t))).toHaveLength(1);
    expect((await handle(threadId).query(smsThreadStateQuery)).received).toBe(102);
    expect(await timedOutTasks(client, threadId)).toEqual([]);
  }, 180_000);
});

// Last: it skips two months, after which the API's run audit cannot record durations any more
// (integer milliseconds from the API's real-time acceptance to the workflow-time outcome).
describe("the SMS thread's 30-day timeout", () => {
  it('keeps a thread with a waiting booking open past 30 silent days; closes it 30 days after its last text once none waits', async () => {
    const caller = await receptionistCall();
    const { phone } = caller;
    const slot = await caller.slotOn(weekdayAfter(await now(), 45 * DAY));
    const booking = await caller.book(slot.start);
    await customerTexts(phone, 'YES');
    await textMatching(phone, /is confirmed\.$/);
    const threadId = smsThreadWorkflowId(tenant(), phone);
    const thread = (await handle(threadId).describe()).runId;

    // 31 days without a text: the booking still waits for its day, so the thread stays.
    await skip((await now()) + 31 * DAY);
    expect(await statusOf(threadId, thread)).toBe('RUNNING');
    // The customer's reply after a month still reaches the booking.
    await customerTexts(phone, 'NO');
    await textMatching(phone, /^Your appointment on .* has been cancelled\.$/);
    expect(bookingIn(booking.uid)?.status).toBe('cancelled');
    expect((await handle(threadId).describe()).runId).toBe(thread);
    // The lifecycle is over and unsubscribed: nobody waits on the thread now.
    await eventually(async () =>
      (await handle(threadId).query(smsThreadStateQuery)).subscribers.length === 0 ? true : undefined,
    );

    // Its wait for the next text began when it handled the last one: 30 days from then.
    const events = (await handle(threadId, thread).fetchHistory()).events ?? [];
    const idle = events.filter((e) => e.timerStartedEventAttributes).at(-1);
    expect(Number(idle?.timerStartedEventAttributes?.startToFireTimeout?.seconds)).toBe((30 * DAY) / 1000);
    const lastTextMs = Number(idle?.eventTime?.seconds) * 1000;
    await skip(lastTextMs + 30 * DAY - MINUTE);
    expect(await statusOf(threadId, thread)).toBe('RUNNING');
    await skip(lastTextMs + 30 * DAY + MINUTE);
    await eventually(async () => ((await statusOf(threadId, thread)) === 'COMPLETED' ? true : undefined));
    // The next text starts a new thread.
    await customerTexts(phone, 'hello again');
    const next = await eventually(async () => {
      const d = await handle(threadId)
        .describe()
        .catch(() => undefined);
      return d !== undefined && d.runId !== thread ? d : undefined;
    });
    expect(next.status.name).toBe('RUNNING');
    expect(await timedOutTasks(client, threadId)).toEqual([]);
    expect(await timedOutTasks(client, booking.workflowId)).toEqual([]);
  });
});

describe("a test call's idle timeout", () => {
  it('undoes its booking when its session ends after 24 idle hours (issue 16, item 6)', async () => {
    const conv = await stack.api('POST', '/v1/conversations', {
      agent: 'receptionist',
      sandbox: true,
      contact: { first_name: 'Ada', email: 'idle@example.com' },
      call: { sid: `CA${'9'.repeat(32)}`, from: '+15553009999', to: '+15557654321' },
    });
    expect(conv.status).toBe(201);
    const tool = async (name: string, args: Record<string, unknown>) => {
      const res = await stack.api('POST', `/v1/conversations/${conv.body.id}/tool-calls`, { name, arguments: args });
      expect(res.body.status, `${name}: ${JSON.stringify(res.body)}`).toBe('succeeded');
      return res.body;
    };
    const day = weekdayAfter(await now(), 3 * DAY);
    const start = (await tool('Check Availability', { start_date: day })).outputs.slots[0].start as string;
    const uid = (await tool('Book Consultation', { start, name: 'Ada Lovelace', email: 'idle@example.com' })).outputs
      .booking_uid as string;
    expect(bookingIn(uid)?.status).toBe('accepted');
    const workflowId = sessionWorkflowId(tenant(), conv.body.id);
    const run = (await handle(workflowId).describe()).runId;

    const runs = await stack.api('GET', `/v1/conversations/${conv.body.id}/runs`);
    const lastActiveMs = Math.max(...runs.body.runs.map((r: { finishedAt: string }) => Date.parse(r.finishedAt)));
    await skip(lastActiveMs + DAY + MINUTE);
    const cleanup = await eventually(async () => {
      const res = await stack.api('GET', `/v1/conversations/${conv.body.id}/sandbox-effects`);
      return res.body.cleanup ?? undefined;
    }, 60_000);
    expect(cleanup).toMatchObject({ status: 'undone', trigger: 'idle', failed: [] });
    expect(cleanup.undone.map((e: { providerRef: string }) => e.providerRef)).toEqual([uid]);
    expect(bookingIn(uid)?.status).toBe('cancelled');
    await eventually(async () => ((await statusOf(workflowId, run)) === 'COMPLETED' ? true : undefined));
    expect(await timedOutTasks(client, workflowId)).toEqual([]);
  });
});
