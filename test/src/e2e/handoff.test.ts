import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { publishAgentVersion, saveAgentVersion, withTransaction } from '@switchboard/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeLlm, startFakeLlm } from '../support/fake-llm.js';
import { startTestStack, type TestStack } from '../support/stack.js';

// Seed 003: "handoff | Transfer to another agent". A handoff moves the conversation to its
// target: the target's actions run from the next call on (REST, drop-ins, MCP), the handoff's
// message is said, the runs and the transcript say which agent handled what, and a target
// that does not exist is refused when the agent is saved.
let stack: TestStack;
let llm: FakeLlm;
const llmSettings = (model: string) => ({
  base_url: llm.url,
  model,
  credential: 'llm_handoff',
  allow_private: true,
});

/** The front desk hands over to the seed's `demo` agent (which holds `save_meal`) or to a topic of `helpdesk`. */
const frontDesk = () => ({
  llm: llmSettings('front-model'),
  instructions: "Greet the caller. Use 'to_meals' to hand over to the meal assistant, 'to_refunds' for refunds.",
  actions: [
    {
      name: 'to_meals',
      description: 'Hands the caller over to the meal assistant',
      actions: [
        { type: 'context.set', key: 'workflow.handed_over_by', value: "'front_desk'" },
        { type: 'handoff', target: 'demo', message: 'Transferring you to the meal assistant now.' },
      ],
    },
    {
      name: 'to_refunds',
      description: 'Hands the caller over to the refunds desk',
      actions: [
        { type: 'context.set', key: 'workflow.handed_over_by', value: "'front_desk'" },
        { type: 'handoff', target: 'helpdesk', topic: 'refunds', message: 'One moment, refunds desk.' },
      ],
    },
    {
      name: 'front_only',
      description: 'Only the front desk has this',
      actions: [],
      on_success: [{ type: 'respond', message: 'Front desk here.' }],
    },
  ],
});

const helpdesk = () => ({
  llm: llmSettings('help-model'),
  instructions:
    "You are the helpdesk; the caller is {{ user.name }}. Help with refunds using 'refund'; say hello with 'hello'.",
  actions: [
    {
      name: 'hello',
      description: 'Says hello',
      actions: [],
      on_success: [{ type: 'respond', message: 'Helpdesk, hello.' }],
    },
  ],
  topics: [
    {
      name: 'refunds',
      description: 'Refunds',
      actions: [
        {
          name: 'refund',
          description: 'Refunds an order',
          actions: [],
          on_success: [{ type: 'respond', message: 'Refund started (handed over by {{workflow.handed_over_by}}).' }],
        },
      ],
    },
  ],
});

beforeAll(async () => {
  llm = await startFakeLlm();
  stack = await startTestStack(mkdtempSync(join(tmpdir(), 'switchboard-e2e-handoff-')), { exportSpans: false });
  const credential = await stack.api('PUT', '/v1/credentials/llm_handoff', {
    provider: 'openai',
    secret: { apiKey: 'sk-fake-handoff' },
  });
  expect(credential.status).toBe(200);
  // The target first: a handoff target must exist when the agent handing over is saved.
  const target = await stack.api('PUT', '/v1/agents/helpdesk', helpdesk());
  expect(target.status).toBe(200);
  const saved = await stack.api('PUT', '/v1/agents/front_desk', frontDesk());
  expect(saved.body.error).toBeUndefined();
  expect(saved.status).toBe(200);
}, 180_000);

afterAll(async () => {
  await stack?.stop();
  await llm?.close();
}, 60_000);

