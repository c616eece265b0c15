import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FakeLlm, type ReceivedChatRequest, startFakeLlm } from '../support/fake-llm.js';
import { type ApiResponse, startTestStack, type TestStack } from '../support/stack.js';

// The agent's own LLM loop (POST /v1/conversations/:id/turns) through every process: the
// conversation service talks to a local OpenAI-compatible server with the real `openai` client,
// and the actions the model calls run through the bus, the session workflow and the workers.
let stack: TestStack;
let llm: FakeLlm;

const ACME = '+15557654321';
const SUPPORT_LINE = '+15551230001';
const API_KEY = 'sk-fake-e2e-key';

beforeAll(async () => {
  llm = await startFakeLlm();
  stack = await startTestStack(mkdtempSync(join(tmpdir(), 'switchboard-e2e-agent-loop-')), { exportSpans: false });
  for (const name of ['orders', 'hours', 'audit']) {
    const res = await stack.api('PUT', `/v1/endpoints/${name}`, {
      url: `${stack.sink.url}/${name}`,
      allow_private: true,
    });
    expect(res.status).toBe(200);
  }
  const credential = await stack.api('PUT', '/v1/credentials/llm_main', {
    provider: 'openai',
    secret: { apiKey: API_KEY },
  });
  expect(credential.status).toBe(200);
  const saved = await stack.api('PUT', '/v1/agents/concierge', {
    instructions:
      "You are Acme's concierge.{% if contact.first_name %} The caller is {{ contact.first_name }}.{% endif %} Use 'lookup_order' for orders and 'Transfer to Support' when they ask for a human.",
    actions: [
      {
        name: 'check_open',
        description: 'Whether the shop is open.',
        target: 'webhook://hours',
        outputs: { ok: { type: 'boolean' }, id: { type: 'integer', filter_from_agent: true } },
        run: 'every_turn',
      },
      { name: 'log_turn', description: 'Logs the turn.', target: 'webhook://audit', run: 'after_turn' },
      {
        name: 'lookup_order',
        description: 'Looks up an order.',
        target: 'webhook://orders',
        inputs: { order: { type: 'string', is_required: true } },
        outputs: { ok: { type: 'boolean' }, id: { type: 'integer', filter_from_agent: true } },
      },
      {
        name: 'place_order',
        description: 'Places an order.',
        target: 'webhook://orders',
        inputs: { item: { type: 'string', is_required: true } },
        outputs: { ok: { type: 'boolean' } },
        require_user_confirmation: true,
      },
      {
        type: 'transfer_call',
        name: 'Transfer to Support',
        description: 'Transfers the caller to a person on the support team.',
        config: { destination: SUPPORT_LINE, mode: 'cold', transfer_message: 'Connecting you to support.' },
      },
    ],
    llm: { base_url: llm.url, model: 'fake-model', credential: 'llm_main', allow_private: true },
  });
  expect(saved.status).toBe(200);
}, 180_000);

afterAll(async () => {
  await stack?.stop();
  await llm?.close();
}, 60_000);

beforeEach(() => {
  llm.reset();
  stack.sink.clear();
});

async function conversation(body: Record<string, unknown> = {}, agent = 'concierge'): Promise<string> {
  const res = await stack.api('POST', '/v1/conversations', { agent, ...body });
  expect(res.status).toBe(201);
  return res.body.id;
}

const turn = (conv: string, text: string, extra: Record<string, unknown> = {}): Promise<ApiResponse> =>
  stack.api('POST', `/v1/conversations/${conv}/turns`, { text, ...extra });

type Message = { role: string; content: string | null; tool_calls?: unknown[]; tool_call_id?: string };
const messagesOf = (request: ReceivedChatRequest | undefined): Message[] => request?.body.messages ?? [];
const sinkPaths = () => stack.sink.requests().map((r) => r.path);

