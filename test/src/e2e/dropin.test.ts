import { createHmac, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { createApiKey, createTenant } from '@switchboard/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nextMonday } from '../support/dates.js';
import { startTestStack, type TestStack } from '../support/stack.js';
import { describeElevenLabsDropin } from './dropin-elevenlabs.suite.js';

// One stack for the file: NATS, Temporal, Postgres, and every service as its own process.
let stack: TestStack;
let otherTenantKey: string;
const logDir = mkdtempSync(join(tmpdir(), 'switchboard-e2e-logs-'));

beforeAll(async () => {
  stack = await startTestStack(logDir, { exportSpans: false });
  const other = await createTenant(stack.db, `dropin-other-${randomUUID().slice(0, 8)}`);
  otherTenantKey = (await createApiKey(stack.db, other.id)).key;
}, 180_000);

afterAll(async () => {
  await stack?.stop();
}, 60_000);

const mealCalls = () => stack.sink.requests().filter((r) => r.path === '/meal_log');
const lunch = { meal_type: 'lunch', dishes: ['soup', 'bread'] };
const dinner = { meal_type: 'dinner', dishes: ['rice'] };

/** A Vapi `tool-calls` server message, shaped as Vapi sends it (extra fields included). */
function vapiMessage(callId: string, toolCalls: { id: string; name: string; arguments: unknown }[]) {
  return {
    message: {
      type: 'tool-calls',
      timestamp: Date.now(),
      toolCallList: toolCalls.map((t) => ({
        id: t.id,
        type: 'function',
        function: { name: t.name, arguments: t.arguments },
      })),
      call: {
        id: callId,
        orgId: 'org_1',
        type: 'inboundPhoneCall',
        phoneCallProvider: 'twilio',
        phoneCallProviderId: `CA${'7'.repeat(32)}`,
        customer: { number: '+15551234567', name: 'Ada' },
        phoneNumber: { number: '+15557654321' },
        monitor: { controlUrl: `https://phone-call-websocket.vapi.ai/${callId}/control` },
        assistantId: 'asst_front_desk',
        assistantOverrides: { metadata: { crm_id: 'c-1', tier: 'basic' }, variableValues: { tier: 'gold' } },
      },
      customer: { number: '+15551234567', name: 'Ada' },
      phoneNumber: { number: '+15557654321' },
      artifact: { messages: [] },
    },
  };
}

async function conversationsOf(externalId: string) {
  const { rows } = await stack.db.query(
    `SELECT c.id, c.contact, c.call, c.channel, c.control_url, (SELECT count(*)::int FROM action_runs r WHERE r.conversation_id = c.id) AS runs
       FROM conversations c WHERE c.external_id = $1`,
    [externalId],
  );
  return rows as {
    id: string;
    contact: Record<string, unknown>;
    call: Record<string, unknown>;
    channel: string;
    control_url: string | null;
    runs: number;
  }[];
}

describe('Vapi tool-calls webhook', () => {
  it('runs every tool call in order in one conversation per call and answers each by id', async () => {
    const callId = randomUUID();
    const before = mealCalls().length;
    const res = await stack.api(
      'POST',
      '/v1/dropin/vapi/demo',
      vapiMessage(callId, [
        { id: 'call_a', name: 'save_meal', arguments: lunch },
        // OpenAI-style: arguments as a JSON string.
        { id: 'call_b', name: 'save_meal', arguments: JSON.stringify(dinner) },
      ]),
    );
    expect(res.status).toBe(200);
    expect(res.body.results).toEqual([
      { toolCallId: 'call_a', name: 'save_meal', result: "Got it! I've logged your lunch." },
      { toolCallId: 'call_b', name: 'save_meal', result: "Got it! I've logged your dinner." },
    ]);
    const calls = mealCalls().slice(before);
    expect(calls.map((c) => c.body)).toEqual([{ meal: lunch }, { meal: dinner }]);

    const [conversation, ...others] = await conversationsOf(`vapi:${callId}`);
    expect(others).toEqual([]);
    expect(conversation?.runs).toBe(2);
    // The runtime's call for chains (`call.*`): its id, runtime, assistant and metadata with the
    // variables (which win), beside the numbers and the Twilio sid.
    expect(conversation?.call).toEqual({
      sid: `CA${'7'.repeat(32)}`,
      from: '+15551234567',
      to: '+15557654321',
      id: callId,
      runtime: 'vapi',
      assistant_id: 'asst_front_desk',
      metadata: { crm_id: 'c-1', tier: 'gold' },
    });
    expect(conversation?.contact).toEqual({ phone: '+15551234567', name: 'Ada', tier: 'gold' });
    // Vapi owns the call, Twilio sid or not: call control goes to the call's control URL.
    expect(conversation?.channel).toBe('vapi');
    expect(conversation?.control_url).toBe(`https://phone-call-websocket.vapi.ai/${callId}/control`);

    // A later webhook of the same call joins the same conversation.
    const later = await stack.api(
      'POST',
      '/v1/dropin/vapi/demo',
      vapiMessage(callId, [{ id: 'call_c', name: 'save_meal', arguments: lunch }]),
    );
    expect(later.body.results[0].result).toBe("Got it! I've logged your lunch.");
    expect(await conversationsOf(`vapi:${callId}`)).toEqual([{ ...conversation, runs: 3 }]);
  });

  it('runs a redelivered tool call id once and answers with the stored result', async () => {
    const callId = randomUUID();
    const body = vapiMessage(callId, [{ id: `tc_${callId}`, name: 'save_meal', arguments: lunch }]);
    const before = mealCalls().length;
    const first = await stack.api('POST', '/v1/dropin/vapi/demo', body);
    const again = await stack.api('POST', '/v1/dropin/vapi/demo', body);
    expect(first.body.results[0].result).toBe("Got it! I've logged your lunch.");
    expect(again.body.results).toEqual(first.body.results);
    expect(mealCalls().length - before).toBe(1);
    expect((await conversationsOf(`vapi:${callId}`))[0]?.runs).toBe(1);

    // The same tool call id with other arguments is not a redelivery: it runs nothing and
    // says so, rather than answering with the first call's result.
    const reused = await stack.api(
      'POST',
      '/v1/dropin/vapi/demo',
      vapiMessage(callId, [{ id: `tc_${callId}`, name: 'save_meal', arguments: dinner }]),
    );
    expect(reused.status).toBe(200);
    const [result] = reused.body.results;
    expect(result.toolCallId).toBe(`tc_${callId}`);
    expect(result.result).toMatch(
      /^The tool call was rejected \(idempotency_key_reused\): Idempotency-Key 'tc_.*' was first used for another request \(other arguments\)/,
    );
    expect(result.error).toBe(result.result);
    expect(mealCalls().length - before).toBe(1);
    expect((await conversationsOf(`vapi:${callId}`))[0]?.runs).toBe(1);
  });

  it("creates the call's conversation as a test call with ?sandbox=true", async () => {
    const callId = randomUUID();
    const body = vapiMessage(callId, [{ id: `tc_${callId}`, name: 'save_meal', arguments: dinner }]);
    expect((await stack.api('POST', '/v1/dropin/vapi/demo?sandbox=true', body)).status).toBe(200);
    const { rows } = await stack.db.query('SELECT sandbox FROM conversations WHERE external_id = $1', [
      `vapi:${callId}`,
    ]);
    expect(rows).toEqual([{ sandbox: true }]);
    expect((await stack.api('POST', '/v1/dropin/vapi/demo?sandbox=maybe', body)).status).toBe(400);
  });

  it('answers failures as results (never a 5xx) and acknowledges other server messages', async () => {
    const callId = randomUUID();
    stack.sink.fault({ status: 422, count: 1 });
    const res = await stack.api(
      'POST',
      '/v1/dropin/vapi/demo',
      vapiMessage(callId, [
        { id: 'fails', name: 'save_meal', arguments: lunch },
        { id: 'unknown', name: 'order_pizza', arguments: {} },
        { id: 'invalid', name: 'save_meal', arguments: { meal_type: 'brunch', dishes: ['eggs'] } },
      ]),
    );
    expect(res.status).toBe(200);
    const [fails, unknown, invalid] = res.body.results;
    expect(fails.result).toMatch(/^Sorry, I couldn't save that meal\.\nThe action failed \(webhook_rejected\)/);
    expect(fails.error).toBe(fails.result);
    expect(unknown.toolCallId).toBe('unknown');
    expect(unknown.error).toMatch(/has no tool 'order_pizza' \(tools: save_meal\)/);
    expect(invalid.error).toContain('(invalid_arguments)');

    const status = await stack.api('POST', '/v1/dropin/vapi/demo', {
      message: { type: 'status-update', status: 'in-progress', call: { id: callId } },
    });
    expect(status).toEqual({ status: 200, body: {} });
  });

  it('maps exported tool names back to actions and gives the model the visible outputs', async () => {
    const res = await stack.api(
      'POST',
      '/v1/dropin/vapi/receptionist',
      vapiMessage(randomUUID(), [{ id: 'avail', name: 'check_availability', arguments: { start_date: nextMonday() } }]),
    );
    expect(res.status).toBe(200);
    const [availability] = res.body.results;
    expect(availability.error).toBeUndefined();
    const outputs = JSON.parse(/(?:^|\n)Outputs: (.*)$/.exec(availability.result)?.[1] ?? 'null');
    expect(outputs.available).toBe(true);
    expect(outputs.slots.length).toBeGreaterThan(0);
  });
});

describe('Retell custom function', () => {
  it('holds requests to X-Retell-Signature when the URL names a retell credential', async () => {
    const apiKey = `key_retell_${randomUUID().slice(0, 8)}`;
    expect(
      (await stack.api('PUT', '/v1/credentials/retell_hooks', { provider: 'retell', secret: { apiKey } })).status,
    ).toBe(200);
    // Retell signs the bytes it sends: indented JSON, as a re-serialization would not be.
    const raw = JSON.stringify(
      { name: 'save_meal', args: dinner, call: { call_id: `retell_${randomUUID()}` } },
      null,
      2,
    );
    const sign = (key: string, atMs = Date.now()) =>
      `v=${atMs},d=${createHmac('sha256', key)
        .update(raw + atMs)
        .digest('hex')}`;
    const post = (query: string, signature?: string) =>
      fetch(`${stack.services.apiUrl}/v1/dropin/retell/demo${query}`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${stack.seed.apiKey}`,
          'content-type': 'application/json',
          ...(signature ? { 'x-retell-signature': signature } : {}),
        },
        body: raw,
      });
    // The drop-in's JSON answer: the tool's result, or the API's error.
    const answer = async (res: Response) =>
      (await res.json()) as { result?: string; error: { code: string; message: string } };
    const before = mealCalls().length;
    const signed = '?signature_credential=retell_hooks';

    const unsigned = await post(signed);
    expect(unsigned.status).toBe(401);
    expect((await answer(unsigned)).error).toMatchObject({
      code: 'unauthorized',
      message: 'X-Retell-Signature is missing',
    });
    const forged = await post(signed, sign('not the key'));
    expect(forged.status).toBe(401);
    expect((await answer(forged)).error.message).toContain('does not match');
    const replayed = await post(signed, sign(apiKey, Date.now() - 6 * 60_000));
    expect((await answer(replayed)).error.message).toContain('5 minutes');
    const wrongKind = await post('?signature_credential=twilio_main', sign(apiKey));
    expect(wrongKind.status).toBe(409);
    expect((await answer(wrongKind)).error.code).toBe('credential_invalid');
    expect(mealCalls()).toHaveLength(before);

    const ok = await post(signed, sign(apiKey));
    expect(ok.status).toBe(200);
    expect((await answer(ok)).result).toBe("Got it! I've logged your dinner.");
    expect(mealCalls()).toHaveLength(before + 1);
  });

  it('runs the function in the call’s conversation, once per call, name and arguments', async () => {
    const callId = `retell_${randomUUID()}`;
    const body = {
      name: 'save_meal',
      args: lunch,
      call: {
        call_id: callId,
        direction: 'outbound',
        from_number: '+15557654321',
        to_number: '+15550001111',
        retell_llm_dynamic_variables: { first_name: 'Grace' },
        agent_id: 'agent_7',
        metadata: { campaign: 'spring' },
        transcript: 'Agent: What did you eat?\nUser: Soup and bread for lunch.',
      },
    };
    const before = mealCalls().length;
    const res = await stack.api('POST', '/v1/dropin/retell/demo', body);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ result: "Got it! I've logged your lunch.", status: 'succeeded', outputs: {} });
    // Retell retries a failed request with the same body: it runs once.
    const retry = await stack.api('POST', '/v1/dropin/retell/demo', body);
    expect(retry.body).toEqual(res.body);
    const other = await stack.api('POST', '/v1/dropin/retell/demo', { ...body, args: dinner });
    expect(other.body.result).toBe("Got it! I've logged your dinner.");
    expect(
      mealCalls()
        .slice(before)
        .map((c) => c.body),
    ).toEqual([{ meal: lunch }, { meal: dinner }]);

    const [conversation, ...rest] = await conversationsOf(`retell:${callId}`);
    expect(rest).toEqual([]);
    expect(conversation?.runs).toBe(2);
    // Outbound: `call.from` is still the customer.
    expect(conversation?.call).toEqual({
      from: '+15550001111',
      to: '+15557654321',
      id: callId,
      runtime: 'retell',
      assistant_id: 'agent_7',
      metadata: { campaign: 'spring', first_name: 'Grace' },
    });
    expect(conversation?.contact).toEqual({ phone: '+15550001111', first_name: 'Grace' });
    expect([conversation?.channel, conversation?.control_url]).toEqual(['retell', null]);

    const failed = await stack.api('POST', '/v1/dropin/retell/demo', {
      ...body,
      args: { meal_type: 'brunch', dishes: ['eggs'] },
    });
    expect(failed.status).toBe(200);
    expect(failed.body.status).toBe('failed');
    expect(failed.body.error.code).toBe('invalid_arguments');
    expect(failed.body.result).toContain("Sorry, I couldn't save that meal.");
  });
});

describe('authentication and scoping', () => {
  it('hides agents of other tenants and unknown agents (404) and needs a key (401)', async () => {
    const vapi = vapiMessage(randomUUID(), [{ id: 'x', name: 'save_meal', arguments: lunch }]);
    const retell = { name: 'save_meal', args: lunch, call: { call_id: randomUUID() } };
    const initialize = {
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } },
    };
    const mcpHeaders = { accept: 'application/json, text/event-stream' };
    const before = mealCalls().length;
    const other = { authorization: `Bearer ${otherTenantKey}` };
    for (const [path, body, extra] of [
      ['/v1/dropin/vapi/demo', vapi, {}],
      ['/v1/dropin/retell/demo', retell, {}],
      ['/v1/mcp/demo', initialize, mcpHeaders],
    ] as const) {
      const foreign = await stack.api('POST', path, body, { ...other, ...extra });
      expect(foreign.status, path).toBe(404);
      expect(foreign.body.error.code).toBe('not_found');
      const unknown = await stack.api('POST', path.replace('/demo', '/nobody'), body, extra);
      expect(unknown.status, path).toBe(404);
      const anonymous = await fetch(`${stack.services.apiUrl}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...extra },
        body: JSON.stringify(body),
      });
      expect(anonymous.status, path).toBe(401);
    }
    expect(mealCalls().length).toBe(before);
    const get = await stack.api('GET', '/v1/mcp/demo', undefined, mcpHeaders);
    expect(get.status).toBe(405);
    expect(get.body).toEqual({
      jsonrpc: '2.0',
      error: { code: -32000, message: 'Method not allowed: stateless server' },
      id: null,
    });
  });

  it('answers MCP requests without an Accept header (or */*) as JSON; refuses an Accept without JSON with 406', async () => {
    const list = { jsonrpc: '2.0', id: 7, method: 'tools/list' };
    for (const accept of [undefined, '*/*']) {
      const res = await fetch(`${stack.services.apiUrl}/v1/mcp/demo`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${stack.seed.apiKey}`,
          'content-type': 'application/json',
          ...(accept === undefined ? {} : { accept }),
        },
        body: JSON.stringify(list),
      });
      expect(res.status, String(accept)).toBe(200);
      expect(((await res.json()) as { result: { tools: { name: string }[] } }).result.tools[0]?.name).toBe('save_meal');
    }
    const html = await stack.api('POST', '/v1/mcp/demo', list, { accept: 'text/html' });
    expect(html.status).toBe(406);
    expect(html.body.error.code).toBe(-32000);
  });
});

describe('MCP server per agent', () => {
  async function connect(agent: string, headers: Record<string, string> = {}): Promise<Client> {
    const client = new Client({ name: 'dropin-e2e', version: '1.0.0' });
    const transport = new StreamableHTTPClientTransport(new URL(`${stack.services.apiUrl}/v1/mcp/${agent}`), {
      requestInit: { headers: { authorization: `Bearer ${stack.seed.apiKey}`, ...headers } },
    });
    await client.connect(transport);
    return client;
  }

  it('lists the agent’s published actions with their input schemas', async () => {
    const demo = await connect('demo');
    try {
      const { tools } = await demo.listTools();
      expect(tools.map((t) => t.name)).toEqual(['save_meal']);
      expect(tools[0]?.description).toBe('Log a meal the user consumed');
      expect(tools[0]?.inputSchema).toEqual({
        type: 'object',
        properties: {
          meal_type: { type: 'string', enum: ['breakfast', 'lunch', 'dinner'] },
          dishes: { type: 'array', items: { type: ['string', 'number', 'boolean', 'object'] } },
        },
        required: ['dishes'],
        additionalProperties: false,
      });
    } finally {
      await demo.close();
    }
    const receptionist = await connect('receptionist');
    try {
      const { tools } = await receptionist.listTools();
      const byName = new Map(tools.map((t) => [t.name, t]));
      expect([...byName.keys()]).toContain('check_availability');
      const meta = byName.get('check_availability')?._meta?.['x-switchboard'] as { actionName: string };
      expect(meta.actionName).toBe('Check Availability');
      expect(byName.get('book_consultation')?.inputSchema.required).toEqual(
        expect.arrayContaining(['start', 'name', 'email']),
      );
    } finally {
      await receptionist.close();
    }
  });

  it('runs tools/call through a conversation and returns messages, outputs and isError', async () => {
    const client = await connect('demo');
    try {
      const before = mealCalls().length;
      const saved = await client.callTool({ name: 'save_meal', arguments: lunch });
      expect(saved.isError).toBeFalsy();
      expect(saved.content).toEqual([{ type: 'text', text: "Got it! I've logged your lunch." }]);
      expect(saved.structuredContent).toEqual({});
      expect(
        mealCalls()
          .slice(before)
          .map((c) => c.body),
      ).toEqual([{ meal: lunch }]);
      const conversationId = saved._meta?.conversationId as string;
      expect(conversationId).toMatch(/^conv_[0-9a-f]{24}$/);
      expect(saved._meta?.status).toBe('succeeded');

      // Passing the conversation on keeps the chain state; the same idempotency key runs once.
      const meta = { conversationId, idempotencyKey: 'dinner-1' };
      const second = await client.callTool({ name: 'save_meal', arguments: dinner, _meta: meta });
      const repeat = await client.callTool({ name: 'save_meal', arguments: dinner, _meta: meta });
      expect(second._meta?.conversationId).toBe(conversationId);
      expect(repeat._meta?.toolCallId).toBe(second._meta?.toolCallId);
      expect(mealCalls().length - before).toBe(2);
      const { rows } = await stack.db.query('SELECT count(*)::int AS n FROM action_runs WHERE conversation_id = $1', [
        conversationId,
      ]);
      expect(rows[0].n).toBe(2);
      // The key with other arguments is an error result, and nothing runs.
      const reused = await client.callTool({ name: 'save_meal', arguments: lunch, _meta: meta });
      expect(reused.isError).toBe(true);
      expect((reused.content as { text: string }[])[0]?.text).toContain(
        "(idempotency_key_reused): Idempotency-Key 'dinner-1' was first used for another request (other arguments)",
      );
      expect(reused._meta?.status).toBe('rejected');
      expect(mealCalls().length - before).toBe(2);

      const invalid = await client.callTool({ name: 'save_meal', arguments: { meal_type: 'brunch', dishes: ['x'] } });
      expect(invalid.isError).toBe(true);
      const [block] = invalid.content as { type: string; text: string }[];
      expect(block?.text).toContain("Sorry, I couldn't save that meal.");
      expect(block?.text).toContain('(invalid_arguments)');
      expect(mealCalls().length - before).toBe(2);

      await expect(client.callTool({ name: 'order_pizza', arguments: {} })).rejects.toThrow(/unknown tool/);
      await expect(
        client.callTool({
          name: 'save_meal',
          arguments: lunch,
          _meta: { conversationId: 'conv_000000000000000000000000' },
        }),
      ).rejects.toThrow(/has no conversation/);
    } finally {
      await client.close();
    }
  });

  it('runs a retried call with a key and no conversation once, in the conversation its first attempt made', async () => {
    const client = await connect('demo');
    try {
      const before = mealCalls().length;
      const meta = { idempotencyKey: `mcp-${randomUUID()}` };
      const first = await client.callTool({ name: 'save_meal', arguments: lunch, _meta: meta });
      const retry = await client.callTool({ name: 'save_meal', arguments: lunch, _meta: meta });
      expect(first.isError).toBeFalsy();
      expect(retry._meta?.conversationId).toBe(first._meta?.conversationId);
      expect(retry._meta?.toolCallId).toBe(first._meta?.toolCallId);
      expect(retry.content).toEqual(first.content);
      const reused = await client.callTool({ name: 'save_meal', arguments: dinner, _meta: meta });
      expect(reused.isError).toBe(true);
      expect(mealCalls().length - before).toBe(1);
      // Without a key every call still starts afresh.
      const fresh = await client.callTool({ name: 'save_meal', arguments: lunch });
      expect(fresh._meta?.conversationId).not.toBe(first._meta?.conversationId);
    } finally {
      await client.close();
    }
  });

  it('runs every call of a connection in the conversation named by its header', async () => {
    const created = await stack.api('POST', '/v1/conversations', { agent: 'demo' });
    const client = await connect('demo', { 'switchboard-conversation': created.body.id });
    try {
      const a = await client.callTool({ name: 'save_meal', arguments: lunch });
      const b = await client.callTool({ name: 'save_meal', arguments: dinner });
      expect([a._meta?.conversationId, b._meta?.conversationId]).toEqual([created.body.id, created.body.id]);
    } finally {
      await client.close();
    }
  });
});

describeElevenLabsDropin(() => stack);
