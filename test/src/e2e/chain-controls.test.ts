import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sessionWorkflowId } from '@switchboard/contracts';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openSse } from '../support/sse.js';
import { eventually, startTestStack, type TestStack } from '../support/stack.js';
import { connectTemporal, type StackTemporal, signalsRecorded } from '../support/temporal.js';

// What the executor enforces around a chain, through every process: confirmation before the
// action runs, "still working" events, barge-in cancels, failure events, the inactivity timer,
// and an end call that waits for the final message.
//
// No test here depends on how fast the machine is. Windows a test must fit in are generous
// (a loaded machine takes seconds for what a quiet one does in milliseconds); a slow effect is
// a webhook call the sink holds until the test has seen what it waits for. Only the tests of
// timeouts that must fire run with short ones, on an orchestrator restarted for them.
let stack: TestStack;
let temporal: StackTemporal;

/** Longer than any fast webhook call takes, even on a loaded machine. */
const STILL_WORKING_AFTER_MS = 10_000;
const CONFIRMATION_TIMEOUT_MS = 120_000;
const END_CALL_DELIVERY_TIMEOUT_MS = 120_000;
/** For the tests of the timeouts themselves. */
const SHORT_TIMEOUT_MS = 1_000;

beforeAll(async () => {
  stack = await startTestStack(mkdtempSync(join(tmpdir(), 'switchboard-e2e-controls-')), {
    exportSpans: false,
    serviceEnv: {
      STILL_WORKING_AFTER_MS: String(STILL_WORKING_AFTER_MS),
      CONFIRMATION_TIMEOUT_MS: String(CONFIRMATION_TIMEOUT_MS),
      END_CALL_DELIVERY_TIMEOUT_MS: String(END_CALL_DELIVERY_TIMEOUT_MS),
    },
  });
  await stack.api('PUT', '/v1/endpoints/orders', { url: `${stack.sink.url}/orders`, allow_private: true });
  const saved = await stack.api('PUT', '/v1/agents/shop', {
    instructions: "Use 'place_order' to order and 'lookup_order' to look one up.",
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
        on_failure: [{ type: 'respond', message: 'Sorry, I could not look that up.' }],
      },
      {
        name: 'notify_once',
        description: 'Notifies the shop; a second attempt would be worse than none.',
        parameters: [{ name: 'note', type: 'string', required: true }],
        retry: { max_attempts: 1 },
        actions: [{ type: 'webhook', endpoint: 'orders', payload: { note: 'params.note' } }],
      },
    ],
  });
  expect(saved.status).toBe(200);
  temporal = await connectTemporal(stack.infra.temporalAddress);
}, 180_000);

afterAll(async () => {
  await temporal?.close();
  await stack?.stop();
}, 60_000);

beforeEach(() => {
  stack.sink.clear();
});
afterEach(() => {
  // A test that failed while holding the sink must not hold the next one's calls.
  stack.sink.release();
});

async function conversation(agent = 'shop', body: Record<string, unknown> = {}): Promise<string> {
  const res = await stack.api('POST', '/v1/conversations', { agent, ...body });
  expect(res.status).toBe(201);
  return res.body.id;
}

const tool = (conv: string, name: string, args: Record<string, unknown>) =>
  stack.api('POST', `/v1/conversations/${conv}/tool-calls`, { name, arguments: args });
const control = (conv: string, id: string, what: 'confirmation' | 'cancel' | 'delivered', body?: unknown) =>
  stack.api('POST', `/v1/conversations/${conv}/tool-calls/${id}/${what}`, body);
const kinds = (events: { kind: string }[]) => events.map((e) => e.kind);
const ordersReceived = () => stack.sink.requests().filter((r) => r.path === '/orders');

