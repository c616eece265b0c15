import { createHash } from 'node:crypto';
import { type CanonicalAction, parseAnyAction } from '@switchboard/actions';
import type { JsonObject } from '@switchboard/common';
import { describe, expect, it } from 'vitest';
import { MAX_LLM_ROUNDS, runTurn, TURN_POLICY } from './loop.js';
import type { ChatMessage, ChatModel, ChatReply, ChatRequest, ToolOutcome, ToolRunner, TurnInput } from './types.js';

// The loop against a scripted model and a fake tool runner: what the model is sent, what runs,
// and what the turn returns.

const action = (doc: unknown): CanonicalAction => parseAnyAction(doc).action;

const transfer = action({
  type: 'transfer_call',
  name: 'Transfer to Support',
  description: 'Transfers the caller to support.',
  config: { destination: '+15551230001', mode: 'cold', transfer_message: 'Connecting you now.' },
});
const lookup = action({
  name: 'lookup_order',
  description: 'Looks up an order.',
  target: 'webhook://orders',
  inputs: { order: { type: 'string', is_required: true } },
  outputs: { status: { type: 'string' }, internal_ref: { type: 'string', filter_from_agent: true } },
});
const placeOrder = action({
  name: 'place_order',
  description: 'Places an order.',
  target: 'webhook://orders',
  inputs: { item: { type: 'string', is_required: true } },
  outputs: { ok: { type: 'boolean' } },
  require_user_confirmation: true,
});
const hours = action({
  name: 'check_hours',
  description: 'Checks business hours.',
  target: 'webhook://hours',
  outputs: { open: { type: 'boolean' }, error_code: { type: 'integer', filter_from_agent: true } },
  run: 'every_turn',
});
const audit = action({
  name: 'audit_turn',
  description: 'Records the turn.',
  target: 'webhook://audit',
  run: 'after_turn',
});
const ACTIONS = [transfer, lookup, placeOrder, hours, audit];

type Step = ChatReply | ((request: ChatRequest) => ChatReply);

/** Answers with the scripted replies in order; keeps a copy of every request. */
class ScriptedModel implements ChatModel {
  readonly requests: ChatRequest[] = [];
  constructor(private readonly steps: Step[]) {}
  async complete(request: ChatRequest): Promise<ChatReply> {
    this.requests.push({ ...request, messages: structuredClone(request.messages) });
    const step = this.steps.shift();
    if (step === undefined) throw new Error(`no scripted reply for request ${this.requests.length}`);
    return typeof step === 'function' ? step(request) : step;
  }
}

const say = (text: string): ChatReply => ({ text, toolCalls: [] });
const callTool = (text: string | null, ...calls: [string, string, JsonObject][]): ChatReply => ({
  text,
  toolCalls: calls.map(([id, name, args]) => ({ id, name, arguments: JSON.stringify(args) })),
});

/** Runs actions by name with canned outcomes; keeps every call and control. */
class FakeRunner implements ToolRunner {
  readonly calls: { action: string; arguments: JsonObject; idempotencyKey: string }[] = [];
  readonly controls: { callId: string; kind: string }[] = [];
  constructor(
    private readonly outcomes: Record<string, Partial<ToolOutcome> | Error> = {},
    private readonly controlOutcome: (kind: string) => Partial<ToolOutcome> = (kind) =>
      kind === 'confirm'
        ? { status: 'succeeded', outputs: { ok: true } }
        : { status: 'cancelled', error: { code: 'user_declined', message: 'declined', retryable: false } },
  ) {}
  async call(request: { action: string; arguments: JsonObject; idempotencyKey: string }): Promise<ToolOutcome> {
    this.calls.push(request);
    const canned = this.outcomes[request.action];
    if (canned instanceof Error) throw canned;
    const id = `int_${createHash('sha256').update(request.idempotencyKey).digest('hex').slice(0, 32)}`;
    return { id, status: 'succeeded', messages: [], events: [], outputs: {}, ...canned };
  }
  async control(callId: string, kind: 'confirm' | 'decline'): Promise<ToolOutcome> {
    this.controls.push({ callId, kind });
    return { id: callId, status: 'succeeded', messages: [], events: [], outputs: {}, ...this.controlOutcome(kind) };
  }
}

