/** Request and response schemas of the platform routes: they validate requests and make the OpenAPI document. */
import { Type } from '@fastify/type-provider-typebox';
import { errorResponses } from '../responses.js';

/** Platform routes take a platform key, not a tenant's (OpenAPI `security`). */
const security = [{ platformKey: [] }];

export const TenantParams = Type.Object({
  id: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$', description: 'Tenant id' }),
});

export const TenantBody = Type.Object({
  id: Type.String(),
  name: Type.String(),
  createdAt: Type.String(),
  disabledAt: Type.Union([Type.String(), Type.Null()], {
    description: 'When a platform admin disabled it; null while active',
  }),
});

/** `POST /v1/platform/tenants`. */
export const CreateTenantSchema = {
  summary: 'Create a tenant and its first admin API key (the key is shown once)',
  security,
  body: Type.Object(
    {
      name: Type.String({
        minLength: 1,
        maxLength: 100,
        pattern: '^[^\\u0000-\\u001f\\u007f]+$',
        description: 'Unique among tenants (no control characters)',
      }),
    },
    { additionalProperties: false },
  ),
  response: {
    201: Type.Object({
      tenant: TenantBody,
      adminKey: Type.Object({
        id: Type.String(),
        scopes: Type.Array(Type.String()),
        key: Type.String({ description: 'The secret `sb_key_…` key: shown this once, only its hash is stored' }),
      }),
    }),
    // 409: a tenant of this name exists (`details.tenantId`).
    ...errorResponses(409),
  },
};

/** `GET /v1/platform/tenants`. */
export const ListTenantsSchema = {
  summary: 'List tenants, active and disabled, oldest first',
  security,
  response: { 200: Type.Object({ tenants: Type.Array(TenantBody) }) },
};

/** `POST /v1/platform/tenants/:id/disable`. */
export const DisableTenantSchema = {
  summary:
    'Disable a tenant: its keys are refused (403 tenant_disabled) from the next request, its open event streams close within seconds; its data is kept and runs already accepted finish (repeating it is harmless)',
  security,
  params: TenantParams,
  response: { 200: TenantBody, ...errorResponses(404) },
};
