import { describe, expect, it } from 'vitest';
import { ConfigError, EnvReader } from './config.js';

describe('EnvReader', () => {
  it('reads typed values with defaults', () => {
    const r = new EnvReader({ A: 'x', N: '42', B: 'false' });
    expect(r.string('A')).toBe('x');
    expect(r.string('MISSING', 'd')).toBe('d');
    expect(r.int('N', 1)).toBe(42);
    expect(r.bool('B', true)).toBe(false);
    expect(r.optional('MISSING')).toBeUndefined();
    expect(() => r.done()).not.toThrow();
  });

  it('names every problem at once', () => {
    const r = new EnvReader({ N: 'abc', B: 'maybe' });
    r.string('NATS_URL');
    r.string('DATABASE_URL');
    r.int('N', 1, 0, 10);
    r.bool('B', true);
    try {
      r.done();
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const e = err as ConfigError;
      expect(e.code).toBe('config_invalid');
      expect(e.retryable).toBe(false);
      expect(e.message).toContain('NATS_URL is required');
      expect(e.message).toContain('DATABASE_URL is required');
      expect(e.message).toContain("N must be an integer in [0, 10], got 'abc'");
      expect(e.message).toContain("B must be true or false, got 'maybe'");
    }
  });
});
