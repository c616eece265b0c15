import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findJaeger } from '@switchboard/devstack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nextMonday } from '../support/dates.js';
import { type FakeLlm, startFakeLlm } from '../support/fake-llm.js';
import { expectChain, type Hop, rootsOf, traceWith } from '../support/jaeger-traces.js';
import { startTestStack, type TestStack } from '../support/stack.js';

// The traces of booking chains as an operator finds them: every service exports to a real
// Jaeger (the pinned build, in-memory storage), and the trace is read back from Jaeger's query
// API by the trace id the run API gives. One tool call runs one built-in action, which talks to
// one provider; the request that runs several (CRM, Cal.com, Twilio, a webhook) is an agent turn,
// where the model calls one action after another. CI installs Jaeger: there this runs, never skips.
const installed = findJaeger();
const run = 'path' in installed || process.env.CI === 'true';
if (!run && 'missing' in installed) console.warn(`skipping the Jaeger trace tests: ${installed.missing}`);

let stack: TestStack;
let llm: FakeLlm;
const CALLER = '+15551112222';
const jaegerUrl = () => stack.jaeger?.url ?? '';

beforeAll(async () => {
  if (!run) return;
  llm = await startFakeLlm();
  stack = await startTestStack(mkdtempSync(join(tmpdir(), 'switchboard-e2e-jaeger-')), { jaeger: true });
  expect(
    (await stack.api('PUT', '/v1/endpoints/bookings_log', { url: `${stack.sink.url}/bookings`, allow_private: true }))
      .status,
  ).toBe(200);
  expect(
    (await stack.api('PUT', '/v1/credentials/llm_main', { provider: 'openai', secret: { apiKey: 'sk-fake' } })).status,
  ).toBe(200);
  const calcom = { credential: 'calcom_main', event_type_id: 1001, time_zone: 'America/New_York' };
  const saved = await stack.api('PUT', '/v1/agents/front_desk', {
    instructions: "You are Acme's receptionist. Book consultations.",
    actions: [
      {
        type: 'crm_lookup',
        name: 'Look Up Caller',
        description: 'Finds the caller in the CRM.',
        config: { credential: 'hubspot_main' },
      },
      {
        type: 'calcom_check_availability',
        name: 'Check Availability',
        description: 'Finds free slots.',
        config: calcom,
      },
      { type: 'calcom_book', name: 'Book Consultation', description: 'Books a consultation.', config: calcom },
      {
        type: 'send_sms',
        name: 'Send SMS Confirmation',
        description: 'Texts the caller a confirmation.',
        config: { credential: 'twilio_main', from: '+15557654321', body: 'Booked for {{calcom_booking.start}}.' },
      },
      {
        name: 'log_booking',
        description: 'Tells the back office about the booking.',
        parameters: [{ name: 'start', type: 'string', required: true, description: 'Start of the booking.' }],
        actions: [{ type: 'webhook', endpoint: 'bookings_log', payload: { start: 'params.start' } }],
      },
    ],
    llm: { base_url: llm.url, model: 'fake-model', credential: 'llm_main', allow_private: true },
  });
  expect(saved.status, JSON.stringify(saved.body)).toBe(200);
}, 240_000);

afterAll(async () => {
  await stack?.stop();
  await llm?.close();
}, 60_000);

async function callerConversation(): Promise<string> {
  const res = await stack.api('POST', '/v1/conversations', {
    agent: 'front_desk',
    contact: { first_name: 'Ada', email: 'ada@example.com' },
    call: { sid: `CA${'2'.repeat(32)}`, from: CALLER, to: '+15557654321' },
  });
  expect(res.status).toBe(201);
  return res.body.id;
}

/** The trace id of a run, as the run API gives it. */
async function traceIdOf(runId: string): Promise<string> {
  const res = await stack.api('GET', `/v1/runs/${runId}`);
  expect(res.status).toBe(200);
  expect(res.body.traceId).toMatch(/^[0-9a-f]{32}$/);
  return res.body.traceId;
}

