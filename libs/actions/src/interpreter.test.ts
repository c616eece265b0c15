import { readdirSync, readFileSync } from 'node:fs';
import { type JsonValue, SwitchboardError, UnavailableError } from '@switchboard/common';
import { describe, expect, it } from 'vitest';
import { parseDeclarativeTool } from './declarative.js';
import {
  type ChainEvent,
  type ChainState,
  type EffectExecutor,
  type EffectRequest,
  emptyState,
  interpret,
  spokenMessages,
  visibleOutputs,
} from './interpreter.js';
import type { CanonicalAction } from './model.js';
import { parseTypedAction } from './typed.js';

const examplesDir = new URL('../schemas/examples/', import.meta.url);
const example = (file: string): unknown => JSON.parse(readFileSync(new URL(file, examplesDir), 'utf8'));
expect(readdirSync(examplesDir).length).toBeGreaterThan(0);

/** Records every request; answers from a table keyed by endpoint/operation, or fails. */
class FakeExecutor implements EffectExecutor {
  readonly requests: EffectRequest[] = [];
  constructor(private readonly answers: Record<string, JsonValue | Error> = {}) {}
  async execute(request: EffectRequest): Promise<JsonValue> {
    this.requests.push(structuredClone(request));
    const answer = this.answers[request.endpoint ?? request.operation ?? ''];
    if (answer instanceof Error) throw answer;
    return answer ?? { ok: true };
  }
}

function tool(doc: Record<string, unknown>): CanonicalAction {
  return parseDeclarativeTool({ name: 'test_tool', description: 'test', ...doc });
}

const responses = (events: ChainEvent[]) =>
  events.filter((e) => e.type === 'respond').map((e) => (e as { message: string }).message);

describe('save_meal (seed)', () => {
  const action = parseDeclarativeTool(example('save_meal.tool.json'));
  const params = { meal_type: 'lunch', dishes: ['soup', 'salad'] };

  it('appends the meal to context, calls the webhook with the resolved payload, and responds', async () => {
    const executor = new FakeExecutor({ meal_log: { id: 'm1' } });
    const result = await interpret({ action, params, state: emptyState() }, executor);
    expect(result.status).toBe('succeeded');
    expect(result.state.context.logged_meals).toEqual([params]);
    expect(executor.requests).toEqual([
      { kind: 'webhook', stepPointer: '/actions/1', endpoint: 'meal_log', payload: { meal: params } },
    ]);
    expect(result.events).toEqual([
      { type: 'effect', kind: 'webhook', name: 'meal_log', status: 'started' },
      { type: 'effect', kind: 'webhook', name: 'meal_log', status: 'succeeded' },
      { type: 'respond', message: "Got it! I've logged your lunch." },
    ]);
    expect(result.error).toBeUndefined();

    const again = await interpret(
      { action, params: { meal_type: 'dinner', dishes: ['pasta'] }, state: result.state },
      executor,
    );
    expect(again.state.context.logged_meals).toEqual([params, { meal_type: 'dinner', dishes: ['pasta'] }]);
  });

  it('runs on_failure when the webhook fails, keeping the state changes made before the failure', async () => {
    const executor = new FakeExecutor({ meal_log: new UnavailableError('meal API timed out') });
    const result = await interpret({ action, params, state: emptyState() }, executor);
    expect(result.status).toBe('failed');
    expect(result.error).toEqual({
      code: 'unavailable',
      message: 'meal API timed out',
      retryable: true,
      stepPointer: '/actions/1',
    });
    expect(result.state.context.logged_meals).toEqual([params]);
    expect(result.outputs).toEqual({});
    expect(result.events).toEqual([
      { type: 'effect', kind: 'webhook', name: 'meal_log', status: 'started' },
      {
        type: 'effect',
        kind: 'webhook',
        name: 'meal_log',
        status: 'failed',
        error: { code: 'unavailable', message: 'meal API timed out' },
      },
      { type: 'respond', message: "Sorry, I couldn't save that meal." },
    ]);
  });

  it('rejects invalid arguments before any step (required, enum, type), running on_failure', async () => {
    const executor = new FakeExecutor();
    const missing = await interpret({ action, params: { meal_type: 'lunch' }, state: emptyState() }, executor);
    expect(missing.status).toBe('failed');
    expect(missing.error).toMatchObject({
      code: 'invalid_arguments',
      retryable: false,
      details: { issues: [{ pointer: '/params/dishes', message: "missing required argument 'dishes'" }] },
    });
    expect(responses(missing.events)).toEqual(["Sorry, I couldn't save that meal."]);
    expect(executor.requests).toEqual([]);

    const badEnum = await interpret(
      { action, params: { meal_type: 'brunch', dishes: 'soup' }, state: emptyState() },
      executor,
    );
    expect(badEnum.error?.message).toBe(
      'argument \'meal_type\' must be one of "breakfast", "lunch", "dinner"; argument \'dishes\': expected array',
    );
    expect(badEnum.state).toEqual(emptyState());
  });

  it('drops undeclared arguments with a warning', async () => {
    const result = await interpret(
      { action, params: { ...params, secret: 'x' }, state: emptyState() },
      new FakeExecutor(),
    );
    expect(result.events[0]).toEqual({ type: 'log', level: 'warn', message: "ignored undeclared argument 'secret'" });
    expect(result.state.context.logged_meals).toEqual([params]);
  });
});