describe('require_user_confirmation', () => {
  it('runs nothing until the user confirms, then runs once', async () => {
    const conv = await conversation();
    const asked = await tool(conv, 'place_order', { item: 'tea' });
    expect(asked.status).toBe(202);
    expect(asked.body.status).toBe('awaiting_confirmation');
    expect(asked.body.events[0]).toMatchObject({
      kind: 'confirmation_required',
      data: { action: 'place_order', arguments: { item: 'tea' }, timeout_ms: CONFIRMATION_TIMEOUT_MS },
    });
    expect(ordersReceived()).toHaveLength(0);

    const done = await control(conv, asked.body.id, 'confirmation', { confirmed: true });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ status: 'succeeded', outputs: { ok: true } });
    expect(ordersReceived()).toHaveLength(1);
    // A retried confirmation answers with the outcome and runs nothing again.
    const again = await control(conv, asked.body.id, 'confirmation', { confirmed: true });
    expect(again.body.status).toBe('succeeded');
    expect(ordersReceived()).toHaveLength(1);
  });

  it('ends cancelled when the user declines', async () => {
    const conv = await conversation();
    const declined = await tool(conv, 'place_order', { item: 'coffee' });
    const answer = await control(conv, declined.body.id, 'confirmation', { confirmed: false });
    expect(answer.body).toMatchObject({ status: 'cancelled', error: { code: 'user_declined' } });
    expect(ordersReceived()).toHaveLength(0);
  });
});

describe('a call waiting for confirmation', () => {
  it("does not hold the conversation's later calls: they run meanwhile, and the answer still runs it", async () => {
    const conv = await conversation();
    const asked = await tool(conv, 'place_order', { item: 'scones' });
    expect(asked.body.status).toBe('awaiting_confirmation');
    // The caller asks something else before answering: it runs now, not after the question times out.
    const lookup = await tool(conv, 'lookup_order', { order: 'B7' });
    expect(lookup.status).toBe(200);
    expect(lookup.body).toMatchObject({ status: 'succeeded', messages: ['Found order B7.'] });
    expect(ordersReceived().map((r) => r.body)).toEqual([{ order: 'B7' }]);
    // The order of things, not their timing: the lookup finished while the question still waited.
    // (Had it waited behind the question, the call would have answered 202 after its own timeout.)
    const meanwhile = await stack.api('GET', `/v1/runs/${asked.body.id}`);
    expect(['running', 'awaiting_confirmation']).toContain(meanwhile.body.status);
    const done = await control(conv, asked.body.id, 'confirmation', { confirmed: true });
    expect(done.body).toMatchObject({ status: 'succeeded', outputs: { ok: true } });
    expect(ordersReceived()).toHaveLength(2);
    // Its events go on from the question: one stream, numbered without gaps or repeats.
    const run = await stack.api('GET', `/v1/runs/${asked.body.id}`);
    const seqs = run.body.events.map((e: { seq: number }) => e.seq);
    expect(seqs).toEqual(seqs.map((_: number, i: number) => i));
    expect(kinds(run.body.events).filter((k) => k === 'accepted')).toHaveLength(1);
    expect(kinds(run.body.events)).toContain('confirmation_required');
  });
});