describe('a turn', () => {
  it('renders the instructions, runs every-turn actions first and after-turn ones last, hides filtered outputs, and keeps the transcript', async () => {
    const conv = await conversation({ contact: { first_name: 'Ada' } });
    llm.script(
      { tool_calls: [{ name: 'lookup_order', arguments: { order: 'A1' } }] },
      { content: 'Order A1 is on its way.' },
    );

    const res = await turn(conv, 'Where is my order A1?');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ text: 'Order A1 is on its way.', rounds: 2, nudged: false });
    expect(
      res.body.actions.map((a: { name: string; trigger: string; status: string }) => [a.name, a.trigger, a.status]),
    ).toEqual([
      ['check_open', 'every_turn', 'succeeded'],
      ['lookup_order', 'tool', 'succeeded'],
      ['log_turn', 'after_turn', 'succeeded'],
    ]);
    // The caller gets every output; the model never sees the filtered one.
    expect(Object.keys(res.body.actions[1].outputs).sort()).toEqual(['id', 'ok']);
    expect(sinkPaths()).toEqual(['/hours', '/orders', '/audit']);

    const [first, second] = llm.requests();
    expect(llm.requests()).toHaveLength(2);
    expect(first?.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(first?.body.model).toBe('fake-model');
    const system = messagesOf(first)[0];
    expect(system?.role).toBe('system');
    expect(system?.content).toContain("You are Acme's concierge. The caller is Ada.");
    expect(messagesOf(first)).toContainEqual({
      role: 'system',
      content: expect.stringContaining('- check_open: {"status":"succeeded","outputs":{"ok":true}}'),
    });
    expect(messagesOf(first).at(-1)).toEqual({ role: 'user', content: 'Where is my order A1?' });
    expect(first?.body.tool_choice).toBe('auto');
    expect(first?.body.tools.map((t: { function: { name: string } }) => t.function.name).sort()).toEqual([
      'lookup_order',
      'place_order',
      'transfer_to_support',
    ]);
    const toolMessage = messagesOf(second).find((m) => m.role === 'tool');
    expect(JSON.parse(toolMessage?.content ?? '{}')).toEqual({ status: 'succeeded', outputs: { ok: true } });

    const transcript = await stack.api('GET', `/v1/conversations/${conv}/transcript`);
    const entries = (
      transcript.body.entries as { type: string; role?: string; text?: string; toolCall?: { name: string } }[]
    ).map((e) => (e.type === 'message' ? `${e.role}: ${e.text}` : `${e.type}: ${e.toolCall?.name}`));
    expect(entries).toEqual([
      'user: Where is my order A1?',
      'tool_call: check_open',
      'tool_result: check_open',
      'tool_call: lookup_order',
      'tool_result: lookup_order',
      'assistant: Order A1 is on its way.',
      'tool_call: log_turn',
      'tool_result: log_turn',
    ]);
  });

  it('gives the next turn the conversation so far', async () => {
    const conv = await conversation();
    llm.script({ content: 'Hello! How can I help?' });
    expect((await turn(conv, 'Hi there')).status).toBe(200);
    llm.script({ content: 'We sell tea.' });
    expect((await turn(conv, 'What do you sell?')).body.text).toBe('We sell tea.');
    const second = messagesOf(llm.requests()[1]).filter((m) => m.role === 'user' || m.role === 'assistant');
    expect(second.map((m) => m.content)).toEqual(['Hi there', 'Hello! How can I help?', 'What do you sell?']);
  });
});

describe('words and actions delivered together', () => {
  const liveCall = async () => {
    const call = stack.sandboxes.twilio.createCall({ from: '+15551119999', to: ACME });
    const callSid = String(call.sid);
    const conv = await conversation({ call: { sid: callSid, from: '+15551119999', to: ACME } });
    return { conv, callSid };
  };
  const dialled = (callSid: string) =>
    (
      stack.sandboxes.twilio.state().calls as unknown as {
        sid: string;
        history: { kind: string; target?: { address: string } }[];
      }[]
    )
      .find((c) => c.sid === callSid)
      ?.history.find((h) => h.kind === 'dial')?.target?.address;

  it('runs the transfer the model calls next to "I\'ll transfer you", in the same turn', async () => {
    const { conv, callSid } = await liveCall();
    llm.script(
      {
        content: "I'll transfer you to our support team now.",
        tool_calls: [{ name: 'transfer_to_support', arguments: { reason: 'asked for a human' } }],
      },
      { content: 'Please hold.' },
    );
    const res = await turn(conv, 'Can I talk to a person?');
    expect(res.status).toBe(200);
    expect(res.body.text).toBe("I'll transfer you to our support team now. Please hold.");
    const transfer = res.body.actions.find((a: { name: string }) => a.name === 'Transfer to Support');
    expect(transfer).toMatchObject({ status: 'succeeded', messages: ['Connecting you to support.'] });
    expect(res.body.events).toContainEqual(
      expect.objectContaining({
        kind: 'call_control',
        action: 'Transfer to Support',
        call_id: transfer.call_id,
        data: expect.objectContaining({ action: 'transfer', result: expect.objectContaining({ status: 'connected' }) }),
      }),
    );
    expect(dialled(callSid)).toBe(SUPPORT_LINE);
  });

  it('asks a model that only announces the transfer to make it, and makes it in the same turn', async () => {
    const { conv, callSid } = await liveCall();
    llm.script(
      { content: "Sure, I'm transferring you to support now." },
      { tool_calls: [{ name: 'transfer_to_support', arguments: {} }] },
      { content: 'Please hold.' },
    );
    const res = await turn(conv, 'Get me a human');
    expect(res.body).toMatchObject({ nudged: true, rounds: 3 });
    expect(res.body.text).toBe("Sure, I'm transferring you to support now. Please hold.");
    expect(
      res.body.events.some(
        (e: { kind: string; data: { action?: string } }) => e.kind === 'call_control' && e.data.action === 'transfer',
      ),
    ).toBe(true);
    expect(dialled(callSid)).toBe(SUPPORT_LINE);
    const nudge = messagesOf(llm.requests()[1]).at(-1);
    expect(nudge).toMatchObject({ role: 'system', content: expect.stringContaining("'Transfer to Support'") });
  });
});

