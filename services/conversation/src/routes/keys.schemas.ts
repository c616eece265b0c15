/** Request and response schemas of the keys routes: they validate requests and make the OpenAPI document. */
import { Type } from '@fastify/type-provider-typebox';
import { errorResponses } from '../responses.js';
import { ALL_SCOPES } from '../scopes.js';

export const KeyParams = Type.Object({ id: Type.String({ pattern: '^key_[0-9a-f]{24}$', description: 'API key id' }) });

export const ApiKey = Type.Object({
  id: Type.String(),
  name: Type.String(),
  scopes: Type.Array(Type.String(), {
    description: "Granted scopes; '*' (keys made before scopes existed) grants them all",
  }),
  createdAt: Type.String(),
  revokedAt: Type.Union([Type.String(), Type.Null()]),
});

/** `POST /v1/api-keys`. */
export const CreateApiKeySchema = {
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
};

/** `GET /v1/api-keys`. */
export const ListApiKeysSchema = {
  summary: 'List API keys, active and revoked (never their secrets)',
  response: { 200: Type.Object({ keys: Type.Array(ApiKey) }) },
};

/** `DELETE /v1/api-keys/:id`. */
export const RevokeApiKeySchema = {
  summary:
    'Revoke an API key (refused from the next request on, its open event streams closed within seconds; repeating it is harmless)',
  params: KeyParams,
  // 409: the tenant's last active admin key.
  response: { 200: ApiKey, ...errorResponses(404, 409) },
};
