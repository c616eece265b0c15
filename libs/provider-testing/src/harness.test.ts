import { errorForStatus, ProviderError, ProviderErrorCodes } from '@switchboard/providers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ProviderTestEnv, startProviderTestEnv } from './index.js';

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
