import { describe, expect, it } from 'vitest';
import { activityOptionsFor, PROVIDER_DEFAULTS, WEBHOOK_DEFAULTS } from './policy.js';

describe('activityOptionsFor', () => {
  it('uses the defaults when the definition sets nothing', () => {
    expect(activityOptionsFor('q', PROVIDER_DEFAULTS, undefined)).toEqual({
      taskQueue: 'q',
      startToCloseTimeout: 30_000,
      retry: { initialInterval: 250, backoffCoefficient: 2, maximumInterval: 15_000, maximumAttempts: 6 },
    });
  });

  it('lets each field of the definition win on its own', () => {
    const options = activityOptionsFor('w', WEBHOOK_DEFAULTS, { timeoutMs: 5_000, retry: { maxAttempts: 1 } });
    expect(options.startToCloseTimeout).toBe(5_000);
    expect(options.retry).toEqual({
      initialInterval: 200,
      backoffCoefficient: 2,
      maximumInterval: 10_000,
      maximumAttempts: 1,
    });
  });

  it('lowers the initial interval under a small maximum, which Temporal would refuse', () => {
    const options = activityOptionsFor('w', PROVIDER_DEFAULTS, { retry: { maximumIntervalMs: 100 } });
    expect(options.retry).toMatchObject({ initialInterval: 100, maximumInterval: 100 });
  });
});
