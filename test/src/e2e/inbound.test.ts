import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectBus } from '@switchboard/bus';
import {
  type InboundSms,
  inboundSmsSignal,
  type SessionSnapshot,
  type SmsThreadState,
  Streams,
  sessionStateQuery,
  sessionWorkflowId,
  smsThreadStateQuery,
  smsThreadWorkflowId,
  subscribeSmsSignal,
  TaskQueues,
  WorkflowTypes,
} from '@switchboard/contracts';
import { twilioSignature } from '@switchboard/sandboxes/twilio';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestStack, type TestStack } from '../support/stack.js';
import { smsFields as inboundSms, postTwilioWebhook, twilioSecret as secretOf } from '../support/twilio-webhooks.js';

// One stack for the file: NATS, Temporal, Postgres, and every service as its own process.
let stack: TestStack;
let connection: Connection;
let temporal: Client;
const logDir = mkdtempSync(join(tmpdir(), 'switchboard-e2e-logs-'));

beforeAll(async () => {
  stack = await startTestStack(logDir, { exportSpans: false });
  connection = await Connection.connect({ address: stack.infra.temporalAddress });
  temporal = new Client({ connection });
}, 180_000);

afterAll(async () => {
  await connection?.close();
  await stack?.stop();
}, 60_000);

function twilioSecret(): { accountSid: string; authToken: string } {
  return secretOf(stack);
}

function webhook(kind: 'sms' | 'call-status', fields: Record<string, string>, signature?: string) {
  return postTwilioWebhook(stack, kind, fields, signature);
}

function smsFields(from: string, body: string): Record<string, string> {
  return inboundSms(stack, from, body);
}

async function threadState(phone: string): Promise<SmsThreadState | undefined> {
  try {
    return await temporal.workflow
      .getHandle(smsThreadWorkflowId(stack.seed.tenantId, phone))
      .query(smsThreadStateQuery);
  } catch {
    return undefined;
  }
}

async function inboundLastSeq(): Promise<number> {
  const bus = await connectBus(stack.infra.natsUrl, { name: 'e2e-inbound', reconnectForever: false });
  try {
    return (await bus.jsm.streams.info(Streams.Inbound)).state.last_seq;
  } finally {
    await bus.close();
  }
}

describe('inbound SMS webhooks', () => {
  it('deliver a signed SMS to its smsThread once, even when Twilio retries it', async () => {
    const phone = '+15551230101';
    const fields = smsFields(phone, 'YES please');
    const first = await webhook('sms', fields);
    expect(first.status).toBe(200);
    expect(first.contentType).toMatch(/^text\/xml/);
    expect(first.body).toContain('<Response/>');

    const state = await eventually(async () => {
      const s = await threadState(phone);
      return s && s.messages.length > 0 ? s : undefined;
    }, 20_000);
    expect(state.tenantId).toBe(stack.seed.tenantId);
    expect(state.phone).toBe(phone);
    expect(state.messages).toEqual([
      expect.objectContaining({
        messageSid: fields.MessageSid,
        from: phone,
        to: '+15559870000',
        body: 'YES please',
        credential: 'twilio_main',
        tenantId: stack.seed.tenantId,
      }) as unknown as InboundSms,
    ]);

    // Twilio's retry of the same webhook: answered alike, delivered nowhere twice.
    const retry = await webhook('sms', fields);
    expect(retry.status).toBe(200);
    const next = smsFields(phone, 'and one more');
    expect((await webhook('sms', next)).status).toBe(200);
    const after = await eventually(async () => {
      const s = await threadState(phone);
      return s && s.messages.length >= 2 ? s : undefined;
    }, 20_000);
    expect(after.messages.map((m) => m.messageSid)).toEqual([fields.MessageSid, next.MessageSid]);
    expect(after.received).toBe(2);

    // A retry that outlived JetStream's duplicate window reaches the thread, which drops it by sid.
    const handle = temporal.workflow.getHandle(smsThreadWorkflowId(stack.seed.tenantId, phone));
    await handle.signal(inboundSmsSignal, after.messages[0] as InboundSms);
    const third = smsFields(phone, 'last one');
    expect((await webhook('sms', third)).status).toBe(200);
    const deduped = await eventually(async () => {
      const s = await handle.query(smsThreadStateQuery);
      return s.messages.some((m) => m.messageSid === third.MessageSid) ? s : undefined;
    }, 20_000);
    expect(deduped.messages.map((m) => m.messageSid)).toEqual([fields.MessageSid, next.MessageSid, third.MessageSid]);
    expect(deduped.received).toBe(3);
  });

  it('forwards each new SMS to the subscribed workflows and drops subscribers that are gone', async () => {
    const phone = '+15551230202';
    const tenantId = stack.seed.tenantId;
    // A real, running subscriber: another SMS thread workflow (it records what it receives).
    const subscriberPhone = '+15551239999';
    const subscriberId = smsThreadWorkflowId(tenantId, subscriberPhone);
    await temporal.workflow.start(WorkflowTypes.SmsThread, {
      workflowId: subscriberId,
      taskQueue: TaskQueues.Chains,
      args: [{ tenantId, phone: subscriberPhone }],
    });
    const gone = `booking:${tenantId}:never-started`;
    for (const id of [subscriberId, gone]) {
      await temporal.workflow.signalWithStart(WorkflowTypes.SmsThread, {
        workflowId: smsThreadWorkflowId(tenantId, phone),
        taskQueue: TaskQueues.Chains,
        args: [{ tenantId, phone }],
        signal: subscribeSmsSignal,
        signalArgs: [id],
      });
    }

    const fields = smsFields(phone, 'CONFIRM');
    expect((await webhook('sms', fields)).status).toBe(200);

    const forwarded = await eventually(async () => {
      const s = await threadState(subscriberPhone);
      return s && s.messages.length > 0 ? s : undefined;
    }, 20_000);
    expect(forwarded.messages.map((m) => [m.messageSid, m.body, m.from])).toEqual([
      [fields.MessageSid, 'CONFIRM', phone],
    ]);
    const thread = await eventually(async () => {
      const s = await threadState(phone);
      return s && !s.subscribers.includes(gone) ? s : undefined;
    }, 20_000);
    expect(thread.subscribers).toEqual([subscriberId]);
  });

  it('answers 403 to a bad or missing signature and publishes nothing', async () => {
    const phone = '+15551230303';
    const before = await inboundLastSeq();
    const fields = smsFields(phone, 'forged');
    const bad = await webhook('sms', fields, 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=');
    expect(bad.status).toBe(403);
    expect(JSON.parse(bad.body)).toEqual({
      error: { code: 'forbidden', message: expect.any(String), retryable: false },
    });
    const url = `${stack.services.apiUrl}/v1/inbound/twilio/${stack.seed.tenantId}/twilio_main/sms`;
    const missing = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });
    expect(missing.status).toBe(403);
    // A valid signature with another account's token is just as bad.
    const params = Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, [v]]));
    const otherToken = await webhook('sms', fields, twilioSignature('not-the-token', url, params));
    expect(otherToken.status).toBe(403);

    expect(await inboundLastSeq()).toBe(before);
    expect(await threadState(phone)).toBeUndefined();
  });
});