describe('email chain (seed)', () => {
  const action = parseDeclarativeTool(example('save_email.tool.json'));

  it('validates, stores, subscribes conditionally, sets the flag and responds', async () => {
    const executor = new FakeExecutor();
    const result = await interpret(
      { action, params: { email: 'ada@example.com', subscribe: true }, state: emptyState() },
      executor,
    );
    expect(result.status).toBe('succeeded');
    expect(result.state.context).toEqual({ user: { email: 'ada@example.com' } });
    expect(result.state.flags).toEqual({ subscribed: true });
    expect(executor.requests).toEqual([
      {
        kind: 'webhook',
        stepPointer: '/actions/2/then/0',
        endpoint: 'subscribe',
        payload: { email: 'ada@example.com' },
      },
    ]);
    expect(responses(result.events)).toEqual(['Your email has been saved!']);
  });

  it('skips the subscription when subscribe is false (the default)', async () => {
    const executor = new FakeExecutor();
    const result = await interpret({ action, params: { email: 'ada@example.com' }, state: emptyState() }, executor);
    expect(result.status).toBe('succeeded');
    expect(executor.requests).toEqual([]);
    expect(result.state.flags).toEqual({});
  });

  it('stops at a failed validation', async () => {
    const result = await interpret(
      { action, params: { email: 'not-an-email', subscribe: true }, state: emptyState() },
      new FakeExecutor(),
    );
    expect(result.status).toBe('failed');
    expect(result.error).toEqual({
      code: 'validation_failed',
      message: 'params.email must be a valid email address',
      retryable: false,
      stepPointer: '/actions/0',
      details: { field: 'params.email', rule: 'email' },
    });
    expect(result.state.context).toEqual({});
    expect(result.events).toEqual([]);
  });
});

describe('conditional (seed: premium / non-premium)', () => {
  const action = tool({
    actions: [
      {
        type: 'conditional',
        condition: "context.user_type === 'premium'",
        // biome-ignore lint/suspicious/noThenProperty: 'then' is the conditional step's property in the seed format
        then: [{ type: 'respond', message: 'Welcome back, premium member!' }],
        else: [{ type: 'respond', message: 'Welcome! Consider upgrading to premium.' }],
      },
      {
        type: 'conditional',
        condition: "user_type === 'premium' && !flags.muted",
        // biome-ignore lint/suspicious/noThenProperty: 'then' is the conditional step's property in the seed format
        then: [{ type: 'respond', message: 'bare context keys work too' }],
      },
    ],
  });
  it('takes the then branch for premium users', async () => {
    const state: ChainState = { ...emptyState(), context: { user_type: 'premium' } };
    const result = await interpret({ action, params: {}, state }, new FakeExecutor());
    expect(responses(result.events)).toEqual(['Welcome back, premium member!', 'bare context keys work too']);
  });
  it('takes the else branch otherwise', async () => {
    const result = await interpret({ action, params: {}, state: emptyState() }, new FakeExecutor());
    expect(responses(result.events)).toEqual(['Welcome! Consider upgrading to premium.']);
  });
});

