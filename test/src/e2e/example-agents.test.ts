import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXAMPLE_AGENTS, exampleAgent } from '@switchboard/devstack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nextMonday } from '../support/dates.js';
import { type ApiResponse, eventually, startTestStack, type TestStack } from '../support/stack.js';
import { describeColdTransfer } from './cold-transfer.suite.js';

// The voice seed's three workflows as shipped in libs/devstack/agents/ and seeded by the dev
// stack, driven the way a voice runtime drives them (tool calls over HTTP, with a live call in
// the Twilio sandbox), through every process down to the provider sandboxes — failure paths
// included (slot taken, provider 4xx, nobody in the CRM, busy / unanswered transfers).
let stack: TestStack;

/** Acme's Twilio number: what callers dial and what SMS are sent from. */
const ACME = '+15557654321';
const SUPPORT_LINE = '+15551230001';
const SCHEDULING_LINE = '+15551230000';
const SALES_LINE = '+15551230002';

beforeAll(async () => {
  stack = await startTestStack(mkdtempSync(join(tmpdir(), 'switchboard-e2e-examples-')), {
    exportSpans: false,
    serviceEnv: {
      // A warm transfer waits as long as its whisper takes to say: speak fast here.
      TELEPHONY_SPEECH_MS_PER_CHAR: '2',
      // Unless the runtime reports the goodbye delivered, an end call waits this long to hang up:
      // long enough for a test's delivery report to come first on a loaded machine.
      END_CALL_DELIVERY_TIMEOUT_MS: '10000',
    },
  });
}, 180_000);

afterAll(async () => {
  await stack?.stop();
}, 60_000);

interface SandboxCall {
  sid: string;
  status: string;
  to: string;
  parent_call_sid: string | null;
  history: { kind: string; text?: string; target?: { address: string } }[];
}
interface SandboxParticipant {
  call_sid: string;
  to: string;
  status: string;
  final_call_status: string | null;
  announcements: { text: string | null }[];
}
interface SandboxConference {
  participants: SandboxParticipant[];
  left: SandboxParticipant[];
}
interface ResultEvent {
  kind: string;
  data: Record<string, unknown>;
}

const twilioCall = (sid: string): SandboxCall | undefined =>
  (stack.sandboxes.twilio.state().calls as unknown as SandboxCall[]).find((c) => c.sid === sid);

/** A caller on a live call (in the Twilio sandbox) talking to `agent`. */
async function liveCall(
  agent: string,
  from: string,
  contact: Record<string, string> = {},
): Promise<{ conv: string; callSid: string }> {
  const call = stack.sandboxes.twilio.createCall({ from, to: ACME });
  const callSid = String(call.sid);
  const res = await stack.api('POST', '/v1/conversations', { agent, contact, call: { sid: callSid, from, to: ACME } });
  expect(res.status).toBe(201);
  return { conv: res.body.id, callSid };
}

const tool = (conv: string, name: string, args: Record<string, unknown> = {}): Promise<ApiResponse> =>
  stack.api('POST', `/v1/conversations/${conv}/tool-calls`, { name, arguments: args });

const callControl = (res: ApiResponse, action: string): ResultEvent | undefined =>
  (res.body.events as ResultEvent[]).find((e) => e.kind === 'call_control' && e.data.action === action);

/** The conference a warm transfer moved `callSid` into, once the destination was dialled. */
function transferConference(callSid: string, destination: string): SandboxConference | undefined {
  return (stack.sandboxes.twilio.state().conferences as unknown as SandboxConference[]).find((c) => {
    const everyone = [...c.participants, ...c.left];
    return everyone.some((p) => p.call_sid === callSid) && everyone.some((p) => p.to === destination);
  });
}

describe('the shipped example agents', () => {
  it('are seeded from their files, every action Configured and the instructions lint clean', async () => {
    for (const name of EXAMPLE_AGENTS) {
      const file = exampleAgent(name);
      const res = await stack.api('GET', `/v1/agents/${name}`);
      expect(res.status, name).toBe(200);
      expect(res.body.instructions).toBe(file.instructions);
      const sources = Object.fromEntries(
        (res.body.definitions as { name: string; source: unknown }[]).map((d) => [d.name, d.source]),
      );
      expect(sources).toEqual(Object.fromEntries(file.actions.map((a) => [a.name, a])));
      expect(res.body.lint, name).toEqual([]);
      for (const action of res.body.actions as { name: string; status: string; problems: unknown[] }[]) {
        expect({ agent: name, action: action.name, status: action.status, problems: action.problems }).toEqual({
          agent: name,
          action: action.name,
          status: 'configured',
          problems: [],
        });
      }
    }
    // The earlier demo agents are still there.
    expect((await stack.api('GET', '/v1/agents/demo')).status).toBe(200);
    expect((await stack.api('GET', '/v1/agents/receptionist')).status).toBe(200);
  });
});

