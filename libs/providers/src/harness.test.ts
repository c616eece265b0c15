import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorForStatus, ProviderError, ProviderErrorCodes, retryAfterMs } from './errors.js';
import { type ProviderTestEnv, startProviderTestEnv } from './testing.js';

let env: ProviderTestEnv;
beforeAll(async () => {
  env = await startProviderTestEnv();
}, 120_000);
afterAll(async () => {
  await env?.stop();
});

describe('provider errors through Temporal', () => {
  it('retries retryable failures and stops at terminal ones', async () => {
    let calls = 0;
    await env.withWorker(
      () => ({
        'test.flaky': async () => {
          calls++;
          if (calls < 3) throw new ProviderError('test', ProviderErrorCodes.Unavailable, 'down', { retryable: true });
          return { ok: calls };
        },
        'test.auth': async () => {
          throw errorForStatus('test', 401, 'bad key');
        },
        'test.credential': async (call) => {
          const secret = await env.ctx.credentials.get(call.tenantId, 'main', 'calcom');
          return { length: secret.apiKey?.length ?? 0 };
        },
      }),
      async (run) => {
        expect(await run('test.flaky', {})).toEqual({ ok: true, result: { ok: 3 } });
        const auth = await run('test.auth', {});
        expect(auth).toMatchObject({ ok: false, error: { code: 'provider_auth_failed', retryable: false } });
        const missing = await run('test.credential', {});
        expect(missing).toMatchObject({ ok: false, error: { code: 'credential_missing', retryable: false } });
        await env.putCredential('main', 'calcom', { apiKey: 'cal_live_0123456789' });
        expect(await run('test.credential', {})).toEqual({ ok: true, result: { length: 19 } });
      },
    );
  });
});

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
