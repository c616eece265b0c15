import { createHash, randomBytes } from 'node:crypto';
import type { Queryable } from '@switchboard/db';
import { describe, expect, it } from 'vitest';
import { RATE_WINDOW_MS } from './access.js';
import { Authenticator, type AuthOutcome, LOOKUPS_PER_ADDRESS, NEGATIVE_CACHE_ENTRIES } from './authenticator.js';
import { RateLimiter } from './rate-limiter.js';

/** An `api_keys` table that counts the lookups made against it (each takes `delayMs`). */
function keyTable(delayMs = 1) {
  const rows = new Map<
    string,
    { tenant_id: string; secret_hash: Buffer; scopes: string[]; revoked: boolean; tenant_disabled?: boolean }
  >();
  const table = {
    lookups: 0,
    db: {
      query: async (text: string, params: unknown[] = []) => {
        if (!text.includes('FROM api_keys k JOIN tenants t ON t.id = k.tenant_id'))
          throw new Error(`unexpected: ${text}`);
        table.lookups++;
        if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
        const row = rows.get(params[0] as string);
        return { rows: row && !row.revoked ? [row] : [] };
      },
    } as unknown as Queryable,
    /** A new key of tenant `ten_a`; its token. */
    add(): string {
      const id = `key_${randomBytes(12).toString('hex')}`;
      const secret = randomBytes(24).toString('base64url');
      rows.set(id, {
        tenant_id: 'ten_a',
        secret_hash: createHash('sha256').update(secret).digest(),
        scopes: ['*'],
        revoked: false,
      });
      return `sb_${id}_${secret}`;
    },
    revoke(token: string): void {
      const row = rows.get(token.slice(3, 31));
      if (row) row.revoked = true;
    },
    /** A platform admin disabled the key's tenant. */
    disableTenant(token: string): void {
      const row = rows.get(token.slice(3, 31));
      if (row) row.tenant_disabled = true;
    },
  };
  return table;
}

/** A well-formed key nobody made. */
const badKey = () => `sb_key_${randomBytes(12).toString('hex')}_${randomBytes(24).toString('base64url')}`;

function setup(limits = { failuresPerAddressPerMin: 30, negativeCacheMs: 5_000 }, delayMs = 1) {
  let t = 1_000_000;
  const now = () => t;
  const table = keyTable(delayMs);
  const limiter = new RateLimiter({ windowMs: RATE_WINDOW_MS, now });
  const reached: string[] = [];
  const auth = new Authenticator(table.db, limiter, {
    limits,
    now,
    onLimitReached: (address) => reached.push(address),
  });
  const advance = (ms: number) => {
    t += ms;
  };
  return { auth, table, reached, advance };
}

const statuses = (outcomes: AuthOutcome[]) => outcomes.map((o) => o.status);
const count = (outcomes: AuthOutcome[], status: AuthOutcome['status']) =>
  outcomes.filter((o) => o.status === status).length;