describe('customer support', () => {
  it('finds the account, opens an associated ticket whose number is in the reply, and transfers warm', async () => {
    const customer = stack.sandboxes.hubspot.seedContact({
      firstname: 'Ada',
      lastname: 'Lovelace',
      email: 'ada@support.example',
      phone: '+15551110001',
      lifecyclestage: 'customer',
    });
    const { conv, callSid } = await liveCall('support', '+15551110001', { first_name: 'Ada' });

    const lookup = await tool(conv, 'Lookup Customer Account');
    expect(lookup.body.status).toBe('succeeded');
    expect(lookup.body.outputs).toMatchObject({ found: true, contact_id: customer.id });
    expect(lookup.body.outputs.properties).toMatchObject({ firstname: 'Ada', lifecyclestage: 'customer' });

    const ticket = await tool(conv, 'Create Support Ticket', {
      subject: 'Invoice charged twice',
      description: 'The March invoice was charged twice to the card ending 4242.',
    });
    expect(ticket.body.status).toBe('succeeded');
    const ticketId = ticket.body.outputs.ticket_id as string;
    expect(ticket.body.messages).toEqual([`I've created ticket number ${ticketId} for you.`]);
    const stored = stack.sandboxes.hubspot.state().tickets.find((t) => t.id === ticketId);
    expect(stored?.properties.subject).toBe('[Voice] Invoice charged twice');
    expect(stored?.properties.content).toContain('Caller: +15551110001');
    expect(stored?.associations.map((a) => a.toObjectId)).toEqual([customer.id]);

    const transfer = await tool(conv, 'Transfer to Support', {
      reason: 'double charge',
      summary: `Ticket ${ticketId}.`,
    });
    expect(transfer.body.status).toBe('succeeded');
    expect(transfer.body.messages).toEqual(['Connecting you with a support specialist. Please hold.']);
    expect(callControl(transfer, 'transfer')?.data.result).toMatchObject({ status: 'connected', caller: 'bridged' });
    const conference = transferConference(callSid, SUPPORT_LINE);
    const agent = conference?.participants.find((p) => p.to === SUPPORT_LINE);
    expect(agent?.announcements.map((a) => a.text)).toEqual([`Support call: double charge. Ticket ${ticketId}.`]);
  });

  it('tells an unknown caller so, still opens a ticket, and falls back when support is busy', async () => {
    const caller = '+15551110002';
    stack.sandboxes.twilio.setDestination(SUPPORT_LINE, 'busy');
    try {
      const { conv, callSid } = await liveCall('support', caller);
      const lookup = await tool(conv, 'Lookup Customer Account');
      expect(lookup.body.status).toBe('succeeded');
      expect(lookup.body.outputs).toMatchObject({ found: false, properties: {} });

      const ticket = await tool(conv, 'Create Support Ticket', {
        subject: 'Cannot log in',
        description: 'New customer; the activation e-mail never arrived.',
      });
      expect(ticket.body.status).toBe('succeeded');
      const ticketId = ticket.body.outputs.ticket_id as string;
      expect(ticket.body.messages).toEqual([`I've created ticket number ${ticketId} for you.`]);
      const stored = stack.sandboxes.hubspot.state().tickets.find((t) => t.id === ticketId);
      expect(stored?.properties.content).toContain(`Caller: ${caller}`);
      expect(stored?.associations).toEqual([]);

      // Needs the session workflow's transfer contract: a warm transfer that does not connect
      // fails its step with `transfer_<outcome>`, so the action's on_failure speaks.
      const transfer = await tool(conv, 'Transfer to Support', { reason: 'login', summary: `Ticket ${ticketId}.` });
      expect(transfer.body.status).toBe('failed');
      expect(transfer.body.error).toMatchObject({ code: 'transfer_busy', retryable: false });
      expect(transfer.body.messages).toEqual(["I'm sorry, no one from our support team can take your call right now."]);
      // The caller is still on the line, and the support leg was busy.
      expect(twilioCall(callSid)?.status).toBe('in-progress');
      const conference = transferConference(callSid, SUPPORT_LINE);
      const supportLeg = [...(conference?.participants ?? []), ...(conference?.left ?? [])].find(
        (p) => p.to === SUPPORT_LINE,
      );
      expect(supportLeg?.final_call_status).toBe('busy');

      // The runtime says the goodbye and reports it delivered: the call ends without repeating it.
      const end = await tool(conv, 'End Call Politely');
      expect(end.body.status).toBe('succeeded');
      expect(end.body.messages).toEqual(['Thank you for calling Acme support. Goodbye!']);
      expect(callControl(end, 'end_call')).toBeDefined();
      const delivered = await stack.api('POST', `/v1/conversations/${conv}/tool-calls/${end.body.id}/delivered`);
      expect(delivered.status).toBe(202);
      const ended = await eventually(() => {
        const call = twilioCall(callSid);
        return call?.status === 'completed' ? call : undefined;
      });
      expect(ended.history.filter((h) => h.kind === 'say').map((h) => h.text)).not.toContain(
        'Thank you for calling Acme support. Goodbye!',
      );
    } finally {
      stack.sandboxes.twilio.setDestination(SUPPORT_LINE, 'answer');
    }
  });

  it('falls back with the truth when the caller hangs up while support rings (transfer_failed, caller gone)', async () => {
    // Support would answer only after two minutes: the caller gives up first.
    stack.sandboxes.twilio.setDestination(SUPPORT_LINE, { behaviour: 'answer', afterMs: 120_000 });
    try {
      const { conv, callSid } = await liveCall('support', '+15551110004');
      const transferring = tool(conv, 'Transfer to Support', { reason: 'refund', summary: 'Wants a refund.' });
      await eventually(
        () =>
          transferConference(callSid, SUPPORT_LINE)?.participants.some(
            (p) => p.to === SUPPORT_LINE && p.status === 'ringing',
          ) || undefined,
        30_000,
      );
      stack.sandboxes.twilio.hangUp(callSid);
      const transfer = await transferring;
      expect(transfer.body.status).toBe('failed');
      // Not `transfer_no_answer`: support did not fail to answer, the caller left (and the leg was stopped).
      expect(transfer.body.error).toMatchObject({
        code: 'transfer_failed',
        message: 'the caller hung up while the destination was ringing',
        retryable: false,
      });
      expect(transfer.body.messages).toEqual(["I'm sorry, no one from our support team can take your call right now."]);
      expect(callControl(transfer, 'transfer')?.data.result).toMatchObject({ status: 'failed', caller: 'gone' });
      const supportLeg = transferConference(callSid, SUPPORT_LINE)?.left.find((p) => p.to === SUPPORT_LINE);
      expect(twilioCall(supportLeg?.call_sid ?? '')?.status).toBe('canceled');
      expect(twilioCall(callSid)?.status).toBe('completed');
    } finally {
      stack.sandboxes.twilio.setDestination(SUPPORT_LINE, 'answer');
    }
  });

  it('falls back when support hangs up during the whisper: the caller stays on the line (transfer_failed)', async () => {
    stack.sandboxes.twilio.setDestination(SUPPORT_LINE, { behaviour: 'answer', hangUpAfterAnnouncementMs: 0 });
    try {
      const { conv, callSid } = await liveCall('support', '+15551110005');
      const transfer = await tool(conv, 'Transfer to Support', { reason: 'refund', summary: 'Wants a refund.' });
      expect(transfer.body.status).toBe('failed');
      expect(transfer.body.error).toMatchObject({
        code: 'transfer_failed',
        message: 'the destination hung up before the caller was connected',
        retryable: false,
      });
      expect(transfer.body.messages).toEqual(["I'm sorry, no one from our support team can take your call right now."]);
      // No TWILIO_RESUME_URL in this stack: the caller is off hold in the conference, the runtime acts.
      expect(callControl(transfer, 'transfer')?.data.result).toMatchObject({
        status: 'failed',
        caller: 'in_conference',
      });
      const supportLeg = transferConference(callSid, SUPPORT_LINE)?.left.find((p) => p.to === SUPPORT_LINE);
      expect(supportLeg?.announcements.map((a) => a.text)).toEqual(['Support call: refund. Wants a refund.']);
      expect(twilioCall(callSid)?.status).toBe('in-progress');
    } finally {
      stack.sandboxes.twilio.setDestination(SUPPORT_LINE, 'answer');
    }
  });
});

