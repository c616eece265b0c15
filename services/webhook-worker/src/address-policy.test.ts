import { retryAfterMs } from '@switchboard/providers';
import { describe, expect, it } from 'vitest';
import { firstNonPublicAddress, isNonPublicAddress } from './address-policy.js';

describe('address policy', () => {
  it.each([
    '127.0.0.1',
    '10.1.2.3',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '::1',
    '::',
    'fe80::1',
    'fd00::1',
    '::ffff:127.0.0.1',
    '::ffff:169.254.169.254',
    'not-an-ip',
  ])('blocks %s', (ip) => {
    expect(isNonPublicAddress(ip)).toBe(true);
  });

  it.each(['8.8.8.8', '1.1.1.1', '172.32.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8'])('allows %s', (ip) => {
    expect(isNonPublicAddress(ip)).toBe(false);
  });

  it('resolves names before judging them', async () => {
    expect(await firstNonPublicAddress('localhost')).toMatch(/^(127\.0\.0\.1|::1)$/);
    expect(await firstNonPublicAddress('[::1]')).toBe('::1');
    expect(await firstNonPublicAddress('127.0.0.1')).toBe('127.0.0.1');
  });
});

describe('Retry-After', () => {
  it('reads seconds and HTTP dates, bounded to an hour', () => {
    expect(retryAfterMs('3')).toBe(3000);
    expect(retryAfterMs('0')).toBe(0);
    expect(retryAfterMs('99999')).toBe(3_600_000);
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(retryAfterMs('Thu, 01 Jan 2026 00:00:10 GMT', now)).toBe(10_000);
    expect(retryAfterMs(null)).toBeUndefined();
    expect(retryAfterMs('soon')).toBeUndefined();
  });
});
