import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startVapiControlSandbox, type VapiControlSandbox } from '@switchboard/sandboxes/vapi';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../support/stack.js';

// Issue 15, items 2 and 4: every call-control step goes through the conversation's channel.
// Vapi calls are controlled on their Live Call Control URL, here a local stand-in that checks
// every request body against the official SDK's types; `none` and runtimes without a control
// refuse the step with a code, never a fake success.
let stack: TestStack;
let vapi: VapiControlSandbox;
const SUPPORT_LINE = '+15550109999';

beforeAll(async () => {
  vapi = await startVapiControlSandbox();
  stack = await startTestStack(mkdtempSync(join(tmpdir(), 'switchboard-e2e-channels-')), {
    exportSpans: false,
    // The stand-in listens on loopback: allowed explicitly, beside Vapi's own hosts.
    serviceEnv: { VAPI_CONTROL_HOSTS: 'vapi.ai,127.0.0.1' },
  });
  const saved = await stack.api('PUT', '/v1/agents/switch', {
    instructions: 'Transfers and ends calls.',
    actions: [
      {
        type: 'transfer_call',
        name: 'Transfer to Support',
        description: 'Transfers the caller to support.',
        config: {
          destination: SUPPORT_LINE,
          mode: 'cold',
          transfer_message: 'Connecting you to support.',
          failure_message: 'Sorry, I could not transfer you.',
        },
      },
      {
        type: 'end_call',
        name: 'End Call',
        description: 'Ends the call.',
        config: { final_message: 'Thanks for calling. Goodbye!', failure_message: 'Sorry, I could not hang up.' },
      },
      {
        name: 'whoami',
        description: 'Says which call this is.',
        actions: [{ type: 'context.set', key: 'caller_tier', value: 'call.metadata.tier' }],
        on_success: [
          {
            type: 'respond',
            message:
              'Call {{call.id}} on {{call.runtime}} by {{call.assistant_id}} to {{call.to}}, tier {{caller_tier}}.',
          },
        ],
      },
      {
        type: 'pause_inactivity_timer',
        name: 'Give Time',
        description: 'Gives the caller time.',
        config: { duration_seconds: 60, message: 'Take your time.' },
      },
    ],
  });
  expect(saved.status).toBe(200);
}, 180_000);

afterAll(async () => {
  await stack?.stop();
  await vapi?.close();
}, 60_000);

beforeEach(() => vapi.reset());

interface VapiAnswer {
  results: { toolCallId: string; name: string; result: string; error?: string }[];
}

/** One Vapi `tool-calls` message of a web call (no Twilio sid) with a control URL, answered. */
async function vapiToolCall(callId: string, name: string, options: { controlUrl?: boolean } = {}) {
  const res = await stack.api('POST', '/v1/dropin/vapi/switch', {
    message: {
      type: 'tool-calls',
      toolCallList: [{ id: `tc_${randomUUID()}`, type: 'function', function: { name, arguments: {} } }],
      call: {
        id: callId,
        type: 'webCall',
        ...(options.controlUrl === false ? {} : { monitor: { controlUrl: vapi.controlUrl(callId) } }),
      },
    },
  });
  expect(res.status).toBe(200);
  return (res.body as VapiAnswer).results[0] as VapiAnswer['results'][number];
}

const requestsOf = (callId: string) => vapi.requests().filter((r) => r.callId === callId);

describe('a Vapi call', () => {
  it('is transferred on its control URL with the SDK transfer body', async () => {
    const callId = randomUUID();
    const answer = await vapiToolCall(callId, 'Transfer to Support');
    expect(answer.error).toBeUndefined();
    expect(answer.result).toBe('Connecting you to support.');
    expect(requestsOf(callId)).toEqual([
      {
        callId,
        body: {
          type: 'transfer',
          destination: { type: 'number', number: SUPPORT_LINE, transferPlan: { mode: 'blind-transfer' } },
          content: 'Connecting you to support.',
        },
        problems: [],
        status: 200,
      },
    ]);
    expect(vapi.call(callId)?.status).toBe('transferred');
  });

  it('is ended after the final message: Vapi says it and hangs up once it is said', async () => {
    const callId = randomUUID();
    const answer = await vapiToolCall(callId, 'End Call');
    expect(answer.error).toBeUndefined();
    expect(answer.result).toBe('Thanks for calling. Goodbye!');
    // The step ran in the chain: its request is out by the time the tool call is answered.
    expect(requestsOf(callId)).toEqual([
      {
        callId,
        body: { type: 'say', content: 'Thanks for calling. Goodbye!', endCallAfterSpoken: true },
        problems: [],
        status: 200,
      },
    ]);
    expect(vapi.call(callId)).toMatchObject({ status: 'ended', said: ['Thanks for calling. Goodbye!'] });
  });

  it('retries a control URL that answers 5xx, and the step succeeds once Vapi accepts', async () => {
    const callId = randomUUID();
    vapi.fault({ status: 503, count: 2, pathPrefix: `/${callId}/` });
    const answer = await vapiToolCall(callId, 'End Call');
    expect(answer.error).toBeUndefined();
    const sent = requestsOf(callId);
    expect(sent.map((r) => r.status)).toEqual([503, 503, 200]);
    expect(sent.every((r) => r.problems.length === 0)).toBe(true);
    expect(new Set(sent.map((r) => JSON.stringify(r.body))).size).toBe(1);
    expect(vapi.call(callId)?.status).toBe('ended');
  });

  it('fails the step truthfully when Vapi refuses (4xx): once, no retry, on_failure speaks', async () => {
    const callId = randomUUID();
    expect((await vapiToolCall(callId, 'End Call')).error).toBeUndefined();
    // The call is over: Vapi refuses the transfer.
    const answer = await vapiToolCall(callId, 'Transfer to Support');
    expect(answer.error).toContain('call_control_refused');
    expect(answer.result).toContain('Sorry, I could not transfer you.');
    expect(requestsOf(callId).map((r) => [r.body, r.status])).toEqual([
      [expect.objectContaining({ type: 'say' }), 200],
      [expect.objectContaining({ type: 'transfer' }), 400],
    ]);
    const { rows } = await stack.db.query(
      `SELECT r.status, r.error_code FROM action_runs r JOIN conversations c ON c.id = r.conversation_id
        WHERE c.external_id = $1 AND r.action_name = 'Transfer to Support'`,
      [`vapi:${callId}`],
    );
    expect(rows).toEqual([{ status: 'failed', error_code: 'call_control_refused' }]);
  });

  it('without a control URL fails its call-control steps with control_url_missing', async () => {
    const callId = randomUUID();
    const answer = await vapiToolCall(callId, 'Transfer to Support', { controlUrl: false });
    expect(answer.error).toContain('control_url_missing');
    expect(requestsOf(callId)).toEqual([]);
  });

  it('refuses a step Vapi has no control for (pause inactivity): unsupported_by_runtime', async () => {
    const callId = randomUUID();
    const answer = await vapiToolCall(callId, 'Give Time');
    expect(answer.error).toContain('unsupported_by_runtime');
    expect(answer.result).not.toContain('Take your time.');
    expect(requestsOf(callId)).toEqual([]);
  });
});

