/**
 * Records Temporal workflow histories for the replay corpus (`libs/chains/histories/`).
 *
 * Starts the whole stack of this checkout, drives scenarios that exercise every workflow type
 * and every `patched()` branch through the public API (booking chains whose lifecycle is
 * confirmed or cancelled by SMS, confirmations, a declined call, an ended conversation, a test
 * call cleaned up, a typed output of the wrong type left out, a conversation whose session
 * continued-as-new twice with a confirmation waiting across each boundary, and from release 10
 * the scenarios of `record-scenarios.ts`: call control through Vapi, Twilio and `none`, an async
 * result delivered, bookings cancelled and moved during the call), then writes the
 * history of every workflow run the server has, one gzipped JSON file each, named
 * `<workflow type>-<n>.json.gz`.
 *
 * Run it on a build of the release whose histories you want to keep (a git worktree of that
 * commit), so the corpus holds what live workflows of that release look like. It uses only
 * `support/stack.ts`, `support/twilio-webhooks.ts`, `support/long-conversation.ts`,
 * `support/dates.ts` and `record-scenarios.ts` (copy the last three along into a release older
 * than them), so it can be
 * copied into an older release's checkout (before confirmation parking, drop the call made while
 * a confirmation waits and the long conversation: those releases hold it until the question times
 * out; before release 10, drop the Vapi stand-in and the scenarios of `record-scenarios.ts`):
 *
 *   node test/dist/tools/record-histories.js <out dir>
 *
 * The replay test then runs every stored history against the current workflow code: a change
 * that would break workflows started by a deployed release fails it.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { startBookingLifecycleWorkflow } from '@switchboard/chains';
import { type BookingLifecycleInput, TaskQueues } from '@switchboard/contracts';
import { startVapiControlSandbox } from '@switchboard/sandboxes/vapi';
import { Client, Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import { nextMonday } from '../support/dates.js';
import { driveLongConversation } from '../support/long-conversation.js';
import { eventually, startTestStack, type TestStack } from '../support/stack.js';
import { postTwilioWebhook, smsFields } from '../support/twilio-webhooks.js';
import { bookingsChanged, callsControlled, check, putScenarioAgents, resultDelivered } from './record-scenarios.js';

const outDir = process.argv[2];
if (outDir === undefined) {
  console.error('usage: record-histories <out dir>');
  process.exit(2);
}

/** The texts the provider sandbox sent to `phone`, oldest first. */
function textsTo(stack: TestStack, phone: string): string[] {
  return stack.sandboxes.twilio
    .state()
    .messages.filter((m) => m.to === phone)
    .map((m) => String(m.body));
}

/** A receptionist call from `phone` that books the `fromEnd`-th last slot of next Monday. */
async function callAndBook(stack: TestStack, phone: string, fromEnd: number) {
  const conv = await stack.api('POST', '/v1/conversations', {
    agent: 'receptionist',
    contact: { first_name: 'Ada', email: 'ada@example.com' },
    call: { sid: `CA${String(fromEnd).repeat(32).slice(0, 32)}`, from: phone, to: '+15557654321' },
  });
  check(conv.status === 201, 'conversation', conv.body);
  const conversationId = conv.body.id as string;
  const tool = (name: string, args: Record<string, unknown>) =>
    stack.api('POST', `/v1/conversations/${conversationId}/tool-calls`, { name, arguments: args });
  const availability = await tool('Check Availability', { start_date: nextMonday() });
  check(availability.body.status === 'succeeded', 'availability', availability.body);
  const start = availability.body.outputs.slots.at(-1 - fromEnd).start as string;
  const booked = await tool('Book Consultation', { start, name: 'Ada Lovelace', email: 'ada@example.com' });
  check(booked.body.status === 'succeeded', 'booking', booked.body);
  return { conversationId, tool, start, bookingUid: booked.body.outputs.booking_uid as string };
}

/** A receptionist call that books a slot, texts a confirmation and answers the lifecycle's request. */
async function bookingAnswered(stack: TestStack, phone: string, reply: string, slotIndex: number): Promise<void> {
  const { tool } = await callAndBook(stack, phone, slotIndex);
  const texts = () => textsTo(stack, phone);
  const before = texts().length;
  const sms = await tool('Send SMS Confirmation', {});
  check(sms.body.status === 'succeeded', 'sms', sms.body);
  // The lifecycle's confirmation request, then the customer's answer.
  await eventually(
    () =>
      texts()
        .slice(before + 1)
        .find((t) => /YES/.test(t)),
    20_000,
  );
  const answered = texts().length;
  check((await postTwilioWebhook(stack, 'sms', smsFields(stack, phone, reply))).status === 200, 'sms webhook');
  // Every answer is texted back (confirmed, cancelled).
  await eventually(() => (texts().length > answered ? true : undefined), 20_000);
}

/**
 * A second booking of the same customer, its lifecycle started the way the orchestrator does
 * but with the reminder due a few seconds in: the thread routes the "NO" that answers the
 * reminder to it, not to the first booking (it asked last). Needs a release with
 * `startBookingLifecycleWorkflow` (performance round 2 on).
 */
