import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { NotFoundError } from '@switchboard/common';
import { type ApiKeyRecord, createApiKey, findApiKey, listApiKeys, revokeApiKey } from '@switchboard/db';
import { ConflictError } from '../errors.js';
import { errorResponses } from '../responses.js';
import { ADMIN_GRANTS, ALL_SCOPES, Scopes } from '../scopes.js';

const KeyParams = Type.Object({ id: Type.String({ pattern: '^key_[0-9a-f]{24}$', description: 'API key id' }) });

const ApiKey = Type.Object({
  id: Type.String(),
  name: Type.String(),
  scopes: Type.Array(Type.String(), {
    description: "Granted scopes; '*' (keys made before scopes existed) grants them all",
  }),
  createdAt: Type.String(),
  revokedAt: Type.Union([Type.String(), Type.Null()]),
});

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
      schema: {
        summary: 'Create an API key (its secret is shown once)',
        body: Type.Object(
          {
            name: Type.String({
              minLength: 1,
              maxLength: 100,
              pattern: '^[^\\u0000-\\u001f\\u007f]+$',
              description: 'What the key is for (no control characters)',
            }),
            scopes: Type.Array(Type.Union(ALL_SCOPES.map((s) => Type.Literal(s))), {
              minItems: 1,
              uniqueItems: true,
              description:
                'admin: everything, keys/credentials/endpoints included; agents:write: agents and actions; conversations: start, tool calls, controls, messages, end, events; read: configuration and history (every scope implies read)',
            }),
          },
          { additionalProperties: false },
        ),
        response: { 201: Type.Composite([ApiKey, Type.Object({ key: Type.String() })]) },
      },
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
      schema: {
        summary: 'List API keys, active and revoked (never their secrets)',
        response: { 200: Type.Object({ keys: Type.Array(ApiKey) }) },
      },
    },
    async (req) => ({ keys: (await listApiKeys(app.deps.db, req.principal.tenantId)).map(toApi) }),
  );

  app.delete(
    '/api-keys/:id',
    {
      config,
      schema: {
        summary:
          'Revoke an API key (refused from the next request on, its open event streams closed within seconds; repeating it is harmless)',
        params: KeyParams,
        // 409: the tenant's last active admin key.
        response: { 200: ApiKey, ...errorResponses(404, 409) },
      },
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
