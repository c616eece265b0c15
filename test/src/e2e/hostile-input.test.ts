import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Bus, connectBus, publishDurable } from '@switchboard/bus';
import { JSON_MAX_DEPTH } from '@switchboard/common';
import { ActionIntentSchema, create, encodeIntent, Subjects, timestampFromMs } from '@switchboard/contracts';
import { findLatestAction, intentIdForKey } from '@switchboard/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { intentBacklog } from '../support/intent-consumers.js';
import { type ApiResponse, eventually, startTestStack, type TestStack } from '../support/stack.js';

// Input that once stranded runs or crashed requests (issue 12, items 1 and 2), through the whole
// stack: refused at the edge with a pointer, accepted at the limit and run to the end, and an
// intent that the orchestrator can never hand over answered at once instead of waiting forever.
// The tool-call wait is long, so an answer before it can only have come from a result.
const TOOL_CALL_TIMEOUT_MS = 120_000;

let stack: TestStack;
let bus: Bus;

beforeAll(async () => {
  stack = await startTestStack(mkdtempSync(join(tmpdir(), 'switchboard-e2e-hostile-')), {
    exportSpans: false,
    serviceEnv: { TOOL_CALL_TIMEOUT_MS: String(TOOL_CALL_TIMEOUT_MS) },
  });
  bus = await connectBus(stack.infra.natsUrl, { name: 'hostile-input-test', reconnectForever: false });
}, 180_000);

afterAll(async () => {
  await bus?.close();
  await stack?.stop();
}, 60_000);

async function newConversation(contact: unknown = {}): Promise<string> {
  const res = await stack.api('POST', '/v1/conversations', { agent: 'demo', contact });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id as string;
}