describe('validate: the seven rules', () => {
  const cases: [string, number | string | undefined, JsonValue, JsonValue][] = [
    ['required', undefined, 'x', '  '],
    ['email', undefined, 'ada@example.com', 'ada@'],
    ['phone', undefined, '+1 (555) 123-4567', '12345'],
    ['number', undefined, '42.5', 'forty'],
    ['min_length', 3, 'abc', 'ab'],
    ['max_length', 3, 'abc', 'abcd'],
    ['pattern', '^[0-9]{5}$', '12345', '1234a'],
  ];
  it.each(cases)('%s', async (rule, value, good, bad) => {
    const action = tool({
      parameters: [{ name: 'x', type: 'string' }],
      actions: [
        {
          type: 'validate',
          field: 'params.x',
          rule,
          ...(value === undefined ? {} : { value }),
          error_message: 'Bad {{params.x}} for ' + rule,
        },
      ],
      on_failure: [{ type: 'respond', message: '{{error.message}} ({{error.code}} at {{error.step}})' }],
    });
    const ok = await interpret({ action, params: { x: good }, state: emptyState() }, new FakeExecutor());
    expect(ok.status).toBe('succeeded');
    const ko = await interpret({ action, params: { x: bad }, state: emptyState() }, new FakeExecutor());
    expect(ko.status).toBe('failed');
    expect(responses(ko.events)).toEqual([`Bad ${String(bad)} for ${rule} (validation_failed at /actions/0)`]);
  });
});

describe('transform (seed)', () => {
  it('binds input and stores the result at output', async () => {
    const action = tool({
      parameters: [{ name: 'items', type: 'array' }],
      actions: [
        {
          type: 'transform',
          input: 'params.items',
          expression: "input.map(item => item.toUpperCase()).join(', ')",
          output: 'context.formatted_items',
        },
        { type: 'respond', message: 'You ordered {{formatted_items}}.' },
      ],
    });
    const result = await interpret(
      { action, params: { items: ['apple', 'pear'] }, state: emptyState() },
      new FakeExecutor(),
    );
    expect(result.state.context.formatted_items).toBe('APPLE, PEAR');
    expect(responses(result.events)).toEqual(['You ordered APPLE, PEAR.']);
  });

  it('fails with the expression error code when evaluation fails', async () => {
    const action = tool({
      actions: [{ type: 'transform', input: 'params.missing', expression: 'input.toUpperCase()', output: 'out' }],
      on_failure: [{ type: 'log', level: 'error', message: 'failed', data: 'error' }],
    });
    const result = await interpret({ action, params: {}, state: emptyState() }, new FakeExecutor());
    expect(result.status).toBe('failed');
    expect(result.error?.code).toMatch(/^expr_/);
    expect(result.error?.stepPointer).toBe('/actions/0');
    expect(result.events[0]).toMatchObject({
      type: 'log',
      level: 'error',
      data: { code: result.error?.code, step: '/actions/0' },
    });
  });
});

describe('log (seed)', () => {
  it.each(['debug', 'info', 'warn', 'error'] as const)('emits %s events with resolved data', async (level) => {
    const action = tool({
      parameters: [{ name: 'meal_type', type: 'string' }],
      actions: [{ type: 'log', level, message: 'Processing {{params.meal_type}}', data: 'params' }],
    });
    const result = await interpret({ action, params: { meal_type: 'lunch' }, state: emptyState() }, new FakeExecutor());
    expect(result.events).toEqual([{ type: 'log', level, message: 'Processing lunch', data: { meal_type: 'lunch' } }]);
  });
});

describe('callbacks (seed)', () => {
  const action = parseDeclarativeTool(example('callbacks.tool.json'));
  it("on_success stores the 'meal_saved' quoted literal and responds", async () => {
    const result = await interpret({ action, params: {}, state: emptyState() }, new FakeExecutor());
    expect(result.state.context.last_action).toBe('meal_saved');
    expect(responses(result.events)).toEqual(['Done!']);
  });
  it('on_failure sees the error scope', async () => {
    const result = await interpret(
      { action, params: {}, state: emptyState() },
      new FakeExecutor({ meal_log: new SwitchboardError('http_500', 'upstream said no') }),
    );
    expect(result.status).toBe('failed');
    expect(result.events.slice(2)).toEqual([
      {
        type: 'log',
        level: 'error',
        message: 'Tool failed',
        data: { code: 'http_500', message: 'upstream said no', retryable: false, step: '/actions/0' },
      },
      { type: 'respond', message: 'Something went wrong. Please try again.' },
    ]);
    expect(result.state.context.last_action).toBeUndefined();
  });
});

