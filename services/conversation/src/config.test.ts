import { describe, expect, it } from 'vitest';
import { loadConfig, parseTrustProxy } from './config.js';

const base = { NATS_URL: 'nats://127.0.0.1:4222', DATABASE_URL: 'postgres://localhost/sb' };

describe('conversation config', () => {
  it('reads the failed-authentication limits, 0 turning them off', () => {
    const defaults = loadConfig(base);
    expect(defaults).toMatchObject({ rateLimitAuthFailuresPerMin: 30, authNegativeCacheMs: 5000, trustProxy: false });
    const set = loadConfig({ ...base, RATE_LIMIT_AUTH_FAILURES_PER_MIN: '0', AUTH_NEGATIVE_CACHE_MS: '0' });
    expect(set).toMatchObject({ rateLimitAuthFailuresPerMin: 0, authNegativeCacheMs: 0 });
    expect(() => loadConfig({ ...base, RATE_LIMIT_AUTH_FAILURES_PER_MIN: '-1' })).toThrow(
      /RATE_LIMIT_AUTH_FAILURES_PER_MIN/,
    );
  });

  it('reads TRUST_PROXY as all, nothing, or a list of addresses, CIDRs and presets', () => {
    expect(parseTrustProxy(undefined)).toBe(false);
    expect(parseTrustProxy('false')).toBe(false);
    expect(parseTrustProxy('true')).toBe(true);
    expect(parseTrustProxy('loopback, 10.0.0.0/8,fd00::/8 ,192.0.2.1')).toBe('loopback,10.0.0.0/8,fd00::/8,192.0.2.1');
    expect(() => parseTrustProxy('2')).toThrow(/TRUST_PROXY .*'2'/);
    expect(() => parseTrustProxy('10.0.0.0/33,proxy.internal')).toThrow(/'10.0.0.0\/33', 'proxy.internal'/);
    expect(loadConfig({ ...base, TRUST_PROXY: 'uniquelocal' }).trustProxy).toBe('uniquelocal');
  });

  it("reads how run deadlines are set, with the orchestrator's confirmation wait", () => {
    expect(loadConfig(base)).toMatchObject({ runDeadlineGraceMs: 60_000, confirmationTimeoutMs: 120_000 });
    const set = loadConfig({ ...base, RUN_DEADLINE_GRACE_MS: '0', CONFIRMATION_TIMEOUT_MS: '5000' });
    expect(set).toMatchObject({ runDeadlineGraceMs: 0, confirmationTimeoutMs: 5000 });
    expect(() => loadConfig({ ...base, CONFIRMATION_TIMEOUT_MS: '10' })).toThrow(/CONFIRMATION_TIMEOUT_MS/);
  });
});