describe('appointment booking', () => {
  it('checks availability, books, texts the caller a confirmation and ends the call', async () => {
    const caller = '+15551110003';
    const { conv, callSid } = await liveCall('booking', caller, { first_name: 'Grace', email: 'grace@example.com' });
    const availability = await tool(conv, 'Check Availability', { start_date: nextMonday() });
    expect(availability.body.status).toBe('succeeded');
    expect(availability.body.outputs.available).toBe(true);
    const slot = availability.body.outputs.slots[0];

    const booked = await tool(conv, 'Book Consultation', {
      start: slot.start,
      name: 'Grace Hopper',
      email: 'grace@example.com',
    });
    expect(booked.body.status).toBe('succeeded');
    const start = booked.body.outputs.start as string;
    // Said in the caller's time zone (the action's default, America/New_York), not as ISO text.
    const ms = Date.parse(start);
    const onTheHour = new Date(ms).getUTCMinutes() === 0;
    const spoken = new Intl.DateTimeFormat('en-US', {
      timeZone: 'America/New_York',
      weekday: 'long',
      month: 'long',
      day: 'numeric',
      hour: 'numeric',
      ...(onTheHour ? {} : { minute: '2-digit' as const }),
    }).format(ms);
    expect(spoken).toMatch(/^[A-Z][a-z]+day, [A-Z][a-z]+ \d{1,2} at \d{1,2}(:\d{2})? [AP]M$/);
    expect(booked.body.messages).toEqual([`You're all set: your consultation is booked for ${spoken}.`]);
    const booking = stack.sandboxes.calcom.state().bookings.find((b) => b.uid === booked.body.outputs.booking_uid);
    expect(JSON.stringify(booking)).toContain('grace@example.com');
    expect(JSON.stringify(booking)).toContain('voice-agent');

    const sms = await tool(conv, 'Send SMS Confirmation');
    expect(sms.body.status).toBe('succeeded');
    expect(sms.body.messages).toEqual(["I've also texted you a confirmation."]);
    const text = stack.sandboxes.twilio.state().messages.find((m) => m.sid === sms.body.outputs.message_sid);
    expect(text).toMatchObject({ to: caller, from: ACME });
    expect(String(text?.body)).toContain(`your consultation is booked for ${start}`);

    // No delivery report this time: the call ends after the bounded wait, saying the goodbye itself.
    const end = await tool(conv, 'End Call Politely');
    expect(end.body.status).toBe('succeeded');
    expect(end.body.messages).toEqual(['Thanks for calling Acme. Have a great day!']);
    expect(callControl(end, 'end_call')).toBeDefined();
    const ended = await eventually(() => {
      const call = twilioCall(callSid);
      return call?.status === 'completed' ? call : undefined;
    }, 60_000);
    expect(ended.history).toContainEqual({ kind: 'say', text: 'Thanks for calling Acme. Have a great day!' });
  });

  it('apologises when the slot is taken and transfers the caller to scheduling', async () => {
    const start = `${nextMonday()}T11:00:00`;
    const other = await liveCall('booking', '+15551110004');
    const first = await tool(other.conv, 'Book Consultation', { start, name: 'Someone Else', email: 'se@example.com' });
    expect(first.body.status).toBe('succeeded');

    const { conv, callSid } = await liveCall('booking', '+15551110005');
    const taken = await tool(conv, 'Book Consultation', { start, name: 'Alan Turing', email: 'alan@example.com' });
    expect(taken.body.status).toBe('failed');
    expect(taken.body.error.retryable).toBe(false);
    expect(taken.body.messages).toEqual([
      "I'm so sorry, I couldn't book that time. I can transfer you to our scheduling team now, or have them call you back. Which would you prefer?",
    ]);

    const transfer = await tool(conv, 'Transfer to Scheduling', { reason: 'slot taken' });
    expect(transfer.body.status).toBe('succeeded');
    expect(transfer.body.messages).toEqual(['Let me connect you with our scheduling team.']);
    expect(callControl(transfer, 'transfer')?.data.result).toMatchObject({
      status: 'connected',
      mode: 'cold',
      caller: 'bridged',
    });
    const dialled = twilioCall(callSid)?.history.find((h) => h.kind === 'dial');
    expect(dialled?.target?.address).toBe(SCHEDULING_LINE);
  });

  it('when Cal.com refuses the booking, takes a callback number instead (and asks again for a bad one)', async () => {
    const { conv } = await liveCall('booking', '+15551110006', { first_name: 'Edsger' });
    const bookings = stack.sandboxes.calcom.state().bookings.length;
    stack.sandboxes.calcom.faults.add({ status: 422, count: 1, method: 'POST', pathPrefix: '/v2/bookings' });
    const refused = await tool(conv, 'Book Consultation', {
      start: `${nextMonday()}T14:00:00`,
      name: 'Edsger Dijkstra',
      email: 'edsger@example.com',
    });
    expect(refused.body.status).toBe('failed');
    expect(refused.body.error.retryable).toBe(false);
    expect(refused.body.messages[0]).toMatch(/^I'm so sorry, I couldn't book that time\./);
    expect(stack.sandboxes.calcom.state().bookings.length).toBe(bookings);

    const callbacks = () => stack.sink.requests().filter((r) => r.path === '/callback_requests');
    const before = callbacks().length;
    const garbled = await tool(conv, 'Request Callback', { phone: 'five five five' });
    expect(garbled.body.status).toBe('failed');
    expect(garbled.body.error.code).toBe('validation_failed');
    expect(garbled.body.messages).toEqual([
      "Sorry, I didn't catch a number I can use. Could you say it again, with the country code?",
    ]);
    expect(callbacks().length).toBe(before);

    const ok = await tool(conv, 'Request Callback', { phone: '+15551119999', preferred_time: 'after 3pm' });
    expect(ok.body.status).toBe('succeeded');
    expect(ok.body.messages).toEqual(['Thank you. Our scheduling team will call you back at +15551119999.']);
    const sent = callbacks().slice(before);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.body).toMatchObject({
      team: 'scheduling',
      phone: '+15551119999',
      preferred_time: 'after 3pm',
      reason: 'booking_failed',
      name: 'Edsger',
    });

    // The callback queue itself refuses: the tool's on_failure offers the transfer instead.
    stack.sink.fault({ status: 400, count: 1 });
    const queueDown = await tool(conv, 'Request Callback', { phone: '+15551119999' });
    expect(queueDown.body.status).toBe('failed');
    expect(queueDown.body.messages).toEqual([
      "I'm sorry, I couldn't pass on your callback request. Let me transfer you to our scheduling team instead.",
    ]);
  });

  it('does not text a confirmation when no phone number is known', async () => {
    const res = await stack.api('POST', '/v1/conversations', { agent: 'booking', contact: { first_name: 'Web' } });
    const sent = stack.sandboxes.twilio.state().messages.length;
    const sms = await tool(res.body.id, 'Send SMS Confirmation');
    expect(sms.body.status).toBe('failed');
    expect(sms.body.error.code).toBe('validation_failed');
    expect(sms.body.error.message).toContain('ask which number to text');
    expect(sms.body.messages).toEqual(["I couldn't send you a text confirmation just now."]);
    expect(stack.sandboxes.twilio.state().messages.length).toBe(sent);
  });
});