describe('call status callbacks', () => {
  it("update the session state of the call's conversation", async () => {
    const callSid = `CA${Date.now().toString(16).padStart(32, '0')}`;
    const conv = await stack.api('POST', '/v1/conversations', {
      agent: 'demo',
      call: { sid: callSid, from: '+15551230404', to: '+15559870000' },
    });
    expect(conv.status).toBe(201);
    const conversationId = conv.body.id as string;
    // One tool call starts the conversation's session workflow.
    const call = await stack.api('POST', `/v1/conversations/${conversationId}/tool-calls`, {
      name: 'save_meal',
      arguments: { meal_type: 'lunch', dishes: ['soup'] },
    });
    expect(call.status).toBe(200);

    const fields = {
      CallSid: callSid,
      CallStatus: 'in-progress',
      AccountSid: twilioSecret().accountSid,
      From: '+15551230404',
      To: '+15559870000',
      Direction: 'inbound',
    };
    const res = await webhook('call-status', fields);
    expect(res.status).toBe(204);

    const handle = temporal.workflow.getHandle(sessionWorkflowId(stack.seed.tenantId, conversationId));
    const snapshot = await eventually(async () => {
      const s: SessionSnapshot = await handle.query(sessionStateQuery);
      const c = (s.state.context as { call?: { status?: string } }).call;
      return c?.status === 'in-progress' ? s : undefined;
    }, 20_000);
    expect((snapshot.state.context as { call: Record<string, unknown> }).call).toMatchObject({
      sid: callSid,
      from: '+15551230404',
      status: 'in-progress',
      statusAt: expect.any(Number),
    });

    // A later status wins; the next tool call still sees it (its call context has no status).
    expect((await webhook('call-status', { ...fields, CallStatus: 'completed' })).status).toBe(204);
    await eventually(async () => {
      const s = await handle.query(sessionStateQuery);
      return (s.state.context as { call?: { status?: string } }).call?.status === 'completed' ? true : undefined;
    }, 20_000);
    const again = await stack.api('POST', `/v1/conversations/${conversationId}/tool-calls`, {
      name: 'save_meal',
      arguments: { meal_type: 'dinner', dishes: ['rice'] },
    });
    expect(again.status).toBe(200);
    const last = await eventually(async () => {
      const s = await handle.query(sessionStateQuery);
      return s.processed === 2 ? s : undefined;
    });
    expect((last.state.context as { call: { status: string } }).call.status).toBe('completed');
  });

  it('accept a status for a call no conversation knows (acked, nothing to signal)', async () => {
    const before = await inboundLastSeq();
    const res = await webhook('call-status', {
      CallSid: `CA${'f'.repeat(32)}`,
      CallStatus: 'ringing',
      AccountSid: twilioSecret().accountSid,
      From: '+15551230505',
      To: '+15559870000',
    });
    expect(res.status).toBe(204);
    expect(await inboundLastSeq()).toBe(before + 1);
    // Work-queue retention: the orchestrator acked it, so the stream is empty again.
    const bus = await connectBus(stack.infra.natsUrl, { name: 'e2e-inbound', reconnectForever: false });
    try {
      await eventually(async () =>
        (await bus.jsm.streams.info(Streams.Inbound)).state.messages === 0 ? true : undefined,
      );
    } finally {
      await bus.close();
    }
  });
});
