/**
 * API key authentication that a flood of bad keys cannot turn into a flood of Postgres lookups.
 *
 * - **Failed authentications are limited per client address** ({@link clientAddressKey}),
 *   counted by the shared {@link RateLimiter} (so the limit holds across replicas, as the
 *   per-key ones do). An address over its limit is refused (429) before its key is looked up:
 *   any key, a valid one too, since telling them apart is the very lookup being saved (GitHub's
 *   API does the same). Behind a proxy the address is the proxy's unless `TRUST_PROXY` says
 *   which forwarded address to believe.
 * - **Refused keys are remembered briefly** (`negativeCacheMs`, in a bounded cache keyed by a
 *   hash of the token), so the same bad key sent again, from any address, does not reach
 *   Postgres; identical keys looked up at the same moment share one lookup. The cache can never
 *   refuse a key that is valid: it holds only tokens a lookup refused, and such a token cannot
 *   become valid later — a key's id (96 random bits) and secret are chosen when it is created and
 *   never change or come back, and a revoked key stays revoked. Entries expire anyway. A genuine
 *   key of a disabled tenant is not a refusal: it is neither remembered nor counted as a failure.
 * - **Lookups per address run a few at a time** ({@link LOOKUPS_PER_ADDRESS}); the others wait
 *   and check the limit again when their turn comes, so a burst of distinct bad keys costs at most
 *   the limit plus that many lookups per window and replica, however concurrent it is. A busy
 *   client with valid keys only waits the few milliseconds a lookup takes.
 */
import { createHash } from 'node:crypto';
import { type ApiKeyCheck, type ApiKeyPrincipal, checkApiKey, parseApiKey, type Queryable } from '@switchboard/db';
import { clientAddressKey } from './client-address.js';
import type { RateLimiter } from './rate-limiter.js';

/** How failed authentications are bounded; `0` turns a setting off. */
export interface AuthLimits {
  /** Failed authentications per minute per client address (`RATE_LIMIT_AUTH_FAILURES_PER_MIN`). */
  failuresPerAddressPerMin: number;
  /** How long a refused key is refused without a lookup, ms (`AUTH_NEGATIVE_CACHE_MS`). */
  negativeCacheMs: number;
}

/** Defaults: far above any client's mistakes, far below a key scan. */
export const DEFAULT_AUTH_LIMITS: AuthLimits = { failuresPerAddressPerMin: 30, negativeCacheMs: 5_000 };

/** Refused keys remembered at most (the oldest is forgotten first). */
export const NEGATIVE_CACHE_ENTRIES = 10_000;

/** Key lookups one client address may have running at once; more wait their turn. */
export const LOOKUPS_PER_ADDRESS = 8;

/** What an authentication attempt came to. */
export type AuthOutcome =
  | { status: 'authenticated'; principal: ApiKeyPrincipal }
  /** No key, or one that is malformed, unknown, revoked or wrong (counted as a failure). */
  | { status: 'unauthorized' }
  /** A genuine key of a disabled tenant (not counted as a failure). */
  | { status: 'tenant_disabled'; tenantId: string }
  /** The address is over its failed-authentication limit; nothing was looked up. */
  | { status: 'rate_limited'; max: number; retryAfterSeconds: number };

/** Options of {@link Authenticator}. */
export interface AuthenticatorOptions {
  limits?: AuthLimits;
  /** Told when an address reaches its limit (once per window and process). */
  onLimitReached?: (address: string, max: number) => void;
  /** Clock (tests). */
  now?: () => number;
}

export class Authenticator {
  private readonly limits: AuthLimits;
  private readonly now: () => number;
  /** sha256(token) → refused until (ms). Insertion order is expiry order (one TTL for all). */
  private readonly refused = new Map<string, number>();
  private readonly inFlight = new Map<string, Promise<ApiKeyCheck>>();
  private readonly slots = new Map<string, { active: number; waiting: (() => void)[] }>();

  constructor(
    private readonly db: Queryable,
    private readonly limiter: RateLimiter,
    private readonly options: AuthenticatorOptions = {},
  ) {
    this.limits = options.limits ?? DEFAULT_AUTH_LIMITS;
    this.now = options.now ?? Date.now;
  }