describe('call metadata', () => {
  it('reaches templates and expressions as call.*, and is shown on the run', async () => {
    const callId = randomUUID();
    const res = await stack.api('POST', '/v1/dropin/vapi/switch', {
      message: {
        type: 'tool-calls',
        toolCallList: [{ id: `tc_${randomUUID()}`, name: 'whoami', arguments: {} }],
        call: {
          id: callId,
          type: 'inboundPhoneCall',
          assistantId: 'asst_42',
          assistantOverrides: { variableValues: { tier: 'gold' } },
          monitor: { controlUrl: vapi.controlUrl(callId) },
        },
        customer: { number: '+15551234567' },
        phoneNumber: { number: '+15557654321' },
      },
    });
    expect(res.status).toBe(200);
    expect((res.body as VapiAnswer).results[0]?.result).toBe(
      `Call ${callId} on vapi by asst_42 to +15557654321, tier gold.`,
    );
    const { rows } = await stack.db.query(
      `SELECT r.intent_id AS id FROM action_runs r JOIN conversations c ON c.id = r.conversation_id WHERE c.external_id = $1`,
      [`vapi:${callId}`],
    );
    const run = await stack.api('GET', `/v1/runs/${rows[0]?.id}`);
    expect(run.status).toBe(200);
    expect(run.body.call).toEqual({
      channel: 'vapi',
      id: callId,
      runtime: 'vapi',
      assistant_id: 'asst_42',
      from: '+15551234567',
      to: '+15557654321',
      metadata: { tier: 'gold' },
    });
    // The control URL is a capability: never shown.
    expect(JSON.stringify(run.body)).not.toContain('/control');
  });
});

describe('a Retell call', () => {
  it('refuses transfer and end call (no server-side control): unsupported_by_runtime', async () => {
    const callId = `call_${randomUUID().replaceAll('-', '')}`;
    for (const name of ['Transfer to Support', 'End Call']) {
      const res = await stack.api('POST', '/v1/dropin/retell/switch', {
        name,
        args: {},
        call: { call_id: callId, call_type: 'web_call' },
      });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ status: 'failed', error: { code: 'unsupported_by_runtime' } });
    }
  });
});

describe('a conversation without a call (channel none)', () => {
  it('fails end call with no_call_control, and says so', async () => {
    const created = await stack.api('POST', '/v1/conversations', { agent: 'switch' });
    expect(created.status).toBe(201);
    expect(created.body.channel).toBe('none');
    const res = await stack.api('POST', `/v1/conversations/${created.body.id}/tool-calls`, {
      name: 'End Call',
      arguments: {},
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: 'failed',
      error: { code: 'no_call_control', retryable: false },
      messages: ['Sorry, I could not hang up.'],
    });
    // Nothing was deferred to "after delivery": the run did not pretend.
    expect(JSON.stringify(res.body.events)).not.toContain('final_message_delivered');
  });

  it('takes an explicit channel on create, and refuses a control URL without channel vapi', async () => {
    const twilio = await stack.api('POST', '/v1/conversations', { agent: 'switch', channel: 'twilio' });
    expect([twilio.status, twilio.body.channel]).toEqual([201, 'twilio']);
    const bySid = await stack.api('POST', '/v1/conversations', {
      agent: 'switch',
      call: { sid: `CA${'1'.repeat(32)}` },
    });
    expect(bySid.body.channel).toBe('twilio');
    const refused = await stack.api('POST', '/v1/conversations', {
      agent: 'switch',
      control_url: vapi.controlUrl('x'),
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error.details).toMatchObject({
      issues: [expect.objectContaining({ pointer: '/control_url' })],
    });
  });
});