describe.runIf(run)('booking traces in Jaeger', () => {
  it('shows one booking tool call from the HTTP request to the Cal.com request', async () => {
    const conv = await callerConversation();
    const booked = await stack.api('POST', `/v1/conversations/${conv}/tool-calls`, {
      name: 'Book Consultation',
      arguments: { start: `${nextMonday()}T10:00:00`, name: 'Ada Lovelace', email: 'ada@example.com' },
    });
    expect(booked.body.status, JSON.stringify(booked.body)).toBe('succeeded');
    const hops: Hop[] = [
      { service: 'conversation', name: /^POST \/v1\/conversations\/:id\/tool-calls$/ },
      { service: 'conversation', name: /^publish SB_INTENTS$/ },
      { service: 'orchestrator', name: /^consume SB_INTENTS$/ },
      { service: 'orchestrator', name: /^chain Book Consultation$/ },
      { service: 'orchestrator', name: /^StartActivity:calcom\.book$/ },
      { service: 'calcom-worker', name: /^RunActivity:calcom\.book$/ },
      { service: 'calcom-worker', name: /^POST calcom\.bookings\.create$/ },
    ];
    const spans = await traceWith(jaegerUrl(), await traceIdOf(booked.body.id), hops);
    expectChain(spans, hops);
  });

  it("shows a booking turn as one tree across six services, the booking lifecycle's first SMS included", async () => {
    const conv = await callerConversation();
    const start = `${nextMonday()}T11:00:00`;
    llm.script(
      {
        tool_calls: [
          { name: 'look_up_caller', arguments: {} },
          { name: 'check_availability', arguments: { start_date: nextMonday() } },
        ],
      },
      {
        tool_calls: [
          { name: 'book_consultation', arguments: { start, name: 'Ada Lovelace', email: 'ada@example.com' } },
        ],
      },
      {
        tool_calls: [
          { name: 'send_sms_confirmation', arguments: {} },
          { name: 'log_booking', arguments: { start } },
        ],
      },
      { content: "You're booked, and I've texted you the details." },
    );
    const turn = await stack.api('POST', `/v1/conversations/${conv}/turns`, { text: 'Book me in on Monday at 11.' });
    expect(turn.status, JSON.stringify(turn.body)).toBe(200);
    const actions = turn.body.actions as { name: string; call_id: string; status: string }[];
    expect(actions.map((a) => a.name)).toEqual([
      'Look Up Caller',
      'Check Availability',
      'Book Consultation',
      'Send SMS Confirmation',
      'log_booking',
    ]);
    const book = actions.find((a) => a.name === 'Book Consultation');
    expect(book?.status).toBe('succeeded');
    const traceId = await traceIdOf(book?.call_id ?? '');
    // Every run of the turn belongs to the turn's trace.
    for (const a of actions) expect(await traceIdOf(a.call_id)).toBe(traceId);

    const root: Hop = { service: 'conversation', name: /^POST \/v1\/conversations\/:id\/turns$/ };
    // Each provider family's chain: request → publish → consume → chain → activity → provider request.
    const chain = (action: string, worker: string, activity: string, request: string): Hop[] => [
      root,
      { service: 'conversation', name: /^publish SB_INTENTS$/ },
      { service: 'orchestrator', name: /^consume SB_INTENTS$/ },
      { service: 'orchestrator', name: new RegExp(`^chain ${action}$`) },
      { service: 'orchestrator', name: new RegExp(`^StartActivity:${activity}$`) },
      { service: worker, name: new RegExp(`^RunActivity:${activity}$`) },
      { service: worker, name: new RegExp(`^${request}$`) },
    ];
    const chains = [
      chain('Look Up Caller', 'crm-worker', 'crm\\.lookup', 'POST hubspot\\.contacts\\.search'),
      chain('Book Consultation', 'calcom-worker', 'calcom\\.book', 'POST calcom\\.bookings\\.create'),
      chain('Send SMS Confirmation', 'telephony-worker', 'sms\\.send', 'POST twilio\\.messages\\.create'),
      chain('log_booking', 'webhook-worker', 'callWebhook', 'POST bookings_log'),
    ];
    // The booking lifecycle the SMS started texts its confirmation request inside the same trace.
    const lifecycle: Hop[] = [
      { service: 'orchestrator', name: /^chain Send SMS Confirmation$/ },
      { service: 'orchestrator', name: /^StartWorkflow:bookingLifecycle$/ },
      { service: 'telephony-worker', name: /^RunActivity:sms\.send$/ },
      { service: 'telephony-worker', name: /^POST twilio\.messages\.create$/ },
    ];
    const spans = await traceWith(jaegerUrl(), traceId, [...chains.flat(), ...lifecycle]);
    for (const hops of [...chains, lifecycle]) expectChain(spans, hops);

    const services = new Set(spans.map((s) => s.service));
    expect([...services].sort()).toEqual([
      'calcom-worker',
      'conversation',
      'crm-worker',
      'orchestrator',
      'telephony-worker',
      'webhook-worker',
    ]);
    // One tree, rooted at the request: every other span's parent is in the trace.
    expect(rootsOf(spans).map((s) => `${s.service}: ${s.name}`)).toEqual([
      'conversation: POST /v1/conversations/:id/turns',
    ]);
  });
});
