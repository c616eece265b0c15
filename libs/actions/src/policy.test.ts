import { type JsonValue, SwitchboardError } from '@switchboard/common';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validateCanonicalAction } from './canonical.js';
import { parseDeclarativeTool, validateDeclarativeTool } from './declarative.js';
import { type EffectExecutor, type EffectRequest, emptyState, interpret } from './interpreter.js';
import type { CanonicalAction, EffectPolicy, EffectRetryPolicy } from './model.js';
import { mergeEffectPolicies, readEffectPolicy, retryIntervalProblem } from './policy.js';
import { parseTypedAction, validateTypedAction } from './typed.js';

class RecordingExecutor implements EffectExecutor {
  readonly requests: EffectRequest[] = [];
  constructor(private readonly fail?: Error) {}
  async execute(request: EffectRequest): Promise<JsonValue> {
    this.requests.push(structuredClone(request));
    if (this.fail) throw this.fail;
    return { ok: true };
  }
}

const tool = (doc: Record<string, unknown>): Record<string, unknown> => ({ name: 't', description: 'd', ...doc });
const webhook = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  type: 'webhook',
  endpoint: 'api',
  ...extra,
});

async function requestsOf(action: CanonicalAction): Promise<EffectRequest[]> {
  const executor = new RecordingExecutor();
  const result = await interpret({ action, params: {}, state: emptyState() }, executor);
  expect(result.error).toBeUndefined();
  return executor.requests;
}

