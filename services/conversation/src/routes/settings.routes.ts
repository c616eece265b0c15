import { type FastifyPluginAsyncTypebox, type Static, Type } from '@fastify/type-provider-typebox';
import { isOAuth2Credential, parseOAuth2Credential } from '@switchboard/actions';
import { NotFoundError, SwitchboardError, ValidationError } from '@switchboard/common';
import {
  type Endpoint as EndpointRow,
  findEndpoint,
  listCredentials,
  listEndpoints,
  putCredential,
  upsertEndpoint,
} from '@switchboard/db';
import { errorResponses } from '../responses.js';

const Name = Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9][A-Za-z0-9_.:-]*$' });

const EndpointBody = Type.Object(
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
const Endpoint = Type.Object({
  name: Type.String(),
  url: Type.String(),
  method: Type.String(),
  headers: Type.Array(Type.String(), { description: 'Header names (values are never returned)' }),
  timeout_ms: Type.Integer(),
  allow_private: Type.Boolean(),
});

const SECRET_FIELDS = {
  calcom: ['apiKey'],
  twilio: ['accountSid', 'authToken'],
  hubspot: ['accessToken'],
  http: [],
  openai: ['apiKey'],
  retell: ['apiKey'],
} as const;

/** Tenant settings: webhook endpoints, and write-only credentials. */
export const settingsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/endpoints',
    {
      schema: {
        summary: 'List webhook endpoints',
        response: { 200: Type.Object({ endpoints: Type.Array(Endpoint) }) },
      },
    },
    async (req) => ({
      endpoints: (await listEndpoints(app.deps.db, req.principal.tenantId)).map(endpointJson),
    }),
  );

  app.put(
    '/endpoints/:name',
    {
      schema: {
        summary: 'Create or replace a webhook endpoint',
        params: Type.Object({ name: Name }),
        body: EndpointBody,
        response: { 200: Type.Object({ name: Type.String() }) },
      },
    },
    async (req) => {
      if (/\/\/[^/]*@/.test(req.body.url)) {
        throw new SwitchboardError(
          'validation_failed',
          'endpoint URLs must not carry credentials; store a credential and reference it',
          {
            details: { issues: [{ pointer: '/url', message: 'user:password@ in the URL is not allowed' }] },
          },
        );
      }
      await upsertEndpoint(app.deps.db, {
        tenantId: req.principal.tenantId,
        name: req.params.name,
        url: req.body.url,
        method: req.body.method ?? 'POST',
        headers: req.body.headers ?? {},
        timeoutMs: req.body.timeout_ms ?? 10_000,
        allowPrivate: req.body.allow_private ?? false,
      });
      return { name: req.params.name };
    },
  );

  app.get(
    '/endpoints/:name',
    {
      schema: {
        summary: 'Read a webhook endpoint',
        params: Type.Object({ name: Name }),
        response: { 200: Endpoint, ...errorResponses(404) },
      },
    },
    async (req) => {
      const e = await findEndpoint(app.deps.db, req.principal.tenantId, req.params.name);
      if (!e) throw new NotFoundError('endpoint', req.params.name);
      return endpointJson(e);
    },
  );

  app.get(
    '/credentials',
    {
      schema: {
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
      },
    },
    async (req) => ({
      credentials: await listCredentials(app.deps.db, req.principal.tenantId),
    }),
  );

  app.put(
    '/credentials/:name',
    {
      schema: {
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
      },
    },
    async (req) => {
      const keyring = app.deps.keyring;
      if (!keyring)
        throw new SwitchboardError('credentials_unavailable', 'this deployment has no CREDENTIALS_KEYS configured', {
          retryable: false,
        });
      const missing = SECRET_FIELDS[req.body.provider].filter((f) => !(f in req.body.secret));
      if (missing.length > 0) {
        throw new SwitchboardError(
          'validation_failed',
          `a ${req.body.provider} credential needs ${missing.join(', ')}`,
          {
            details: { issues: missing.map((f) => ({ pointer: `/secret/${f}`, message: 'required' })) },
          },
        );
      }
      if (req.body.provider === 'http' && isOAuth2Credential(req.body.secret)) {
        const oauth2 = parseOAuth2Credential(req.body.secret);
        if (!oauth2.ok)
          throw new ValidationError(
            'this OAuth2 client-credentials credential is incomplete or invalid',
            oauth2.issues,
          );
      }
      await putCredential(app.deps.db, keyring, {
        tenantId: req.principal.tenantId,
        name: req.params.name,
        provider: req.body.provider,
        secret: req.body.secret,
      });
      return { name: req.params.name, provider: req.body.provider };
    },
  );
};

/** An endpoint as the API shows it: header names only (their values may hold secrets). */
function endpointJson(e: EndpointRow): Static<typeof Endpoint> {
  return {
    name: e.name,
    url: e.url,
    method: e.method,
    headers: Object.keys(e.headers),
    timeout_ms: e.timeoutMs,
    allow_private: e.allowPrivate,
  };
}