describe('the other steps', () => {
  it('runs every step of the catalog example', async () => {
    const action = parseDeclarativeTool(example('step_catalog.tool.json'));
    const state: ChainState = {
      ...emptyState(),
      context: {
        user: { id: 'u1', name: 'Ada' },
        temp: { draft: 'x', keep: true },
        dynamic_response: 'Dynamic hello',
        user_type: 'premium',
      },
      flags: { needs_verification: true },
      workflow: { total: 3 },
      agents: { meal: { last: 'soup' } },
    };
    const executor = new FakeExecutor({ save_meal: { saved: true }, meal_log: { logged: 1 } });
    const params = {
      selected_theme: 'dark',
      meal_type: 'lunch',
      calories: 420,
      email: 'ada@example.com',
      items: ['a', 'b'],
    };
    const result = await interpret({ action, params, state, agentName: 'meal' }, executor);
    expect(result.status).toBe('succeeded');
    expect(result.state.context).toMatchObject({
      user: { id: 'u1', name: 'Ada', preferences: { theme: 'dark' } },
      temp: { keep: true },
      api_response: { saved: true },
      api_result: { logged: 1 },
      formatted_items: 'A, B',
      meals: [params],
    });
    expect(result.state.context.temp).toEqual({ keep: true });
    expect(result.state.flags).toEqual({ needs_verification: false, skip_confirmation: true });
    expect(result.outputs).toEqual({ 'user.name': 'Ada' });
    expect(result.state.outputs).toEqual({ step_catalog: { 'user.name': 'Ada' } });
    expect(executor.requests.map((r) => [r.stepPointer, r.payload])).toEqual([
      ['/actions/8', { meal_type: 'lunch', calories: 420 }],
      ['/actions/14', { user_id: 'u1', meal: params }],
    ]);
    expect(result.events.filter((e) => e.type !== 'effect')).toEqual([
      { type: 'respond', message: "I've saved your meal successfully!" },
      { type: 'respond', message: 'Dynamic hello' },
      { type: 'handoff', target: 'specialist_agent', message: 'Transferring you now...' },
      { type: 'respond', message: 'Welcome back, premium member!' },
      { type: 'log', level: 'info', message: 'Processing meal data', data: params },
      { type: 'respond', message: 'lunch u1 3 soup' },
    ]);
  });

  it('context.get returns null for a missing key; writes reach workflow and agents scopes', async () => {
    const action = tool({
      actions: [
        { type: 'context.get', key: 'user.nickname' },
        { type: 'context.set', key: 'workflow.total', value: 5 },
        { type: 'context.set', key: 'agents.meal.last[+]', value: "'soup'" },
        { type: 'context.get', key: 'workflow.total' },
      ],
    });
    const result = await interpret(
      { action, params: {}, state: emptyState(), agentName: 'router' },
      new FakeExecutor(),
    );
    expect(result.outputs).toEqual({ 'user.nickname': null, 'workflow.total': 5 });
    expect(result.state.workflow).toEqual({ total: 5 });
    expect(result.state.agents).toEqual({ meal: { last: ['soup'] }, router: {} });
    expect(result.state.outputs.test_tool).toEqual(result.outputs);
  });

  it('reads remembered outputs of earlier actions', async () => {
    const action = tool({ actions: [{ type: 'respond', message: 'Your meal id is {{outputs.log_meal.meal_id}}' }] });
    const state: ChainState = { ...emptyState(), outputs: { log_meal: { meal_id: 'm-7' } } };
    const result = await interpret({ action, params: {}, state }, new FakeExecutor());
    expect(responses(result.events)).toEqual(['Your meal id is m-7']);
  });
});

