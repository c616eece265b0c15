import { readdirSync, readFileSync } from 'node:fs';
import { type JsonValue, SwitchboardError, ValidationError } from '@switchboard/common';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validateCanonicalAction } from '../canonical.js';
import {
  type ChainState,
  type EffectExecutor,
  type EffectRequest,
  emptyState,
  type InterpretResult,
  interpret,
} from '../interpreter.js';
import type { CanonicalAction } from '../model.js';
import { builtinReferences, parseBuiltinAction, resolveBuiltinConfig, validateBuiltinAction } from './catalog.js';
import { KIND_DEFINITIONS, resultKeyFromName } from './definitions.js';
import { BUILTIN_CATALOG, BUILTIN_KINDS } from './kinds.js';
import {
  applyResponseMapping,
  BuiltinOperations,
  buildRequestPath,
  type HttpRequestInput,
  joinTextParts,
} from './operations.js';

const examplesDir = new URL('../../schemas/builtin-examples/', import.meta.url);
const examples = readdirSync(examplesDir)
  .filter((file) => file.endsWith('.builtin.json'))
  .map(
    (file) => [file, JSON.parse(readFileSync(new URL(file, examplesDir), 'utf8')) as Record<string, unknown>] as const,
  );
const example = (file: string): Record<string, unknown> => {
  const found = examples.find(([name]) => name === file);
  if (found === undefined) throw new Error(`no example ${file}`);
  return structuredClone(found[1]);
};

/** Records every request; answers by operation, or throws the configured error. */
class FakeExecutor implements EffectExecutor {
  readonly requests: EffectRequest[] = [];
  constructor(private readonly answers: Record<string, JsonValue | Error | ((r: EffectRequest) => JsonValue)> = {}) {}
  async execute(request: EffectRequest): Promise<JsonValue> {
    this.requests.push(structuredClone(request));
    const answer = this.answers[request.operation ?? request.endpoint ?? ''];
    if (answer instanceof Error) throw answer;
    if (typeof answer === 'function') return answer(request);
    return answer ?? { status: 'ok' };
  }
}

const CALL_STATE = (): ChainState => ({
  ...emptyState(),
  context: {
    call: { sid: 'CA0123456789abcdef0123456789abcdef', from: '+15559876543' },
    contact: { first_name: 'Ada', email: 'ada@example.com' },
  },
});

async function run(
  action: CanonicalAction,
  params: Record<string, JsonValue>,
  executor: FakeExecutor,
  state: ChainState = CALL_STATE(),
): Promise<InterpretResult> {
  return interpret({ action, params, state }, executor);
}

const says = (result: InterpretResult): string[] =>
  result.events.flatMap((event) => (event.type === 'respond' ? [event.message] : []));

function issuesOf(doc: unknown): { pointer: string; message: string }[] {
  return validateBuiltinAction(doc).map(({ pointer, message }) => ({ pointer, message }));
}

describe('the built-in catalog', () => {
  it('has thirteen kinds in two categories, each with a definition and an operation', () => {
    expect(BUILTIN_KINDS).toEqual([
      'transfer_call',
      'end_call',
      'pause_inactivity_timer',
      'resume_inactivity_timer',
      'calcom_check_availability',
      'calcom_book',
      'cancel_booking',
      'reschedule_booking',
      'send_sms',
      'crm_lookup',
      'crm_update',
      'crm_create_ticket',
      'custom_api',
    ]);
    for (const kind of BUILTIN_KINDS) {
      expect(KIND_DEFINITIONS[kind]).toBeDefined();
      expect(Object.values(BuiltinOperations)).toContain(BUILTIN_CATALOG[kind].operation);
    }
    expect(BUILTIN_KINDS.filter((k) => BUILTIN_CATALOG[k].category === 'call_control')).toEqual([
      'transfer_call',
      'end_call',
      'pause_inactivity_timer',
      'resume_inactivity_timer',
    ]);
  });

  it('has a valid example of every kind', () => {
    const kinds = new Set(examples.map(([, doc]) => doc.type));
    expect([...kinds].sort()).toEqual([...BUILTIN_KINDS].sort());
  });
});

describe.each(examples)('example %s', (_file, doc) => {
  it('validates, parses into a canonical action that validates, and survives a JSON round trip', () => {
    expect(validateBuiltinAction(doc)).toEqual([]);
    const action = parseBuiltinAction(doc);
    expect(action.source).toBe('builtin');
    expect(action.name).toBe(doc.name);
    expect(action.description).toBe(doc.description);
    expect(validateCanonicalAction(action)).toEqual([]);
    expect(JSON.parse(JSON.stringify(action))).toEqual(action);
    for (const step of action.steps)
      expect(['provider', 'conditional', 'validate', 'context.get']).toContain(step.type);
  });
});

