/**
 * Recorder scenarios for the workflow code of session 8 (call control through the conversation's
 * channel, async result delivery, booking changes followed by lifecycles), and the helpers the
 * recorder's scenarios share. Used by `record-histories.ts`; each scenario drives the public API
 * only and checks the outcome that proves it took the branch it is there to record.
 *
 * They need a release with those features (release 10 on); copying the recorder into an older
 * release means leaving them out.
 */
import { bookingLifecycleStateQuery, bookingLifecycleWorkflowId } from '@switchboard/contracts';
import type { VapiControlSandbox } from '@switchboard/sandboxes/vapi';
import type { Client } from '@temporalio/client';
import { nextMonday } from '../support/dates.js';
import { eventually, type TestStack } from '../support/stack.js';

export function check(ok: boolean, what: string, detail?: unknown): void {
  if (!ok) throw new Error(`${what}${detail === undefined ? '' : `: ${JSON.stringify(detail)}`}`);
}

/** `POST /tool-calls` on a conversation, by action name. */
function toolOf(stack: TestStack, conversationId: string) {
  return (name: string, args: Record<string, unknown> = {}) =>
    stack.api('POST', `/v1/conversations/${conversationId}/tool-calls`, { name, arguments: args });
}

/**
 * The agents the scenarios below call: call-control built-ins, an async action whose result
 * goes to a result webhook (the sink), and booking built-ins that cancel and move a booking.
 */
export async function putScenarioAgents(stack: TestStack): Promise<void> {
  const results = await stack.api('PUT', '/v1/credentials/results_key', {
    provider: 'http',
    secret: { secret: 'whsec-record-histories' },
  });
  check(results.status === 200, 'results credential', results.body);
  const agents: [string, unknown][] = [
    [
      'switch',
      {
        instructions: "Use 'Transfer to Support', 'End Call' and 'Give Time' to control the call.",
        actions: [
          {
            type: 'transfer_call',
            name: 'Transfer to Support',
            description: 'Transfers the caller to support.',
            config: { destination: '+15550109999', mode: 'cold', transfer_message: 'Connecting you to support.' },
          },
          {
            type: 'end_call',
            name: 'End Call',
            description: 'Ends the call.',
            config: { final_message: 'Goodbye!', failure_message: 'Sorry, I could not hang up.' },
          },
          {
            type: 'pause_inactivity_timer',
            name: 'Give Time',
            description: 'Gives the caller time.',
            config: { duration_seconds: 60, message: 'Take your time.' },
          },
        ],
      },
    ],
    [
      'reporter',
      {
        instructions: "Use 'build_report' for reports.",
        result_webhook: { url: `${stack.sink.url}/results`, credential: 'results_key', allow_private: true },
        actions: [
          {
            name: 'build_report',
            description: 'Builds a report; takes a while.',
            async: true,
            target: 'webhook://orders',
            inputs: { topic: { type: 'string', description: 'Report topic', is_required: true } },
          },
        ],
      },
    ],
    [
      'desk',
      {
        instructions: "Use 'Book', 'Text Confirmation', 'Cancel' and 'Move' for appointments.",
        actions: [
          {
            type: 'calcom_book',
            name: 'Book',
            description: 'Books a consultation.',
            config: { credential: 'calcom_main', time_zone: 'America/New_York', event_type_id: 1001 },
          },
          {
            type: 'send_sms',
            name: 'Text Confirmation',
            description: 'Texts the caller a confirmation.',
            config: { credential: 'twilio_main', from: '+15557654321', body: 'Booked for {{calcom_booking.start}}.' },
          },
          {
            type: 'cancel_booking',
            name: 'Cancel',
            description: 'Cancels an appointment.',
            config: { credential: 'calcom_main', time_zone: 'America/New_York' },
          },
          {
            type: 'reschedule_booking',
            name: 'Move',
            description: 'Moves an appointment.',
            config: { credential: 'calcom_main', time_zone: 'America/New_York', event_type_id: 1001 },
          },
        ],
      },
    ],
  ];
  for (const [name, agent] of agents) {
    const saved = await stack.api('PUT', `/v1/agents/${name}`, agent);
    check(saved.status === 200, `agent ${name}`, saved.body);
  }
}

/**
 * Call-control steps through the conversation's channel (`channels-call-control`): a Vapi call
 * transferred and one ended on their control URLs (the local stand-in), an inactivity pause on
 * a Twilio call, and an end call refused on a conversation without a call (channel `none`).
 */