  /** Authenticates `token` (absent: no key presented) from the client at `ip` (`req.ip`). */
  async authenticate(token: string | undefined, ip: string): Promise<AuthOutcome> {
    const address = clientAddressKey(ip);
    const limitKey = `auth-failures:${address}`;
    const over = this.overLimit(limitKey);
    if (over) return over;
    let counted = false;
    const fail = () => {
      if (counted) return;
      counted = true;
      this.countFailure(limitKey, address);
    };
    const check =
      token !== undefined && parseApiKey(token) ? await this.lookup(token, address, limitKey, fail) : undefined;
    if (check === 'rate_limited') return this.overLimit(limitKey) ?? { status: 'unauthorized' };
    if (check?.status === 'active') return { status: 'authenticated', principal: check.principal };
    if (check?.status === 'tenant_disabled') return { status: 'tenant_disabled', tenantId: check.tenantId };
    fail();
    return { status: 'unauthorized' };
  }

  /** Refused keys remembered now (tests, metrics). */
  get cachedRefusals(): number {
    return this.refused.size;
  }

  private countFailure(limitKey: string, address: string): void {
    const max = this.limits.failuresPerAddressPerMin;
    if (max === 0) return;
    const counted = this.limiter.take(limitKey, max);
    if (counted.allowed && counted.count === max) this.options.onLimitReached?.(address, max);
  }

  private overLimit(limitKey: string): Extract<AuthOutcome, { status: 'rate_limited' }> | undefined {
    const max = this.limits.failuresPerAddressPerMin;
    if (max === 0) return undefined;
    const decision = this.limiter.peek(limitKey, max);
    return decision.allowed
      ? undefined
      : { status: 'rate_limited', max, retryAfterSeconds: decision.retryAfterSeconds };
  }

  /**
   * What the key is (see {@link checkApiKey}), or `rate_limited` when its turn came too late. A refusal found by a lookup is counted (`fail`) before the slot goes to the next in
   * line, so that one checks the limit with it.
   */
  private async lookup(
    token: string,
    address: string,
    limitKey: string,
    fail: () => void,
  ): Promise<ApiKeyCheck | 'rate_limited'> {
    const digest = createHash('sha256').update(token).digest('base64url');
    const known = this.known(digest);
    if (known !== 'unknown') return known;
    const release = this.limits.failuresPerAddressPerMin > 0 ? await this.slot(address) : () => {};
    try {
      // Waiting may have taken a while: the limit, the cache and other lookups may know more now.
      if (this.overLimit(limitKey)) return 'rate_limited';
      const now = this.known(digest);
      if (now !== 'unknown') return now;
      const lookup = checkApiKey(this.db, token);
      this.inFlight.set(digest, lookup);
      try {
        const check = await lookup;
        if (check.status === 'refused') {
          this.remember(digest);
          fail();
        }
        return check;
      } finally {
        this.inFlight.delete(digest);
      }
    } finally {
      release();
    }
  }

  /** What is known of a token without a new lookup: refused, a lookup to share, or nothing. */
  private known(digest: string): Promise<ApiKeyCheck> | ApiKeyCheck | 'unknown' {
    const until = this.refused.get(digest);
    if (until !== undefined) {
      if (until > this.now()) return { status: 'refused' };
      this.refused.delete(digest);
    }
    return this.inFlight.get(digest) ?? 'unknown';
  }

  private remember(digest: string): void {
    const ttl = this.limits.negativeCacheMs;
    if (ttl === 0) return;
    const now = this.now();
    // Expired entries sit at the front (one TTL for all); then make room by forgetting the oldest.
    for (const [oldest, until] of this.refused) {
      if (until > now && this.refused.size < NEGATIVE_CACHE_ENTRIES) break;
      this.refused.delete(oldest);
    }
    this.refused.delete(digest);
    this.refused.set(digest, now + ttl);
  }

  /** Waits for one of the address's lookup slots; returns its release. */
  private async slot(address: string): Promise<() => void> {
    let slots = this.slots.get(address);
    if (slots === undefined) {
      slots = { active: 0, waiting: [] };
      this.slots.set(address, slots);
    }
    const held = slots;
    if (held.active < LOOKUPS_PER_ADDRESS) held.active++;
    else await new Promise<void>((resolve) => held.waiting.push(resolve)); // handed over with its slot
    return () => {
      const next = held.waiting.shift();
      if (next) return next();
      held.active--;
      if (held.active === 0) this.slots.delete(address);
    };
  }
}