const input = (overrides: Partial<TurnInput> = {}): TurnInput => ({
  turnId: 'turn_1',
  userText: 'I need a human.',
  instructions: 'You are a support agent.',
  history: [],
  actions: ACTIONS,
  ...overrides,
});

const TRANSFER_EVENT = { seq: 2, kind: 'call_control', data: { action: 'transfer' }, at: '2025-01-01T00:00:00.000Z' };
const toolMessages = (messages: ChatMessage[]) =>
  messages.flatMap((m) => (m.role === 'tool' ? [{ id: m.toolCallId, content: JSON.parse(m.content) }] : []));

describe('words and actions of one response', () => {
  it('runs a tool called next to its announcement in the same turn and returns both', async () => {
    const model = new ScriptedModel([
      callTool("I'll transfer you to support now.", ['call_a', 'transfer_to_support', { reason: 'wants a human' }]),
      say('You are being connected.'),
    ]);
    const runner = new FakeRunner({
      'Transfer to Support': { messages: ['Connecting you now.'], events: [TRANSFER_EVENT] },
    });
    const turn = await runTurn(input(), { model, tools: runner });

    expect(runner.calls.filter((c) => c.action === 'Transfer to Support')).toEqual([
      { action: 'Transfer to Support', arguments: { reason: 'wants a human' }, idempotencyKey: 'turn_1:call_a' },
    ]);
    expect(turn.text).toBe("I'll transfer you to support now. You are being connected.");
    expect(turn.actions).toHaveLength(3); // every_turn, the transfer, after_turn
    expect(turn.actions[1]).toMatchObject({ name: 'Transfer to Support', trigger: 'tool', events: [TRANSFER_EVENT] });
    expect(turn.nudged).toBe(false);
    expect(turn.rounds).toBe(2);
    // The model saw the result of its call before answering.
    expect(toolMessages(model.requests[1]?.messages ?? [])).toEqual([
      { id: 'call_a', content: { status: 'succeeded', messages: ['Connecting you now.'] } },
    ]);
  });

  it('nudges a model that announces an action without calling it, and runs it in the same turn', async () => {
    const model = new ScriptedModel([
      say("Sure, I'm transferring you to our support team now."),
      callTool(null, ['call_b', 'transfer_to_support', {}]),
      say('Please hold.'),
    ]);
    const runner = new FakeRunner({ 'Transfer to Support': { events: [TRANSFER_EVENT] } });
    const turn = await runTurn(input(), { model, tools: runner });

    expect(turn.nudged).toBe(true);
    expect(runner.calls.map((c) => c.action)).toEqual(['check_hours', 'Transfer to Support', 'audit_turn']);
    expect(turn.text).toBe("Sure, I'm transferring you to our support team now. Please hold.");
    const nudge = model.requests[1]?.messages.at(-1);
    expect(nudge?.role).toBe('system');
    expect(nudge?.role === 'system' && nudge.content).toContain("'Transfer to Support'");
    // The nudge is for that one round only; the announcement stays in the conversation.
    expect(
      model.requests[2]?.messages.some(
        (m) => m === nudge || (m.role === 'system' && m.content.includes('you meant it')),
      ),
    ).toBe(false);
    expect(turn.messages.filter((m) => m.role === 'assistant').map((m) => m.content)).toEqual([
      "Sure, I'm transferring you to our support team now.",
      null,
      'Please hold.',
    ]);
  });

  it('drops the answer to a nudge the model declines, and runs nothing', async () => {
    const model = new ScriptedModel([say('Let me book that once you pick a time.'), say('(nothing to do yet)')]);
    const runner = new FakeRunner();
    const bookable = action({
      name: 'book_slot',
      description: 'Books a slot.',
      target: 'webhook://book',
      inputs: { time: { type: 'string', is_required: true } },
    });
    const turn = await runTurn(input({ actions: [bookable] }), { model, tools: runner });
    expect(turn.nudged).toBe(true);
    expect(runner.calls).toEqual([]);
    expect(turn.text).toBe('Let me book that once you pick a time.');
    expect(turn.rounds).toBe(2);
  });

  it('does not nudge plain answers, nor an announcement of an action that already ran this turn', async () => {
    const plain = new ScriptedModel([say('Our opening hours are 9 to 5.')]);
    expect(await runTurn(input(), { model: plain, tools: new FakeRunner() })).toMatchObject({
      rounds: 1,
      nudged: false,
    });

    const after = new ScriptedModel([
      callTool(null, ['call_c', 'transfer_to_support', {}]),
      say("I'm transferring you now."),
    ]);
    const turn = await runTurn(input(), { model: after, tools: new FakeRunner() });
    expect(turn).toMatchObject({ rounds: 2, nudged: false, text: "I'm transferring you now." });
  });
});