describe('transfer_call', () => {
  it('warm to a SIP address: whisper, hold music, summary, and the transfer message said on success', async () => {
    const action = parseBuiltinAction(example('transfer_to_support.builtin.json'));
    expect(action.parameters.map((p) => [p.name, p.type, p.required])).toEqual([
      ['reason', 'string', false],
      ['summary', 'string', false],
    ]);
    const executor = new FakeExecutor({ 'telephony.transfer': { status: 'connected' } });
    const result = await run(action, { reason: 'billing dispute', summary: 'Invoice 42 charged twice.' }, executor);
    expect(result.status).toBe('succeeded');
    expect(executor.requests).toEqual([
      {
        kind: 'provider',
        stepPointer: '/actions/0',
        operation: 'telephony.transfer',
        payload: {
          call_sid: 'CA0123456789abcdef0123456789abcdef',
          destination: { kind: 'sip', address: 'sip:support@pbx.example.com;transport=tls' },
          mode: 'warm',
          message: ["I'm connecting you with a support specialist now. Please hold."],
          ring_timeout_seconds: 25,
          reason: 'billing dispute',
          hold_music_url: 'https://cdn.example.com/audio/hold.mp3',
          whisper: ['Support transfer. Reason: ', 'billing dispute', '. ', 'Invoice 42 charged twice.'],
          summary: 'Invoice 42 charged twice.',
        },
      },
    ]);
    const payload = executor.requests[0]?.payload as Record<string, JsonValue>;
    expect(joinTextParts(payload.whisper)).toBe('Support transfer. Reason: billing dispute. Invoice 42 charged twice.');
    expect(says(result)).toEqual(["I'm connecting you with a support specialist now. Please hold."]);
  });

  it('cold to an E.164 number: no warm-only members; defaults apply', async () => {
    const action = parseBuiltinAction(example('transfer_to_billing.builtin.json'));
    expect(action.parameters.map((p) => p.name)).toEqual(['reason']);
    const executor = new FakeExecutor();
    const result = await run(action, {}, executor);
    expect(result.status).toBe('succeeded');
    expect(executor.requests[0]?.payload).toEqual({
      call_sid: 'CA0123456789abcdef0123456789abcdef',
      destination: { kind: 'phone', address: '+15551234567' },
      mode: 'cold',
      message: ['Let me transfer you to our billing department.'],
      ring_timeout_seconds: 30,
    });
  });

  it('says the failure message when the transfer fails', async () => {
    const action = parseBuiltinAction(example('transfer_to_support.builtin.json'));
    const executor = new FakeExecutor({
      'telephony.transfer': new SwitchboardError('destination_busy', 'the destination is busy'),
    });
    const result = await run(action, {}, executor);
    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({ code: 'destination_busy', stepPointer: '/actions/0' });
    expect(says(result)).toEqual(["I'm sorry, no one from support is available right now."]);
  });

  it('reports several mistakes at once', () => {
    const doc = {
      type: 'transfer_call',
      name: 'Transfer',
      description: 'Transfers the caller.',
      config: { destination: '5551234567', mode: 'hot', ring_timeout_seconds: 500, transfer_message: 'Hi {{parms.x}}' },
    };
    expect(validateBuiltinAction(doc)).toEqual([
      {
        pointer: '/config/destination',
        message: '"5551234567" is not a valid E.164 number: an E.164 number starts with \'+\' and the country code',
        expected: 'an E.164 number such as +15551234567 or a SIP URI such as sip:support@example.com',
        found: 'string "5551234567"',
        suggestion: '+15551234567',
      },
      {
        pointer: '/config/mode',
        message: 'string "hot" is not one of cold, warm',
        expected: 'one of cold, warm',
        found: 'string "hot"',
      },
      {
        pointer: '/config/transfer_message',
        message:
          "template: placeholder '{{parms.x}}' reads context key 'parms' — did you mean the 'params' scope? (write 'context.parms.x' if the context key is intended) (at offset 3)",
        found: '"Hi {{parms.x}}"',
        suggestion: '{{params.x}}',
      },
      {
        pointer: '/config/ring_timeout_seconds',
        message: 'must be from 5 to 120',
        expected: 'a whole number from 5 to 120',
        found: 'number 500',
        suggestion: '120',
      },
    ]);
    expect(() => parseBuiltinAction(doc)).toThrow(ValidationError);
    try {
      parseBuiltinAction(doc);
    } catch (err) {
      expect((err as ValidationError).issues).toHaveLength(4);
      expect((err as ValidationError).message).toMatch(/^built-in action 'Transfer' is invalid \(4 issues\)/);
    }
  });

  it('rejects a malformed SIP address and warm-only settings on a cold transfer', () => {
    expect(
      issuesOf({
        type: 'transfer_call',
        name: 'T',
        description: 'd',
        config: { destination: 'sip:@x', whisper_message: 'hi', hold_music: 'https://a.example/c.mp3' },
      }),
    ).toEqual([
      {
        pointer: '/config/destination',
        message: '"sip:@x" is not a valid SIP URI: a SIP URI needs a user before \'@\' (sip:user@host)',
      },
      {
        pointer: '/config/whisper_message',
        message: "'whisper_message' applies only to warm transfers (mode is 'cold')",
      },
      { pointer: '/config/hold_music', message: "'hold_music' applies only to warm transfers (mode is 'cold')" },
    ]);
  });

  it('suggests the scheme of a SIP address written without it', () => {
    const [issue] = validateBuiltinAction({
      type: 'transfer_call',
      name: 'T',
      description: 'd',
      config: { destination: 'support@example.com' },
    });
    expect(issue).toMatchObject({ pointer: '/config/destination', suggestion: 'sip:support@example.com' });
  });

  it('reads only declared parameters (summary exists in warm mode only)', () => {
    expect(
      issuesOf({
        type: 'transfer_call',
        name: 'T',
        description: 'd',
        config: { destination: '+15551234567', transfer_message: 'Transferring: {{params.summary}}' },
      }),
    ).toEqual([
      {
        pointer: '/config/transfer_message',
        message: "{{params.summary}} reads parameter 'summary', which this action does not declare (declared: reason)",
      },
    ]);
  });
});

describe('end_call', () => {
  it('says the final message (rendered from the context) and hangs up', async () => {
    const action = parseBuiltinAction(example('end_call_politely.builtin.json'));
    expect(action.parameters).toEqual([]);
    const executor = new FakeExecutor();
    const result = await run(action, {}, executor);
    expect(executor.requests).toEqual([
      {
        kind: 'provider',
        stepPointer: '/actions/0',
        operation: 'telephony.end_call',
        payload: {
          call_sid: 'CA0123456789abcdef0123456789abcdef',
          message: ['Thanks for calling Acme, ', 'Ada', '. Have a great day!'],
        },
      },
    ]);
    expect(says(result)).toEqual(['Thanks for calling Acme, Ada. Have a great day!']);
    expect(joinTextParts((executor.requests[0]?.payload as Record<string, JsonValue>).message)).toBe(
      'Thanks for calling Acme, Ada. Have a great day!',
    );
  });

  it('uses the default message when none is configured, and none when it is empty', async () => {
    const defaults = parseBuiltinAction({ type: 'end_call', name: 'End', description: 'Ends the call.' });
    const silent = parseBuiltinAction({
      type: 'end_call',
      name: 'End',
      description: 'd',
      config: { final_message: '' },
    });
    const executor = new FakeExecutor();
    expect(says(await run(defaults, {}, executor))).toEqual(['Thank you for calling. Goodbye!']);
    expect(says(await run(silent, {}, executor))).toEqual([]);
    expect(executor.requests.map((r) => r.payload)).toEqual([
      { call_sid: 'CA0123456789abcdef0123456789abcdef', message: ['Thank you for calling. Goodbye!'] },
      { call_sid: 'CA0123456789abcdef0123456789abcdef' },
    ]);
  });
});

