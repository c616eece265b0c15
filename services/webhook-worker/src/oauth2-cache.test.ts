import { describe, expect, it } from 'vitest';
import { OAuth2TokenCache, type TokenGrant } from './oauth2-cache.js';

/** A token endpoint stand-in: counts requests, grants `tok-<n>` with the given lifetime. */
function endpoint(expiresInMs?: number) {
  let n = 0;
  const request = async (): Promise<TokenGrant> => ({
    accessToken: `tok-${++n}`,
    ...(expiresInMs === undefined ? {} : { expiresInMs }),
  });
  return { request, requests: () => n };
}

function clock(start = 1_000_000) {
  let now = start;
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe('OAuth2TokenCache', () => {
  it('reuses a token until its lifetime less the margin, then requests a new one', async () => {
    const time = clock();
    const cache = new OAuth2TokenCache({ now: time.now, refreshMarginMs: 30_000 });
    const server = endpoint(3_600_000);
    expect(await cache.token('t/c', 'v', server.request)).toBe('tok-1');
    time.advance(3_569_999);
    expect(await cache.token('t/c', 'v', server.request)).toBe('tok-1');
    time.advance(1);
    expect(await cache.token('t/c', 'v', server.request)).toBe('tok-2');
    expect(server.requests()).toBe(2);
  });

  it('takes at most half of a short lifetime as margin, and caches a token without expires_in briefly', async () => {
    const time = clock();
    const cache = new OAuth2TokenCache({ now: time.now, refreshMarginMs: 30_000, unstatedLifetimeMs: 60_000 });
    const short = endpoint(10_000);
    await cache.token('short', 'v', short.request);
    time.advance(4_999);
    await cache.token('short', 'v', short.request);
    expect(short.requests()).toBe(1);
    time.advance(1);
    await cache.token('short', 'v', short.request);
    expect(short.requests()).toBe(2);

    const unstated = endpoint();
    await cache.token('unstated', 'v', unstated.request);
    time.advance(59_999);
    await cache.token('unstated', 'v', unstated.request);
    expect(unstated.requests()).toBe(1);
    time.advance(1);
    await cache.token('unstated', 'v', unstated.request);
    expect(unstated.requests()).toBe(2);

    const none = endpoint(0);
    await cache.token('none', 'v', none.request);
    await cache.token('none', 'v', none.request);
    expect(none.requests()).toBe(2);
  });

  it('shares one request among concurrent callers, and its failure with all of them (not cached)', async () => {
    const cache = new OAuth2TokenCache();
    let release: (grant: TokenGrant) => void = () => {};
    let requests = 0;
    const slow = () => {
      requests++;
      return new Promise<TokenGrant>((resolve) => {
        release = resolve;
      });
    };
    const waiting = Array.from({ length: 20 }, () => cache.token('k', 'v', slow));
    release({ accessToken: 'shared', expiresInMs: 600_000 });
    expect(await Promise.all(waiting)).toEqual(Array(20).fill('shared'));
    expect(requests).toBe(1);

    let fail: (err: Error) => void = () => {};
    const failing = () => {
      requests++;
      return new Promise<TokenGrant>((_resolve, reject) => {
        fail = reject;
      });
    };
    const doomed = Array.from({ length: 5 }, () => cache.token('other', 'v', failing));
    fail(new Error('token endpoint down'));
    for (const d of doomed) await expect(d).rejects.toThrow('token endpoint down');
    expect(requests).toBe(2);
    expect(await cache.token('other', 'v', async () => ({ accessToken: 'later' }))).toBe('later');
  });

  it('forgets a refused token once: callers that saw the same refusal share one new request', async () => {
    const cache = new OAuth2TokenCache();
    const server = endpoint(3_600_000);
    const first = await cache.token('k', 'v', server.request);
    cache.invalidate('k', first);
    const renewed = cache.token('k', 'v', server.request);
    // A second caller refused with the same old token does not throw the new one away.
    cache.invalidate('k', first);
    const alsoRenewed = cache.token('k', 'v', server.request);
    expect(await renewed).toBe('tok-2');
    expect(await alsoRenewed).toBe('tok-2');
    cache.invalidate('k', first);
    expect(await cache.token('k', 'v', server.request)).toBe('tok-2');
    expect(server.requests()).toBe(2);
  });

  it('requests a new token when the credential changed, and keeps tenants and credentials apart', async () => {
    const cache = new OAuth2TokenCache();
    const server = endpoint(3_600_000);
    expect(await cache.token('tenant-a/crm', 'secret-1', server.request)).toBe('tok-1');
    expect(await cache.token('tenant-b/crm', 'secret-1', server.request)).toBe('tok-2');
    expect(await cache.token('tenant-a/crm', 'secret-2', server.request)).toBe('tok-3');
    expect(await cache.token('tenant-a/crm', 'secret-2', server.request)).toBe('tok-3');
  });

  it('keeps at most maxEntries, dropping the least recently stored', async () => {
    const cache = new OAuth2TokenCache({ maxEntries: 2 });
    const server = endpoint(3_600_000);
    await cache.token('a', 'v', server.request);
    await cache.token('b', 'v', server.request);
    await cache.token('c', 'v', server.request);
    expect(await cache.token('b', 'v', server.request)).toBe('tok-2');
    expect(await cache.token('a', 'v', server.request)).toBe('tok-4');
  });
});