describe('declarative tools: effect policies', () => {
  const doc = tool({
    timeout_ms: 8000,
    retry: { max_attempts: 3, initial_interval_ms: 500, backoff: 2, max_interval_ms: 4000 },
    actions: [
      webhook(),
      webhook({ endpoint: 'events', timeout_ms: 3000, retry: { max_attempts: 1 } }),
      {
        type: 'conditional',
        condition: 'true',
        // biome-ignore lint/suspicious/noThenProperty: 'then' is the conditional step's property in the format
        then: [webhook({ endpoint: 'nested', retry: { backoff: 1.5, max_interval_ms: 10000 } })],
      },
    ],
    on_failure: [webhook({ endpoint: 'alerts', retry: { initial_interval_ms: 100 } })],
  });

  it('parses the top-level default into effectPolicy and keeps steps as written', () => {
    expect(validateDeclarativeTool(doc)).toEqual([]);
    const action = parseDeclarativeTool(doc);
    expect(action.effectPolicy).toEqual({
      timeoutMs: 8000,
      retry: { maxAttempts: 3, initialIntervalMs: 500, backoffCoefficient: 2, maximumIntervalMs: 4000 },
    });
    expect(action.steps).toEqual(doc.actions);
    expect(action.onFailure).toEqual(doc.on_failure);
  });

  it('leaves effectPolicy out when the tool sets none', () => {
    expect(parseDeclarativeTool(tool({ actions: [webhook()] }))).not.toHaveProperty('effectPolicy');
  });

  it('gives each effect the step policy merged over the default, field by field', async () => {
    const requests = await requestsOf(parseDeclarativeTool(doc));
    expect(requests.map((r) => [r.stepPointer, r.policy])).toEqual([
      [
        '/actions/0',
        {
          timeoutMs: 8000,
          retry: { maxAttempts: 3, initialIntervalMs: 500, backoffCoefficient: 2, maximumIntervalMs: 4000 },
        },
      ],
      [
        '/actions/1',
        {
          timeoutMs: 3000,
          retry: { maxAttempts: 1, initialIntervalMs: 500, backoffCoefficient: 2, maximumIntervalMs: 4000 },
        },
      ],
      [
        '/actions/2/then/0',
        {
          timeoutMs: 8000,
          retry: { maxAttempts: 3, initialIntervalMs: 500, backoffCoefficient: 1.5, maximumIntervalMs: 10000 },
        },
      ],
    ]);
  });

  it('sends no policy when neither the step nor the action sets one', async () => {
    const requests = await requestsOf(parseDeclarativeTool(tool({ actions: [webhook()] })));
    expect(requests).toHaveLength(1);
    expect(requests[0]).not.toHaveProperty('policy');
  });

  it('uses the step policy alone when the action has no default', async () => {
    const requests = await requestsOf(
      parseDeclarativeTool(tool({ actions: [webhook({ retry: { max_attempts: 2 } }), webhook()] })),
    );
    expect(requests.map((r) => r.policy)).toEqual([{ retry: { maxAttempts: 2 } }, undefined]);
  });

  it.each([
    // [document, pointer, expected, found]
    [{ actions: [webhook({ timeout_ms: 99 })] }, '/actions/0/timeout_ms', 'an integer from 100 to 600000', 'number 99'],
    [
      { actions: [webhook({ timeout_ms: 600001 })] },
      '/actions/0/timeout_ms',
      'an integer from 100 to 600000',
      'number 600001',
    ],
    [
      { actions: [webhook({ timeout_ms: 2500.5 })] },
      '/actions/0/timeout_ms',
      'an integer from 100 to 600000',
      'number 2500.5',
    ],
    [
      { actions: [webhook({ timeout_ms: '5000' })] },
      '/actions/0/timeout_ms',
      'an integer from 100 to 600000',
      'string "5000"',
    ],
    [
      { actions: [webhook({ retry: { max_attempts: 0 } })] },
      '/actions/0/retry/max_attempts',
      'an integer from 1 to 20',
      'number 0',
    ],
    [
      { actions: [webhook({ retry: { max_attempts: 21 } })] },
      '/actions/0/retry/max_attempts',
      'an integer from 1 to 20',
      'number 21',
    ],
    [
      { actions: [webhook({ retry: { max_attempts: 2.5 } })] },
      '/actions/0/retry/max_attempts',
      'an integer from 1 to 20',
      'number 2.5',
    ],
    [
      { actions: [webhook({ retry: { initial_interval_ms: 9 } })] },
      '/actions/0/retry/initial_interval_ms',
      'an integer from 10 to 60000',
      'number 9',
    ],
    [
      { actions: [webhook({ retry: { initial_interval_ms: 60001 } })] },
      '/actions/0/retry/initial_interval_ms',
      'an integer from 10 to 60000',
      'number 60001',
    ],
    [
      { actions: [webhook({ retry: { backoff: 0.99 } })] },
      '/actions/0/retry/backoff',
      'a number from 1 to 10',
      'number 0.99',
    ],
    [
      { actions: [webhook({ retry: { backoff: 10.01 } })] },
      '/actions/0/retry/backoff',
      'a number from 1 to 10',
      'number 10.01',
    ],
    [
      { actions: [webhook({ retry: { backoff: true } })] },
      '/actions/0/retry/backoff',
      'a number from 1 to 10',
      'boolean true',
    ],
    [
      { actions: [webhook({ retry: { max_interval_ms: 99 } })] },
      '/actions/0/retry/max_interval_ms',
      'an integer from 100 to 600000',
      'number 99',
    ],
    [
      { actions: [webhook({ retry: { max_interval_ms: 600001 } })] },
      '/actions/0/retry/max_interval_ms',
      'an integer from 100 to 600000',
      'number 600001',
    ],
    [{ actions: [webhook({ retry: 'twice' })] }, '/actions/0/retry', 'an object', 'string "twice"'],
    [{ timeout_ms: 0 }, '/timeout_ms', 'an integer from 100 to 600000', 'number 0'],
    [{ retry: { max_attempts: 50 } }, '/retry/max_attempts', 'an integer from 1 to 20', 'number 50'],
    [{ retry: null }, '/retry', 'an object', 'null'],
    // Nested chains and callbacks are located too.
    [
      // biome-ignore lint/suspicious/noThenProperty: 'then' is the conditional step's property in the format
      { actions: [{ type: 'conditional', condition: 'true', then: [webhook({ retry: { backoff: 20 } })] }] },
      '/actions/0/then/0/retry/backoff',
      'a number from 1 to 10',
      'number 20',
    ],
    [
      { on_failure: [webhook({ timeout_ms: 1 })] },
      '/on_failure/0/timeout_ms',
      'an integer from 100 to 600000',
      'number 1',
    ],
  ] as const)('%j is refused at the exact pointer', (extra, pointer, expected, found) => {
    const issues = validateDeclarativeTool(tool(extra));
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ pointer, expected, found });
    expect(issues[0]?.message).toContain(pointer.endsWith('retry') ? "'retry' must be an object" : 'must be ');
    expect(() => parseDeclarativeTool(tool(extra))).toThrow(/is invalid/);
  });

  it('says what a range error expects, and spots durations written in seconds', () => {
    expect(validateDeclarativeTool(tool({ actions: [webhook({ retry: { max_attempts: 0 } })] }))).toEqual([
      {
        pointer: '/actions/0/retry/max_attempts',
        message: "'max_attempts' must be an integer from 1 to 20",
        expected: 'an integer from 1 to 20',
        found: 'number 0',
      },
    ]);
    expect(validateDeclarativeTool(tool({ actions: [webhook({ timeout_ms: 30 })] }))).toEqual([
      {
        pointer: '/actions/0/timeout_ms',
        message: "'timeout_ms' must be an integer from 100 to 600000 (milliseconds — did you mean 30000?)",
        expected: 'an integer from 100 to 600000',
        found: 'number 30',
        suggestion: '30000',
      },
    ]);
    // Not a plausible seconds value (×1000 is still out of range): no suggestion.
    const [issue] = validateDeclarativeTool(tool({ retry: { initial_interval_ms: 0.001 } }));
    expect(issue).not.toHaveProperty('suggestion');
  });

  it.each([
    [webhook({ retry: { max_atempts: 2 } }), '/actions/0/retry/max_atempts', 'max_attempts', 'a retry policy'],
    [webhook({ retry: { maxAttempts: 2 } }), '/actions/0/retry/maxAttempts', 'max_attempts', 'a retry policy'],
    [
      webhook({ retry: { backoff_coefficient: 2 } }),
      '/actions/0/retry/backoff_coefficient',
      'backoff',
      'a retry policy',
    ],
    [webhook({ retry: { max_interval: 900 } }), '/actions/0/retry/max_interval', 'max_interval_ms', 'a retry policy'],
    [webhook({ timeoutMs: 900 }), '/actions/0/timeoutMs', 'timeout_ms', "a 'webhook' step"],
    [webhook({ timeout: 900 }), '/actions/0/timeout', 'timeout_ms', "a 'webhook' step"],
    [webhook({ rety: {} }), '/actions/0/rety', 'retry', "a 'webhook' step"],
  ])('unknown key %j is reported with a did-you-mean', (step, pointer, suggestion, where) => {
    const issues = validateDeclarativeTool(tool({ actions: [step] }));
    expect(issues).toHaveLength(1);
    const key = pointer.split('/').pop();
    expect(issues[0]).toMatchObject({
      pointer,
      message: `unknown property '${key}' in ${where} — did you mean '${suggestion}'?`,
      found: `'${key}'`,
      suggestion,
    });
  });

  it('reports unknown keys of the top-level retry and a misspelled top-level timeout', () => {
    const issues = validateDeclarativeTool(tool({ retry: { max_attemps: 2 }, timeout: 5000 }));
    expect(issues.map((i) => [i.pointer, i.suggestion])).toEqual([
      ['/timeout', 'timeout_ms'],
      ['/retry/max_attemps', 'max_attempts'],
    ]);
    expect(issues[1]?.expected).toBe('one of max_attempts, initial_interval_ms, backoff, max_interval_ms');
  });

  it('refuses a maximum interval below the initial one, inside one policy', () => {
    expect(validateDeclarativeTool(tool({ retry: { initial_interval_ms: 5000, max_interval_ms: 1000 } }))).toEqual([
      {
        pointer: '/retry/max_interval_ms',
        message: "'max_interval_ms' (1000) must be at least 'initial_interval_ms' (5000)",
        expected: 'at least 5000',
        found: 'number 1000',
      },
    ]);
  });

  it('refuses a step interval that conflicts with the default it is merged with, at the step field', () => {
    const issues = validateDeclarativeTool(
      tool({
        retry: { initial_interval_ms: 2000, max_interval_ms: 8000 },
        actions: [
          webhook({ retry: { max_interval_ms: 1000 } }),
          webhook({ retry: { initial_interval_ms: 9000 } }),
          // Both set on the step: the default does not matter.
          webhook({ retry: { initial_interval_ms: 9000, max_interval_ms: 20000 } }),
          webhook({ retry: { max_interval_ms: 2000 } }),
        ],
      }),
    );
    expect(issues.map((i) => [i.pointer, i.expected, i.found])).toEqual([
      ['/actions/0/retry/max_interval_ms', 'at least 2000', 'number 1000'],
      ['/actions/1/retry/initial_interval_ms', 'at most 8000', 'number 9000'],
    ]);
    expect(issues[0]?.message).toContain("below the action's default initial_interval_ms (2000)");
  });

  it('reports policy problems together with the other issues of the document', () => {
    const issues = validateDeclarativeTool(
      tool({ actions: [webhook({ endpont: 'x', retry: { max_attempts: 0, backof: 2 } })] }),
    );
    expect(issues.map((i) => i.pointer)).toEqual([
      '/actions/0/endpont',
      '/actions/0/retry/backof',
      '/actions/0/retry/max_attempts',
    ]);
  });
});