describe('events around a run', () => {
  it('pauses the inactivity timer while the action runs and says "still working" when slow', async () => {
    const conv = await conversation();
    // The effect lasts until the test has seen "still working" on the conversation's stream.
    const stream = await openSse(`${stack.services.apiUrl}/v1/conversations/${conv}/events`, stack.seed.apiKey);
    stack.sink.hold();
    const running = tool(conv, 'lookup_order', { order: 'A1' });
    await stream.readUntil((e) => e.event === 'progress' && e.data.data?.still_working === true, 60_000);
    stream.close();
    stack.sink.release();
    const res = await running;
    expect(res.body.status).toBe('succeeded');
    const k = kinds(res.body.events);
    expect(k[0]).toBe('accepted');
    expect(res.body.events[1]).toMatchObject({ kind: 'call_control', data: { action: 'pause_inactivity' } });
    expect(res.body.events.at(-1)).toMatchObject({ kind: 'call_control', data: { action: 'resume_inactivity' } });
    const still = res.body.events.find((e: { data: { still_working?: boolean } }) => e.data.still_working);
    expect(still).toMatchObject({ kind: 'progress', data: { step: '/actions/1' } });
    expect(k.indexOf('progress')).toBeLessThan(k.lastIndexOf('effect'));

    // A fast effect says nothing of the kind.
    const fast = await tool(conv, 'lookup_order', { order: 'A2' });
    expect(fast.body.events.some((e: { data: { still_working?: boolean } }) => e.data.still_working)).toBe(false);
  });

  it('emits a failure event with the code before the failed result', async () => {
    const conv = await conversation();
    stack.sink.fault({ status: 400, count: 1 });
    const res = await tool(conv, 'lookup_order', { order: 'B1' });
    expect(res.body.status).toBe('failed');
    expect(res.body.messages).toEqual(['Sorry, I could not look that up.']);
    const failed = res.body.events.find((e: { kind: string }) => e.kind === 'failed');
    expect(failed.data).toMatchObject({ code: res.body.error.code, retryable: false, step: '/actions/1' });
  });
});

describe('retry policy from the definition', () => {
  it('stops after the attempts the action allows, where the default would retry', async () => {
    const conv = await conversation();
    stack.sink.fault({ status: 503, count: 1 });
    const once = await tool(conv, 'notify_once', { note: 'n1' });
    expect(once.body.status).toBe('failed');
    expect(once.body.error.retryable).toBe(true);
    expect(ordersReceived()).toHaveLength(1);

    stack.sink.clear();
    stack.sink.fault({ status: 503, count: 1 });
    const retried = await tool(conv, 'lookup_order', { order: 'R1' });
    expect(retried.body.status).toBe('succeeded');
    expect(ordersReceived()).toHaveLength(2);
  });
});

describe('barge-in', () => {
  it('cancels a call whose effect has not started, and lets one whose effect started finish', async () => {
    const conv = await conversation();
    // The first call's effect is held at the sink; the second call waits behind it in the session.
    stack.sink.hold();
    const slow = tool(conv, 'lookup_order', { order: 'C1' });
    await eventually(() => (ordersReceived().length > 0 ? true : undefined), 30_000);
    const queued = tool(conv, 'lookup_order', { order: 'C2' });
    const runs = await eventually(async () => {
      const r = await stack.api('GET', `/v1/conversations/${conv}/runs`);
      return r.body.runs.length === 2 ? r.body.runs : undefined;
    }, 30_000);
    const ids = runs.map((r: { id: string }) => r.id);
    const [slowId, queuedId] = [ids[0], ids[1]];

    // Both cancels reach the session while the first call's effect is in flight...
    const cancels = Promise.all([control(conv, queuedId, 'cancel'), control(conv, slowId, 'cancel')]);
    const session = sessionWorkflowId(stack.seed.tenantId, conv);
    await eventually(
      async () => ((await signalsRecorded(temporal.client, session, 'control')) >= 2 ? true : undefined),
      30_000,
    );
    // ...and only then does it finish.
    stack.sink.release();
    const [early, late] = await cancels;
    expect(late.body.status).toBe('succeeded');
    expect(late.body.events).toContainEqual(
      expect.objectContaining({ kind: 'cancelled', data: expect.objectContaining({ ignored: true }) }),
    );
    expect(early.body).toMatchObject({ status: 'cancelled', error: { code: 'cancelled' } });
    expect((await slow).body.status).toBe('succeeded');
    expect((await queued).body.status).toBe('cancelled');
    // Only the first call's effect happened.
    expect(ordersReceived().map((r) => (r.body as { order: string }).order)).toEqual(['C1']);
    const next = await tool(conv, 'lookup_order', { order: 'C3' });
    expect(next.body.status).toBe('succeeded');
  });
});