describe('tool results fed back', () => {
  it('shows the model only the visible outputs, and the caller all of them', async () => {
    const model = new ScriptedModel([callTool(null, ['call_d', 'lookup_order', { order: 'A1' }]), say('It shipped.')]);
    const runner = new FakeRunner({ lookup_order: { outputs: { status: 'shipped', internal_ref: 'secret-42' } } });
    const turn = await runTurn(input(), { model, tools: runner });
    expect(toolMessages(model.requests[1]?.messages ?? [])).toEqual([
      { id: 'call_d', content: { status: 'succeeded', outputs: { status: 'shipped' } } },
    ]);
    expect(JSON.stringify(model.requests)).not.toContain('secret-42');
    expect(turn.actions.find((a) => a.name === 'lookup_order')?.outputs).toEqual({
      status: 'shipped',
      internal_ref: 'secret-42',
    });
  });

  it('feeds back failures, unknown tools, bad arguments and unreachable executors as failed results', async () => {
    const model = new ScriptedModel([
      {
        text: null,
        toolCalls: [
          { id: 'c1', name: 'lookup_order', arguments: '{"order":"B2"}' },
          { id: 'c2', name: 'no_such_tool', arguments: '{}' },
          { id: 'c3', name: 'lookup_order', arguments: '{not json' },
          { id: 'c4', name: 'transfer_to_support', arguments: '{}' },
        ],
      },
      say('Sorry, something went wrong.'),
    ]);
    const runner = new FakeRunner({
      lookup_order: {
        status: 'failed',
        messages: ['I could not look that up.'],
        error: { code: 'http_404', message: 'not found', retryable: false },
      },
      'Transfer to Support': Object.assign(new Error('bus down'), {}),
    });
    await runTurn(input(), { model, tools: runner });
    const results = toolMessages(model.requests[1]?.messages ?? []);
    expect(results.map((r) => [r.id, r.content.status, r.content.error?.code])).toEqual([
      ['c1', 'failed', 'http_404'],
      ['c2', 'failed', 'unknown_tool'],
      ['c3', 'failed', 'invalid_arguments'],
      ['c4', 'failed', 'internal'],
    ]);
    expect(results[0]?.content.messages).toEqual(['I could not look that up.']);
  });

  it('refuses arguments beyond the JSON limits to the model and keeps its words storable', async () => {
    const deep = `${'{"a":'.repeat(40)}1${'}'.repeat(40)}`;
    const model = new ScriptedModel([
      {
        text: 'Looking\u0000 it up \ud800now.',
        toolCalls: [
          { id: 'c1', name: 'lookup_order', arguments: `{"order": ${deep}}` },
          { id: 'c2', name: 'lookup_order', arguments: '{"order": "A\\u0000B"}' },
          { id: 'c3\u0000', name: 'lookup_order', arguments: '{"order": "X1"}' },
        ],
      },
      say('Done.'),
    ]);
    const runner = new FakeRunner();
    const turn = await runTurn(input(), { model, tools: runner });
    // Only the acceptable call ran; the model read why the others did not.
    expect(runner.calls.filter((c) => c.action === 'lookup_order').map((c) => c.arguments)).toEqual([{ order: 'X1' }]);
    const results = toolMessages(model.requests[1]?.messages ?? []);
    expect(results.map((r) => [r.id, r.content.error?.code])).toEqual([
      ['c1', 'invalid_arguments'],
      ['c2', 'invalid_arguments'],
      ['c3\ufffd', undefined],
    ]);
    expect(results[0]?.content.error.message).toBe(
      `the arguments cannot be accepted: ${'/a'.repeat(32).replace('/a', '/order')} must not nest deeper than 32 levels of objects and arrays`,
    );
    expect(results[1]?.content.error.message).toBe(
      'the arguments cannot be accepted: /order must not contain U+0000 (NUL)',
    );
    expect(turn.text).toBe('Looking\ufffd it up \ufffdnow. Done.');
  });

  it('stops after the maximum number of model calls, the last one without tools', async () => {
    const model = new ScriptedModel(
      Array.from({ length: MAX_LLM_ROUNDS }, (_, i) =>
        callTool('Checking.', [`c${i}`, 'lookup_order', { order: 'X' }]),
      ),
    );
    const runner = new FakeRunner();
    const turn = await runTurn(input(), { model, tools: runner });
    expect(turn.rounds).toBe(MAX_LLM_ROUNDS);
    expect(model.requests.map((r) => r.toolChoice)).toEqual([...Array(MAX_LLM_ROUNDS - 1).fill('auto'), 'none']);
    // The last reply's tool call is not run: it was made without permission.
    expect(runner.calls.filter((c) => c.action === 'lookup_order')).toHaveLength(MAX_LLM_ROUNDS - 1);
  });
});