describe('typed actions: effect policies', () => {
  const base = { name: 'request_refund', target: 'webhook://refunds_api' };

  it('takes timeout_ms and retry at the top level as the action default', async () => {
    const doc = { ...base, timeout_ms: 20000, retry: { max_attempts: 4, backoff: 3 } };
    expect(validateTypedAction(doc)).toEqual([]);
    const action = parseTypedAction(doc);
    expect(action.effectPolicy).toEqual({ timeoutMs: 20000, retry: { maxAttempts: 4, backoffCoefficient: 3 } });
    // The compiled step stays as before; the default reaches its request.
    expect(action.steps).toEqual([{ type: 'webhook', endpoint: 'refunds_api', payload: 'params' }]);
    const [request] = await requestsOf(action);
    expect(request?.policy).toEqual({ timeoutMs: 20000, retry: { maxAttempts: 4, backoffCoefficient: 3 } });
  });

  it('applies to provider targets too', async () => {
    const action = parseTypedAction({ name: 'hang_up', target: 'provider://telephony.end_call', timeout_ms: 5000 });
    const [request] = await requestsOf(action);
    expect(request).toMatchObject({ kind: 'provider', operation: 'telephony.end_call', policy: { timeoutMs: 5000 } });
  });

  it('leaves effectPolicy out when none is given', () => {
    expect(parseTypedAction(base)).not.toHaveProperty('effectPolicy');
  });

  it('reports bad values and unknown keys at exact pointers', () => {
    const issues = validateTypedAction({
      ...base,
      timeout_ms: 10,
      retry: { backoff: 0, max_attempt: 3, initial_interval_ms: 3000, max_interval_ms: 2000 },
      retries: 3,
    });
    expect(issues.map((i) => [i.pointer, i.suggestion])).toEqual([
      ['/retries', undefined],
      ['/timeout_ms', '10000'],
      ['/retry/max_attempt', 'max_attempts'],
      ['/retry/backoff', undefined],
      ['/retry/max_interval_ms', undefined],
    ]);
  });
});