describe('confirmation', () => {
  it('ends the turn with the question, and runs the action when the next turn says yes', async () => {
    const conv = await conversation();
    llm.script(
      { tool_calls: [{ name: 'place_order', arguments: { item: 'tea' } }] },
      { content: 'Shall I order tea for you?' },
    );
    const asked = await turn(conv, 'Order me a tea');
    expect(asked.status).toBe(200);
    expect(asked.body.text).toBe('Shall I order tea for you?');
    expect(asked.body.pending_confirmation).toEqual({
      call_id: expect.stringMatching(/^int_/),
      action: 'place_order',
      arguments: { item: 'tea' },
    });
    expect(llm.requests()[1]?.body.tool_choice).toBe('none');
    expect(sinkPaths().filter((p) => p === '/orders')).toHaveLength(0);
    // After-turn actions would only queue behind the question; the answering turn runs them.
    expect(asked.body.actions.map((a: { trigger: string }) => a.trigger)).toEqual(['every_turn', 'tool']);

    llm.script({ content: 'Your tea is ordered.' });
    const done = await turn(conv, 'Yes please');
    expect(done.body.text).toBe('Your tea is ordered.');
    expect(done.body.pending_confirmation).toBeUndefined();
    expect(done.body.actions.find((a: { trigger: string }) => a.trigger === 'confirmation')).toMatchObject({
      call_id: asked.body.pending_confirmation.call_id,
      name: 'place_order',
      status: 'succeeded',
      outputs: { ok: true },
    });
    expect(sinkPaths().filter((p) => p === '/orders')).toHaveLength(1);
    expect(sinkPaths().filter((p) => p === '/audit')).toHaveLength(1);
    // The model saw its question, the answer, and the outcome of the call.
    const sent = messagesOf(llm.requests()[2]);
    expect(sent.filter((m) => m.role === 'user').map((m) => m.content)).toEqual(['Order me a tea', 'Yes please']);
    expect(JSON.parse(sent.at(-1)?.content ?? '{}')).toMatchObject({ status: 'succeeded', outputs: { ok: true } });
  });

  it('does not run the action when the user says no', async () => {
    const conv = await conversation();
    llm.script({ tool_calls: [{ name: 'place_order', arguments: { item: 'cake' } }] }, { content: 'Order cake?' });
    expect((await turn(conv, 'Cake please')).body.pending_confirmation.action).toBe('place_order');
    llm.script({ content: 'Okay, I did not order it.' });
    const declined = await turn(conv, 'No, never mind');
    expect(declined.body.actions.find((a: { trigger: string }) => a.trigger === 'confirmation')).toMatchObject({
      status: 'cancelled',
      error: { code: 'user_declined' },
    });
    expect(sinkPaths().filter((p) => p === '/orders')).toHaveLength(0);
  });
});