describe('instructions, tools and deterministic runs', () => {
  it('sends the instructions with the turn policy, the history, the every-turn results and the LLM tools', async () => {
    const history: ChatMessage[] = [
      { role: 'user', content: 'Hello' },
      { role: 'assistant', content: 'Hi! How can I help?' },
    ];
    const model = new ScriptedModel([say('We are open.')]);
    const runner = new FakeRunner({ check_hours: { outputs: { open: true, error_code: 7 } } });
    const turn = await runTurn(input({ history, userText: 'Are you open?' }), { model, tools: runner });

    const sent = model.requests[0];
    expect(sent?.messages[0]).toEqual({ role: 'system', content: `You are a support agent.\n\n${TURN_POLICY}` });
    expect(sent?.messages.slice(1, 3)).toEqual(history);
    const note = sent?.messages[3];
    expect(note?.role === 'system' && note.content).toContain(
      '- check_hours: {"status":"succeeded","outputs":{"open":true}}',
    );
    expect(sent?.messages[4]).toEqual({ role: 'user', content: 'Are you open?' });
    expect(sent?.tools.map((t) => t.function.name)).toEqual(['transfer_to_support', 'lookup_order', 'place_order']);
    // every_turn before the model, after_turn after its answer.
    expect(runner.calls.map((c) => [c.action, c.idempotencyKey])).toEqual([
      ['check_hours', 'turn_1:every_turn:check_hours'],
      ['audit_turn', 'turn_1:after_turn:audit_turn'],
    ]);
    expect(turn.actions.map((a) => a.trigger)).toEqual(['every_turn', 'after_turn']);
    expect(turn.messages).toEqual([
      { role: 'user', content: 'Are you open?' },
      { role: 'assistant', content: 'We are open.' },
    ]);
  });

  it('tells the transcript what was said, in order', async () => {
    const said: string[] = [];
    const model = new ScriptedModel([
      callTool('One moment.', ['c1', 'lookup_order', { order: 'Z' }]),
      say('Found it.'),
    ]);
    await runTurn(input({ userText: 'Where is Z?' }), {
      model,
      tools: new FakeRunner(),
      transcript: { said: async (role, text) => void said.push(`${role}: ${text}`) },
    });
    expect(said).toEqual(['user: Where is Z?', 'assistant: One moment.', 'assistant: Found it.']);
  });

  it('resumes a failed attempt: the kept text is not said again, and what the attempt did follows it', async () => {
    const said: string[] = [];
    const resumed: ChatMessage[] = [
      { role: 'assistant', content: null, toolCalls: [{ id: 'c1', name: 'lookup_order', arguments: '{"order":"Z"}' }] },
      { role: 'tool', toolCallId: 'c1', content: '{"status":"succeeded","outputs":{"status":"shipped"}}' },
    ];
    const model = new ScriptedModel([say('It shipped.')]);
    await runTurn(input({ userText: 'Where is Z?', userTextKept: true, resumed }), {
      model,
      tools: new FakeRunner(),
      transcript: { said: async (role, text) => void said.push(`${role}: ${text}`) },
    });
    expect(said).toEqual(['assistant: It shipped.']);
    const sent = model.requests[0]?.messages ?? [];
    const user = sent.findIndex((m) => m.role === 'user');
    expect(sent.filter((m) => m.role === 'user')).toHaveLength(1);
    expect(sent.slice(user + 1, user + 3)).toEqual(resumed);
  });
});

