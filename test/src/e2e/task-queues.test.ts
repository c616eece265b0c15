import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TaskQueues } from '@switchboard/contracts';
import { Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nextMonday } from '../support/dates.js';
import { eventually, startTestStack, type TestStack } from '../support/stack.js';

// A deployment that renames every task queue (as one run beside another on a shared Temporal
// namespace would): the workers poll the renamed queues, and the workflows — sessions, the booking
// lifecycles they hand off, compensations — schedule every activity there, not on the defaults.
const Renamed = {
  Chains: 'b-chains',
  Webhook: 'b-webhook',
  Calcom: 'b-calcom',
  Telephony: 'b-telephony',
  Crm: 'b-crm',
} as const;

let stack: TestStack;
let connection: Connection;

beforeAll(async () => {
  stack = await startTestStack(mkdtempSync(join(tmpdir(), 'switchboard-e2e-queues-')), {
    exportSpans: false,
    serviceEnv: {
      CHAINS_TASK_QUEUE: Renamed.Chains,
      WEBHOOK_TASK_QUEUE: Renamed.Webhook,
      CALCOM_TASK_QUEUE: Renamed.Calcom,
      TELEPHONY_TASK_QUEUE: Renamed.Telephony,
      CRM_TASK_QUEUE: Renamed.Crm,
    },
  });
  connection = await Connection.connect({ address: stack.infra.temporalAddress });
  const saved = await stack.api('PUT', '/v1/agents/queue-desk', {
    instructions: "Book with 'Book', record the lead with 'Save Lead', then text with 'Text'.",
    actions: [
      {
        type: 'calcom_book',
        name: 'Book',
        description: 'Books a consultation in Cal.com.',
        config: { credential: 'calcom_main', event_type_id: 1001, time_zone: 'America/New_York' },
      },
      {
        type: 'crm_update',
        name: 'Save Lead',
        description: 'Records the caller as a lead in HubSpot.',
        config: { credential: 'hubspot_main', properties: { lifecyclestage: 'lead' } },
      },
      {
        type: 'send_sms',
        name: 'Text',
        description: 'Texts the caller a confirmation.',
        config: { credential: 'twilio_main', from: '+15557654321', body: 'Your consultation is booked.' },
      },
    ],
  });
  expect(saved.status).toBe(200);
}, 180_000);

afterAll(async () => {
  await connection?.close();
  await stack?.stop();
}, 60_000);

/** Activity pollers of a task queue, as Temporal reports them. */
async function activityPollers(name: string): Promise<number> {
  const described = await connection.workflowService.describeTaskQueue({
    namespace: 'default',
    taskQueue: { name, kind: proto.temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
    taskQueueType: proto.temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
  });
  return described.pollers?.length ?? 0;
}

const tool = async (conv: string, name: string, args: Record<string, unknown> = {}) => {
  const res = await stack.api('POST', `/v1/conversations/${conv}/tool-calls`, { name, arguments: args });
  expect(res.status).toBe(200);
  expect(res.body.status).toBe('succeeded');
  return res.body.outputs as Record<string, string>;
};

describe('renamed task queues (*_TASK_QUEUE)', () => {
  it('are the only ones polled', async () => {
    for (const family of ['Webhook', 'Calcom', 'Telephony', 'Crm'] as const) {
      expect(await activityPollers(Renamed[family])).toBeGreaterThan(0);
      expect(await activityPollers(TaskQueues[family])).toBe(0);
    }
  });

  it('run a webhook action on the renamed webhook queue', async () => {
    const conv = await stack.api('POST', '/v1/conversations', { agent: 'demo' });
    expect(conv.status).toBe(201);
    const before = stack.sink.requests().length;
    await tool(conv.body.id, 'save_meal', { meal_type: 'lunch', dishes: ['soup'] });
    expect(
      stack.sink
        .requests()
        .slice(before)
        .some((r) => r.path === '/meal_log'),
    ).toBe(true);
  });

  it('run a chain, the booking lifecycle it hands off and its clean-up on the renamed queues', async () => {
    const phone = '+15551110042';
    const conv = await stack.api('POST', '/v1/conversations', {
      agent: 'queue-desk',
      contact: { first_name: 'Ada', email: 'ada.queues@example.com' },
      call: { sid: `CA${'4'.repeat(32)}`, from: phone, to: '+15557654321' },
      sandbox: true,
    });
    expect(conv.status).toBe(201);
    const id = conv.body.id as string;
    const booking = await tool(id, 'Book', {
      start: `${nextMonday()}T10:00:00`,
      name: 'Ada Lovelace',
      email: 'ada.queues@example.com',
    });
    const lead = await tool(id, 'Save Lead');
    await tool(id, 'Text');
    // The lifecycle started from the session texts its confirmation request through the
    // renamed telephony queue it got with its input.
    await eventually(
      () =>
        stack.sandboxes.twilio.state().messages.some((m) => m.to === phone && /YES/.test(String(m.body)))
          ? true
          : undefined,
      30_000,
    );
    // The compensation (on the renamed chains queue) undoes through the renamed provider queues.
    const asked = await stack.api('POST', `/v1/conversations/${id}/compensate`);
    expect(asked.status).toBe(202);
    const done = await eventually(async () => {
      const listed = await stack.api('GET', `/v1/conversations/${id}/sandbox-effects`);
      return listed.body.summary.undone === 2 ? listed.body : undefined;
    }, 30_000);
    expect(done.summary.failed).toBe(0);
    expect(stack.sandboxes.calcom.state().bookings.find((b) => b.uid === booking.booking_uid)?.status).toBe(
      'cancelled',
    );
    expect(stack.sandboxes.hubspot.state().contacts.map((c) => c.id)).not.toContain(lead.contact_id);
  });
});