/** A raw JSON request (for bodies JSON.stringify cannot make, or would take long to). */
async function raw(method: string, path: string, body?: string): Promise<ApiResponse> {
  const res = await fetch(`${stack.services.apiUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${stack.seed.apiKey}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body }),
  });
  return { status: res.status, body: await res.json() };
}

/** `levels` objects inside each other around `leaf`. */
function nest(levels: number, leaf: unknown = 'x'): unknown {
  let v = leaf;
  for (let i = 0; i < levels; i++) v = { a: v };
  return v;
}

const lunch = { meal_type: 'lunch', dishes: ['soup', 'bread'] };

async function runsOf(conv: string): Promise<{ status: string; error_code: string | null }[]> {
  const { rows } = await stack.db.query('SELECT status, error_code FROM action_runs WHERE conversation_id = $1', [
    conv,
  ]);
  return rows;
}

describe('JSON beyond the limits, refused at the edge', () => {
  it('refuses a tool call nested 40 levels deep with a pointer; no run is left accepted', async () => {
    const conv = await newConversation();
    const res = await stack.api('POST', `/v1/conversations/${conv}/tool-calls`, {
      name: 'save_meal',
      arguments: { ...lunch, extra: nest(40) },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(res.body.error.details.issues[0].pointer).toBe(`/arguments/extra${'/a'.repeat(JSON_MAX_DEPTH - 2)}`);
    expect(await runsOf(conv)).toEqual([]);
  });

  it('refuses 100,000 levels with a 400, and a contact nested too deep before the conversation exists', async () => {
    const conv = await newConversation();
    const levels = 100_000;
    const res = await raw(
      'POST',
      `/v1/conversations/${conv}/tool-calls`,
      `{"name":"save_meal","arguments":{"x":${'['.repeat(levels)}${']'.repeat(levels)}}}`,
    );
    expect(res.status).toBe(400);
    expect(res.body.error.details.issues[0].message).toBe('must not nest deeper than 32 levels of objects and arrays');
    const contact = await stack.api('POST', '/v1/conversations', { agent: 'demo', contact: nest(40) });
    expect(contact.status).toBe(400);
    expect(contact.body.error.details.issues[0].pointer).toMatch(/^\/contact(\/a)+$/);
  });

  it('refuses NUL and unpaired surrogates in bodies and URLs', async () => {
    const conv = await raw('POST', '/v1/conversations', '{"agent":"demo","contact":{"name":"Ada\\u0000"}}');
    expect(conv.status).toBe(400);
    expect(conv.body.error.details.issues[0]).toMatchObject({
      pointer: '/contact/name',
      message: 'must not contain U+0000 (NUL)',
    });
    const agent = await raw('GET', '/v1/agents/demo%00');
    expect(agent.status).toBe(400);
    expect(agent.body.error.message).toBe(
      "the URL cannot be accepted: path parameter 'name' must not contain U+0000 (NUL)",
    );
    const id = await newConversation();
    const call = await raw(
      'POST',
      `/v1/conversations/${id}/tool-calls`,
      '{"name":"save_meal","arguments":{"meal_type":"lunch","dishes":["\\ud800"]}}',
    );
    expect(call.status).toBe(400);
    expect(call.body.error.details.issues[0].pointer).toBe('/arguments/dishes/0');
  });
});

describe('JSON at the limits, run to the end', () => {
  it('runs a tool call whose arguments and contact are as deep as the edge allows', async () => {
    // The contact is level 2 of its request body, so it may hold 31 levels.
    const contact = { name: 'Ada', deep: nest(JSON_MAX_DEPTH - 2) };
    const conv = await newConversation(contact);
    const res = await stack.api('POST', `/v1/conversations/${conv}/tool-calls`, {
      name: 'save_meal',
      arguments: { ...lunch, extra: nest(JSON_MAX_DEPTH - 3) },
    });
    // The orchestrator decoded it and the chain ran: an answer, not the 202 of a wait that ran out.
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('succeeded');
    expect(res.body.messages).toEqual(["Got it! I've logged your lunch."]);
  });
});

describe('an intent that can never be handed over', () => {
  /**
   * Puts `payload` on the intents stream under the id a tool call with `key` will have, while
   * the orchestrator is down, then makes that call: its publish is a duplicate (JetStream keeps
   * the first), so what the orchestrator finds when it is back is `payload`. Returns the call's
   * response once the orchestrator has answered it.
   */
  async function callOverPayload(conv: string, key: string, payload: Uint8Array): Promise<ApiResponse> {
    const intentId = intentIdForKey(stack.seed.tenantId, conv, key);
    // Stopped, not killed: a killed consumer's pull would take the message to the grave, to
    // come back only after the ack wait.
    await stack.services.processes().orchestrator?.stop();
    let restarted = false;
    try {
      await publishDurable(bus.js, Subjects.intent(stack.seed.tenantId, conv), payload, intentId, {
        traceparent: '',
        tracestate: '',
      });
      const pending = stack.api(
        'POST',
        `/v1/conversations/${conv}/tool-calls`,
        { name: 'save_meal', arguments: lunch },
        {
          'idempotency-key': key,
        },
      );
      // The caller waits on an accepted run.
      await eventually(async () => ((await runsOf(conv))[0]?.status === 'accepted' ? true : undefined), 30_000);
      await stack.services.restart('orchestrator');
      restarted = true;
      const startedAt = Date.now();
      const res = await pending;
      console.log(`answered ${Date.now() - startedAt} ms after the orchestrator was back`);
      return res;
    } finally {
      if (!restarted) await stack.services.restart('orchestrator');
    }
  }

  it('ends the run failed (intent_undecodable) with an event and a result, answering the waiting caller', async () => {
    const conv = await newConversation();
    const garbage = new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]);
    const res = await callOverPayload(conv, 'garbage-1', garbage);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'failed', error: { code: 'intent_undecodable', retryable: false } });
    expect(res.body.error.message).toMatch(/^the orchestrator cannot decode this tool call: /);
    // Accepted (announced by the conversation service when it took the call), then failed.
    expect(res.body.events.map((e: { kind: string }) => e.kind)).toEqual(['accepted', 'failed']);
    expect(await runsOf(conv)).toEqual([{ status: 'failed', error_code: 'intent_undecodable' }]);
    const run = await stack.api('GET', `/v1/runs/${res.body.id}`);
    expect(run.body).toMatchObject({ status: 'failed', error: { code: 'intent_undecodable' } });
    // Terminated, not redelivered forever.
    await eventually(async () => {
      const info = await intentBacklog(bus.jsm);
      return info.pending === 0 && info.ackPending === 0 ? true : undefined;
    }, 30_000);
    // A retry with the same key is answered from the finished run.
    const again = await stack.api(
      'POST',
      `/v1/conversations/${conv}/tool-calls`,
      { name: 'save_meal', arguments: lunch },
      {
        'idempotency-key': 'garbage-1',
      },
    );
    expect(again.body).toMatchObject({ id: res.body.id, status: 'failed', error: { code: 'intent_undecodable' } });
  });

  it('ends the run failed (intent_refused) when Temporal refuses the intent as too large', async () => {
    const conv = await newConversation();
    const key = 'too-large-1';
    const action = await findLatestAction(stack.db, stack.seed.tenantId, stack.seed.agentId, 'save_meal');
    // 400,000 control characters: 0.4 MB on the bus, but 2.4 MB as the JSON of the signal,
    // above Temporal's payload limit (2 MiB).
    const intent = create(ActionIntentSchema, {
      intentId: intentIdForKey(stack.seed.tenantId, conv, key),
      tenantId: stack.seed.tenantId,
      conversationId: conv,
      agentId: stack.seed.agentId,
      agentName: 'demo',
      actionName: 'save_meal',
      arguments: { ...lunch, note: '\u0001'.repeat(400_000) },
      action: action?.canonical ?? {},
      createdAt: timestampFromMs(Date.now()),
    });
    const res = await callOverPayload(conv, key, encodeIntent(intent));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'failed', error: { code: 'intent_refused', retryable: false } });
    expect(await runsOf(conv)).toEqual([{ status: 'failed', error_code: 'intent_refused' }]);
  });
});
