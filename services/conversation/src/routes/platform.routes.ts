import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { matchesPlatformKey, NotFoundError, SwitchboardError } from '@switchboard/common';
import {
  createTenantWithAdminKey,
  disableTenant,
  listTenants,
  type Pool,
  parseApiKey,
  type TenantRecord,
} from '@switchboard/db';
import { presentedToken } from '../access.js';
import { UnauthorizedError, WrongKeyKindError } from '../errors.js';
import { addPlatformAccessResponses } from '../responses.js';
import { Scopes } from '../scopes.js';
import { CreateTenantSchema, DisableTenantSchema, ListTenantsSchema } from './platform.schemas.js';

function toApi(tenant: TenantRecord) {
  return {
    id: tenant.id,
    name: tenant.name,
    createdAt: tenant.createdAt.toISOString(),
    disabledAt: tenant.disabledAt?.toISOString() ?? null,
  };
}

/** 409: another tenant has this name. */
class TenantNameTakenError extends SwitchboardError {
  constructor(name: string, tenantId: string) {
    super('conflict', `a tenant named '${name}' exists (${tenantId}); choose another name`, {
      details: { tenantId },
    });
  }
}

/** Options of {@link platformRoutes}. */
export interface PlatformRoutesOptions {
  /** Hex SHA-256 of each platform key (`PLATFORM_KEY_HASHES`); none: every request is 401. */
  platformKeyHashes: readonly string[];
}

/**
 * Platform administration under `/v1/platform`: create, list and disable tenants. Only platform
 * keys (`sbp_…`, checked in memory against their hashes: no database lookup, so nothing for a
 * flood of bad keys to multiply) reach these routes; a tenant's key is 403
 * `platform_key_required`. A platform key reaches nothing else (`access.ts` refuses it on
 * tenant routes), so it can make a tenant and its first admin key but never read a tenant's data.
 *
 * Registered outside the tenant-key scope of `/v1` (its access hook does not run here).
 */
export const platformRoutes: FastifyPluginAsyncTypebox<PlatformRoutesOptions> = async (app, options) => {
  // `buildApp` hands the service's pool; creating a tenant needs a transaction.
  const pool = app.deps.db as Pool;

  app.addHook('onRoute', addPlatformAccessResponses);
  app.addHook('onRequest', async (req) => {
    const token = presentedToken(req);
    if (token !== undefined && matchesPlatformKey(token, options.platformKeyHashes)) return;
    if (token !== undefined && parseApiKey(token)) {
      throw new WrongKeyKindError('platform', `${req.method} ${req.routeOptions.url ?? req.url}`);
    }
    throw new UnauthorizedError('a valid platform key is required (Authorization: Bearer sbp_…)');
  });

  app.post('/tenants', { schema: CreateTenantSchema }, async (req, reply) => {
    const outcome = await createTenantWithAdminKey(pool, req.body.name, [Scopes.Admin]);
    if (outcome.status === 'name_taken') throw new TenantNameTakenError(req.body.name, outcome.tenant.id);
    req.log.info({ tenantId: outcome.tenant.id, keyId: outcome.adminKey.keyId }, 'tenant created');
    return reply.status(201).send({
      tenant: toApi(outcome.tenant),
      adminKey: { id: outcome.adminKey.keyId, scopes: [Scopes.Admin], key: outcome.adminKey.key },
    });
  });

  app.get('/tenants', { schema: ListTenantsSchema }, async () => ({
    tenants: (await listTenants(app.deps.db)).map(toApi),
  }));

  app.post('/tenants/:id/disable', { schema: DisableTenantSchema }, async (req) => {
    const tenant = await disableTenant(app.deps.db, req.params.id);
    if (!tenant) throw new NotFoundError('tenant', req.params.id);
    req.log.warn({ tenantId: tenant.id }, 'tenant disabled');
    return toApi(tenant);
  });
};