async function conversation(agent: string): Promise<string> {
  const res = await stack.api('POST', '/v1/conversations', { agent });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

const toolCall = (conv: string, name: string, args: Record<string, unknown> = {}) =>
  stack.api('POST', `/v1/conversations/${conv}/tool-calls`, { name, arguments: args });

const lunch = { meal_type: 'lunch', dishes: ['soup'] };

describe('handoff', () => {
  it("moves the conversation to the target: its actions run, the source's do not, and the message is said", async () => {
    const conv = await conversation('front_desk');
    const before = await toolCall(conv, 'save_meal', lunch);
    expect(before.status).toBe(404);
    expect(before.body.error.message).toContain("agent 'front_desk' has no action named 'save_meal'");

    const handoff = await toolCall(conv, 'to_meals');
    expect(handoff.status).toBe(200);
    expect(handoff.body.status).toBe('succeeded');
    expect(handoff.body.messages).toEqual(['Transferring you to the meal assistant now.']);
    expect(handoff.body.events.find((e: { kind: string }) => e.kind === 'handoff')?.data).toEqual({
      target: 'demo',
      message: 'Transferring you to the meal assistant now.',
    });

    const view = await stack.api('GET', `/v1/conversations/${conv}`);
    expect(view.status).toBe(200);
    expect(view.body).toMatchObject({ id: conv, agent: 'front_desk', activeAgent: 'demo', topic: null });

    const meal = await toolCall(conv, 'save_meal', lunch);
    expect(meal.status).toBe(200);
    expect(meal.body.status).toBe('succeeded');
    expect(meal.body.messages).toEqual(["Got it! I've logged your lunch."]);

    const sourceOnly = await toolCall(conv, 'front_only');
    expect(sourceOnly.status).toBe(404);
    expect(sourceOnly.body.error.message).toContain("agent 'demo' has no action named 'front_only'");

    // Runs and transcript: which agent handled each call, and where the handoff went.
    const runs = await stack.api('GET', `/v1/conversations/${conv}/runs`);
    expect(runs.body.runs.map((r: { action: string; agent: string }) => [r.action, r.agent])).toEqual([
      ['to_meals', 'front_desk'],
      ['save_meal', 'demo'],
    ]);
    const run = await stack.api('GET', `/v1/runs/${meal.body.id}`);
    expect(run.body.agent).toBe('demo');
    const transcript = await stack.api('GET', `/v1/conversations/${conv}/transcript`);
    const results = transcript.body.entries.filter((e: { type: string }) => e.type === 'tool_result');
    expect(
      results.map((e: { toolCall: { name: string; agent: string; handoff: unknown; messages: string[] } }) => [
        e.toolCall.name,
        e.toolCall.agent,
        e.toolCall.handoff,
        e.toolCall.messages,
      ]),
    ).toEqual([
      ['to_meals', 'front_desk', { target: 'demo' }, ['Transferring you to the meal assistant now.']],
      ['save_meal', 'demo', null, ["Got it! I've logged your lunch."]],
    ]);
  });

  it("moves into the target's topic, carrying conversation-scoped state over", async () => {
    const conv = await conversation('front_desk');
    expect((await toolCall(conv, 'to_refunds')).body.messages).toEqual(['One moment, refunds desk.']);
    const view = await stack.api('GET', `/v1/conversations/${conv}`);
    expect(view.body).toMatchObject({ agent: 'front_desk', activeAgent: 'helpdesk', topic: 'refunds' });
    // The topic's own action runs without naming the topic, and reads the `workflow.*` state the
    // front desk's action wrote; the agent's top-level actions run too.
    const refund = await toolCall(conv, 'refund');
    expect(refund.status).toBe(200);
    expect(refund.body.messages).toEqual(['Refund started (handed over by front_desk).']);
    expect((await toolCall(conv, 'hello')).body.messages).toEqual(['Helpdesk, hello.']);
  });

  it("runs the next turn with the target's instructions, topic, tools and LLM settings", async () => {
    const created = await stack.api('POST', '/v1/conversations', { agent: 'front_desk', user: { name: 'Ada' } });
    const conv = created.body.id as string;
    llm.reset();
    llm.script({ tool_calls: [{ name: 'to_refunds', arguments: {} }] }, { content: 'Handing you over.' });
    const first = await stack.api('POST', `/v1/conversations/${conv}/turns`, { text: 'I want a refund' });
    expect(first.status).toBe(200);
    expect(first.body.actions.map((a: { name: string; status: string }) => [a.name, a.status])).toEqual([
      ['to_refunds', 'succeeded'],
    ]);
    expect(llm.requests()[0]?.body.model).toBe('front-model');

    llm.reset();
    llm.script({ tool_calls: [{ name: 'refund', arguments: {} }] }, { content: 'Done.' });
    const second = await stack.api('POST', `/v1/conversations/${conv}/turns`, { text: 'Order 12, please' });
    expect(second.status).toBe(200);
    expect(second.body.actions.map((a: { name: string; messages: string[] }) => [a.name, a.messages])).toEqual([
      ['refund', ['Refund started (handed over by front_desk).']],
    ]);
    const [request] = llm.requests();
    expect(request?.body.model).toBe('help-model');
    expect(request?.body.messages[0].content).toContain('You are the helpdesk; the caller is Ada.');
    expect(request?.body.messages[0].content).toContain('Current topic: refunds');
    const tools = (request?.body.tools ?? []).map((t: { function: { name: string } }) => t.function.name).sort();
    expect(tools).toEqual(['hello', 'refund']);
  });

  it('runs drop-in tool calls of a Vapi call on the target after a handoff in the same message', async () => {
    const res = await stack.api('POST', '/v1/dropin/vapi/front_desk', {
      message: {
        type: 'tool-calls',
        toolCallList: [
          { id: 'call-handoff-1', type: 'function', function: { name: 'to_meals', arguments: {} } },
          { id: 'call-handoff-2', type: 'function', function: { name: 'save_meal', arguments: lunch } },
          { id: 'call-handoff-3', type: 'function', function: { name: 'front_only', arguments: {} } },
        ],
        call: { id: 'vapi-handoff-call' },
      },
    });
    expect(res.status).toBe(200);
    expect(res.body.results.map((r: { result: string }) => r.result)).toEqual([
      'Transferring you to the meal assistant now.',
      "Got it! I've logged your lunch.",
      expect.stringContaining("agent 'demo' has no tool 'front_only'"),
    ]);
  });

  it("lists the target's tools over MCP in a conversation after its handoff", async () => {
    const conv = await conversation('front_desk');
    const client = new Client({ name: 'handoff-e2e', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${stack.services.apiUrl}/v1/mcp/front_desk`), {
        requestInit: { headers: { authorization: `Bearer ${stack.seed.apiKey}`, 'switchboard-conversation': conv } },
      }),
    );
    try {
      expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual([
        'front_only',
        'to_meals',
        'to_refunds',
      ]);
      const handoff = await client.callTool({ name: 'to_meals', arguments: {} });
      expect(handoff.isError).toBeUndefined();
      expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['save_meal']);
      const meal = await client.callTool({ name: 'save_meal', arguments: lunch });
      expect(meal.isError).toBeUndefined();
      expect(meal.content).toEqual([{ type: 'text', text: "Got it! I've logged your lunch." }]);
    } finally {
      await client.close();
    }
  });

  it('refuses an unknown target or topic at save, with the JSON pointer, and saves nothing', async () => {
    const res = await stack.api('PUT', '/v1/agents/misrouted', {
      instructions: "Use 'route' to route.",
      actions: [
        {
          name: 'route',
          description: 'Routes',
          actions: [
            {
              type: 'conditional',
              condition: 'true',
              // biome-ignore lint/suspicious/noThenProperty: 'then' is the conditional step's property in the seed format
              then: [{ type: 'handoff', target: 'helpdesc' }],
              else: [{ type: 'handoff', target: 'helpdesk', topic: 'returns' }],
            },
          ],
          on_failure: [{ type: 'handoff', target: 'specialist_agent' }],
        },
      ],
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(res.body.error.details.issues).toEqual([
      expect.objectContaining({
        pointer: '/actions/0/actions/0/then/0/target',
        message: expect.stringContaining("handoff target 'helpdesc' is not an agent of this tenant"),
        suggestion: "did you mean 'helpdesk'?",
      }),
      expect.objectContaining({
        pointer: '/actions/0/actions/0/else/0/topic',
        message: "agent 'helpdesk' has no topic 'returns'",
      }),
      expect.objectContaining({ pointer: '/actions/0/on_failure/0/target' }),
    ]);
    expect((await stack.api('GET', '/v1/agents/misrouted')).status).toBe(404);
  });

  it('refuses to publish a stored version whose handoff target does not exist (saved before targets were checked)', async () => {
    const source = {
      name: 'route',
      description: 'Routes',
      actions: [{ type: 'handoff', target: 'gone_agent' }],
    };
    // Written as an earlier release could have: straight into the store, unchecked, as a draft.
    const saved = await withTransaction(stack.db, (tx) =>
      saveAgentVersion(
        tx,
        stack.seed.tenantId,
        'legacy_router',
        "Use 'route'.",
        [{ name: 'route', format: 'tool', source, canonical: { name: 'route', label: 'Route' } }],
        false,
      ),
    );
    const res = await stack.api('POST', '/v1/agents/legacy_router/publish', { version: saved.version, force: true });
    expect(res.status).toBe(400);
    expect(res.body.error.details.issues).toEqual([
      expect.objectContaining({ pointer: '/actions/0/actions/0/target', found: 'gone_agent' }),
    ]);

    // Published anyway (as an earlier release did): the action is Error and is not run.
    expect(await publishAgentVersion(stack.db, stack.seed.tenantId, saved.agentId, saved.version)).toBe(true);
    const read = await stack.api('GET', '/v1/agents/legacy_router');
    expect(read.body.actions).toEqual([
      expect.objectContaining({
        name: 'route',
        status: 'error',
        problems: [
          { pointer: '/actions/0/target', message: "handoff target 'gone_agent' is not an agent of this tenant" },
        ],
      }),
    ]);
    const conv = await conversation('legacy_router');
    const call = await toolCall(conv, 'route');
    expect(call.status).toBe(409);
    expect(call.body.error.code).toBe('action_not_configured');
    expect((await stack.api('GET', `/v1/conversations/${conv}/runs`)).body.runs).toEqual([]);
  });
});
