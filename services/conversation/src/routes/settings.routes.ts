import type { FastifyPluginAsyncTypebox, Static } from '@fastify/type-provider-typebox';
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
import {
  type Endpoint,
  GetEndpointSchema,
  ListCredentialsSchema,
  ListEndpointsSchema,
  PutCredentialSchema,
  PutEndpointSchema,
} from './settings.schemas.js';

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
      schema: ListEndpointsSchema,
    },
    async (req) => ({
      endpoints: (await listEndpoints(app.deps.db, req.principal.tenantId)).map(endpointJson),
    }),
  );

  app.put(
    '/endpoints/:name',
    {
      schema: PutEndpointSchema,
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
      schema: GetEndpointSchema,
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
      schema: ListCredentialsSchema,
    },
    async (req) => ({
      credentials: await listCredentials(app.deps.db, req.principal.tenantId),
    }),
  );

  app.put(
    '/credentials/:name',
    {
      schema: PutCredentialSchema,
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
