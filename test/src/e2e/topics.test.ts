import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FakeLlm, startFakeLlm } from '../support/fake-llm.js';
import { startTestStack, type TestStack } from '../support/stack.js';

// Topics through every process: a library action imported into two topics is two copies, each
// with its own overrides; tool calls name the topic whose copy runs; versions freeze the copies.
let stack: TestStack;
let llm: FakeLlm;

beforeAll(async () => {
  llm = await startFakeLlm();
  stack = await startTestStack(mkdtempSync(join(tmpdir(), 'switchboard-e2e-topics-')), { exportSpans: false });
  for (const name of ['office', 'greetings']) {
    const res = await stack.api('PUT', `/v1/endpoints/${name}`, {
      url: `${stack.sink.url}/${name}`,
      allow_private: true,
    });
    expect(res.status).toBe(200);
  }
  const credential = await stack.api('PUT', '/v1/credentials/llm_topics', {
    provider: 'openai',
    secret: { apiKey: 'sk-fake-topics' },
  });
  expect(credential.status).toBe(200);
}, 180_000);

afterAll(async () => {
  await stack?.stop();
  await llm?.close();
}, 60_000);

beforeEach(() => {
  stack.sink.clear();
  llm.reset();
});

/** The library's webhook action; `note` is the template topics inherit unless they override it. */
const notify = (note: string) => ({
  name: 'notify',
  description: 'Tells the back office about an order',
  parameters: [{ name: 'order_number', type: 'string', required: true }],
  actions: [{ type: 'webhook', endpoint: 'office', payload: { team: "'library'", order: 'params.order_number' } }],
  on_success: [{ type: 'respond', message: `${note} {{params.order_number}}` }],
});

const definition = (note: string) => ({
  instructions: 'You help with orders.',
  actions: [
    {
      name: 'whoami',
      description: 'Says which agent this is',
      actions: [],
      on_success: [{ type: 'respond', message: 'top level' }],
    },
  ],
  library: [notify(note)],
  topics: [
    {
      name: 'billing',
      description: 'Invoices and refunds',
      instructions: "Use the 'notify' action for refunds.",
      actions: [
        // Its own payload; the library's message template.
        {
          import: 'notify',
          actions: [
            { type: 'webhook', endpoint: 'office', payload: { team: "'billing'", order: 'params.order_number' } },
          ],
        },
        {
          name: 'greet',
          description: 'Greets the caller in the billing topic',
          target: 'webhook://greetings',
          run: 'every_turn',
        },
      ],
    },
    {
      name: 'shipping',
      description: 'Parcels',
      actions: [
        // The library's payload; its own message template.
        {
          import: 'notify',
          on_success: [{ type: 'respond', message: 'Shipping heard about {{params.order_number}}' }],
        },
        // A second, renamed copy that no other topic has.
        {
          import: 'notify',
          name: 'escalate',
          actions: [{ type: 'webhook', endpoint: 'office', payload: { team: "'escalation'" } }],
          on_success: [{ type: 'respond', message: 'Escalated.' }],
        },
      ],
    },
  ],
  llm: { base_url: llm.url, model: 'fake-model', credential: 'llm_topics', allow_private: true },
});

