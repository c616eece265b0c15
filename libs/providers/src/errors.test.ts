import { describe, expect, it } from 'vitest';
import { errorForStatus, retryAfterMs } from './errors.js';

describe('status mapping', () => {
  it('classifies provider answers', () => {
    const h = (v: string | null) => ({ get: () => v });
    expect(errorForStatus('p', 429, '', h('2'))).toMatchObject({
      code: 'provider_rate_limited',
      retryable: true,
      retryAfterMs: 2000,
    });
    expect(errorForStatus('p', 503, '')).toMatchObject({ code: 'provider_unavailable', retryable: true });
    expect(errorForStatus('p', 403, '')).toMatchObject({ code: 'provider_auth_failed', retryable: false });
    expect(errorForStatus('p', 422, 'bad')).toMatchObject({ code: 'provider_rejected', retryable: false });
    expect(errorForStatus('p', 404, '')).toMatchObject({ code: 'provider_not_found', retryable: false });
    expect(retryAfterMs('Thu, 01 Jan 2026 00:00:10 GMT', Date.parse('2026-01-01T00:00:00Z'))).toBe(10_000);
  });
});