describe('settings and failures', () => {
  it('shows the LLM settings on the agent, never the key', async () => {
    const res = await stack.api('GET', '/v1/agents/concierge');
    expect(res.body.llm).toEqual({
      base_url: llm.url,
      model: 'fake-model',
      credential: 'llm_main',
      allow_private: true,
    });
    expect(JSON.stringify(res.body)).not.toContain(API_KEY);
    const missing = await stack.api('PUT', '/v1/credentials/bad', { provider: 'openai', secret: { token: 'x' } });
    expect(missing.status).toBe(400);
  });

  it('answers a repeated request (same Idempotency-Key) with the finished turn: no LLM call, nothing run or kept twice', async () => {
    const conv = await conversation();
    llm.script(
      { tool_calls: [{ name: 'lookup_order', arguments: { order: 'B2' } }] },
      { content: 'Order B2 shipped.' },
    );
    const key = { 'idempotency-key': 'turn-b2' };
    const path = `/v1/conversations/${conv}/turns`;
    const first = await stack.api('POST', path, { text: 'Where is B2?' }, key);
    expect(first.status).toBe(200);
    const res = await fetch(`${stack.services.apiUrl}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.seed.apiKey}`, 'content-type': 'application/json', ...key },
      body: JSON.stringify({ text: 'Where is B2?' }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('idempotent-replayed')).toBe('true');
    expect(await res.json()).toEqual(first.body);
    expect(llm.requests()).toHaveLength(2);
    expect(sinkPaths()).toEqual(['/hours', '/orders', '/audit']);

    // The same key for another text is refused as tool calls refuse it (422); the turn it
    // names is untouched, and the model is not asked.
    const other = await stack.api('POST', path, { text: 'Where is C3?' }, key);
    expect(other.status).toBe(422);
    expect(other.body.error).toMatchObject({
      code: 'idempotency_key_reused',
      retryable: false,
      details: { idempotencyKey: 'turn-b2' },
    });
    expect(llm.requests()).toHaveLength(2);
    const transcript = await stack.api('GET', `/v1/conversations/${conv}/transcript`);
    const said = transcript.body.entries.filter((e: { type: string }) => e.type === 'message');
    expect(said.map((e: { role: string; text: string }) => `${e.role}: ${e.text}`)).toEqual([
      'user: Where is B2?',
      'assistant: Order B2 shipped.',
    ]);
  });

  it('runs a failed turn again on a retry with the same key, without keeping the text or running its actions twice', async () => {
    const conv = await conversation();
    // The first attempt looks the order up, then the model refuses the next request.
    llm.script(
      { tool_calls: [{ name: 'lookup_order', arguments: { order: 'D4' } }] },
      { error: { status: 400, message: 'context too long' } },
    );
    const key = { 'idempotency-key': 'turn-d4' };
    const path = `/v1/conversations/${conv}/turns`;
    const failed = await stack.api('POST', path, { text: 'Where is D4?' }, key);
    expect(failed.status).toBe(502);

    llm.script({ content: 'Order D4 is packed.' });
    const retried = await stack.api('POST', path, { text: 'Where is D4?' }, key);
    expect(retried.status).toBe(200);
    expect(retried.body.text).toBe('Order D4 is packed.');
    // The retry's model request has the text once, followed by the lookup the failed attempt made.
    const sent = messagesOf(llm.requests()[2]);
    expect(sent.filter((m) => m.role === 'user')).toEqual([{ role: 'user', content: 'Where is D4?' }]);
    const after = sent.slice(sent.findIndex((m) => m.role === 'user') + 1);
    expect(after.some((m) => m.role === 'tool')).toBe(true);
    // The every-turn action ran once over both attempts (same turn id), the lookup once.
    expect(sinkPaths().filter((p) => p === '/hours')).toHaveLength(1);
    expect(sinkPaths().filter((p) => p === '/orders')).toHaveLength(1);
    const transcript = await stack.api('GET', `/v1/conversations/${conv}/transcript`);
    const said = transcript.body.entries.filter((e: { type: string }) => e.type === 'message');
    expect(said.map((e: { role: string; text: string }) => `${e.role}: ${e.text}`)).toEqual([
      'user: Where is D4?',
      'assistant: Order D4 is packed.',
    ]);
  });

  it('shows the model a confirmation answered by a failed attempt once, when the retry answers it again', async () => {
    const conv = await conversation();
    llm.script({ tool_calls: [{ name: 'place_order', arguments: { item: 'jam' } }] }, { content: 'Order jam?' });
    expect((await turn(conv, 'I want jam')).body.pending_confirmation).toBeDefined();
    const key = { 'idempotency-key': 'turn-jam-yes' };
    const path = `/v1/conversations/${conv}/turns`;
    // The answer runs the order, then the model fails.
    llm.script({ error: { status: 400, message: 'context too long' } });
    expect((await stack.api('POST', path, { text: 'yes' }, key)).status).toBe(502);
    llm.script({ content: 'Your jam is ordered.' });
    const retried = await stack.api('POST', path, { text: 'yes' }, key);
    expect(retried.status).toBe(200);
    const tools = messagesOf(llm.requests().at(-1)).filter((m) => m.role === 'tool');
    const orderResults = tools.filter((m) => (m.content ?? '').includes('The user confirmed'));
    expect(orderResults).toHaveLength(1);
    expect(tools.filter((m) => (m.tool_call_id ?? '').endsWith('_result'))).toEqual([]);
    expect(sinkPaths().filter((p) => p === '/orders')).toHaveLength(1);
  });

  it('refuses a turn of an agent without LLM settings, and reports an LLM that refuses the key', async () => {
    const demo = await conversation({}, 'demo');
    const unconfigured = await turn(demo, 'Hello');
    expect(unconfigured.status).toBe(409);
    expect(unconfigured.body.error.code).toBe('llm_not_configured');

    const conv = await conversation();
    llm.script({ error: { status: 401, message: 'invalid api key' } });
    const refused = await turn(conv, 'Hello');
    expect(refused.status).toBe(502);
    expect(refused.body.error).toMatchObject({ code: 'llm_auth_failed', retryable: false });
    expect(JSON.stringify(refused.body)).not.toContain(API_KEY);
  });
});