describe('typed actions', () => {
  it('maps the webhook result to declared outputs and hides filtered ones from the agent', async () => {
    const action = parseTypedAction(example('log_meal.action.json'));
    const executor = new FakeExecutor({
      meal_log: { id: 'm-1', total_calories: 640, audit_token: 'tok', extra: 'ignored' },
    });
    const params = { meal_type: 'lunch', dishes: ['soup'], calories: [640] };
    const result = await interpret({ action, params, state: emptyState() }, executor);
    expect(result.status).toBe('succeeded');
    expect(executor.requests[0]).toEqual({
      kind: 'webhook',
      stepPointer: '/actions/0',
      endpoint: 'meal_log',
      payload: params,
    });
    expect(result.events[0]).toEqual({ type: 'progress', message: 'Saving your lunch...' });
    expect(result.outputs).toEqual({ meal_id: 'm-1', total_calories: 640, audit_token: 'tok' });
    expect(visibleOutputs(action, result.outputs)).toEqual({ meal_id: 'm-1', total_calories: 640 });
    expect(result.state.outputs.log_meal).toEqual(result.outputs);
  });

  it('leaves out an output of the wrong type with a warning: the effect happened, so the run succeeded', async () => {
    const action = parseTypedAction(example('log_meal.action.json'));
    const result = await interpret(
      { action, params: { meal_type: 'lunch', dishes: ['soup'] }, state: emptyState() },
      new FakeExecutor({ meal_log: { id: 'm-1', total_calories: 'lots' } }),
    );
    expect(result.status).toBe('succeeded');
    expect(result.outputs).toEqual({ meal_id: 'm-1' });
    expect(result.state.outputs.log_meal).toEqual({ meal_id: 'm-1' });
    expect(result.events).toContainEqual({
      type: 'log',
      level: 'warn',
      message: "output 'total_calories' left out: expected number",
      data: {
        code: 'invalid_output',
        output: 'total_calories',
        pointer: '/outputs/total_calories',
        result_pointer: '/total_calories',
      },
    });
  });

  it('takes a numeric id output', async () => {
    const action = parseTypedAction(example('log_meal.action.json'));
    let asked = 0;
    const result = await interpret(
      { action, params: { meal_type: 'lunch', dishes: ['soup'] }, state: emptyState() },
      new FakeExecutor({ meal_log: { id: 42, total_calories: 640 } }),
      {
        outputChecks: () => {
          asked++;
          return 'lenient';
        },
      },
    );
    expect(result.status).toBe('succeeded');
    expect(result.outputs).toEqual({ meal_id: 42, total_calories: 640 });
    expect(result.events.filter((e) => e.type === 'log')).toEqual([]);
    expect(asked).toBe(1);
  });

  it('fails with invalid_output as earlier releases did when outputChecks says strict', async () => {
    const action = parseTypedAction(example('log_meal.action.json'));
    const result = await interpret(
      { action, params: { meal_type: 'lunch', dishes: ['soup'] }, state: emptyState() },
      new FakeExecutor({ meal_log: { id: 42, total_calories: 640 } }),
      { outputChecks: () => 'strict' },
    );
    expect(result.error).toMatchObject({
      code: 'invalid_output',
      message: "output 'meal_id': expected id (a non-empty string)",
    });
    expect(result.state.outputs).toEqual({});
  });

  it('does not ask outputChecks when every output passes the strict check', async () => {
    const action = parseTypedAction(example('log_meal.action.json'));
    const result = await interpret(
      { action, params: { meal_type: 'lunch', dishes: ['soup'] }, state: emptyState() },
      new FakeExecutor({ meal_log: { id: 'm-1', total_calories: 640 } }),
      {
        outputChecks: () => {
          throw new Error('not asked');
        },
      },
    );
    expect(result.status).toBe('succeeded');
  });

  it('checks typed arguments (list[number], datetime)', async () => {
    const action = parseTypedAction(example('log_meal.action.json'));
    const result = await interpret(
      { action, params: { meal_type: 'lunch', dishes: ['soup'], calories: ['many'] }, state: emptyState() },
      new FakeExecutor(),
    );
    expect(result.error?.message).toBe("argument 'calories': expected list[number]: item 0: expected number");
  });

  it('calls the provider operation with the mapped inputs', async () => {
    const action = parseTypedAction(example('book_consultation.action.json'));
    const executor = new FakeExecutor({ 'calcom.book': { uid: 'b-1', booking: 'not an object' } });
    const result = await interpret(
      { action, params: { email: 'ada@example.com', start: '2025-03-01T10:00:00Z' }, state: emptyState() },
      executor,
    );
    expect(executor.requests).toEqual([
      {
        kind: 'provider',
        stepPointer: '/actions/0',
        operation: 'calcom.book',
        payload: { email: 'ada@example.com', start: '2025-03-01T10:00:00Z' },
      },
    ]);
    expect(result.status).toBe('succeeded');
    expect(result.outputs).toEqual({ booking_uid: 'b-1' });
    const ok = await interpret(
      { action, params: { email: 'ada@example.com', start: '2025-03-01T10:00:00Z' }, state: emptyState() },
      new FakeExecutor({ 'calcom.book': { uid: 'b-1', booking: { id: 1 } } }),
    );
    expect(ok.outputs).toEqual({ booking: { id: 1 }, booking_uid: 'b-1' });
  });

  it('refuses to run an unresolved tool:// or workflow:// target', async () => {
    const action = parseTypedAction(example('check_business_hours.action.json'));
    const result = await interpret({ action, params: {}, state: emptyState() }, new FakeExecutor());
    expect(result.error).toMatchObject({ code: 'unresolved_target' });
  });
});