describe('resume_inactivity_timer', () => {
  it('asks the session to lift the explicit pause and says the message', async () => {
    const action = parseBuiltinAction(example('resume_inactivity_timer.builtin.json'));
    const executor = new FakeExecutor({ 'session.resume_inactivity': { status: 'ok' } });
    const result = await run(action, {}, executor);
    expect(executor.requests).toEqual([
      { kind: 'provider', stepPointer: '/actions/0', operation: 'session.resume_inactivity', payload: {} },
    ]);
    expect(says(result)).toEqual(['Welcome back.']);
  });
});

describe('pause_inactivity_timer', () => {
  it('asks the session to pause and says the message', async () => {
    const action = parseBuiltinAction(example('pause_inactivity_timer.builtin.json'));
    const executor = new FakeExecutor({ 'session.pause_inactivity': { status: 'paused' } });
    const result = await run(action, {}, executor);
    expect(executor.requests).toEqual([
      {
        kind: 'provider',
        stepPointer: '/actions/0',
        operation: 'session.pause_inactivity',
        payload: { duration_seconds: 120 },
      },
    ]);
    expect(says(result)).toEqual(["Sure, take your time. I'll be here."]);
  });

  it('bounds the duration', () => {
    const doc = (duration_seconds: unknown) => ({
      type: 'pause_inactivity_timer',
      name: 'Pause',
      description: 'd',
      config: { duration_seconds },
    });
    expect(issuesOf(doc(5))).toEqual([{ pointer: '/config/duration_seconds', message: 'must be from 10 to 600' }]);
    expect(issuesOf(doc(3600))).toEqual([{ pointer: '/config/duration_seconds', message: 'must be from 10 to 600' }]);
    expect(issuesOf(doc(1.5))).toEqual([
      { pointer: '/config/duration_seconds', message: 'value must be a whole number from 10 to 600' },
    ]);
    expect(issuesOf(doc('60'))).toEqual([
      { pointer: '/config/duration_seconds', message: 'must be a number, not a string — write 60 without quotes' },
    ]);
    expect(validateBuiltinAction(doc(600))).toEqual([]);
  });
});

describe('calcom_check_availability', () => {
  const action = parseBuiltinAction(example('check_availability.builtin.json'));

  it('declares the dates and a time zone defaulting to the configured one', () => {
    expect(action.parameters).toEqual([
      {
        name: 'start_date',
        type: 'date',
        required: true,
        description: 'First day to look for free slots, YYYY-MM-DD.',
      },
      {
        name: 'end_date',
        type: 'date',
        required: false,
        description: 'Last day to look, YYYY-MM-DD; defaults to the configured window.',
      },
      {
        name: 'time_zone',
        type: 'string',
        required: false,
        description: "The caller's IANA time zone, e.g. America/New_York.",
        default: 'America/New_York',
      },
    ]);
  });

  it('asks calcom.slots and returns the slots as outputs, stored under the result key', async () => {
    const slots = [
      { start: '2025-03-10T09:00:00-04:00', end: '2025-03-10T09:30:00-04:00' },
      { start: '2025-03-10T10:00:00-04:00', end: '2025-03-10T10:30:00-04:00' },
    ];
    const executor = new FakeExecutor({
      'calcom.slots': { available: true, slots, time_zone: 'America/New_York' },
    });
    const result = await run(action, { start_date: '2025-03-10' }, executor);
    expect(result.status).toBe('succeeded');
    expect(executor.requests[0]).toEqual({
      kind: 'provider',
      stepPointer: '/actions/0',
      operation: 'calcom.slots',
      payload: {
        credential: 'calcom_main',
        event_type_id: 123456,
        start: '2025-03-10',
        days_ahead: 14,
        time_zone: 'America/New_York',
        max_slots: 6,
        duration_minutes: 30,
      },
    });
    expect(result.outputs).toEqual({ available: true, slots, time_zone: 'America/New_York' });
    expect(result.state.context.calcom_slots).toEqual({ available: true, slots, time_zone: 'America/New_York' });
  });

  it('sends the end date and the caller time zone when given; refuses a malformed date before any call', async () => {
    const executor = new FakeExecutor({ 'calcom.slots': { available: false, slots: [], time_zone: 'Europe/Paris' } });
    await run(action, { start_date: '2025-03-10', end_date: '2025-03-12', time_zone: 'Europe/Paris' }, executor);
    expect(executor.requests[0]?.payload).toMatchObject({
      start: '2025-03-10',
      end: '2025-03-12',
      time_zone: 'Europe/Paris',
    });
    const bad = await run(action, { start_date: 'next Monday' }, executor);
    expect(bad.error).toMatchObject({ code: 'invalid_arguments' });
    expect(executor.requests).toHaveLength(1);
  });

  it('reports missing settings and a bad time zone', () => {
    expect(
      issuesOf({
        type: 'calcom_check_availability',
        name: 'Check',
        description: 'd',
        config: { time_zone: 'EST', days_ahead: 0 },
      }),
    ).toEqual([
      { pointer: '/config/credential', message: "missing required setting 'credential' (Credential)" },
      { pointer: '/config/event_type_id', message: "missing required setting 'event_type_id' (Event type id)" },
      {
        pointer: '/config/time_zone',
        message: '"EST" is not an IANA time zone — did you mean \'America/New_York\'?',
      },
      { pointer: '/config/days_ahead', message: 'must be from 1 to 60' },
    ]);
  });
});