describe('canonical actions: effect policies', () => {
  const builtin: CanonicalAction = {
    name: 'Book Consultation',
    label: 'Book Consultation',
    description: 'Book a consultation in Cal.com',
    source: 'builtin',
    parameters: [{ name: 'email', type: 'string', required: true }],
    outputs: [],
    steps: [
      {
        type: 'provider',
        operation: 'calcom.book',
        input: { email: 'params.email' },
        result_key: 'booking',
        timeout_ms: 15000,
        retry: { max_attempts: 5 },
      },
    ],
    onSuccess: [],
    onFailure: [],
    requireUserConfirmation: false,
    includeInProgressIndicator: false,
    effectPolicy: { timeoutMs: 10000, retry: { maxAttempts: 3, initialIntervalMs: 1000 } },
  };

  it('accepts camelCase effectPolicy and snake_case step policies', () => {
    expect(validateCanonicalAction(builtin)).toEqual([]);
  });

  it('reports canonical policy mistakes at canonical pointers', () => {
    const issues = validateCanonicalAction({
      ...builtin,
      effectPolicy: { timeout_ms: 100, retry: { maxAttempts: 30, max_interval_ms: 100 } },
      steps: [{ ...builtin.steps[0], retry: { max_attempts: 0 } }],
    });
    expect(issues.map((i) => [i.pointer, i.suggestion])).toEqual([
      ['/effectPolicy/timeout_ms', 'timeoutMs'],
      ['/effectPolicy/retry/max_interval_ms', 'maximumIntervalMs'],
      ['/effectPolicy/retry/maxAttempts', undefined],
      ['/steps/0/retry/max_attempts', undefined],
    ]);
    expect(validateCanonicalAction({ ...builtin, effectPolicy: 5000 })).toEqual([
      {
        pointer: '/effectPolicy',
        message: "'effectPolicy' must be an object",
        expected: 'an object with timeoutMs and/or retry',
        found: 'number 5000',
      },
    ]);
  });

  it('checks step intervals against the canonical default', () => {
    const issues = validateCanonicalAction({
      ...builtin,
      steps: [{ ...builtin.steps[0], retry: { max_interval_ms: 500 } }],
    });
    expect(issues.map((i) => i.pointer)).toEqual(['/steps/0/retry/max_interval_ms']);
  });

  it('round-trips through JSON: parsed, stored, re-read and run with the same policies', async () => {
    const parsed = parseDeclarativeTool(
      tool({
        timeout_ms: 8000,
        retry: { max_attempts: 3, backoff: 2.5 },
        actions: [webhook({ timeout_ms: 3000, retry: { initial_interval_ms: 250 } }), webhook()],
      }),
    );
    const stored = JSON.stringify(parsed);
    const reread = JSON.parse(stored) as CanonicalAction;
    expect(reread).toEqual(parsed);
    expect(validateCanonicalAction(reread)).toEqual([]);
    for (const action of [builtin, parseTypedAction({ name: 'a', target: 'webhook://x', retry: { backoff: 1.5 } })]) {
      const again = JSON.parse(JSON.stringify(action)) as unknown;
      expect(again).toEqual(action);
      expect(validateCanonicalAction(again)).toEqual([]);
    }
    const fromParsed = await requestsOf(parsed);
    const fromStored = await requestsOf(reread);
    expect(fromStored).toEqual(fromParsed);
    expect(fromStored.map((r) => r.policy)).toEqual([
      { timeoutMs: 3000, retry: { maxAttempts: 3, initialIntervalMs: 250, backoffCoefficient: 2.5 } },
      { timeoutMs: 8000, retry: { maxAttempts: 3, backoffCoefficient: 2.5 } },
    ]);
  });

  it('merges the canonical default under provider step policies', async () => {
    const executor = new RecordingExecutor();
    await interpret({ action: builtin, params: { email: 'a@b.co' }, state: emptyState() }, executor);
    expect(executor.requests[0]?.policy).toEqual({
      timeoutMs: 15000,
      retry: { maxAttempts: 5, initialIntervalMs: 1000 },
    });
  });

  it('fails the step with invalid_definition, without calling the executor, on a policy Temporal would refuse', async () => {
    const cases: CanonicalAction[] = [
      // Unvalidated stored JSON: out of range on the step, on the action, and conflicting once merged.
      { ...builtin, steps: [{ ...builtin.steps[0], timeout_ms: 0 } as CanonicalAction['steps'][number]] },
      { ...builtin, effectPolicy: { retry: { backoffCoefficient: 0 } } },
      { ...builtin, effectPolicy: 'fast' as unknown as EffectPolicy },
      {
        ...builtin,
        steps: [{ ...builtin.steps[0], retry: { max_interval_ms: 500 } } as CanonicalAction['steps'][number]],
      },
    ];
    for (const action of cases) {
      const executor = new RecordingExecutor();
      const result = await interpret({ action, params: { email: 'a@b.co' }, state: emptyState() }, executor);
      expect(result.status).toBe('failed');
      expect(result.error).toMatchObject({ code: 'invalid_definition', stepPointer: '/actions/0', retryable: false });
      expect(result.error?.message).toMatch(/^invalid effect policy/);
      expect(executor.requests).toEqual([]);
    }
  });

  it('keeps the policy out of the way of failures: the effect error is still the run error', async () => {
    const failing = new RecordingExecutor(new SwitchboardError('upstream_unavailable', 'down', { retryable: true }));
    const result = await interpret({ action: builtin, params: { email: 'a@b.co' }, state: emptyState() }, failing);
    expect(result.error).toMatchObject({ code: 'upstream_unavailable', retryable: true });
    expect(failing.requests[0]?.policy?.timeoutMs).toBe(15000);
  });
});