async function reminderAnswered(stack: TestStack, client: Client, phone: string): Promise<void> {
  let first: BookingLifecycleInput | undefined;
  for await (const w of client.workflow.list()) {
    if (w.type !== 'bookingLifecycle') continue;
    const history = await client.workflow.getHandle(w.workflowId, w.runId).fetchHistory();
    const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0]?.data;
    const input = payload ? (JSON.parse(Buffer.from(payload).toString('utf8')) as BookingLifecycleInput) : undefined;
    if (input?.phone === phone) first = input;
  }
  check(first !== undefined, `a lifecycle for ${phone}`);
  const booked = await callAndBook(stack, phone, 2);
  const texts = () => textsTo(stack, phone);
  const second: BookingLifecycleInput = {
    ...(first as BookingLifecycleInput),
    conversationId: booked.conversationId,
    intentId: `int_record_reminder_${Date.now()}`,
    bookingUid: booked.bookingUid,
    start: booked.start,
    bookedAtMs: Date.now(),
    timings: { confirmWithinMs: 10 * 86_400_000, reminderBeforeMs: Date.parse(booked.start) - Date.now() - 4000 },
  };
  await startBookingLifecycleWorkflow(client, TaskQueues.Chains, second);
  await eventually(() => texts().find((t) => t.startsWith('Reminder:')), 30_000);
  const before = texts().length;
  check((await postTwilioWebhook(stack, 'sms', smsFields(stack, phone, 'NO'))).status === 200, 'sms webhook');
  await eventually(
    () =>
      texts()
        .slice(before)
        .some((t) => /has been cancelled/.test(t))
        ? true
        : undefined,
    20_000,
  );
}

/**
 * Confirmation asked, another call meanwhile, then given; asked and declined; a plain chain;
 * then the conversation ends.
 */
async function controlsThenEnd(stack: TestStack): Promise<void> {
  const conv = await stack.api('POST', '/v1/conversations', { agent: 'shop' });
  check(conv.status === 201, 'conversation', conv.body);
  const id = conv.body.id;
  const tool = (name: string, args: Record<string, unknown>) =>
    stack.api('POST', `/v1/conversations/${id}/tool-calls`, { name, arguments: args });
  const control = (call: string, what: string, body?: unknown) =>
    stack.api('POST', `/v1/conversations/${id}/tool-calls/${call}/${what}`, body);
  const asked = await tool('place_order', { item: 'tea' });
  check(asked.body.status === 'awaiting_confirmation', 'confirmation asked', asked.body);
  // Another call while the order waits for its answer (it runs meanwhile: confirmation parking).
  const between = await tool('lookup_order', { order: 'A0' });
  check(between.body.status === 'succeeded', 'lookup while confirmation pending', between.body);
  const done = await control(asked.body.id, 'confirmation', { confirmed: true });
  check(done.body.status === 'succeeded', 'confirmed', done.body);
  const declined = await tool('place_order', { item: 'coffee' });
  const answer = await control(declined.body.id, 'confirmation', { confirmed: false });
  check(answer.body.status === 'cancelled', 'declined', answer.body);
  const lookup = await tool('lookup_order', { order: 'A1' });
  check(lookup.body.status === 'succeeded', 'lookup', lookup.body);
  const ended = await stack.api('POST', `/v1/conversations/${id}/end`, {});
  check(ended.status < 300, 'end', ended.body);
}

/**
 * A typed action whose webhook answers an output of the wrong type (the sink's `{"ok": true}`
 * for a number): the output is left out with a warning and the run succeeds (from release 8,
 * `lenient-outputs`; a release before it fails the run with `invalid_output`).
 */
async function outputLeftOut(stack: TestStack): Promise<void> {
  const conv = await stack.api('POST', '/v1/conversations', { agent: 'shop' });
  check(conv.status === 201, 'conversation', conv.body);
  const res = await stack.api('POST', `/v1/conversations/${conv.body.id}/tool-calls`, {
    name: 'count_orders',
    arguments: {},
  });
  check(res.status === 200 && res.body.outputs?.ok === undefined, 'output left out', res.body);
}

/** A test call that books and texts, then is cleaned up (the compensation workflow). */
async function sandboxCleanedUp(stack: TestStack): Promise<void> {
  const conv = await stack.api('POST', '/v1/conversations', {
    agent: 'receptionist',
    sandbox: true,
    contact: { first_name: 'Grace', email: 'grace@example.com' },
    call: { from: '+15551113333', to: '+15557654321' },
  });
  check(conv.status === 201, 'sandbox conversation', conv.body);
  const tool = (name: string, args: Record<string, unknown>) =>
    stack.api('POST', `/v1/conversations/${conv.body.id}/tool-calls`, { name, arguments: args });
  const availability = await tool('Check Availability', { start_date: nextMonday() });
  const slot = availability.body.outputs.slots[0];
  const booked = await tool('Book Consultation', {
    start: slot.start,
    name: 'Grace Hopper',
    email: 'grace@example.com',
  });
  check(booked.body.status === 'succeeded', 'sandbox booking', booked.body);
  const asked = await stack.api('POST', `/v1/conversations/${conv.body.id}/compensate`);
  check(asked.status === 202, 'compensate', asked.body);
  await eventually(async () => {
    const listed = await stack.api('GET', `/v1/conversations/${conv.body.id}/sandbox-effects`);
    return listed.body.summary?.undone >= 1 ? true : undefined;
  }, 30_000);
}

