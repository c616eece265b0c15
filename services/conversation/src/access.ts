/**
 * Access control of the `/v1` API, in the order it runs on every request: authenticate the API
 * key (tenant + key; failed attempts limited per client address, see {@link Authenticator}),
 * rate-limit per key and per tenant, then check the route's scope.
 */
import { isPlatformKeyShaped, SwitchboardError } from '@switchboard/common';
import type { Queryable } from '@switchboard/db';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Authenticator, type AuthLimits } from './authenticator.js';
import { TenantDisabledError, UnauthorizedError, WrongKeyKindError } from './errors.js';
import type { RateLimiter } from './rate-limiter.js';
import { addAccessResponses } from './responses.js';
import { ForbiddenError, grants, routeScope } from './scopes.js';

/** Requests per minute; `0` turns a limit off. */
export interface RateLimits {
  /** Per API key (`RATE_LIMIT_PER_KEY_PER_MIN`). */
  perKeyPerMin: number;
  /** Per tenant, all its keys together (`RATE_LIMIT_PER_TENANT_PER_MIN`). */
  perTenantPerMin: number;
}

/** Defaults: generous enough for a busy voice deployment, low enough to stop a runaway loop. */
export const DEFAULT_RATE_LIMITS: RateLimits = { perKeyPerMin: 6000, perTenantPerMin: 12_000 };

/** The rate limits' window: they are per minute. */
export const RATE_WINDOW_MS = 60_000;

/** What a limit counts: requests per API key or per tenant, failed authentications per client address. */
export type RateLimitKind = 'key' | 'tenant' | 'address';

const LIMITED = {
  key: 'requests per minute per API key',
  tenant: 'requests per minute per tenant',
  address: 'failed authentications per minute from this client address (every request from it is refused until then)',
} as const satisfies Record<RateLimitKind, string>;

/** 429: a per-key, per-tenant or per-address limit was reached; retry after `Retry-After` seconds. */
export class RateLimitedError extends SwitchboardError {
  constructor(limit: RateLimitKind, max: number, retryAfterSeconds: number) {
    super('rate_limited', `rate limit of ${max} ${LIMITED[limit]} reached; retry in ${retryAfterSeconds} s`, {
      retryable: true,
      details: { limit, max, windowSeconds: RATE_WINDOW_MS / 1000, retryAfterSeconds },
    });
  }
}

/**
 * Registers the `/v1` access control on `v1` (call it before registering routes):
 *
 * - the key comes from `Authorization: Bearer sb_…`, or from `?access_token=` on routes that
 *   allow it (`config.queryToken`: the WebSocket, since browsers cannot set its headers);
 * - a platform key (`sbp_…`) is 403 `tenant_key_required` (it reaches only `/v1/platform`), a
 *   genuine key of a disabled tenant 403 `tenant_disabled`;
 * - a missing or bad key is 401 and counts against the client address's failed-authentication
 *   limit (`authLimits`); an address over it gets 429 for every request until its window ends,
 *   before any key lookup (see {@link Authenticator});
 * - both rate limits apply (the tenant's only counts requests its key limit let through),
 *   counted by `limiter` (shared across replicas when it syncs, see {@link RateLimiter});
 * - the route's scope ({@link routeScope}) must be granted, else 403.
 *
 * Every route registered on `v1` afterwards documents these 401, 403 and 429 responses.
 */
export async function registerAccessControl(
  v1: FastifyInstance,
  options: { db: Queryable; limiter: RateLimiter; rateLimits?: RateLimits; authLimits?: AuthLimits },
): Promise<void> {
  const limits = options.rateLimits ?? DEFAULT_RATE_LIMITS;
  const authenticator = new Authenticator(options.db, options.limiter, {
    ...(options.authLimits ? { limits: options.authLimits } : {}),
    onLimitReached: (address, max) =>
      v1.log.warn(
        { address, max },
        'client address reached its failed-authentication limit: refused until its window ends',
      ),
  });

  v1.addHook('onRoute', (route) => {
    // What this hook answers (401, 429, 403) is in every route's description.
    addAccessResponses(route);
    for (const method of [route.method].flat()) {
      const { declared } = routeScope(method, route.url, route.config);
      if (!declared) {
        v1.log.warn(
          { method, url: route.url },
          'route declares no API key scope (config.scope, or ROUTE_SCOPES in scopes.ts): only admin keys may call it',
        );
      }
    }
  });

  v1.addHook('onRequest', async (req, reply) => {
    const token = presentedToken(req);
    // Told apart by shape, before any lookup: a platform key is never a tenant's.
    if (token !== undefined && isPlatformKeyShaped(token)) {
      throw new WrongKeyKindError('tenant', `${req.method} ${req.routeOptions.url ?? req.url}`);
    }
    const auth = await authenticator.authenticate(token, req.ip);
    if (auth.status === 'rate_limited') {
      reply.header('retry-after', String(auth.retryAfterSeconds));
      throw new RateLimitedError('address', auth.max, auth.retryAfterSeconds);
    }
    if (auth.status === 'tenant_disabled') throw new TenantDisabledError(auth.tenantId);
    if (auth.status !== 'authenticated') throw new UnauthorizedError();
    const principal = auth.principal;
    req.principal = principal;
    // From here on the request's span and log lines name their tenant.
    req.otel?.span.setAttribute('switchboard.tenant_id', principal.tenantId);
    req.log = reply.log = req.log.child({ tenant: principal.tenantId });

    for (const [limit, key, max] of [
      ['key', `key:${principal.keyId}`, limits.perKeyPerMin],
      ['tenant', `tenant:${principal.tenantId}`, limits.perTenantPerMin],
    ] as const) {
      if (max === 0) continue;
      const decision = options.limiter.take(key, max);
      if (!decision.allowed) {
        reply.header('retry-after', String(decision.retryAfterSeconds));
        throw new RateLimitedError(limit, max, decision.retryAfterSeconds);
      }
    }

    const url = req.routeOptions.url;
    if (url === undefined) return; // no such route: the 404 handler answers
    const { scope } = routeScope(req.method, url, req.routeOptions.config);
    if (!grants(principal.scopes, scope)) throw new ForbiddenError(scope, principal.scopes, `${req.method} ${url}`);
  });
}

/** The key a request presents: `Authorization: Bearer …`, or `?access_token=` where the route allows it. */
export function presentedToken(req: FastifyRequest): string | undefined {
  const header = req.headers.authorization;
  if (typeof header === 'string') {
    return header.startsWith('Bearer ') ? nonEmpty(header.slice(7).trim()) : undefined;
  }
  if (req.routeOptions.config?.queryToken === true) {
    const query = req.query as Record<string, unknown> | undefined;
    const token = query?.access_token;
    return typeof token === 'string' ? nonEmpty(token) : undefined;
  }
  return undefined;
}

function nonEmpty(s: string): string | undefined {
  return s === '' ? undefined : s;
}
