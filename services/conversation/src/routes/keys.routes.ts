import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { NotFoundError } from '@switchboard/common';
import { type ApiKeyRecord, createApiKey, findApiKey, listApiKeys, revokeApiKey } from '@switchboard/db';
import { ConflictError } from '../errors.js';
import { ADMIN_GRANTS, Scopes } from '../scopes.js';
import { CreateApiKeySchema, ListApiKeysSchema, RevokeApiKeySchema } from './keys.schemas.js';

function toApi(key: ApiKeyRecord) {
  return {
    id: key.id,
    name: key.name,
    scopes: key.scopes,
    createdAt: key.createdAt.toISOString(),
    revokedAt: key.revokedAt?.toISOString() ?? null,
  };
}

/**
 * The tenant's API keys (admin scope). A key's secret is returned once, when it is made; only
 * its hash is stored. Revoking takes effect on the next request, and closes the key's open
 * event streams (SSE, WebSocket): at once on this replica, within a poll interval (~2 s) on the
 * others. The tenant's last active admin key cannot be revoked (by anyone, itself included):
 * make another admin key first.
 */
export const keyRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const config = { scope: Scopes.Admin };

  app.post(
    '/api-keys',
    {
      config,
      schema: CreateApiKeySchema,
    },
    async (req, reply) => {
      const { keyId, key } = await createApiKey(app.deps.db, req.principal.tenantId, {
        label: req.body.name,
        scopes: req.body.scopes,
      });
      const created = await findApiKey(app.deps.db, req.principal.tenantId, keyId);
      if (!created) throw new NotFoundError('API key', keyId);
      return reply.status(201).send({ ...toApi(created), key });
    },
  );

  app.get(
    '/api-keys',
    {
      config,
      schema: ListApiKeysSchema,
    },
    async (req) => ({ keys: (await listApiKeys(app.deps.db, req.principal.tenantId)).map(toApi) }),
  );

  app.delete(
    '/api-keys/:id',
    {
      config,
      schema: RevokeApiKeySchema,
    },
    async (req) => {
      const outcome = await revokeApiKey(app.deps.db, req.principal.tenantId, req.params.id, ADMIN_GRANTS);
      switch (outcome.status) {
        case 'not_found':
          throw new NotFoundError('API key', req.params.id);
        case 'last_protected':
          throw new ConflictError(
            `API key '${req.params.id}' is the tenant's last active admin key; create another admin key before revoking it`,
          );
        default:
          // Its streams on this replica close now; the other replicas find it by polling.
          app.keyRevocations.revoked(outcome.key.id);
          return toApi(outcome.key);
      }
    },
  );
};
