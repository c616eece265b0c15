import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type CompensationReport,
  SANDBOX_COMPENSATION_WORKFLOW,
  sandboxCompensationWorkflowId,
} from '@switchboard/chains';
import { TaskQueues } from '@switchboard/contracts';
import { createApiKey, createTenant } from '@switchboard/db';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nextMonday } from '../support/dates.js';
import { eventually, startTestStack, type TestStack } from '../support/stack.js';
import { describeTestCallCleanup } from './test-call-cleanup.suite.js';

// Test calls: every side effect a sandbox conversation made is recorded by the provider worker
// that made it, and one request undoes them (newest first) against the provider sandboxes.
let stack: TestStack;
let temporalConnection: Connection;
let temporal: Client;

beforeAll(async () => {
  stack = await startTestStack(mkdtempSync(join(tmpdir(), 'switchboard-e2e-sandbox-')), { exportSpans: false });
  temporalConnection = await Connection.connect({ address: stack.infra.temporalAddress });
  temporal = new Client({ connection: temporalConnection });
  const saved = await stack.api('PUT', '/v1/agents/test-desk', {
    instructions:
      "Book with 'Book Consultation', record the lead with 'Save Lead', open a ticket with 'Open Ticket', then text with 'Text Confirmation'.",
    actions: [
      {
        type: 'calcom_book',
        name: 'Book Consultation',
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
        type: 'crm_create_ticket',
        name: 'Open Ticket',
        description: 'Opens a support ticket in HubSpot.',
        config: { credential: 'hubspot_main' },
      },
      {
        type: 'send_sms',
        name: 'Text Confirmation',
        description: 'Texts the caller a confirmation.',
        config: { credential: 'twilio_main', from: '+15557654321', body: 'Your consultation is booked.' },
      },
    ],
  });
  expect(saved.status).toBe(200);
}, 180_000);

afterAll(async () => {
  await temporalConnection?.close();
  await stack?.stop();
}, 60_000);

let caller = 0;
async function conversation(sandbox: boolean): Promise<{ id: string; email: string }> {
  const email = `caller${++caller}@example.com`;
  const res = await stack.api('POST', '/v1/conversations', {
    agent: 'test-desk',
    contact: { first_name: 'Ada', email },
    // Its own caller number too: the CRM finds contacts by phone, and each test call must make its own.
    call: {
      sid: `CA${String(caller).padStart(32, '0')}`,
      from: `+1555111${String(caller).padStart(4, '0')}`,
      to: '+15557654321',
    },
    ...(sandbox ? { sandbox: true } : {}),
  });
  expect(res.status).toBe(201);
  expect(res.body.sandbox).toBe(sandbox);
  return { id: res.body.id, email };
}

/** A tool call that must succeed: its outputs, and its run id. */
const tool = async (
  conv: string,
  name: string,
  args: Record<string, unknown> = {},
): Promise<{ runId: string; [output: string]: string }> => {
  const res = await stack.api('POST', `/v1/conversations/${conv}/tool-calls`, { name, arguments: args });
  expect(res.body.status).toBe('succeeded');
  return { ...(res.body.outputs as Record<string, string>), runId: res.body.id as string };
};

/** Books, saves the lead (a new contact), opens a ticket; optionally texts (irreversible). */
async function useEverything(conv: { id: string; email: string }, hour: number, text: boolean) {
  const booking = await tool(conv.id, 'Book Consultation', {
    start: `${nextMonday()}T${String(hour).padStart(2, '0')}:00:00`,
    name: 'Ada Lovelace',
    email: conv.email,
  });
  const lead = await tool(conv.id, 'Save Lead');
  const ticket = await tool(conv.id, 'Open Ticket', { subject: `Test ${conv.id}`, description: 'Please call back.' });
  const sms = text ? await tool(conv.id, 'Text Confirmation') : undefined;
  return {
    bookingUid: booking.booking_uid as string,
    contactId: lead.contact_id as string,
    ticketId: ticket.ticket_id as string,
    smsRunId: sms?.runId,
  };
}

/** What the sandboxes hold, read as a user would: `GET /_sandbox/state`. */
async function sandboxState() {
  const read = async (url: string) => (await (await fetch(`${url}/_sandbox/state`)).json()) as Record<string, unknown>;
  const [calcom, hubspot] = await Promise.all([read(stack.sandboxes.urls.calcom), read(stack.sandboxes.urls.hubspot)]);
  return {
    bookingStatus: (uid: string) =>
      (calcom.bookings as { uid: string; status: string }[]).find((b) => b.uid === uid)?.status,
    ticketIds: (hubspot.tickets as { id: string }[]).map((t) => t.id),
    contactIds: (hubspot.contacts as { id: string }[]).map((c) => c.id),
  };
}

const effectsOf = (conv: string) => stack.api('GET', `/v1/conversations/${conv}/sandbox-effects`);