describe('mergeEffectPolicies', () => {
  const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
  const retryArb: fc.Arbitrary<EffectRetryPolicy | undefined> = optional(
    fc.record(
      {
        maxAttempts: fc.integer({ min: 1, max: 20 }),
        initialIntervalMs: fc.integer({ min: 10, max: 60_000 }),
        backoffCoefficient: fc.double({ min: 1, max: 10, noNaN: true }),
        maximumIntervalMs: fc.integer({ min: 100, max: 600_000 }),
      },
      { requiredKeys: [] },
    ),
  );
  const policyArb: fc.Arbitrary<EffectPolicy | undefined> = optional(
    fc.record({ timeoutMs: fc.integer({ min: 100, max: 600_000 }), retry: retryArb }, { requiredKeys: [] }).map((p) => {
      // `retry: undefined` is not JSON; policies never carry it.
      const { retry, ...rest } = p;
      return retry === undefined ? rest : { ...rest, retry };
    }),
  );
  const RETRY_KEYS = ['maxAttempts', 'initialIntervalMs', 'backoffCoefficient', 'maximumIntervalMs'] as const;

  it('takes every field from the override when set, else from the base; nothing set means no policy', () => {
    fc.assert(
      fc.property(policyArb, policyArb, (base, override) => {
        const before = structuredClone([base, override]);
        const merged = mergeEffectPolicies(base, override);
        expect([base, override]).toEqual(before);
        expect(merged?.timeoutMs).toBe(override?.timeoutMs ?? base?.timeoutMs);
        for (const key of RETRY_KEYS) {
          expect(merged?.retry?.[key]).toBe(override?.retry?.[key] ?? base?.retry?.[key]);
        }
        const anySet =
          (override?.timeoutMs ?? base?.timeoutMs) !== undefined ||
          RETRY_KEYS.some((key) => (override?.retry?.[key] ?? base?.retry?.[key]) !== undefined);
        expect(merged === undefined).toBe(!anySet);
        if (merged?.retry !== undefined) expect(Object.keys(merged.retry).length).toBeGreaterThan(0);
        // Plain JSON: survives a round trip unchanged.
        if (merged !== undefined) expect(JSON.parse(JSON.stringify(merged))).toEqual(merged);
      }),
    );
  });

  it('is associative, and an absent side changes nothing', () => {
    fc.assert(
      fc.property(policyArb, policyArb, policyArb, (a, b, c) => {
        expect(mergeEffectPolicies(mergeEffectPolicies(a, b), c)).toEqual(
          mergeEffectPolicies(a, mergeEffectPolicies(b, c)),
        );
        expect(mergeEffectPolicies(a, undefined)).toEqual(mergeEffectPolicies(undefined, a));
      }),
    );
  });

  it('is what the interpreter sends for any action default and step policy', async () => {
    const toSnake = (policy: EffectPolicy | undefined): Record<string, unknown> => {
      const out: Record<string, unknown> = {};
      if (policy?.timeoutMs !== undefined) out.timeout_ms = policy.timeoutMs;
      const retry = policy?.retry;
      if (retry !== undefined) {
        const snake: Record<string, unknown> = {};
        if (retry.maxAttempts !== undefined) snake.max_attempts = retry.maxAttempts;
        if (retry.initialIntervalMs !== undefined) snake.initial_interval_ms = retry.initialIntervalMs;
        if (retry.backoffCoefficient !== undefined) snake.backoff = retry.backoffCoefficient;
        if (retry.maximumIntervalMs !== undefined) snake.max_interval_ms = retry.maximumIntervalMs;
        out.retry = snake;
      }
      return out;
    };
    await fc.assert(
      fc.asyncProperty(policyArb, policyArb, async (actionDefault, stepPolicy) => {
        const doc = tool({ ...toSnake(actionDefault), actions: [webhook(toSnake(stepPolicy))] });
        const merged = mergeEffectPolicies(actionDefault, stepPolicy);
        if (retryIntervalProblem(merged) !== undefined) {
          // Refused up front, so it can never reach the executor.
          expect(validateDeclarativeTool(doc).length).toBeGreaterThan(0);
          return;
        }
        const sameObjectConflict = [actionDefault, stepPolicy].some((p) => retryIntervalProblem(p) !== undefined);
        if (sameObjectConflict) return;
        expect(validateDeclarativeTool(doc)).toEqual([]);
        const [request] = await requestsOf(parseDeclarativeTool(doc));
        expect(request?.policy).toEqual(merged);
      }),
      { numRuns: 200 },
    );
  });
});

describe('readEffectPolicy', () => {
  it('reads both namings into the same policy', () => {
    const snake = readEffectPolicy(
      { timeout_ms: 1000, retry: { max_attempts: 2, initial_interval_ms: 50, backoff: 1.5, max_interval_ms: 500 } },
      'snake',
    );
    const camel = readEffectPolicy(
      {
        timeoutMs: 1000,
        retry: { maxAttempts: 2, initialIntervalMs: 50, backoffCoefficient: 1.5, maximumIntervalMs: 500 },
      },
      'camel',
    );
    expect(snake).toEqual({ policy: camel.policy, problems: [] });
    expect(camel.problems).toEqual([]);
  });

  it('ignores non-policy properties of a step, but not of a canonical policy object', () => {
    expect(readEffectPolicy({ type: 'webhook', endpoint: 'x' }, 'snake')).toEqual({ policy: undefined, problems: [] });
    expect(readEffectPolicy({ retry: {} }, 'snake')).toEqual({ policy: undefined, problems: [] });
    expect(readEffectPolicy({ endpoint: 'x' }, 'camel').problems.map((p) => p.at)).toEqual([['endpoint']]);
  });
});