describe('robustness', () => {
  it('never mutates the input state', async () => {
    const action = parseDeclarativeTool(example('step_catalog.tool.json'));
    const state: ChainState = {
      ...emptyState(),
      context: { user: { id: 'u1' }, temp: { draft: 'x' } },
      flags: { needs_verification: true },
    };
    const snapshot = structuredClone(state);
    await interpret({ action, params: { items: [] }, state }, new FakeExecutor());
    expect(state).toEqual(snapshot);
  });

  it('stops runaway chains with a step budget', async () => {
    const action = tool({
      actions: [1, 2, 3, 4, 5].map((n) => ({ type: 'respond', message: `step ${n}` })),
      on_failure: [{ type: 'respond', message: '{{error.code}}' }],
    });
    const result = await interpret({ action, params: {}, state: emptyState() }, new FakeExecutor(), {
      limits: { maxSteps: 3 },
    });
    expect(result.error).toMatchObject({ code: 'step_budget_exceeded', stepPointer: '/actions/3', retryable: false });
    expect(responses(result.events)).toEqual(['step 1', 'step 2', 'step 3', 'step_budget_exceeded']);
  });

  it('counts nested conditional steps in the budget', async () => {
    const action = tool({
      actions: [
        {
          type: 'conditional',
          condition: 'true',
          // biome-ignore lint/suspicious/noThenProperty: 'then' is the conditional step's property in the seed format
          then: [
            { type: 'log', level: 'info', message: 'a' },
            { type: 'log', level: 'info', message: 'b' },
          ],
        },
      ],
    });
    const result = await interpret({ action, params: {}, state: emptyState() }, new FakeExecutor(), {
      limits: { maxSteps: 2 },
    });
    expect(result.error).toMatchObject({ code: 'step_budget_exceeded', stepPointer: '/actions/0/then/1' });
  });

  it('caps effects', async () => {
    const action = tool({ actions: [1, 2, 3].map(() => ({ type: 'webhook', endpoint: 'x' })) });
    const result = await interpret({ action, params: {}, state: emptyState() }, new FakeExecutor(), {
      limits: { maxEffects: 2 },
    });
    expect(result.error).toMatchObject({ code: 'effect_budget_exceeded', stepPointer: '/actions/2' });
  });

  it('rejects prototype paths at run time even in unvalidated canonical actions', async () => {
    const action: CanonicalAction = {
      ...tool({}),
      steps: [{ type: 'context.set', key: 'user.__proto__.polluted', value: true }],
    };
    const result = await interpret({ action, params: {}, state: emptyState() }, new FakeExecutor());
    expect(result.error).toMatchObject({ code: 'invalid_path', stepPointer: '/actions/0' });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('fails on a path conflict instead of overwriting data', async () => {
    const action = tool({ actions: [{ type: 'context.set', key: 'user.name.first', value: "'A'" }] });
    const state: ChainState = { ...emptyState(), context: { user: { name: 'Ada' } } };
    const result = await interpret({ action, params: {}, state }, new FakeExecutor());
    expect(result.error).toMatchObject({ code: 'path_conflict' });
  });

  it('runs on_failure when on_success fails; a failing on_failure keeps the original error', async () => {
    const action = tool({
      on_success: [{ type: 'webhook', endpoint: 'notify' }],
      on_failure: [
        { type: 'webhook', endpoint: 'alert' },
        { type: 'respond', message: 'never said' },
      ],
    });
    const executor = new FakeExecutor({
      notify: new SwitchboardError('http_502', 'bad gateway', { retryable: true }),
      alert: new Error('boom'),
    });
    const result = await interpret({ action, params: {}, state: emptyState() }, executor);
    expect(result.error).toEqual({
      code: 'http_502',
      message: 'bad gateway',
      retryable: true,
      stepPointer: '/on_success/0',
    });
    expect(result.events.at(-1)).toEqual({
      type: 'log',
      level: 'error',
      message: 'on_failure stopped at /on_failure/0: boom',
      data: { code: 'internal' },
    });
    expect(responses(result.events)).toEqual([]);
  });

  it('delivers events through onEvent in order', async () => {
    const seen: ChainEvent[] = [];
    const action = parseDeclarativeTool(example('save_meal.tool.json'));
    const result = await interpret({ action, params: { dishes: ['x'] }, state: emptyState() }, new FakeExecutor(), {
      onEvent: async (event) => {
        seen.push(event);
      },
    });
    expect(seen).toEqual(result.events);
  });
});

describe('handoff', () => {
  it('emits the target, its topic and the rendered message, which is one of the spoken messages', async () => {
    const action = tool({
      actions: [
        { type: 'respond', message: 'Let me get a specialist, {{user.name}}.' },
        {
          type: 'handoff',
          target: 'billing',
          topic: 'refunds',
          message: 'Transferring you to billing, {{user.name}}.',
        },
        { type: 'handoff', target: 'silent' },
      ],
    });
    const state = { ...emptyState(), context: { user: { name: 'Ada' } } };
    const result = await interpret({ action, params: {}, state }, new FakeExecutor());
    expect(result.status).toBe('succeeded');
    expect(result.events).toEqual([
      { type: 'respond', message: 'Let me get a specialist, Ada.' },
      { type: 'handoff', target: 'billing', topic: 'refunds', message: 'Transferring you to billing, Ada.' },
      { type: 'handoff', target: 'silent' },
    ]);
    expect(spokenMessages(result.events)).toEqual([
      'Let me get a specialist, Ada.',
      'Transferring you to billing, Ada.',
    ]);
  });

  it('refuses a topic that is not a topic name, with its pointer', () => {
    expect(() => tool({ actions: [{ type: 'handoff', target: 'billing', topic: 'no spaces' }] })).toThrowError(
      expect.objectContaining({
        issues: [expect.objectContaining({ pointer: '/actions/0/topic' })],
      }),
    );
  });
});

describe('user context in conditions', () => {
  it('reads user.* (and context.user.*) in expressions', async () => {
    const action = tool({
      actions: [
        {
          type: 'conditional',
          condition: "user.locale === 'fr-FR' && context.user.attributes.tier === 'gold'",
          // biome-ignore lint/suspicious/noThenProperty: 'then' is the conditional step's property in the seed format
          then: [{ type: 'respond', message: 'Bonjour {{user.name}}' }],
          else: [{ type: 'respond', message: 'Hello {{user.name}}' }],
        },
      ],
    });
    const user = (locale: string) => ({ name: 'Ada', locale, attributes: { tier: 'gold' } });
    const fr = await interpret(
      { action, params: {}, state: { ...emptyState(), context: { user: user('fr-FR') } } },
      new FakeExecutor(),
    );
    const en = await interpret(
      { action, params: {}, state: { ...emptyState(), context: { user: user('en-US') } } },
      new FakeExecutor(),
    );
    expect(responses(fr.events)).toEqual(['Bonjour Ada']);
    expect(responses(en.events)).toEqual(['Hello Ada']);
  });
});
