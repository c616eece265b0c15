import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openSse } from '../support/sse.js';
import { startTestStack, type TestStack } from '../support/stack.js';

// Issue 16, item 11, through the public API: an action's own "still working" and failure
// messages, in the agent's locale — in the REST answer, the event stream, the Vapi drop-in
// answer and the Vapi / Retell exports. A slow effect is a webhook the sink holds until the
// test has seen what it waits for (no timing assumptions).
let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack(mkdtempSync(join(tmpdir(), 'switchboard-e2e-messages-')), {
    exportSpans: false,
    serviceEnv: { STILL_WORKING_AFTER_MS: '2000' },
  });
  await stack.api('PUT', '/v1/endpoints/orders', { url: `${stack.sink.url}/orders`, allow_private: true });
  const actions = [
    {
      name: 'cancel_order',
      description: 'Cancels an order that has not shipped.',
      target: 'webhook://orders',
      inputs: { order_id: { type: 'id', description: 'The order', is_required: true } },
      retry: { max_attempts: 1 },
      delayed_message: { en: 'Still talking to the order system.', fr: 'Je parle toujours au système de commandes.' },
      failure_message: {
        en: "Sorry, I couldn't cancel that order.",
        fr: "Désolé, je n'ai pas pu annuler cette commande.",
      },
    },
    {
      name: 'reorder',
      description: 'Places the last order again.',
      parameters: [{ name: 'order', type: 'string', required: true }],
      retry: { max_attempts: 1 },
      actions: [{ type: 'webhook', endpoint: 'orders', payload: { repeat: 'params.order' } }],
      failure_message: 'The order could not be placed again ({{error.code}}).',
    },
  ];
  for (const [name, locale] of [
    ['boutique', 'fr-FR'],
    ['shop', undefined],
  ] as const) {
    const saved = await stack.api('PUT', `/v1/agents/${name}`, {
      instructions: "Use 'cancel_order' to cancel and 'reorder' to order again.",
      actions,
      ...(locale ? { locale } : {}),
    });
    expect(saved.status).toBe(200);
  }
  expect((await stack.api('GET', '/v1/agents/boutique')).body.locale).toBe('fr-FR');
}, 180_000);

afterAll(async () => {
  await stack?.stop();
}, 60_000);

beforeEach(() => {
  stack.sink.clear();
});
afterEach(() => {
  stack.sink.release();
});

async function conversation(agent: string): Promise<string> {
  const res = await stack.api('POST', '/v1/conversations', { agent });
  expect(res.status).toBe(201);
  return res.body.id;
}
const tool = (conv: string, name: string, args: Record<string, unknown>) =>
  stack.api('POST', `/v1/conversations/${conv}/tool-calls`, { name, arguments: args });

describe("an action's own failure message", () => {
  it("is the failed call's message, in the agent's locale (English without one)", async () => {
    for (const [agent, said] of [
      ['boutique', "Désolé, je n'ai pas pu annuler cette commande."],
      ['shop', "Sorry, I couldn't cancel that order."],
    ] as const) {
      stack.sink.fault({ status: 400, count: 1 });
      const res = await tool(await conversation(agent), 'cancel_order', { order_id: 'o-17' });
      expect(res.status).toBe(200);
      expect(res.body.status).toBe('failed');
      expect(res.body.messages).toEqual([said]);
      const kinds = res.body.events.map((e: { kind: string }) => e.kind);
      expect(kinds.indexOf('respond')).toBeLessThan(kinds.indexOf('failed'));
    }
  });

  it('is rendered with the error, and is not said when the action succeeds', async () => {
    const conv = await conversation('shop');
    stack.sink.fault({ status: 400, count: 1 });
    const failed = await tool(conv, 'reorder', { order: 'A1' });
    expect(failed.body.status).toBe('failed');
    expect(failed.body.messages).toEqual([`The order could not be placed again (${failed.body.error.code}).`]);
    const ok = await tool(conv, 'reorder', { order: 'A2' });
    expect(ok.body.status).toBe('succeeded');
    expect(ok.body.messages).toEqual([]);
  });

  it("is the Vapi drop-in's answer to a failed call", async () => {
    stack.sink.fault({ status: 400, count: 1 });
    const callId = randomUUID();
    const res = await stack.api('POST', '/v1/dropin/vapi/boutique', {
      message: {
        type: 'tool-calls',
        timestamp: Date.now(),
        toolCallList: [
          { id: 'tc_1', type: 'function', function: { name: 'cancel_order', arguments: { order_id: 'o-9' } } },
        ],
        call: { id: callId, orgId: 'org_1', type: 'webCall' },
        artifact: { messages: [] },
      },
    });
    expect(res.status).toBe(200);
    const [result] = res.body.results;
    expect(result.result.split('\n')[0]).toBe("Désolé, je n'ai pas pu annuler cette commande.");
  });
});

describe("an action's own delayed message", () => {
  it("is the still-working event of a slow run, in the agent's locale", async () => {
    const conv = await conversation('boutique');
    const stream = await openSse(`${stack.services.apiUrl}/v1/conversations/${conv}/events`, stack.seed.apiKey);
    stack.sink.hold();
    const running = tool(conv, 'cancel_order', { order_id: 'o-18' });
    const [still] = (
      await stream.readUntil((e) => e.event === 'progress' && e.data.data?.still_working === true, 60_000)
    ).slice(-1);
    stream.close();
    stack.sink.release();
    expect(still?.data.data.message).toBe('Je parle toujours au système de commandes.');
    expect((await running).body.status).toBe('succeeded');
  });

  it("is the default of the agent's locale when the action has none", async () => {
    const conv = await conversation('boutique');
    const stream = await openSse(`${stack.services.apiUrl}/v1/conversations/${conv}/events`, stack.seed.apiKey);
    stack.sink.hold();
    const running = tool(conv, 'reorder', { order: 'A3' });
    const [still] = (
      await stream.readUntil((e) => e.event === 'progress' && e.data.data?.still_working === true, 60_000)
    ).slice(-1);
    stream.close();
    stack.sink.release();
    expect(still?.data.data.message).toBe('Un instant, je m’en occupe toujours.');
    expect((await running).body.status).toBe('succeeded');
  });

  it('fills the Vapi and Retell exports, in the agent locale', async () => {
    const vapi = await stack.api('GET', '/v1/agents/boutique/export?format=vapi');
    expect(vapi.status).toBe(200);
    const byName = (tools: { function?: { name: string }; name?: string }[], name: string) =>
      tools.find((t) => (t.function?.name ?? t.name) === name) as Record<string, unknown>;
    expect(byName(vapi.body.tools, 'cancel_order').messages).toEqual([
      { type: 'request-response-delayed', content: 'Je parle toujours au système de commandes.' },
      { type: 'request-failed', content: "Désolé, je n'ai pas pu annuler cette commande." },
    ]);
    // Without a delayed message of its own: the default in the agent's language.
    expect(byName(vapi.body.tools, 'reorder').messages).toEqual([
      { type: 'request-response-delayed', content: 'Un instant, je m’en occupe toujours.' },
    ]);
    const retell = await stack.api('GET', '/v1/agents/boutique/export?format=retell');
    expect(byName(retell.body.tools, 'cancel_order')).toMatchObject({
      speak_during_execution: true,
      execution_message_description: 'Je parle toujours au système de commandes.',
    });
  });
});