/**
 * A history as protobufjs's JSON form (longs, enums and bytes as strings), which
 * `History.fromObject` reads back. Not the SDK's `historyToJSON`: @temporalio/common and
 * @temporalio/proto each carry their own protobufjs copy here, and its proto-JSON extension
 * refuses the other copy's types.
 */
function historyJson(history: proto.temporal.api.history.v1.IHistory): unknown {
  const { History } = proto.temporal.api.history.v1;
  return History.toObject(History.fromObject(history), {
    longs: String,
    enums: String,
    bytes: String,
  });
}

/** Waits until no workflow's history grows for `quietMs`. */
async function settled(client: Client, quietMs: number): Promise<void> {
  let last = '';
  let since = Date.now();
  for (;;) {
    const sizes: string[] = [];
    for await (const w of client.workflow.list()) sizes.push(`${w.workflowId}:${w.historyLength}`);
    const now = sizes.sort().join(',');
    if (now !== last) {
      last = now;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) return;
    await new Promise((r) => setTimeout(r, 500));
  }
}

const vapi = await startVapiControlSandbox();
const stack = await startTestStack(mkdtempSync(join(tmpdir(), 'switchboard-record-')), {
  exportSpans: false,
  // Vapi calls are controlled on the local stand-in's loopback URLs.
  serviceEnv: { VAPI_CONTROL_HOSTS: 'vapi.ai,127.0.0.1' },
});
const connection = await Connection.connect({ address: stack.infra.temporalAddress });
try {
  const client = new Client({ connection });
  await stack.api('PUT', '/v1/endpoints/orders', { url: `${stack.sink.url}/orders`, allow_private: true });
  const shop = await stack.api('PUT', '/v1/agents/shop', {
    instructions: "Use 'place_order' to order, 'lookup_order' to look one up and 'count_orders' to count them.",
    actions: [
      {
        name: 'place_order',
        description: 'Places an order for the caller.',
        target: 'webhook://orders',
        inputs: { item: { type: 'string', description: 'What to order', is_required: true } },
        outputs: { ok: { type: 'boolean', description: 'Whether the order went through' } },
        require_user_confirmation: true,
      },
      {
        name: 'lookup_order',
        description: 'Looks up an order.',
        parameters: [{ name: 'order', type: 'string', required: true }],
        actions: [
          { type: 'context.set', key: 'looked_up', value: 'params.order' },
          { type: 'webhook', endpoint: 'orders', payload: { order: 'params.order' }, result_key: 'lookup' },
        ],
        on_success: [{ type: 'respond', message: 'Found order {{params.order}}.' }],
      },
      {
        name: 'count_orders',
        description: 'Counts the orders.',
        target: 'webhook://orders',
        outputs: { ok: { type: 'number', description: 'How many (the sink answers a boolean)' } },
      },
    ],
  });
  check(shop.status === 200, 'shop agent', shop.body);
  await putScenarioAgents(stack);

  await bookingAnswered(stack, '+15551112222', 'YES', 0);
  await reminderAnswered(stack, client, '+15551112222');
  await bookingAnswered(stack, '+15551114444', ' no ', 1);
  await controlsThenEnd(stack);
  await sandboxCleanedUp(stack);
  await outputLeftOut(stack);
  await callsControlled(stack, vapi);
  await resultDelivered(stack);
  await bookingsChanged(stack, client);
  // Its session continues-as-new twice: three runs, each recorded.
  const long = await driveLongConversation(stack, client);
  check(long.runs.length === 3, 'a session continued-as-new twice', long.runs);
  await settled(client, 3000);

  const dir = resolve(outDir);
  mkdirSync(dir, { recursive: true });
  const executions: { workflowId: string; runId: string; type: string; started: number }[] = [];
  for await (const w of client.workflow.list()) {
    executions.push({ workflowId: w.workflowId, runId: w.runId, type: w.type, started: w.startTime.getTime() });
  }
  executions.sort((a, b) => a.started - b.started || a.workflowId.localeCompare(b.workflowId));
  const perType = new Map<string, number>();
  for (const e of executions) {
    const n = (perType.get(e.type) ?? 0) + 1;
    perType.set(e.type, n);
    const history = await client.workflow.getHandle(e.workflowId, e.runId).fetchHistory();
    writeFileSync(join(dir, `${e.type}-${n}.json.gz`), gzipSync(JSON.stringify(historyJson(history))));
  }
  console.log(`recorded ${executions.length} histories in ${dir}: ${JSON.stringify(Object.fromEntries(perType))}`);
} finally {
  await connection.close();
  await stack.stop();
  await vapi.close();
}