describe('Authenticator', () => {
  it('refuses an address over its failure limit before looking any key up, valid ones included, until its window ends', async () => {
    const { auth, table, reached, advance } = setup();
    const outcomes: AuthOutcome[] = [];
    for (let i = 0; i < 100; i++) outcomes.push(await auth.authenticate(badKey(), '203.0.113.7'));
    expect(statuses(outcomes.slice(0, 30))).toEqual(Array(30).fill('unauthorized'));
    expect(statuses(outcomes.slice(30))).toEqual(Array(70).fill('rate_limited'));
    expect(outcomes[30]).toEqual({ status: 'rate_limited', max: 30, retryAfterSeconds: 60 });
    expect(table.lookups).toBe(30);
    expect(reached).toEqual(['203.0.113.7']);

    const valid = table.add();
    expect((await auth.authenticate(valid, '203.0.113.7')).status).toBe('rate_limited');
    expect(table.lookups).toBe(30);
    // Another address is not affected; an IPv6 client counts by its /64.
    expect((await auth.authenticate(valid, '198.51.100.1')).status).toBe('authenticated');
    expect((await auth.authenticate(valid, '::ffff:198.51.100.1')).status).toBe('authenticated');
    for (let i = 0; i < 30; i++) await auth.authenticate(badKey(), `2001:db8::${i.toString(16)}`);
    expect((await auth.authenticate(valid, '2001:db8::ffff')).status).toBe('rate_limited');

    advance(30_000);
    expect(await auth.authenticate(valid, '203.0.113.7')).toEqual({
      status: 'rate_limited',
      max: 30,
      retryAfterSeconds: 30,
    });
    advance(30_000);
    expect((await auth.authenticate(valid, '203.0.113.7')).status).toBe('authenticated');
  });

  it('counts requests without a key, or with a malformed one, as failures (without a lookup)', async () => {
    const { auth, table } = setup();
    const outcomes: AuthOutcome[] = [];
    for (let i = 0; i < 20; i++) outcomes.push(await auth.authenticate(undefined, '203.0.113.8'));
    for (let i = 0; i < 20; i++) outcomes.push(await auth.authenticate(`sb_not-a-key-${i}`, '203.0.113.8'));
    expect(count(outcomes, 'unauthorized')).toBe(30);
    expect(count(outcomes, 'rate_limited')).toBe(10);
    expect(table.lookups).toBe(0);
  });

  it('bounds the lookups of a concurrent burst of bad keys, and lets a concurrent burst of valid ones through', async () => {
    const { auth, table } = setup();
    const burst = await Promise.all(Array.from({ length: 500 }, () => auth.authenticate(badKey(), '203.0.113.9')));
    expect(table.lookups).toBeLessThanOrEqual(30 + LOOKUPS_PER_ADDRESS);
    expect(count(burst, 'unauthorized')).toBeLessThanOrEqual(30 + LOOKUPS_PER_ADDRESS);
    expect(count(burst, 'rate_limited')).toBeGreaterThanOrEqual(500 - 30 - LOOKUPS_PER_ADDRESS);

    const valid = Array.from({ length: 50 }, () => table.add());
    const busy = await Promise.all(valid.map((token) => auth.authenticate(token, '198.51.100.2')));
    expect(statuses(busy)).toEqual(Array(50).fill('authenticated'));
  });

  it('looks a refused key up once while it is remembered, from any address, and again after', async () => {
    const { auth, table, advance } = setup();
    const flood = badKey();
    for (let i = 0; i < 200; i++)
      expect((await auth.authenticate(flood, `10.0.${i >> 8}.${i & 255}`)).status).toBe('unauthorized');
    expect(table.lookups).toBe(1);
    // At the same moment, from everywhere: one lookup shared.
    advance(5_000);
    const burst = await Promise.all(Array.from({ length: 200 }, (_, i) => auth.authenticate(flood, `10.1.0.${i}`)));
    expect(count(burst, 'unauthorized')).toBe(200);
    expect(table.lookups).toBe(2);

    // A revoked key is refused as soon as the revocation is read, and stays refused.
    const key = table.add();
    expect((await auth.authenticate(key, '10.2.0.1')).status).toBe('authenticated');
    table.revoke(key);
    expect((await auth.authenticate(key, '10.2.0.1')).status).toBe('unauthorized');
    expect((await auth.authenticate(key, '10.2.0.2')).status).toBe('unauthorized');
    expect(table.lookups).toBe(4);
  });

  it('never refuses a key because of what it remembers: only tokens a lookup refused are kept', async () => {
    const { auth, table } = setup();
    const wrong = table.add();
    const [, id] = /^sb_(key_[0-9a-f]{24})_/.exec(wrong) as unknown as [string, string];
    // The right key id with a wrong secret is refused and remembered...
    const guess = `sb_${id}_${'x'.repeat(32)}`;
    expect((await auth.authenticate(guess, '10.3.0.1')).status).toBe('unauthorized');
    // ...which says nothing about the real token, nor about a key made after the refusals.
    expect((await auth.authenticate(wrong, '10.3.0.2')).status).toBe('authenticated');
    for (let i = 0; i < 20; i++) await auth.authenticate(badKey(), `10.4.0.${i}`);
    const fresh = table.add();
    expect((await auth.authenticate(fresh, '10.4.0.1')).status).toBe('authenticated');
  });

  it("answers a disabled tenant's key tenant_disabled, without counting or remembering it as a failure", async () => {
    const { auth, table } = setup({ failuresPerAddressPerMin: 2, negativeCacheMs: 5_000 });
    const key = table.add();
    table.disableTenant(key);
    for (let i = 0; i < 5; i++) {
      expect(await auth.authenticate(key, '10.0.0.1')).toEqual({ status: 'tenant_disabled', tenantId: 'ten_a' });
    }
    expect(table.lookups).toBe(5);
    expect(auth.cachedRefusals).toBe(0);
    // The address was never counted: another valid key from it still authenticates.
    expect((await auth.authenticate(table.add(), '10.0.0.1')).status).toBe('authenticated');
  });

  it(`remembers at most ${NEGATIVE_CACHE_ENTRIES} refused keys`, async () => {
    const { auth } = setup({ failuresPerAddressPerMin: 0, negativeCacheMs: 60_000 }, 0);
    for (let i = 0; i < NEGATIVE_CACHE_ENTRIES + 50; i++) await auth.authenticate(badKey(), '10.5.0.1');
    expect(auth.cachedRefusals).toBe(NEGATIVE_CACHE_ENTRIES);
  });

  it('turns each off with 0', async () => {
    const { auth, table } = setup({ failuresPerAddressPerMin: 0, negativeCacheMs: 0 });
    const flood = badKey();
    for (let i = 0; i < 50; i++) expect((await auth.authenticate(flood, '203.0.113.10')).status).toBe('unauthorized');
    expect(table.lookups).toBe(50);
    expect(auth.cachedRefusals).toBe(0);
  });
});