describe('calcom_book', () => {
  const action = parseBuiltinAction(example('book_consultation.builtin.json'));
  const params = {
    start: '2025-03-14T15:00:00-04:00',
    name: 'Ada Lovelace',
    email: 'ada@example.com',
    phone: '+15551230000',
  };

  it('books with the attendee, the configured time zone and metadata; outputs the booking', async () => {
    const booking = {
      booking_id: 987,
      booking_uid: 'bk_abc',
      status: 'accepted',
      start: '2025-03-14T19:00:00Z',
      end: '2025-03-14T19:30:00Z',
    };
    const executor = new FakeExecutor({ 'calcom.book': booking });
    const result = await run(action, params, executor);
    expect(result.status).toBe('succeeded');
    expect(executor.requests).toEqual([
      {
        kind: 'provider',
        stepPointer: '/actions/2',
        operation: 'calcom.book',
        payload: {
          credential: 'calcom_main',
          event_type_id: 123456,
          start: '2025-03-14T15:00:00-04:00',
          time_zone: 'America/New_York',
          attendee: {
            name: 'Ada Lovelace',
            email: 'ada@example.com',
            phone_number: '+15551230000',
            time_zone: 'America/New_York',
          },
          metadata: { source: 'voice-agent' },
        },
      },
    ]);
    expect(result.outputs).toEqual(booking);
    expect(result.state.context.calcom_booking).toEqual(booking);
  });

  it('checks the e-mail and the phone before calling Cal.com, and says the failure message', async () => {
    const executor = new FakeExecutor();
    const badEmail = await run(action, { ...params, email: 'ada at example' }, executor);
    expect(badEmail.error).toMatchObject({ code: 'validation_failed', stepPointer: '/actions/0' });
    expect(says(badEmail)).toEqual([
      "I couldn't book that time. 'ada at example' is not a valid e-mail address; ask the caller to spell it.",
    ]);
    const badPhone = await run(action, { ...params, phone: '555-1230' }, executor);
    expect(badPhone.error).toMatchObject({ code: 'validation_failed', stepPointer: '/actions/1/then/0' });
    const noPhone = await run(action, { start: params.start, name: params.name, email: params.email }, executor);
    expect(noPhone.status).toBe('succeeded');
    expect(executor.requests).toHaveLength(1);
    expect((executor.requests[0]?.payload as { attendee: unknown }).attendee).toEqual({
      name: 'Ada Lovelace',
      email: 'ada@example.com',
      time_zone: 'America/New_York',
    });
  });

  it('rejects metadata Cal.com would refuse and the reserved idempotency key', () => {
    expect(
      issuesOf({
        type: 'calcom_book',
        name: 'Book',
        description: 'd',
        config: {
          credential: 'calcom_main',
          event_type_id: '123',
          metadata: { switchboard_key: 'x', ['k'.repeat(41)]: 'v', n: 5 },
        },
      }),
    ).toEqual([
      { pointer: '/config/event_type_id', message: 'must be a number, not a string — write 123 without quotes' },
      {
        pointer: '/config/metadata/switchboard_key',
        message: "'switchboard_key' is reserved for Switchboard's idempotency key",
      },
      { pointer: `/config/metadata/${'k'.repeat(41)}`, message: 'metadata keys are at most 40 characters (Cal.com)' },
      { pointer: '/config/metadata/n', message: 'metadata values are strings' },
    ]);
  });
});

describe('send_sms', () => {
  const action = parseBuiltinAction(example('send_sms_confirmation.builtin.json'));
  const booked = (): ChainState => {
    const state = CALL_STATE();
    state.context.calcom_booking = { start: '2025-03-14T19:00:00Z' };
    return state;
  };

  it('declares to, and message because the body reads it (required only when it is the whole body)', () => {
    expect(action.parameters.map((p) => [p.name, p.required])).toEqual([
      ['to', false],
      ['message', false],
    ]);
    const plain = parseBuiltinAction({
      type: 'send_sms',
      name: 'Text the Caller',
      description: 'd',
      config: { credential: 'twilio_main', from: '+15557654321' },
    });
    expect(plain.parameters.map((p) => [p.name, p.required])).toEqual([
      ['to', false],
      ['message', true],
    ]);
  });

  it("texts the caller's number by default", async () => {
    const executor = new FakeExecutor({ 'sms.send': { message_sid: 'SM1', status: 'queued' } });
    const result = await run(action, { message: 'See you then!' }, executor, booked());
    expect(result.status).toBe('succeeded');
    expect(executor.requests).toEqual([
      {
        kind: 'provider',
        stepPointer: '/actions/0/else/1',
        operation: 'sms.send',
        payload: {
          credential: 'twilio_main',
          to: '+15559876543',
          from: '+15557654321',
          body: ['Acme: your consultation is booked for ', '2025-03-14T19:00:00Z', '. ', 'See you then!'],
        },
      },
    ]);
    expect(joinTextParts((executor.requests[0]?.payload as Record<string, JsonValue>).body)).toBe(
      'Acme: your consultation is booked for 2025-03-14T19:00:00Z. See you then!',
    );
    expect(result.outputs).toEqual({ message_sid: 'SM1', status: 'queued' });
  });

  it('texts a given E.164 number, and refuses one that is not', async () => {
    const executor = new FakeExecutor();
    await run(action, { to: '+442071838750', message: 'Hi' }, executor, booked());
    expect(executor.requests[0]).toMatchObject({ stepPointer: '/actions/0/then/1', payload: { to: '+442071838750' } });
    const bad = await run(action, { to: '07700 900123', message: 'Hi' }, executor, booked());
    expect(bad.error).toMatchObject({
      code: 'validation_failed',
      message: "The number to text must be in E.164 format, like +15551234567 (got '07700 900123').",
    });
    expect(executor.requests).toHaveLength(1);
  });

  it("fails clearly when the caller's number is unknown", async () => {
    const executor = new FakeExecutor();
    const result = await run(action, { message: 'Hi' }, executor, emptyState());
    expect(result.error).toMatchObject({
      code: 'validation_failed',
      stepPointer: '/actions/0/else/0',
      message: "I don't have the caller's number in E.164 format; ask which number to text.",
    });
    expect(executor.requests).toEqual([]);
  });

  it('sends from a Messaging Service, without a message parameter when the body does not read it', async () => {
    const fixed = parseBuiltinAction({
      type: 'send_sms',
      name: 'Send Directions',
      description: 'Texts the caller directions to the office.',
      config: {
        credential: 'twilio_main',
        messaging_service_sid: 'MG0123456789abcdef0123456789abcdef',
        body: 'Acme is at 1 Main St. Reply STOP to opt out.',
      },
    });
    expect(fixed.parameters.map((p) => p.name)).toEqual(['to']);
    const executor = new FakeExecutor();
    await run(fixed, {}, executor);
    expect(executor.requests[0]?.payload).toEqual({
      credential: 'twilio_main',
      to: '+15559876543',
      messaging_service_sid: 'MG0123456789abcdef0123456789abcdef',
      body: ['Acme is at 1 Main St. Reply STOP to opt out.'],
    });
  });

  it('needs exactly one sender', () => {
    const base = { type: 'send_sms', name: 'S', description: 'd' };
    expect(issuesOf({ ...base, config: { credential: 'tw', body: 'Hi {{params.nme}}' } })).toEqual([
      {
        pointer: '/config/from',
        message: "send_sms needs a sender: 'from' (an E.164 number) or 'messaging_service_sid'",
      },
      {
        pointer: '/config/body',
        message: "{{params.nme}} reads parameter 'nme', which this action does not declare (declared: to)",
      },
    ]);
    expect(
      issuesOf({
        ...base,
        config: { credential: 'tw', from: '+15550000000', messaging_service_sid: 'MG0123456789abcdef0123456789abcdef' },
      }),
    ).toEqual([
      {
        pointer: '/config/messaging_service_sid',
        message: "set either 'from' or 'messaging_service_sid', not both (Twilio accepts one)",
      },
    ]);
    expect(issuesOf({ ...base, config: { credential: 'tw', from: '15550000000', body: 'x'.repeat(1601) } })).toEqual([
      {
        pointer: '/config/from',
        message: '"15550000000" is not an E.164 number: an E.164 number starts with \'+\' and the country code',
      },
      { pointer: '/config/body', message: 'the text is longer than 1600 characters' },
    ]);
  });
});

