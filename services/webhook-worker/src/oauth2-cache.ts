/**
 * OAuth2 access tokens held between calls, per (tenant, credential): reused until shortly
 * before they expire, one token request shared by every call that needs a token at the same
 * moment, and forgotten when the API refuses one. Tokens live in this process's memory only.
 */

/** A token as the token endpoint granted it. */
export interface TokenGrant {
  accessToken: string;
  /** Its lifetime from the grant (`expires_in`), in ms; absent when the endpoint did not say. */
  expiresInMs?: number;
}

/** Options of {@link OAuth2TokenCache}. */
export interface TokenCacheOptions {
  /** Clock (tests). */
  now?: () => number;
  /** A token is renewed this long before it expires (at most half its lifetime). Default 30 s. */
  refreshMarginMs?: number;
  /** How long a token granted without `expires_in` is reused. Default 60 s. */
  unstatedLifetimeMs?: number;
  /** Most (tenant, credential) entries kept; the least recently stored go first. Default 10,000. */
  maxEntries?: number;
}

interface Entry {
  /** What the token was requested with (credential contents, address policy): another variant is another token. */
  variant: string;
  token?: string;
  /** When the token stops being handed out. */
  usableUntil?: number;
  /** The token request under way, shared by everyone waiting for it. */
  pending?: Promise<string>;
}

/** Default margin before expiry at which a token is renewed. */
export const DEFAULT_REFRESH_MARGIN_MS = 30_000;
/** Default reuse of a token whose lifetime the endpoint did not state. */
export const DEFAULT_UNSTATED_LIFETIME_MS = 60_000;

export class OAuth2TokenCache {
  private readonly entries = new Map<string, Entry>();
  private readonly now: () => number;
  private readonly refreshMarginMs: number;
  private readonly unstatedLifetimeMs: number;
  private readonly maxEntries: number;

  constructor(options: TokenCacheOptions = {}) {
    this.now = options.now ?? Date.now;
    this.refreshMarginMs = options.refreshMarginMs ?? DEFAULT_REFRESH_MARGIN_MS;
    this.unstatedLifetimeMs = options.unstatedLifetimeMs ?? DEFAULT_UNSTATED_LIFETIME_MS;
    this.maxEntries = options.maxEntries ?? 10_000;
  }

  /**
   * The token for `key`: the cached one while it is usable and was requested for `variant`,
   * else the one a request under way will bring, else a new one from `request` (whose failure
   * reaches every caller waiting for it, and is not cached).
   */
  token(key: string, variant: string, request: () => Promise<TokenGrant>): Promise<string> {
    const entry = this.entries.get(key);
    if (entry !== undefined && entry.variant === variant) {
      if (entry.token !== undefined && entry.usableUntil !== undefined && this.now() < entry.usableUntil) {
        return Promise.resolve(entry.token);
      }
      if (entry.pending !== undefined) return entry.pending;
    }
    const fresh: Entry = { variant };
    const pending = request().then(
      (grant) => {
        if (this.entries.get(key) === fresh) {
          fresh.pending = undefined;
          const usableFor = this.usableFor(grant);
          if (usableFor > 0) {
            fresh.token = grant.accessToken;
            fresh.usableUntil = this.now() + usableFor;
          } else {
            this.entries.delete(key);
          }
        }
        return grant.accessToken;
      },
      (err: unknown) => {
        if (this.entries.get(key) === fresh) this.entries.delete(key);
        throw err;
      },
    );
    fresh.pending = pending;
    this.entries.delete(key);
    this.entries.set(key, fresh);
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
    return pending;
  }

  /**
   * Forgets `token` for `key` (the API refused it), unless another token already replaced it:
   * calls that saw the same refusal at once then share one new request.
   */
  invalidate(key: string, token: string): void {
    const entry = this.entries.get(key);
    if (entry?.token === token) this.entries.delete(key);
  }

  /** How long a grant is handed out: its lifetime less the margin (at most half of it). */
  private usableFor(grant: TokenGrant): number {
    if (grant.expiresInMs === undefined) return this.unstatedLifetimeMs;
    return grant.expiresInMs - Math.min(this.refreshMarginMs, grant.expiresInMs / 2);
  }
}