async function receptionistOnCall() {
  const call = stack.sandboxes.twilio.createCall({ from: '+15551112222', to: '+15557654321' });
  const sid = call.sid as string;
  const conv = await conversation('receptionist', { call: { sid, from: '+15551112222', to: '+15557654321' } });
  return { conv, sid };
}
type SandboxCall = { sid: string; status: string; history: { kind: string; text?: string }[] };
const sandboxCall = (sid: string) =>
  (stack.sandboxes.twilio.state().calls as unknown as SandboxCall[]).find((c) => c.sid === sid);
const callStatus = (sid: string) => sandboxCall(sid)?.status;
/** What Twilio itself said on the call (`<Say>`), in order. */
const saidByTwilio = (sid: string) =>
  (sandboxCall(sid)?.history ?? []).filter((h) => h.kind === 'say').map((h) => h.text);

describe('end call', () => {
  it('hangs up only after the runtime delivered the final message', async () => {
    const { conv, sid } = await receptionistOnCall();
    const res = await tool(conv, 'End Call Politely', {});
    expect(res.body.status).toBe('succeeded');
    expect(res.body.messages).toEqual(['Thanks for calling Acme. Have a great day!']);
    expect(res.body.events).toContainEqual(
      expect.objectContaining({
        kind: 'call_control',
        data: expect.objectContaining({ action: 'end_call', after: 'final_message_delivered' }),
      }),
    );
    await new Promise((r) => setTimeout(r, 500));
    expect(callStatus(sid)).toBe('in-progress');
    expect((await control(conv, res.body.id, 'delivered')).status).toBe(202);
    await eventually(() => (callStatus(sid) === 'completed' ? true : undefined), 30_000);
    // Hung up because of the report, not the bounded wait: the runtime said goodbye, Twilio did not.
    expect(saidByTwilio(sid)).not.toContain('Thanks for calling Acme. Have a great day!');
  });
});

describe('timeouts that fire (orchestrator restarted with short ones)', () => {
  beforeAll(async () => {
    await stack.services.restart('orchestrator', {
      env: {
        CONFIRMATION_TIMEOUT_MS: String(SHORT_TIMEOUT_MS),
        END_CALL_DELIVERY_TIMEOUT_MS: String(SHORT_TIMEOUT_MS),
      },
    });
  }, 120_000);
  afterAll(async () => {
    await stack.services.restart('orchestrator', { env: {} });
  }, 120_000);

  it('fails a confirmation nobody answers, with a clear code, and runs nothing', async () => {
    const conv = await conversation();
    const unanswered = await tool(conv, 'place_order', { item: 'cake' });
    expect(unanswered.body.status).toBe('awaiting_confirmation');
    expect(unanswered.body.events[0]).toMatchObject({ data: { timeout_ms: SHORT_TIMEOUT_MS } });
    const run = await eventually(async () => {
      const r = await stack.api('GET', `/v1/runs/${unanswered.body.id}`);
      return r.body.status === 'failed' ? r.body : undefined;
    }, 60_000);
    expect(run.error).toMatchObject({ code: 'confirmation_timeout', retryable: true });
    expect(kinds(run.events)).toContain('failed');
    expect(ordersReceived()).toHaveLength(0);
  });

  it('hangs up after the bounded wait when no delivery report comes, saying the message itself', async () => {
    const { conv, sid } = await receptionistOnCall();
    const started = Date.now();
    const res = await tool(conv, 'End Call Politely', {});
    expect(res.body.status).toBe('succeeded');
    await eventually(() => (callStatus(sid) === 'completed' ? true : undefined), 60_000);
    // A lower bound only: the wait cannot be shorter than the timeout, however loaded the machine.
    expect(Date.now() - started).toBeGreaterThanOrEqual(SHORT_TIMEOUT_MS - 200);
    expect(saidByTwilio(sid)).toContain('Thanks for calling Acme. Have a great day!');
  });
});