describe('crm_lookup', () => {
  const action = parseBuiltinAction(example('lookup_contact.builtin.json'));
  const found = {
    found: true,
    contact_id: '501',
    properties: { firstname: 'Ada', lastname: 'Lovelace' },
    total: 1,
  };

  it('looks the caller up by their number and e-mail from the call context when not told otherwise', async () => {
    const executor = new FakeExecutor({ 'crm.lookup': found });
    const result = await run(action, {}, executor);
    expect(executor.requests).toEqual([
      {
        kind: 'provider',
        stepPointer: '/actions/0/else/0',
        operation: 'crm.lookup',
        payload: {
          credential: 'hubspot_main',
          phone: '+15559876543',
          email: 'ada@example.com',
          properties: ['firstname', 'lastname', 'email', 'phone', 'lifecyclestage'],
        },
      },
    ]);
    expect(result.outputs).toEqual({ found: true, contact_id: '501', properties: found.properties });
    expect(result.state.context.crm_contact).toEqual(found);
  });

  it('looks up what the agent gives; a miss returns found: false without a contact id', async () => {
    const executor = new FakeExecutor({ 'crm.lookup': { found: false, contact_id: null, properties: {}, total: 0 } });
    const result = await run(action, { email: 'grace@example.com' }, executor);
    expect(executor.requests[0]).toMatchObject({
      stepPointer: '/actions/0/then/0',
      payload: { email: 'grace@example.com' },
    });
    expect(executor.requests[0]?.payload).not.toHaveProperty('phone');
    expect(result.outputs).toEqual({ found: false, properties: {} });
  });

  it('declares only the identifiers it looks up by', () => {
    const byPhone = parseBuiltinAction({
      type: 'crm_lookup',
      name: 'Lookup',
      description: 'd',
      config: { credential: 'hs', lookup_by: 'phone' },
    });
    expect(byPhone.parameters.map((p) => p.name)).toEqual(['phone']);
    expect(byPhone.steps[0]).toMatchObject({ condition: "typeof params.phone === 'string'" });
  });
});

describe('crm_update', () => {
  const action = parseBuiltinAction(example('update_crm_lead.builtin.json'));

  it('declares the configured parameters and writes the mapped properties to the looked-up contact', async () => {
    expect(action.parameters.map((p) => [p.name, p.type, p.required])).toEqual([
      ['lead_status', 'string', true],
      ['budget', 'string', false],
      ['timeline', 'string', false],
    ]);
    const state = CALL_STATE();
    state.context.crm_contact = { found: true, contact_id: '501' };
    const executor = new FakeExecutor({
      'crm.update': { contact_id: '501', updated_properties: ['hs_lead_status', 'budget'] },
    });
    const result = await run(action, { lead_status: 'OPEN', budget: '10k' }, executor, state);
    expect(result.status).toBe('succeeded');
    expect(executor.requests[0]).toEqual({
      kind: 'provider',
      stepPointer: '/actions/0',
      operation: 'crm.update',
      payload: {
        credential: 'hubspot_main',
        contact: { id: '501', email: 'ada@example.com', phone: '+15559876543' },
        properties: { hs_lead_status: ['OPEN'], budget: ['10k'], purchase_timeline: [null] },
      },
    });
    const properties = (executor.requests[0]?.payload as { properties: Record<string, JsonValue> }).properties;
    expect(joinTextParts(properties.purchase_timeline)).toBe('');
    expect(result.outputs).toEqual({ contact_id: '501', updated_properties: ['hs_lead_status', 'budget'] });
  });

  it('refuses an argument outside the declared enum before calling HubSpot', async () => {
    const executor = new FakeExecutor();
    const result = await run(action, { lead_status: 'HOT' }, executor);
    expect(result.error).toMatchObject({ code: 'invalid_arguments' });
    expect(executor.requests).toEqual([]);
  });

  it('reports property names HubSpot would not accept and reads of undeclared parameters', () => {
    expect(
      issuesOf({
        type: 'crm_update',
        name: 'U',
        description: 'd',
        config: {
          credential: { credential: 'hs' },
          properties: { 'Lead Status': '{{params.status}}', budget: '{{params.budgt}}' },
          parameters: [{ name: 'budget', type: 'string' }],
        },
      }),
    ).toEqual([
      {
        pointer: '/config/properties/Lead Status',
        message: "'Lead Status' is not a HubSpot property name (internal names are lower case: letters, digits, _)",
      },
      {
        pointer: '/config/properties/Lead Status',
        message:
          "{{params.status}} reads parameter 'status', which this action does not declare (declared: budget); declare it in 'parameters'",
      },
      {
        pointer: '/config/properties/budget',
        message:
          "{{params.budgt}} reads parameter 'budgt', which this action does not declare (declared: budget); declare it in 'parameters' — did you mean 'budget'?",
      },
    ]);
  });

  it('validates parameters exactly like declarative tools, with pointers into the config', () => {
    const issues = validateBuiltinAction({
      type: 'crm_update',
      name: 'U',
      description: 'd',
      config: {
        credential: 'hs',
        properties: { budget: '{{params.b}}' },
        parameters: [{ name: '1x', type: 'integer' }],
      },
    });
    expect(issues.map((i) => [i.pointer, i.suggestion])).toEqual([
      ['/config/parameters/0/name', undefined],
      ['/config/parameters/0/type', 'number'],
    ]);
  });
});

