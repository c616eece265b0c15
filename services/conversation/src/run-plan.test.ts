import {
  effectBudgetMs,
  PROVIDER_EFFECT_DEFAULTS,
  parseBuiltinAction,
  parseDeclarativeTool,
} from '@switchboard/actions';
import type { JsonObject } from '@switchboard/common';
import { describe, expect, it } from 'vitest';
import { planRun } from './run-plan.js';

const settings = { graceMs: 60_000, confirmationTimeoutMs: 120_000 };
const json = (value: unknown) => JSON.parse(JSON.stringify(value)) as JsonObject;

describe('planRun', () => {
  it('lists the providers a tool can call, once each and sorted, from both branches', () => {
    const tool = parseDeclarativeTool({
      name: 'mixed',
      description: 'd',
      actions: [
        {
          type: 'conditional',
          condition: 'true',
          // biome-ignore lint/suspicious/noThenProperty: the conditional step's property in the format
          then: [{ type: 'webhook', endpoint: 'a', timeout_ms: 1000, retry: { max_attempts: 1 } }],
          else: [{ type: 'webhook', endpoint: 'b', timeout_ms: 2000, retry: { max_attempts: 1 } }],
        },
      ],
    });
    expect(planRun(json(tool), settings)).toEqual({ providers: ['webhook'], deadlineAfterMs: 3000 + 60_000 });
  });

  it('names the provider of each built-in operation, and waits for the confirmation it asks', () => {
    const book = parseBuiltinAction({
      type: 'calcom_book',
      name: 'Book',
      description: 'Books a slot',
      config: { credential: 'cal', event_type_id: 1, time_zone: 'UTC' },
    });
    const plan = planRun(json({ ...book, requireUserConfirmation: true }), settings);
    expect(plan.providers).toEqual(['calcom']);
    expect(plan.deadlineAfterMs).toBe(120_000 + effectBudgetMs(PROVIDER_EFFECT_DEFAULTS) + 60_000);
  });

  it('plans a run of an action without effects as the grace margin alone', () => {
    expect(planRun(json({ name: 'x', steps: [{ type: 'respond', message: 'hi' }] }), settings)).toEqual({
      providers: [],
      deadlineAfterMs: 60_000,
    });
  });
});
