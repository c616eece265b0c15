import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectBus, publishDurable } from '@switchboard/bus';
import { ActionIntentSchema, create, encodeIntent, Subjects, timestampFromMs } from '@switchboard/contracts';
import { findLatestAction } from '@switchboard/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { intentBacklog } from '../support/intent-consumers.js';
import { openSse, type SseEvent, type SseStream } from '../support/sse.js';
import { eventually, startTestStack, type TestStack } from '../support/stack.js';

// One stack for the file: NATS, Temporal, Postgres, and every service as its own process.
let stack: TestStack;
const logDir = mkdtempSync(join(tmpdir(), 'switchboard-e2e-logs-'));

beforeAll(async () => {
  stack = await startTestStack(logDir);
}, 180_000);

afterAll(async () => {
  await stack?.stop();
}, 60_000);

async function newConversation(): Promise<string> {
  const res = await stack.api('POST', '/v1/conversations', { agent: 'demo' });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

const lunch = { meal_type: 'lunch', dishes: ['soup', 'bread'] };
const mealCalls = () => stack.sink.requests().filter((r) => r.path === '/meal_log');

describe('a save_meal tool call, end to end', () => {
  it('responds with the templated message, fires the webhook and writes the audit row', async () => {
    const conv = await newConversation();
    const before = mealCalls().length;
    const res = await stack.api('POST', `/v1/conversations/${conv}/tool-calls`, {
      name: 'save_meal',
      arguments: lunch,
    });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('succeeded');
    expect(res.body.messages).toEqual(["Got it! I've logged your lunch."]);
    expect(res.body.events.map((e: { kind: string }) => e.kind)).toContain('respond');

    const calls = mealCalls().slice(before);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.method).toBe('POST');
    expect(calls[0]?.body).toEqual({ meal: lunch });
    expect(calls[0]?.headers['idempotency-key']).toMatch(/^int_[0-9a-f]+:\/actions\/1$/);

    const { rows } = await stack.db.query('SELECT * FROM action_runs WHERE intent_id = $1', [res.body.id]);
    expect(rows).toHaveLength(1);
    const run = rows[0];
    expect(run.status).toBe('succeeded');
    expect(run.action_name).toBe('save_meal');
    expect(run.conversation_id).toBe(conv);
    expect(run.trace_id).toMatch(/^[0-9a-f]{32}$/);
    expect(run.started_at).toBeInstanceOf(Date);
    expect(run.finished_at.getTime()).toBeGreaterThanOrEqual(run.started_at.getTime());
    // bigint since migration 015: pg answers it as a string.
    expect(Number(run.duration_ms)).toBeGreaterThanOrEqual(0);
    expect(run.error_code).toBeNull();
  });

  it('keeps conversation state across tool calls (context.set with [+] appends)', async () => {
    const conv = await newConversation();
    await stack.api('POST', `/v1/conversations/${conv}/tool-calls`, { name: 'save_meal', arguments: lunch });
    const second = await stack.api('POST', `/v1/conversations/${conv}/tool-calls`, {
      name: 'save_meal',
      arguments: { meal_type: 'dinner', dishes: ['rice'] },
    });
    expect(second.body.messages).toEqual(["Got it! I've logged your dinner."]);
    const { rows } = await stack.db.query(
      `SELECT count(*)::int AS n FROM action_runs WHERE conversation_id = $1 AND status = 'succeeded'`,
      [conv],
    );
    expect(rows[0].n).toBe(2);
  });

  it('runs the same Idempotency-Key once, and answers the repeat with the same result', async () => {
    const conv = await newConversation();
    const before = mealCalls().length;
    const headers = { 'idempotency-key': `key-${conv}` };
    const first = await stack.api(
      'POST',
      `/v1/conversations/${conv}/tool-calls`,
      { name: 'save_meal', arguments: lunch },
      headers,
    );
    const again = await stack.api(
      'POST',
      `/v1/conversations/${conv}/tool-calls`,
      { name: 'save_meal', arguments: lunch },
      headers,
    );
    expect(first.status).toBe(200);
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    expect(again.body.messages).toEqual(first.body.messages);
    // Concurrent repeats too: both wait for the one run.
    const key3 = { 'idempotency-key': `concurrent-${conv}` };
    const [a, b] = await Promise.all([
      stack.api('POST', `/v1/conversations/${conv}/tool-calls`, { name: 'save_meal', arguments: lunch }, key3),
      stack.api('POST', `/v1/conversations/${conv}/tool-calls`, { name: 'save_meal', arguments: lunch }, key3),
    ]);
    expect(a.body.id).toBe(b.body.id);
    expect(a.body.status).toBe('succeeded');
    expect(b.body.status).toBe('succeeded');
    expect(mealCalls().length - before).toBe(2);
  });

  it('refuses the same Idempotency-Key with another request (422): the new arguments never run', async () => {
    const conv = await newConversation();
    const before = mealCalls().length;
    const url = `/v1/conversations/${conv}/tool-calls`;
    const key = { 'idempotency-key': `reused-${conv}` };
    const first = await stack.api('POST', url, { name: 'save_meal', arguments: lunch }, key);
    expect(first.status).toBe(200);

    const dinner = { meal_type: 'dinner', dishes: ['rice'] };
    const other = await stack.api('POST', url, { name: 'save_meal', arguments: dinner }, key);
    expect(other.status).toBe(422);
    expect(other.body.error).toEqual({
      code: 'idempotency_key_reused',
      message: expect.stringContaining('was first used for another request (other arguments)'),
      retryable: false,
      details: { idempotencyKey: `reused-${conv}`, differs: ['arguments'] },
    });
    const otherTopic = await stack.api('POST', url, { name: 'save_meal', arguments: lunch, topic: 'food' }, key);
    expect(otherTopic.status).toBe(422);
    expect(otherTopic.body.error.details.differs).toEqual(['topic']);

    // The same request (its keys in another order) is still a retry: answered from the run.
    const retry = await stack.api(
      'POST',
      url,
      { name: 'save_meal', arguments: { dishes: lunch.dishes, meal_type: 'lunch' } },
      key,
    );
    expect(retry.status).toBe(200);
    expect(retry.body).toMatchObject({ id: first.body.id, status: 'succeeded', messages: first.body.messages });

    expect(
      mealCalls()
        .slice(before)
        .map((c) => c.body),
    ).toEqual([{ meal: lunch }]);
    const { rows } = await stack.db.query('SELECT arguments FROM action_runs WHERE conversation_id = $1', [conv]);
    expect(rows).toEqual([{ arguments: lunch }]);
  });

  it('runs exactly one of concurrent requests that share a key but not their arguments', async () => {
    const conv = await newConversation();
    const before = mealCalls().length;
    const meals = ['breakfast', 'lunch', 'dinner'].map((meal_type) => ({ meal_type, dishes: [`${meal_type} dish`] }));
    const responses = await Promise.all(
      meals.map((m) =>
        stack.api(
          'POST',
          `/v1/conversations/${conv}/tool-calls`,
          { name: 'save_meal', arguments: m },
          {
            'idempotency-key': `race-${conv}`,
          },
        ),
      ),
    );
    const statuses = responses.map((r) => r.status);
    expect([...statuses].sort()).toEqual([200, 422, 422]);
    const winner = meals[statuses.indexOf(200)];
    expect(
      mealCalls()
        .slice(before)
        .map((c) => c.body),
    ).toEqual([{ meal: winner }]);
    const { rows } = await stack.db.query('SELECT arguments FROM action_runs WHERE conversation_id = $1', [conv]);
    expect(rows).toEqual([{ arguments: winner }]);
  });

  it('does not run an intent again when NATS delivers it a second time', async () => {
    const conv = await newConversation();
    const res = await stack.api('POST', `/v1/conversations/${conv}/tool-calls`, {
      name: 'save_meal',
      arguments: lunch,
    });
    expect(res.body.status).toBe('succeeded');
    const before = mealCalls().length;
    // A copy under another message id gets past JetStream's de-duplication, as a redelivery
    // after a lost ack would: the orchestrator and the session workflow must drop it.
    const agent = await stack.db.query('SELECT id FROM agents WHERE tenant_id = $1 AND name = $2', [
      stack.seed.tenantId,
      'demo',
    ]);
    const action = await findLatestAction(stack.db, stack.seed.tenantId, agent.rows[0].id, 'save_meal');
    const bus = await connectBus(stack.infra.natsUrl, { name: 'e2e-redelivery' });
    try {
      const intent = create(ActionIntentSchema, {
        intentId: res.body.id,
        tenantId: stack.seed.tenantId,
        conversationId: conv,
        agentId: agent.rows[0].id,
        agentName: 'demo',
        actionName: 'save_meal',
        arguments: lunch,
        action: action?.canonical ?? {},
        createdAt: timestampFromMs(Date.now()),
      });
      await publishDurable(
        bus.js,
        Subjects.intent(stack.seed.tenantId, conv),
        encodeIntent(intent),
        `redelivery-${res.body.id}`,
        {
          traceparent: '',
          tracestate: '',
        },
      );
      await eventually(async () => {
        const info = await intentBacklog(bus.jsm);
        return info.pending === 0 && info.ackPending === 0 ? true : undefined;
      });
      // Give a wrongly re-run chain time to reach the sink before concluding it did not.
      await new Promise((r) => setTimeout(r, 500));
      expect(mealCalls().length).toBe(before);
      const runs = await stack.db.query('SELECT count(*)::int AS n FROM action_runs WHERE intent_id = $1', [
        res.body.id,
      ]);
      expect(runs.rows[0].n).toBe(1);
    } finally {
      await bus.close();
    }
  });

  it('runs on_failure when the webhook rejects the call', async () => {
    const conv = await newConversation();
    stack.sink.fault({ status: 422, count: 1 });
    const res = await stack.api('POST', `/v1/conversations/${conv}/tool-calls`, {
      name: 'save_meal',
      arguments: lunch,
    });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('failed');
    expect(res.body.messages).toEqual(["Sorry, I couldn't save that meal."]);
    expect(res.body.error.code).toBe('webhook_rejected');
    const { rows } = await stack.db.query('SELECT status, error_code FROM action_runs WHERE intent_id = $1', [
      res.body.id,
    ]);
    expect(rows[0]).toEqual({ status: 'failed', error_code: 'webhook_rejected' });
  });

  it('retries a webhook that answers 503 and succeeds once it recovers', async () => {
    const conv = await newConversation();
    const before = mealCalls().length;
    stack.sink.fault({ status: 503, count: 2 });
    const res = await stack.api('POST', `/v1/conversations/${conv}/tool-calls`, {
      name: 'save_meal',
      arguments: lunch,
    });
    expect(res.body.status).toBe('succeeded');
    expect(mealCalls().length - before).toBe(3);
  });

  it('streams the events of a conversation as Server-Sent Events', async () => {
    const conv = await newConversation();
    const res = await stack.api('POST', `/v1/conversations/${conv}/tool-calls`, {
      name: 'save_meal',
      arguments: lunch,
    });
    const controller = new AbortController();
    const sse = await fetch(`${stack.services.apiUrl}/v1/conversations/${conv}/events`, {
      headers: { authorization: `Bearer ${stack.seed.apiKey}` },
      signal: controller.signal,
    });
    expect(sse.headers.get('content-type')).toContain('text/event-stream');
    const reader = (sse.body as ReadableStream<Uint8Array>).getReader();
    let text = '';
    while (!text.includes('event: result')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    controller.abort();
    expect(text).toContain('event: accepted');
    expect(text).toContain('event: respond');
    expect(text).toContain("Got it! I've logged your lunch.");
    expect(text).toContain(`"id":"${res.body.id}"`);
    expect(text).toMatch(/^id: \d+$/m);
  });

  it('resumes a stream dropped mid-chain with Last-Event-ID: every event exactly once, none missed', async () => {
    expect(
      (await stack.api('PUT', '/v1/endpoints/hops', { url: `${stack.sink.url}/hops`, allow_private: true })).status,
    ).toBe(200);
    // Two webhook calls the test holds at the sink, with messages before, between and after them.
    const saved = await stack.api('PUT', '/v1/agents/relay', {
      instructions: "Relay notes with 'relay_twice'.",
      actions: [
        {
          name: 'relay_twice',
          description: 'Relays a note to the hops endpoint twice.',
          parameters: [{ name: 'note', type: 'string', required: true }],
          actions: [
            { type: 'respond', message: 'Sending {{params.note}}.' },
            { type: 'webhook', endpoint: 'hops', payload: { hop: "'first'", note: 'params.note' } },
            { type: 'respond', message: 'First hop done.' },
            { type: 'webhook', endpoint: 'hops', payload: { hop: "'second'", note: 'params.note' } },
          ],
          on_success: [{ type: 'respond', message: 'Both hops done.' }],
        },
      ],
    });
    expect(saved.status, JSON.stringify(saved.body)).toBe(200);
    const created = await stack.api('POST', '/v1/conversations', { agent: 'relay' });
    const conv = created.body.id as string;
    const url = `${stack.services.apiUrl}/v1/conversations/${conv}/events`;
    const hops = () => stack.sink.requests().filter((r) => r.path === '/hops');
    const said = (text: string) => (e: SseEvent) => e.event === 'respond' && e.data.data?.message === text;

    const first = await openSse(url, stack.seed.apiKey);
    stack.sink.hold();
    let resumed: SseStream | undefined;
    try {
      const call = stack.api('POST', `/v1/conversations/${conv}/tool-calls`, {
        name: 'relay_twice',
        arguments: { note: 'n1' },
      });
      // The chain is mid-way: its first webhook call waits at the sink. The client goes away.
      const seen = await first.readUntil(said('Sending n1.'));
      await eventually(() => (hops().length === 1 ? true : undefined), 30_000);
      first.close();
      const lastId = (seen.at(-1) as SseEvent).id;

      // While nobody listens, the first call is answered and the chain goes on to the second.
      stack.sink.release({ keepHolding: true });
      await eventually(() => (hops().length === 2 ? true : undefined), 30_000);
      resumed = await openSse(url, stack.seed.apiKey, lastId);
      // What happened meanwhile comes first...
      const missed = await resumed.readUntil(said('First hop done.'));
      // ...then what happens from now on.
      stack.sink.release();
      const live = await resumed.readUntil((e) => e.event === 'result');
      expect((await call).body.status).toBe('succeeded');

      const full = await openSse(url, stack.seed.apiKey);
      const everything = await full.readUntil((e) => e.event === 'result');
      full.close();
      const received = [...seen, ...missed, ...live];
      // No gap, no duplicate: the two connections together are the whole stream, in order.
      expect(received.map((e) => e.id)).toEqual(everything.map((e) => e.id));
      expect(received).toEqual(everything);
      expect((missed[0] as SseEvent).id).toBeGreaterThan(lastId);
      expect(live.some(said('Both hops done.'))).toBe(true);
      // And the run's own event log: each of its events arrived exactly once.
      const run = await stack.api('GET', `/v1/runs/${(await call).body.id}`);
      const streamed = received.filter((e) => e.event !== 'result').map((e) => e.data.seq);
      expect(streamed).toEqual(run.body.events.map((e: { seq: number }) => e.seq));
      expect(streamed).toEqual(streamed.map((_, i) => i));
    } finally {
      stack.sink.release();
      first.close();
      resumed?.close();
    }
  });

  it('rejects bad input precisely and hides other tenants', async () => {
    const conv = await newConversation();
    const noKey = await fetch(`${stack.services.apiUrl}/v1/conversations/${conv}/tool-calls`, { method: 'POST' });
    expect(noKey.status).toBe(401);
    const unknown = await stack.api('POST', `/v1/conversations/${conv}/tool-calls`, {
      name: 'Save_Meal',
      arguments: {},
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.details.known).toContain('save_meal');
    const extra = await stack.api('POST', `/v1/conversations/${conv}/tool-calls`, { name: 'save_meal', argumentz: {} });
    expect(extra.status).toBe(400);
    expect(extra.body.error.code).toBe('validation_failed');
    const missing = await stack.api('POST', '/v1/conversations/conv_000000000000000000000000/tool-calls', {
      name: 'save_meal',
    });
    expect(missing.status).toBe(404);
  });

  it('traces a call that waited for confirmation as one chain, from the request to the webhook', async () => {
    const saved = await stack.api('PUT', '/v1/agents/confirming', {
      instructions: "Log meals with 'confirm_meal'.",
      actions: [
        {
          name: 'confirm_meal',
          description: 'Logs a meal once the user agrees.',
          target: 'webhook://meal_log',
          inputs: { meal_type: { type: 'string', is_required: true } },
          require_user_confirmation: true,
        },
      ],
    });
    expect(saved.status).toBe(200);
    const created = await stack.api('POST', '/v1/conversations', { agent: 'confirming' });
    const conv = created.body.id as string;
    const asked = await stack.api('POST', `/v1/conversations/${conv}/tool-calls`, {
      name: 'confirm_meal',
      arguments: { meal_type: 'tea' },
    });
    expect(asked.body.status).toBe('awaiting_confirmation');
    const done = await stack.api('POST', `/v1/conversations/${conv}/tool-calls/${asked.body.id}/confirmation`, {
      confirmed: true,
    });
    expect(done.body.status).toBe('succeeded');
    const { rows } = await stack.db.query('SELECT trace_id FROM action_runs WHERE intent_id = $1', [asked.body.id]);
    const traceId = rows[0].trace_id as string;
    const spans = await eventually(() => {
      const mine = stack.otlp.spans().filter((s) => s.traceId === traceId);
      return mine.some((s) => s.name === 'chain confirm_meal') && mine.some((s) => s.name === 'POST meal_log')
        ? mine
        : undefined;
    }, 15_000);
    // One chain span, and every span of the orchestrator and the worker hangs under a span of the trace.
    expect(spans.filter((s) => s.name === 'chain confirm_meal')).toHaveLength(1);
    const ids = new Set(spans.map((s) => s.spanId));
    const orphans = spans.filter((s) => s.service !== 'conversation' && !ids.has(s.parentSpanId));
    expect(orphans.map((s) => `${s.service} ${s.name}`)).toEqual([]);
    const chainSpan = spans.find((s) => s.name === 'chain confirm_meal');
    const run = spans.find((s) => s.name === 'RunActivity:callWebhook');
    expect(run?.parentSpanId).not.toBe('');
    const parentOfRun = spans.find((s) => s.spanId === run?.parentSpanId);
    expect(parentOfRun?.parentSpanId).toBe(chainSpan?.spanId);
  });

  it('traces one tool call from the HTTP request to the outgoing webhook', async () => {
    const conv = await newConversation();
    const res = await stack.api('POST', `/v1/conversations/${conv}/tool-calls`, {
      name: 'save_meal',
      arguments: lunch,
    });
    const { rows } = await stack.db.query('SELECT trace_id FROM action_runs WHERE intent_id = $1', [res.body.id]);
    const traceId = rows[0].trace_id as string;
    const chain = [
      { service: 'conversation', name: /^POST \/v1\/conversations\/:id\/tool-calls$/ },
      { service: 'conversation', name: /^publish SB_INTENTS$/ },
      { service: 'orchestrator', name: /^consume SB_INTENTS$/ },
      { service: 'orchestrator', name: /^chain save_meal$/ },
      { service: 'orchestrator', name: /^StartActivity:callWebhook$/ },
      { service: 'webhook-worker', name: /^RunActivity:callWebhook$/ },
      { service: 'webhook-worker', name: /^POST meal_log$/ },
    ];
    const spans = await eventually(() => {
      const mine = stack.otlp.spans().filter((s) => s.traceId === traceId);
      return chain.every((c) => mine.some((s) => s.service === c.service && c.name.test(s.name))) ? mine : undefined;
    }, 15_000);
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const ancestors = (spanId: string): string[] => {
      const out: string[] = [];
      let cur = byId.get(spanId);
      while (cur?.parentSpanId) {
        out.push(cur.parentSpanId);
        cur = byId.get(cur.parentSpanId);
      }
      return out;
    };
    // Every hop descends from the one before it.
    for (let i = 1; i < chain.length; i++) {
      const child = spans.find((s) => s.service === chain[i]?.service && chain[i]?.name.test(s.name));
      const parent = spans.find((s) => s.service === chain[i - 1]?.service && chain[i - 1]?.name.test(s.name));
      expect(
        child && parent && ancestors(child.spanId).includes(parent.spanId),
        `${chain[i]?.name} under ${chain[i - 1]?.name}`,
      ).toBe(true);
    }
  });
});