describe('confirmation', () => {
  const asks = (): FakeRunner =>
    new FakeRunner({ place_order: { id: 'int_pending', status: 'awaiting_confirmation', events: [] } });

  it('ends the turn asking, without running anything after the call that waits', async () => {
    const model = new ScriptedModel([
      callTool(null, ['c1', 'place_order', { item: 'tea' }], ['c2', 'lookup_order', { order: 'A' }]),
      say('Shall I order tea for you?'),
    ]);
    const runner = asks();
    const turn = await runTurn(input({ userText: 'Order tea' }), { model, tools: runner });

    expect(turn.pendingConfirmation).toEqual({
      callId: 'int_pending',
      action: 'place_order',
      toolName: 'place_order',
      arguments: { item: 'tea' },
    });
    expect(turn.text).toBe('Shall I order tea for you?');
    // after_turn actions would only queue behind the question: they wait for the answering turn.
    expect(runner.calls.map((c) => c.action)).toEqual(['check_hours', 'place_order']);
    expect(model.requests[1]?.toolChoice).toBe('none');
    expect(toolMessages(model.requests[1]?.messages ?? []).map((r) => [r.id, r.content.status])).toEqual([
      ['c1', 'awaiting_confirmation'],
      ['c2', 'not_run'],
    ]);
  });

  it('confirms on a clear yes and feeds the outcome back as the result of the call', async () => {
    const pending = {
      callId: 'int_pending',
      action: 'place_order',
      toolName: 'place_order',
      arguments: { item: 'tea' },
    };
    const model = new ScriptedModel([say('Done, your tea is ordered.')]);
    const runner = new FakeRunner();
    const turn = await runTurn(input({ userText: 'Yes please', pending }), { model, tools: runner });

    expect(runner.controls).toEqual([{ callId: 'int_pending', kind: 'confirm' }]);
    expect(turn.actions.find((a) => a.trigger === 'confirmation')).toMatchObject({
      name: 'place_order',
      status: 'succeeded',
      outputs: { ok: true },
    });
    const sent = model.requests[0]?.messages ?? [];
    const answer = sent.findIndex((m) => m.role === 'user' && m.content === 'Yes please');
    expect(sent[answer + 1]).toMatchObject({
      role: 'assistant',
      toolCalls: [{ id: 'confirm_int_pending', name: 'place_order', arguments: '{"item":"tea"}' }],
    });
    expect(toolMessages(sent)[0]?.content).toMatchObject({ status: 'succeeded', outputs: { ok: true } });
    expect(turn.pendingConfirmation).toBeUndefined();
  });

  it('declines on no, on anything unclear, and follows an explicit answer over the words', async () => {
    const pending = { callId: 'int_p', action: 'place_order', toolName: 'place_order', arguments: {} };
    const kindFor = async (userText: string, confirmation?: boolean) => {
      const runner = new FakeRunner();
      await runTurn(input({ userText, pending, ...(confirmation === undefined ? {} : { confirmation }) }), {
        model: new ScriptedModel([say('OK.')]),
        tools: runner,
      });
      return runner.controls[0]?.kind;
    };
    expect(await kindFor('No, not now')).toBe('decline');
    expect(await kindFor('What time is it?')).toBe('decline');
    expect(await kindFor('Yes, go ahead')).toBe('confirm');
    expect(await kindFor('hmm', true)).toBe('confirm');
    expect(await kindFor('yes', false)).toBe('decline');
  });
});