describe('sales qualification', () => {
  const qualified = {
    has_budget: true,
    budget: '$50k',
    decision_maker: true,
    timeline: 'this_quarter',
    need: 'Route support calls',
  };

  it('qualifies a known lead, records it in the CRM and transfers to sales with the context', async () => {
    const lead = stack.sandboxes.hubspot.seedContact({
      firstname: 'Grace',
      lastname: 'Hopper',
      email: 'grace@initech.example',
      phone: '+15552220001',
      company: 'Initech',
      industry: 'COMPUTER_SOFTWARE',
      numberofemployees: '250',
      jobtitle: 'VP Operations',
    });
    const { conv, callSid } = await liveCall('sales', '+15552220001', { first_name: 'Grace' });

    const company = await tool(conv, 'Lookup Company Data');
    expect(company.body.status).toBe('succeeded');
    expect(company.body.outputs).toMatchObject({ found: true, contact_id: lead.id });
    expect(company.body.outputs.properties).toMatchObject({ company: 'Initech', numberofemployees: '250' });

    const score = await tool(conv, 'Qualify Lead', qualified);
    expect(score.body.status).toBe('succeeded');
    expect(score.body.outputs.qualification).toMatchObject({ qualified: true, lead_status: 'OPEN_DEAL' });
    expect(score.body.messages).toEqual(["Thanks, that's really helpful. It sounds like we can help you."]);

    const update = await tool(conv, 'Update CRM Lead');
    expect(update.body.status).toBe('succeeded');
    expect(update.body.outputs.contact_id).toBe(lead.id);
    const contact = stack.sandboxes.hubspot.state().contacts.find((c) => c.id === lead.id);
    expect(contact?.properties).toMatchObject({
      hs_lead_status: 'OPEN_DEAL',
      budget: '$50k',
      purchase_timeline: 'this_quarter',
      decision_maker: 'true',
      company: 'Initech',
    });

    const transfer = await tool(conv, 'Transfer to Sales', { summary: 'Wants SSO.' });
    expect(transfer.body.status).toBe('succeeded');
    expect(transfer.body.messages).toEqual(["Great, I'm connecting you with a sales specialist now."]);
    expect(callControl(transfer, 'transfer')?.data.result).toMatchObject({ status: 'connected' });
    const rep = transferConference(callSid, SALES_LINE)?.participants.find((p) => p.to === SALES_LINE);
    expect(rep?.announcements.map((a) => a.text)).toEqual(['Lead: Initech, budget $50k, this_quarter. Wants SSO.']);
  });

  it('records an unknown, unqualified lead as a new CRM contact, thanks them and ends the call', async () => {
    const caller = '+15552220002';
    const { conv, callSid } = await liveCall('sales', caller);
    const company = await tool(conv, 'Lookup Company Data');
    expect(company.body.outputs).toMatchObject({ found: false });

    const incomplete = await tool(conv, 'Qualify Lead', { has_budget: false, timeline: 'someday' });
    expect(incomplete.body.status).toBe('failed');
    expect(incomplete.body.error.code).toBe('invalid_arguments');
    expect(incomplete.body.messages).toEqual([
      "Sorry, I didn't get all of that. Could you tell me about your budget, your timeline, and who makes the decision?",
    ]);

    const score = await tool(conv, 'Qualify Lead', { has_budget: false, decision_maker: false, timeline: 'later' });
    expect(score.body.outputs.qualification).toMatchObject({ qualified: false, lead_status: 'UNQUALIFIED' });
    expect(score.body.messages).toEqual(["Thanks, that's really helpful."]);

    const update = await tool(conv, 'Update CRM Lead');
    expect(update.body.status).toBe('succeeded');
    const created = stack.sandboxes.hubspot.state().contacts.find((c) => c.id === update.body.outputs.contact_id);
    expect(created?.properties).toMatchObject({
      phone: caller,
      hs_lead_status: 'UNQUALIFIED',
      purchase_timeline: 'later',
      decision_maker: 'false',
    });

    const end = await tool(conv, 'End Call Politely');
    expect(end.body.status).toBe('succeeded');
    expect(end.body.messages).toEqual(['Thank you for your time. Have a great day!']);
    expect(callControl(end, 'end_call')).toBeDefined();
    // The runtime reports the goodbye said: the call ends now, not after the bounded wait.
    await stack.api('POST', `/v1/conversations/${conv}/tool-calls/${end.body.id}/delivered`);
    await eventually(() => (twilioCall(callSid)?.status === 'completed' ? true : undefined), 60_000);
  });

  it('falls back when sales does not answer: the lead hears a callback promise', async () => {
    stack.sandboxes.twilio.setDestination(SALES_LINE, { behaviour: 'no-answer', afterMs: 300 });
    try {
      stack.sandboxes.hubspot.seedContact({ firstname: 'Linus', phone: '+15552220003', company: 'Globex' });
      const { conv, callSid } = await liveCall('sales', '+15552220003');
      expect((await tool(conv, 'Lookup Company Data')).body.outputs.found).toBe(true);
      expect((await tool(conv, 'Qualify Lead', qualified)).body.outputs.qualification.qualified).toBe(true);
      expect((await tool(conv, 'Update CRM Lead')).body.status).toBe('succeeded');

      // Needs the session workflow's transfer contract (`transfer_no_answer` fails the step).
      const transfer = await tool(conv, 'Transfer to Sales', { summary: 'Wants a demo.' });
      expect(transfer.body.status).toBe('failed');
      expect(transfer.body.error).toMatchObject({ code: 'transfer_no_answer', retryable: false });
      expect(transfer.body.messages).toEqual([
        "I'm sorry, our sales specialists can't take the call right now. I've passed on your details, and one of them will call you back shortly.",
      ]);
      expect(twilioCall(callSid)?.status).toBe('in-progress');
    } finally {
      stack.sandboxes.twilio.setDestination(SALES_LINE, 'answer');
    }
  });
});

describeColdTransfer(() => stack);
