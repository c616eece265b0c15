import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseBuiltinAction } from './builtins/catalog.js';
import { parseDeclarativeTool } from './declarative.js';
import type { CanonicalAction } from './model.js';
import {
  actionEffects,
  type EffectDefaults,
  effectBudgetMs,
  effectivePolicy,
  PROVIDER_EFFECT_DEFAULTS,
  runBudgetMs,
  WEBHOOK_EFFECT_DEFAULTS,
} from './run-budget.js';

const settings = { confirmationTimeoutMs: 120_000 };
const example = (path: string): unknown =>
  JSON.parse(readFileSync(fileURLToPath(new URL(`../schemas/${path}`, import.meta.url)), 'utf8'));
const tool = (doc: Record<string, unknown>): CanonicalAction =>
  parseDeclarativeTool({ name: 't', description: 'd', ...doc });

describe('effectBudgetMs', () => {
  it('adds every attempt running into its timeout and the capped waits between them', () => {
    // Provider defaults: 6 × 30 s, waits 250 + 500 + 1000 + 2000 + 4000 ms.
    expect(effectBudgetMs(PROVIDER_EFFECT_DEFAULTS)).toBe(180_000 + 7_750);
    // Webhook defaults: 5 × 30 s, waits 200 + 400 + 800 + 1600 ms.
    expect(effectBudgetMs(WEBHOOK_EFFECT_DEFAULTS)).toBe(150_000 + 3_000);
    // Waits 1 s, then 10 s capped at 5 s, twice.
    expect(
      effectBudgetMs({
        timeoutMs: 2_000,
        maxAttempts: 4,
        initialIntervalMs: 1_000,
        backoffCoefficient: 10,
        maximumIntervalMs: 5_000,
      }),
    ).toBe(4 * 2_000 + 1_000 + 5_000 + 5_000);
  });

  it('is exactly the timeouts for a single attempt, and never less than attempts × timeout', () => {
    const policy = fc.record({
      timeoutMs: fc.integer({ min: 100, max: 600_000 }),
      maxAttempts: fc.integer({ min: 1, max: 20 }),
      initialIntervalMs: fc.integer({ min: 10, max: 60_000 }),
      backoffCoefficient: fc.double({ min: 1, max: 10, noNaN: true }),
      maximumIntervalMs: fc.integer({ min: 100, max: 600_000 }),
    });
    fc.assert(
      fc.property(policy, (p: EffectDefaults) => {
        const budget = effectBudgetMs(p);
        expect(budget).toBeGreaterThanOrEqual(p.maxAttempts * p.timeoutMs);
        expect(budget).toBeLessThanOrEqual(p.maxAttempts * p.timeoutMs + (p.maxAttempts - 1) * p.maximumIntervalMs);
        if (p.maxAttempts === 1) expect(budget).toBe(p.timeoutMs);
      }),
    );
  });
});

describe('effectivePolicy', () => {
  it('takes each field the definition sets and lowers the initial interval under a small maximum', () => {
    expect(effectivePolicy(WEBHOOK_EFFECT_DEFAULTS, { timeoutMs: 5_000, retry: { maximumIntervalMs: 100 } })).toEqual({
      timeoutMs: 5_000,
      initialIntervalMs: 100,
      backoffCoefficient: 2,
      maximumIntervalMs: 100,
      maxAttempts: 5,
    });
  });
});

describe('runBudgetMs', () => {
  it('counts both branches of a conditional and on_failure, with the action default under each step', () => {
    const action = tool({
      timeout_ms: 1_000,
      retry: { max_attempts: 2, initial_interval_ms: 500 },
      actions: [
        { type: 'webhook', endpoint: 'a' },
        {
          type: 'conditional',
          condition: 'true',
          // biome-ignore lint/suspicious/noThenProperty: the conditional step's property in the format
          then: [{ type: 'webhook', endpoint: 'b', retry: { max_attempts: 1 } }],
          else: [{ type: 'webhook', endpoint: 'c', timeout_ms: 3_000 }],
        },
        { type: 'respond', message: 'done' },
      ],
      on_failure: [{ type: 'webhook', endpoint: 'alerts', timeout_ms: 200, retry: { max_attempts: 1 } }],
    });
    expect(actionEffects(action).map((e) => e.stepPointer)).toEqual([
      '/steps/0',
      '/steps/1/then/0',
      '/steps/1/else/0',
      '/onFailure/0',
    ]);
    // a: 2 × 1 s + 0.5 s; b: 1 s; c: 2 × 3 s + 0.5 s; alerts: 0.2 s.
    expect(runBudgetMs(action, settings)).toBe(2_500 + 1_000 + 6_500 + 200);
  });

  it('is zero for an action without side effects, and adds the confirmation wait where one is asked', () => {
    const pure = tool({ actions: [{ type: 'respond', message: 'hi' }] });
    expect(runBudgetMs(pure, settings)).toBe(0);
    expect(runBudgetMs({ ...pure, requireUserConfirmation: true }, settings)).toBe(120_000);
  });

  it('budgets a built-in booking with the provider defaults, and nothing for what the session answers itself', () => {
    const booking = parseBuiltinAction(example('builtin-examples/book_consultation.builtin.json'));
    const effects = actionEffects(booking);
    expect(effects.map((e) => e.operation)).toContain('calcom.book');
    const timed = effects.filter((e) => !e.operation?.startsWith('session.'));
    expect(runBudgetMs(booking, settings)).toBe(timed.length * effectBudgetMs(PROVIDER_EFFECT_DEFAULTS));
    const pause = parseBuiltinAction(example('builtin-examples/pause_inactivity_timer.builtin.json'));
    expect(actionEffects(pause).map((e) => e.operation)).toEqual(['session.pause_inactivity']);
    expect(runBudgetMs(pause, settings)).toBe(0);
  });

  it('ignores malformed steps instead of throwing (stored definitions are not re-validated)', () => {
    const odd = { ...tool({ actions: [] }), steps: [null, 3, { type: 'webhook', endpoint: 'x', timeout_ms: -1 }] };
    expect(runBudgetMs(odd as unknown as CanonicalAction, settings)).toBe(effectBudgetMs(WEBHOOK_EFFECT_DEFAULTS));
  });
});