describe('crm_create_ticket', () => {
  const action = parseBuiltinAction(example('create_support_ticket.builtin.json'));

  it('creates the ticket, associates the contact, and gives the ticket number', async () => {
    expect(action.parameters.map((p) => [p.name, p.required])).toEqual([
      ['subject', true],
      ['description', true],
    ]);
    const executor = new FakeExecutor({ 'crm.ticket': { ticket_id: '7781' } });
    const result = await run(action, { subject: 'Printer jams', description: 'Jams on page 2.' }, executor);
    expect(executor.requests[0]).toEqual({
      kind: 'provider',
      stepPointer: '/actions/0',
      operation: 'crm.ticket',
      payload: {
        credential: 'hubspot_main',
        subject: ['[Voice] ', 'Printer jams'],
        content: ['Jams on page 2.', '\n\nCaller: ', '+15559876543'],
        pipeline: '0',
        stage: '1',
        priority: 'MEDIUM',
        contact: { email: 'ada@example.com', phone: '+15559876543' },
      },
    });
    expect(result.outputs).toEqual({ ticket_id: '7781' });
    expect(says(result)).toEqual(["I've created ticket number 7781 for you."]);
  });

  it('uses the defaults: agent-written subject and description, default pipeline, no association when off', async () => {
    const plain = parseBuiltinAction({
      type: 'crm_create_ticket',
      name: 'Create Ticket',
      description: 'd',
      config: { credential: 'hs', associate_contact: false },
    });
    const executor = new FakeExecutor({ 'crm.ticket': { ticket_id: '1' } });
    await run(plain, { subject: 'S', description: 'D' }, executor);
    expect(executor.requests[0]?.payload).toEqual({
      credential: 'hs',
      subject: ['S'],
      content: ['D'],
      pipeline: '0',
      stage: '1',
    });
  });
});

describe('custom_api', () => {
  it('GET: endpoint name, encoded path, query, headers, api_key auth, mapping; the mapped response is the output', async () => {
    const action = parseBuiltinAction(example('lookup_company_data.builtin.json'));
    const response = { data: { company: { industry: 'Software', metrics: { employees: 120, annualRevenue: 9.5e6 } } } };
    const executor = new FakeExecutor({
      'http.request': (request) =>
        applyResponseMapping(response, (request.payload as unknown as HttpRequestInput).response_mapping ?? {}),
    });
    const result = await run(action, { domain: 'acme.com/../x?y' }, executor);
    expect(result.status).toBe('succeeded');
    expect(executor.requests[0]).toEqual({
      kind: 'provider',
      stepPointer: '/actions/0',
      operation: 'http.request',
      payload: {
        endpoint: 'enrichment_api',
        method: 'GET',
        path: [{ text: '/companies/' }, { value: 'acme.com/../x?y' }],
        query: { fields: 'industry,employees,revenue', requested_by: 'CA0123456789abcdef0123456789abcdef' },
        headers: { Accept: 'application/json', 'X-Client': 'switchboard' },
        auth: { type: 'api_key', credential: 'enrichment_key', header: 'X-API-Key' },
        timeout_ms: 5000,
        response_mapping: {
          industry: 'data.company.industry',
          employees: 'data.company.metrics.employees',
          annual_revenue: 'data.company.metrics.annualRevenue',
        },
      },
      // The attempt outlives the configured 5 s HTTP timeout by the worker margin.
      policy: { timeoutMs: 10_000 },
    });
    expect(buildRequestPath((executor.requests[0]?.payload as Record<string, JsonValue>).path)).toBe(
      '/companies/acme.com%2F..%2Fx%3Fy',
    );
    const mapped = { industry: 'Software', employees: 120, annual_revenue: 9.5e6 };
    expect(result.outputs).toEqual({ lookup_company_data: mapped });
    expect(result.state.context.lookup_company_data).toEqual(mapped);
  });

  it('POST: body with paths, {{placeholders}} and literals; bearer auth; custom result key', async () => {
    const action = parseBuiltinAction(example('create_order.builtin.json'));
    const executor = new FakeExecutor({ 'http.request': { order_number: 'O-1' } });
    const result = await run(action, { sku: 'A1', quantity: 2 }, executor);
    expect(executor.requests[0]?.payload).toEqual({
      endpoint: 'orders_api',
      method: 'POST',
      path: [{ text: '/orders' }],
      headers: {},
      auth: { type: 'bearer', credential: 'orders_token' },
      body: { item: { sku: 'A1', qty: 2 }, channel: 'voice', customer_phone: '+15559876543' },
      timeout_ms: 10000,
      response_mapping: { order_number: 'order.number' },
    });
    expect(result.outputs).toEqual({ last_order: { order_number: 'O-1' } });
  });

  it('oauth2 auth: the credential reference travels to the worker, never a secret', async () => {
    const action = parseBuiltinAction(example('get_customer_account.builtin.json'));
    const executor = new FakeExecutor({ 'http.request': { status: 'active', balance: 12, recent_orders: [] } });
    const result = await run(action, { phone: '+15551230000' }, executor);
    expect(executor.requests[0]?.payload).toMatchObject({
      endpoint: 'salesforce_api',
      method: 'GET',
      auth: { type: 'oauth2', credential: 'salesforce_oauth' },
    });
    expect(result.status).toBe('succeeded');
    expect(
      issuesOf({
        type: 'custom_api',
        name: 'C',
        description: 'd',
        config: { endpoint: 'api', auth: { type: 'oauth2', credential: 'x', header: 'X-Token' } },
      }).map((i) => i.pointer),
    ).toEqual(['/config/auth/header']);
  });

  it('sends all parameters as the body by default, without auth, to a snake_case result key', async () => {
    const action = parseBuiltinAction({
      type: 'custom_api',
      name: 'Log Callback Request',
      description: 'd',
      config: { endpoint: 'callbacks', parameters: [{ name: 'when', type: 'string', required: true }] },
    });
    const executor = new FakeExecutor({ 'http.request': { ok: true } });
    const result = await run(action, { when: 'tomorrow' }, executor);
    expect(executor.requests[0]?.payload).toEqual({
      endpoint: 'callbacks',
      method: 'POST',
      headers: {},
      auth: { type: 'none' },
      body: { when: 'tomorrow' },
      timeout_ms: 10000,
    });
    expect(executor.requests[0]?.policy).toEqual({ timeoutMs: 15_000 });
    expect(result.outputs).toEqual({ log_callback_request: { ok: true } });
  });

  it('never calls a URL and keeps bodies off GET requests', () => {
    expect(
      issuesOf({
        type: 'custom_api',
        name: 'C',
        description: 'd',
        config: {
          endpoint: 'https://api.example.com/x?api_key=abc',
          method: 'GET',
          body: { a: 'params.a' },
          path: '/x?y=1',
          response_mapping: { id: '$.data.id', ok: 'data[0].id' },
          auth: { type: 'oauth' },
          timeout_ms: 120000,
        },
      }),
    ).toEqual([
      {
        pointer: '/config/endpoint',
        message:
          'custom APIs call a named endpoint, not a URL (and this URL carries credentials, which must never appear in a URL): add the URL in Settings > Webhook Endpoints and put its name here',
      },
      { pointer: '/config/path', message: "the path must not contain '?' or '#': put query parameters in 'query'" },
      { pointer: '/config/auth/type', message: 'unknown auth type string "oauth" — did you mean \'oauth2\'?' },
      {
        pointer: '/config/response_mapping/id',
        message: 'a response path is a dot path into the JSON response, such as data.customer.id or items.0.name',
      },
      {
        pointer: '/config/response_mapping/ok',
        message: 'a response path is a dot path into the JSON response, such as data.customer.id or items.0.name',
      },
      { pointer: '/config/timeout_ms', message: 'must be from 1000 to 30000' },
      { pointer: '/config/body', message: "a GET request has no body: send values in 'query' or 'path'" },
    ]);
    expect(
      issuesOf({
        type: 'custom_api',
        name: 'C',
        description: 'd',
        config: { endpoint: 'api', body: { a: 'params.a' } },
      }),
    ).toEqual([
      {
        pointer: '/config/body/a',
        message:
          "params.a reads parameter 'a', which this action does not declare (it declares none); declare it in 'parameters'",
      },
    ]);
    const suggestions = validateBuiltinAction({
      type: 'custom_api',
      name: 'C',
      description: 'd',
      config: { endpoint: 'api', response_mapping: { id: '$.data.id', ok: 'data[0].id' } },
    }).map((i) => i.suggestion);
    expect(suggestions).toEqual(['data.id', 'data.0.id']);
  });

  it('derives the default result key from the name, away from scope names', () => {
    expect(resultKeyFromName('Lookup Customer Account')).toBe('lookup_customer_account');
    expect(resultKeyFromName('Résumé Lookup')).toBe('resume_lookup');
    expect(resultKeyFromName('Context')).toBe('api_context');
    expect(resultKeyFromName('Parms')).toBe('api_parms');
    expect(resultKeyFromName('2nd API')).toBe('api_2nd_api');
    expect(resultKeyFromName('!!!')).toBe('api_result');
  });

  it('rejects text mixed with placeholders in body values, and managed headers', () => {
    expect(
      issuesOf({
        type: 'custom_api',
        name: 'C',
        description: 'd',
        config: {
          endpoint: 'api',
          body: { note: 'Hello {{params.name}}' },
          headers: { 'Content-Length': '5', 'Bad Header': 'x' },
          parameters: [{ name: 'name', type: 'string' }],
        },
      }),
    ).toEqual([
      {
        pointer: '/config/headers/Content-Length',
        message: "'Content-Length' is set by Switchboard's HTTP client and cannot be configured",
      },
      { pointer: '/config/headers/Bad Header', message: "'Bad Header' is not a valid header name" },
      {
        pointer: '/config/body/note',
        message:
          'a value is either one placeholder ("{{params.email}}"), a dot path (params.email) or a quoted literal (\'text\'); text mixed with placeholders is not supported here',
      },
    ]);
  });
});