async function conversation(agent: string): Promise<string> {
  const res = await stack.api('POST', '/v1/conversations', { agent });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

const toolCall = (conv: string, body: Record<string, unknown>) =>
  stack.api('POST', `/v1/conversations/${conv}/tool-calls`, body);
const officeBodies = () =>
  stack.sink
    .requests()
    .filter((r) => r.path === '/office')
    .map((r) => r.body);

describe('topics', () => {
  it('runs each topic its own copy of an imported action', async () => {
    const saved = await stack.api('PUT', '/v1/agents/topical', definition('Noted (v1)'));
    expect(saved.status).toBe(200);
    expect(saved.body.topics.map((t: { name: string }) => t.name)).toEqual(['billing', 'shipping']);
    expect(saved.body.topics[0].actions[0]).toMatchObject({ name: 'notify', imported: 'notify', status: 'configured' });
    expect(saved.body.topics[0].lint.filter((l: { severity: string }) => l.severity === 'error')).toEqual([]);

    const conv = await conversation('topical');
    const billing = await toolCall(conv, { name: 'notify', topic: 'billing', arguments: { order_number: 'A1' } });
    expect(billing.status).toBe(200);
    expect(billing.body.messages).toEqual(['Noted (v1) A1']);
    const shipping = await toolCall(conv, { name: 'notify', topic: 'shipping', arguments: { order_number: 'B2' } });
    expect(shipping.body.messages).toEqual(['Shipping heard about B2']);
    expect(officeBodies()).toEqual([
      { team: 'billing', order: 'A1' },
      { team: 'library', order: 'B2' },
    ]);

    // A topic's tools include the agent's top-level ones.
    const top = await toolCall(conv, { name: 'whoami', topic: 'shipping' });
    expect(top.body.messages).toEqual(['top level']);

    const read = await stack.api('GET', '/v1/agents/topical');
    expect(read.status).toBe(200);
    expect(read.body.actions.map((a: { name: string }) => a.name)).toEqual(['whoami']);
    const shippingTopic = read.body.topics.find((t: { name: string }) => t.name === 'shipping');
    expect(
      shippingTopic.actions.map((a: { name: string; status: string; imported?: string }) => [
        a.name,
        a.status,
        a.imported,
      ]),
    ).toEqual([
      ['escalate', 'configured', 'notify'],
      ['notify', 'configured', 'notify'],
    ]);
    expect(read.body.library).toEqual([notify('Noted (v1)')]);
  });

  it('resolves a name without a topic when one topic has it, and answers 409 when several do', async () => {
    await stack.api('PUT', '/v1/agents/topical', definition('Noted (v1)'));
    const conv = await conversation('topical');
    const only = await toolCall(conv, { name: 'escalate', arguments: { order_number: 'C3' } });
    expect(only.status).toBe(200);
    expect(only.body.messages).toEqual(['Escalated.']);
    expect(officeBodies()).toEqual([{ team: 'escalation' }]);

    const ambiguous = await toolCall(conv, { name: 'notify', arguments: { order_number: 'C3' } });
    expect(ambiguous.status).toBe(409);
    expect(ambiguous.body.error.code).toBe('conflict');
    expect(ambiguous.body.error.details.topics).toEqual(['billing', 'shipping']);
    expect(officeBodies()).toHaveLength(1);

    const unknownTopic = await toolCall(conv, { name: 'notify', topic: 'returns', arguments: { order_number: 'C3' } });
    expect(unknownTopic.status).toBe(404);
    expect(unknownTopic.body.error.details.known).toEqual(['billing', 'shipping']);
    const notInTopic = await toolCall(conv, { name: 'escalate', topic: 'billing', arguments: { order_number: 'C3' } });
    expect(notInTopic.status).toBe(404);
  });

  it("keeps the published version's copies when a new version changes the library, until it is published", async () => {
    const v1 = await stack.api('PUT', '/v1/agents/frozen', definition('Noted (v1)'));
    expect(v1.status).toBe(200);
    const v2 = await stack.api('PUT', '/v1/agents/frozen?publish=false', definition('Noted (v2)'));
    expect(v2.body.error).toBeUndefined();
    expect(v2.status).toBe(200);
    expect(v2.body).toMatchObject({ version: v1.body.version + 1, published: false });
    const conv = await conversation('frozen');
    const call = async (topic: string) =>
      (await toolCall(conv, { name: 'notify', topic, arguments: { order_number: 'D4' } })).body.messages;

    expect(await call('billing')).toEqual(['Noted (v1) D4']);
    // The copies are rows of their own: the billing copy changed with the library; the
    // shipping copies override the message, so they did not change and keep their versions.
    const versionsOf = async (version?: number) => {
      const read = await stack.api('GET', `/v1/agents/frozen${version ? `?version=${version}` : ''}`);
      expect(read.status).toBe(200);
      return Object.fromEntries(
        read.body.topics.flatMap((t: { name: string; definitions: { name: string; version: number }[] }) =>
          t.definitions.map((d) => [`${t.name}.${d.name}`, d.version]),
        ),
      );
    };
    expect(await versionsOf()).toEqual({
      'billing.greet': 1,
      'billing.notify': 1,
      'shipping.notify': 1,
      'shipping.escalate': 1,
    });
    expect(await versionsOf(v2.body.version)).toEqual({
      'billing.greet': 1,
      'billing.notify': 2,
      'shipping.notify': 1,
      'shipping.escalate': 1,
    });

    const published = await stack.api('POST', '/v1/agents/frozen/publish', { version: v2.body.version });
    expect(published.status).toBe(200);
    expect(await call('billing')).toEqual(['Noted (v2) D4']);
    expect(await call('shipping')).toEqual(['Shipping heard about D4']);
    // Rolling back brings the old copy back.
    await stack.api('POST', '/v1/agents/frozen/publish', { version: v1.body.version });
    expect(await call('billing')).toEqual(['Noted (v1) D4']);
  });

  it('rejects an unknown import with its pointer and the near miss, and saves nothing', async () => {
    const bad = definition('Noted');
    const shipping = bad.topics[1] as { actions: Record<string, unknown>[] };
    shipping.actions[0] = { import: 'notfy' };
    const res = await stack.api('PUT', '/v1/agents/never-saved', bad);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(res.body.error.details.issues).toEqual([
      expect.objectContaining({ pointer: '/topics/1/actions/0/import', suggestion: "did you mean 'notify'?" }),
    ]);
    expect((await stack.api('GET', '/v1/agents/never-saved')).status).toBe(404);
  });

  it("runs a turn in a topic with the topic's tools, its every-turn actions and its instructions", async () => {
    await stack.api('PUT', '/v1/agents/topical', definition('Noted (v1)'));
    const conv = await conversation('topical');
    llm.script({ tool_calls: [{ name: 'notify', arguments: { order_number: 'E5' } }] }, { content: 'Done.' });
    const res = await stack.api('POST', `/v1/conversations/${conv}/turns`, { text: 'Refund E5', topic: 'billing' });
    expect(res.status).toBe(200);
    expect(
      res.body.actions.map((a: { name: string; trigger: string; status: string }) => [a.name, a.trigger, a.status]),
    ).toEqual([
      ['greet', 'every_turn', 'succeeded'],
      ['notify', 'tool', 'succeeded'],
    ]);
    expect(res.body.actions[1].messages).toEqual(['Noted (v1) E5']);
    expect(officeBodies()).toEqual([{ team: 'billing', order: 'E5' }]);
    const [first] = llm.requests();
    const tools = (first?.body.tools ?? []).map((t: { function: { name: string } }) => t.function.name).sort();
    expect(tools).toEqual(['notify', 'whoami']);
    expect(first?.body.messages[0].content).toContain('Current topic: billing (Invoices and refunds)');
    expect(first?.body.messages[0].content).toContain("Use the 'notify' action for refunds.");

    // Without a topic, the turn sees only the top-level actions, as before topics existed.
    llm.reset();
    llm.script({ content: 'Hello.' });
    const plain = await stack.api('POST', `/v1/conversations/${conv}/turns`, { text: 'Hi' });
    expect(plain.status).toBe(200);
    expect(plain.body.actions).toEqual([]);
    expect((llm.requests()[0]?.body.tools ?? []).map((t: { function: { name: string } }) => t.function.name)).toEqual([
      'whoami',
    ]);
    const unknown = await stack.api('POST', `/v1/conversations/${conv}/turns`, { text: 'Hi', topic: 'returns' });
    expect(unknown.status).toBe(404);
  });
});
