/** Request and response schemas of the settings routes: they validate requests and make the OpenAPI document. */
import { Type } from '@fastify/type-provider-typebox';
import { errorResponses } from '../responses.js';

export const Name = Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9][A-Za-z0-9_.:-]*$' });

export const EndpointBody = Type.Object(
  {
    url: Type.String({ format: 'uri', pattern: '^https?://', maxLength: 2048 }),
    method: Type.Optional(
      Type.Union(
        ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].map((m) => Type.Literal(m)),
        { default: 'POST' },
      ),
    ),
    headers: Type.Optional(Type.Record(Type.String({ pattern: '^[A-Za-z0-9-]+$' }), Type.String({ maxLength: 4096 }))),
    timeout_ms: Type.Optional(Type.Integer({ minimum: 100, maximum: 60_000, default: 10_000 })),
    allow_private: Type.Optional(
      Type.Boolean({ default: false, description: 'Allow loopback/private addresses (on-premise endpoints)' }),
    ),
  },
  { additionalProperties: false },
);

/** An endpoint as read back: header names only, never their values. */
export const Endpoint = Type.Object({
  name: Type.String(),
  url: Type.String(),
  method: Type.String(),
  headers: Type.Array(Type.String(), { description: 'Header names (values are never returned)' }),
  timeout_ms: Type.Integer(),
  allow_private: Type.Boolean(),
});

/** `GET /v1/endpoints`. */
export const ListEndpointsSchema = {
  summary: 'List webhook endpoints',
  response: { 200: Type.Object({ endpoints: Type.Array(Endpoint) }) },
};

/** `PUT /v1/endpoints/:name`. */
export const PutEndpointSchema = {
  summary: 'Create or replace a webhook endpoint',
  params: Type.Object({ name: Name }),
  body: EndpointBody,
  response: { 200: Type.Object({ name: Type.String() }) },
};

/** `GET /v1/endpoints/:name`. */
export const GetEndpointSchema = {
  summary: 'Read a webhook endpoint',
  params: Type.Object({ name: Name }),
  response: { 200: Endpoint, ...errorResponses(404) },
};

/** `GET /v1/credentials`. */
export const ListCredentialsSchema = {
  summary: 'List credentials (names, providers, status — never secrets)',
  response: {
    200: Type.Object({
      credentials: Type.Array(
        Type.Object({
          name: Type.String(),
          provider: Type.String(),
          status: Type.String({ description: 'unchecked, ok or auth_failed' }),
          statusReason: Type.Union([Type.String(), Type.Null()]),
        }),
      ),
    }),
  },
};

/** `PUT /v1/credentials/:name`. */
export const PutCredentialSchema = {
  summary: 'Store a credential (write-only: it is encrypted at rest and never returned)',
  params: Type.Object({ name: Name }),
  body: Type.Object(
    {
      provider: Type.Union([
        Type.Literal('calcom'),
        Type.Literal('twilio'),
        Type.Literal('hubspot'),
        Type.Literal('http'),
        Type.Literal('openai'),
        Type.Literal('retell'),
      ]),
      secret: Type.Record(
        Type.String({ pattern: '^[A-Za-z][A-Za-z0-9_]*$' }),
        Type.String({ minLength: 1, maxLength: 4096 }),
        {
          minProperties: 1,
          maxProperties: 10,
          description:
            'The secret fields. calcom: apiKey; twilio: accountSid, authToken; hubspot: accessToken; openai, retell: apiKey; http: token (bearer), username + password (basic), key (api_key), secret (request signing), or for the OAuth2 client-credentials grant token_url, client_id, client_secret and optional scope (space-separated), audience, client_auth (client_secret_basic, the default, or client_secret_post)',
        },
      ),
    },
    { additionalProperties: false },
  ),
  // 503: this deployment has no CREDENTIALS_KEYS to encrypt it with.
  response: { 200: Type.Object({ name: Type.String(), provider: Type.String() }), ...errorResponses(503) },
};