export async function callsControlled(stack: TestStack, vapi: VapiControlSandbox): Promise<void> {
  for (const [n, name] of [
    [1, 'Transfer to Support'],
    [2, 'End Call'],
  ] as const) {
    const callId = `record-vapi-${n}-${Date.now()}`;
    const res = await stack.api('POST', '/v1/dropin/vapi/switch', {
      message: {
        type: 'tool-calls',
        toolCallList: [{ id: `tc_record_${n}`, type: 'function', function: { name, arguments: {} } }],
        call: { id: callId, type: 'webCall', monitor: { controlUrl: vapi.controlUrl(callId) } },
      },
    });
    check(res.status === 200 && res.body.results?.[0]?.error === undefined, `vapi ${name}`, res.body);
    check(vapi.call(callId)?.status !== 'in-progress', `vapi call ${name} on the control URL`, vapi.call(callId));
  }
  const twilio = await stack.api('POST', '/v1/conversations', {
    agent: 'switch',
    call: { sid: `CA${'9'.repeat(32)}`, from: '+15551115555', to: '+15557654321' },
  });
  check(twilio.status === 201 && twilio.body.channel === 'twilio', 'twilio conversation', twilio.body);
  const paused = await toolOf(stack, twilio.body.id)('Give Time');
  check(paused.body.status === 'succeeded', 'inactivity paused on twilio', paused.body);
  const none = await stack.api('POST', '/v1/conversations', { agent: 'switch' });
  check(none.status === 201 && none.body.channel === 'none', 'conversation without a call', none.body);
  const refused = await toolOf(stack, none.body.id)('End Call');
  check(refused.body.error?.code === 'no_call_control', 'end call refused on none', refused.body);
}

/**
 * An async action (`async-result-delivery`): answered `running`, its result then delivered to
 * the agent's result webhook by a `resultDelivery` workflow.
 */
export async function resultDelivered(stack: TestStack): Promise<void> {
  const conv = await stack.api('POST', '/v1/conversations', { agent: 'reporter' });
  check(conv.status === 201, 'reporter conversation', conv.body);
  // The sink holds the chain's webhook call until the answer is out: answered early, whatever the load.
  stack.sink.hold();
  const res = await toolOf(stack, conv.body.id)('build_report', { topic: 'sales' }).finally(() => stack.sink.release());
  check(res.status === 202 && res.body.status === 'running', 'answered running', res.body);
  await eventually(async () => {
    const run = await stack.api('GET', `/v1/runs/${res.body.id}`);
    return run.body.deliveries?.webhook?.status === 'delivered' ? true : undefined;
  }, 60_000);
}

/**
 * Two booked and texted calls whose booking the caller then changes (`booking-follow-changes` in
 * the session, `booking-lifecycle-changes` in the lifecycle): one cancelled, its lifecycle
 * ending; one moved, its lifecycle following the new uid and start.
 */
export async function bookingsChanged(stack: TestStack, client: Client): Promise<void> {
  const day = nextMonday(7);
  const lifecycleOf = (uid: string) =>
    client.workflow.getHandle(bookingLifecycleWorkflowId(stack.seed.tenantId, uid)).query(bookingLifecycleStateQuery);
  for (const [n, change] of [
    [1, 'Cancel'],
    [2, 'Move'],
  ] as const) {
    const email = `changer${n}@example.com`;
    const conv = await stack.api('POST', '/v1/conversations', {
      agent: 'desk',
      contact: { first_name: 'Ada', email },
      call: { sid: `CA${String(n).repeat(32)}`, from: `+1555300000${n}`, to: '+15557654321' },
    });
    check(conv.status === 201, 'desk conversation', conv.body);
    const tool = toolOf(stack, conv.body.id);
    const booked = await tool('Book', { start: `${day}T1${n}:00:00`, name: 'Ada Lovelace', email });
    check(booked.body.status === 'succeeded', 'booked', booked.body);
    const uid = booked.body.outputs.booking_uid as string;
    check((await tool('Text Confirmation')).body.status === 'succeeded', 'texted');
    await eventually(async () => ((await lifecycleOf(uid).catch(() => undefined)) ? true : undefined), 30_000);
    const changed =
      change === 'Cancel'
        ? await tool('Cancel', { booking_uid: uid })
        : await tool('Move', { booking_uid: uid, start: `${day}T1${n}:30:00` });
    check(changed.body.status === 'succeeded', change, changed.body);
    await eventually(async () => {
      const state = await lifecycleOf(uid);
      const followed = change === 'Cancel' ? state.status === 'cancelled' : state.bookingUid !== uid;
      return followed ? true : undefined;
    }, 30_000);
  }
}