describe('inline secrets', () => {
  it('rejects secret-named settings with literal values, wherever they are, with a credential suggestion', () => {
    const issues = validateBuiltinAction({
      type: 'custom_api',
      name: 'C',
      description: 'd',
      api_key: 'abc123',
      config: {
        endpoint: 'api',
        auth: { type: 'bearer', token: 'abc123' },
        headers: { Authorization: 'Bearer abcdefghijkl', 'X-Ok': '1' },
        query: { api_key: 'params.key' },
        body: { password: "'hunter2'", user: 'params.user', secret: 'params.secret' },
        parameters: [
          { name: 'user', type: 'string' },
          { name: 'secret', type: 'string' },
        ],
      },
    });
    expect(issues.map(({ pointer, message }) => ({ pointer, message }))).toEqual([
      {
        pointer: '/api_key',
        message:
          '\'api_key\' holds a secret inline; store it in Settings > Credentials and reference it by name ("credential": "<name>"); action definitions never hold secrets',
      },
      {
        pointer: '/config/auth/token',
        message:
          '\'token\' holds a secret inline; store it in Settings > Credentials and reference it by name ("credential": "<name>"); action definitions never hold secrets',
      },
      {
        pointer: '/config/headers/Authorization',
        message:
          "header 'Authorization' holds a secret inline; use 'auth' (bearer, basic or api_key) with a credential reference instead",
      },
      {
        pointer: '/config/query/api_key',
        message:
          "query parameter 'api_key' would put a credential in the URL; never expose credentials in URLs — use 'auth' (api_key sends the key in a header) with a credential reference",
      },
      {
        pointer: '/config/body/password',
        message:
          '\'password\' holds a secret inline; store it in Settings > Credentials and reference it by name ("credential": "<name>"); action definitions never hold secrets',
      },
      { pointer: '/config/auth/credential', message: 'bearer auth needs a credential reference' },
    ]);
    for (const issue of issues.filter((i) => i.found === 'an inline secret')) {
      expect(issue.suggestion).toBe('{ "credential": "<name of a stored credential>" }');
    }
  });

  it('rejects a secret given where a credential name belongs, and well-known token formats anywhere', () => {
    expect(
      issuesOf({
        type: 'calcom_book',
        name: 'B',
        description: 'd',
        config: {
          credential: 'cal_live_abcdef0123456789abcd',
          event_type_id: 1,
          success_message: 'Booked. Debug: sk_live_0123456789abcdefghij',
        },
      }),
    ).toEqual([
      {
        pointer: '/config/credential',
        message:
          'this value looks like a Cal.com API key; store it in Settings > Credentials and reference it by name ("credential": "<name>"); action definitions never hold secrets',
      },
      {
        pointer: '/config/success_message',
        message:
          'this value looks like a Stripe-style secret key; store it in Settings > Credentials and reference it by name ("credential": "<name>"); action definitions never hold secrets',
      },
    ]);
    expect(
      issuesOf({
        type: 'send_sms',
        name: 'S',
        description: 'd',
        config: { credential: '0123456789abcdef0123456789abcdef', from: '+15550000000' },
      }),
    ).toEqual([
      {
        pointer: '/config/credential',
        message:
          "this looks like the secret itself; 'credential' takes the NAME of a credential stored in Settings > Credentials, never the secret",
      },
    ]);
  });

  it('accepts credential references in both forms, and suggests `credential` for a reference under a secret name', () => {
    for (const credential of ['calcom_main', { credential: 'calcom_main' }]) {
      const doc = { type: 'calcom_book', name: 'B', description: 'd', config: { credential, event_type_id: 1 } };
      expect(validateBuiltinAction(doc)).toEqual([]);
      expect(builtinReferences(doc)).toEqual([
        { type: 'credential', name: 'calcom_main', pointer: '/config/credential', provider: 'calcom' },
      ]);
    }
    expect(
      validateBuiltinAction({
        type: 'crm_lookup',
        name: 'L',
        description: 'd',
        config: { auth_token: { credential: 'hs' } },
      }),
    ).toEqual([
      {
        pointer: '/config/credential',
        message: "missing required setting 'credential' (Credential)",
        expected: 'the name of a stored hubspot credential',
        found: 'nothing',
      },
      {
        pointer: '/config/auth_token',
        message: "unknown setting 'auth_token' for crm_lookup — did you mean 'credential'?",
        expected:
          'one of credential, lookup_by, properties, success_message, failure_message, result_key, delayed_message',
        found: "'auth_token'",
        suggestion: 'credential',
      },
    ]);
  });
});