describe('test calls (sandbox conversations)', () => {
  it('records what a test call did, and refuses clean-up of real calls and of other tenants', async () => {
    const test = await conversation(true);
    const real = await conversation(false);
    const made = await useEverything(test, 10, true);
    await useEverything(real, 11, false);

    const listed = await effectsOf(test.id);
    expect(listed.status).toBe(200);
    expect(listed.body.sandbox).toBe(true);
    expect(listed.body.summary).toMatchObject({ pending: 3, undone: 0, failed: 0 });
    const effects: Record<string, unknown>[] = listed.body.effects;
    expect(
      effects.filter((e) => e.state === 'pending').map((e) => [e.operation, e.providerRef, e.undoOperation]),
    ).toEqual([
      ['calcom.book', made.bookingUid, 'calcom.cancel'],
      ['crm.update', made.contactId, 'crm.archive_contact'],
      ['crm.ticket', made.ticketId, 'crm.archive_ticket'],
    ]);
    // The texts (the tool's, and the booking lifecycle's confirmation request) cannot be undone.
    const texts = effects.filter((e) => e.state === 'irreversible');
    expect(texts.length).toBe(listed.body.summary.irreversible);
    expect(texts.every((e) => e.operation === 'sms.send' && e.undoOperation === null)).toBe(true);
    expect(texts.find((e) => e.runId === made.smsRunId)).toMatchObject({
      providerRef: expect.stringMatching(/^SM/),
      reason: 'a sent SMS cannot be recalled',
    });
    const realEffects = await effectsOf(real.id);
    expect(realEffects.body).toMatchObject({ sandbox: false, effects: [] });

    const refused = await stack.api('POST', `/v1/conversations/${real.id}/compensate`);
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('conflict');

    const other = await createTenant(stack.db, 'sandbox-other');
    const { key } = await createApiKey(stack.db, other.id);
    const asOther = { authorization: `Bearer ${key}` };
    expect((await stack.api('POST', `/v1/conversations/${test.id}/compensate`, undefined, asOther)).status).toBe(404);
    expect((await stack.api('GET', `/v1/conversations/${test.id}/sandbox-effects`, undefined, asOther)).status).toBe(
      404,
    );
    expect((await stack.api('POST', '/v1/conversations/conv_000000000000000000000000/compensate')).status).toBe(404);
  });

  it('undoes a test call newest first through the compensation workflow, leaving real calls alone', async () => {
    const test = await conversation(true);
    const real = await conversation(false);
    const made = await useEverything(test, 13, true);
    const kept = await useEverything(real, 14, false);

    // Started the way the orchestrator starts it for a COMPENSATE control.
    const start = () =>
      temporal.workflow.start(SANDBOX_COMPENSATION_WORKFLOW, {
        workflowId: sandboxCompensationWorkflowId(stack.seed.tenantId, test.id),
        taskQueue: TaskQueues.Chains,
        args: [{ tenantId: stack.seed.tenantId, conversationId: test.id }],
        workflowIdConflictPolicy: 'USE_EXISTING',
        workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      });
    const report: CompensationReport = await (await start()).result();
    expect(report.undone.map((e) => e.operation)).toEqual(['crm.ticket', 'crm.update', 'calcom.book']);
    expect(report.irreversible.length).toBeGreaterThanOrEqual(1);
    expect(
      report.irreversible.every((e) => e.operation === 'sms.send' && e.reason === 'a sent SMS cannot be recalled'),
    ).toBe(true);
    expect(report.failed).toEqual([]);

    const state = await sandboxState();
    expect(state.bookingStatus(made.bookingUid)).toBe('cancelled');
    expect(state.ticketIds).not.toContain(made.ticketId);
    expect(state.contactIds).not.toContain(made.contactId);
    expect(state.bookingStatus(kept.bookingUid)).toBe('accepted');
    expect(state.ticketIds).toContain(kept.ticketId);
    expect(state.contactIds).toContain(kept.contactId);

    const listed = await effectsOf(test.id);
    expect(listed.body.summary).toEqual({
      pending: 0,
      undone: 3,
      failed: 0,
      irreversible: report.irreversible.length,
    });
    // Again after it finished: it runs anew and finds nothing left to undo.
    expect(await (await start()).result()).toEqual({ undone: [], irreversible: report.irreversible, failed: [] });
  });

  it('cleans up when asked through the API (POST /compensate), and a repeat is harmless', async () => {
    const test = await conversation(true);
    const made = await useEverything(test, 15, false);

    const asked = await stack.api('POST', `/v1/conversations/${test.id}/compensate`);
    expect(asked.status).toBe(202);
    expect(asked.body).toMatchObject({ status: 'accepted', effects: { pending: 3 } });
    const done = await eventually(async () => {
      const listed = await effectsOf(test.id);
      return listed.body.summary.undone === 3 ? listed.body : undefined;
    }, 30_000);
    expect(done.effects.every((e: { state: string }) => e.state === 'undone')).toBe(true);
    const state = await sandboxState();
    expect(state.bookingStatus(made.bookingUid)).toBe('cancelled');
    expect(state.ticketIds).not.toContain(made.ticketId);
    expect(state.contactIds).not.toContain(made.contactId);

    const again = await stack.api('POST', `/v1/conversations/${test.id}/compensate`, undefined, {
      'idempotency-key': 'again',
    });
    expect(again.status).toBe(202);
    expect(again.body.effects).toMatchObject({ pending: 0, undone: 3, failed: 0 });
  });
});

describeTestCallCleanup(() => stack);