describe('document shape', () => {
  it.each([
    ['Transfer Call', 'transfer_call'],
    ['sms', 'send_sms'],
    ['calcom_bok', 'calcom_book'],
    ['hangup', 'end_call'],
    ['webhook', 'custom_api'],
    ['create-ticket', 'crm_create_ticket'],
  ])('suggests a kind for %j', (type, suggestion) => {
    expect(validateBuiltinAction({ type, name: 'N', description: 'd' })).toEqual([
      {
        pointer: '/type',
        message: `unknown built-in string ${JSON.stringify(type)} — did you mean '${suggestion}'?`,
        expected: `one of ${BUILTIN_KINDS.join(', ')}`,
        found: `string ${JSON.stringify(type)}`,
        suggestion,
      },
    ]);
  });

  it('says where misplaced and misspelt settings go', () => {
    expect(
      issuesOf({
        type: 'transfer_call',
        name: 'T',
        description: 'd',
        destination: '+15551234567',
        config: { destinaton: '+15551234567', final_message: 'bye', name: 'x' },
      }),
    ).toEqual([
      { pointer: '/destination', message: "'destination' is a setting of transfer_call: put it inside 'config'" },
      { pointer: '/config/destination', message: "missing required setting 'destination' (Destination)" },
      {
        pointer: '/config/destinaton',
        message: "unknown setting 'destinaton' for transfer_call — did you mean 'destination'?",
      },
      {
        pointer: '/config/final_message',
        message: "unknown setting 'final_message' for transfer_call ('final_message' is a setting of end_call)",
      },
      {
        pointer: '/config/name',
        message: "unknown setting 'name' for transfer_call ('name' goes at the top level, next to 'type')",
      },
    ]);
  });

  it('reports a missing name and description as missing, and non-objects at the root', () => {
    expect(validateBuiltinAction({ type: 'end_call', description: '  ' })).toEqual([
      {
        pointer: '/name',
        message: "a built-in action needs a 'name' (instructions refer to the action by this exact name)",
        expected: 'a name such as Transfer to Support',
        found: 'nothing',
      },
      {
        pointer: '/description',
        message: "a built-in action needs a 'description' (the LLM uses it to decide when to act)",
        expected: 'a sentence on what the action does',
        found: 'an empty string',
      },
    ]);
    expect(issuesOf([])).toEqual([{ pointer: '', message: 'a built-in action must be a JSON object' }]);
    expect(issuesOf({ type: 'end_call', name: ' End ', description: 'd', config: [] })).toEqual([
      {
        pointer: '/name',
        message:
          "'name' must be non-empty, at most 80 characters, without leading/trailing whitespace or control characters",
      },
      { pointer: '/config', message: "'config' must be an object with the action's settings" },
    ]);
  });

  it('resolves the configuration with defaults', () => {
    expect(
      resolveBuiltinConfig({
        type: 'transfer_call',
        name: 'T',
        description: 'd',
        config: { destination: '+15551234567' },
      }),
    ).toEqual({
      kind: 'transfer_call',
      config: {
        destination: { kind: 'phone', address: '+15551234567' },
        mode: 'cold',
        transfer_message: 'Please hold while I transfer your call.',
        ring_timeout_seconds: 30,
      },
    });
    expect(resolveBuiltinConfig({ type: 'nope' })).toBeUndefined();
  });
});

describe('properties', () => {
  const fieldNames = [...new Set(BUILTIN_KINDS.flatMap((kind) => Object.keys(KIND_DEFINITIONS[kind].fields)))];
  const anyDoc = fc.record(
    {
      type: fc.oneof(fc.constantFrom(...BUILTIN_KINDS), fc.string(), fc.jsonValue()),
      name: fc.oneof(fc.string(), fc.jsonValue()),
      description: fc.oneof(fc.string(), fc.jsonValue()),
      config: fc.oneof(
        fc.dictionary(
          fc.oneof(fc.constantFrom(...fieldNames, '__proto__', 'api_key', 'token'), fc.string()),
          fc.jsonValue(),
        ),
        fc.jsonValue(),
      ),
    },
    { requiredKeys: [] },
  );

  it('validateBuiltinAction never throws on arbitrary JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(Array.isArray(validateBuiltinAction(value))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('never throws on near-valid documents, and whatever validates parses into a valid canonical action', () => {
    fc.assert(
      fc.property(anyDoc, (doc) => {
        const issues = validateBuiltinAction(doc);
        if (issues.length === 0) {
          const action = parseBuiltinAction(doc);
          expect(validateCanonicalAction(action)).toEqual([]);
        } else {
          expect(() => parseBuiltinAction(doc)).toThrow(ValidationError);
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe('buildRequestPath', () => {
  it('refuses values that would be dot segments climbing out of the base path', () => {
    expect(() => buildRequestPath([{ text: '/orders/' }, { value: '..' }])).toThrow(/'\.\.' segment/);
    expect(() => buildRequestPath([{ text: '/orders/' }, { value: '.' }])).toThrow(/'\.\.' segment/);
    expect(buildRequestPath([{ text: '/orders/' }, { value: 'a/b?c' }])).toBe('/orders/a%2Fb%3Fc');
    expect(buildRequestPath([{ text: '/orders/' }, { value: '...' }])).toBe('/orders/...');
  });
});
