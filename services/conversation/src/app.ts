import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import websocket from '@fastify/websocket';
import type { Bus } from '@switchboard/bus';
import { asSwitchboardError, checkReadiness, type Logger, SwitchboardError } from '@switchboard/common';
import {
  type ApiKeyPrincipal,
  addRateCounts,
  type Keyring,
  pingDatabase,
  pruneRateCounts,
  type Queryable,
} from '@switchboard/db';
import type { Metrics, Tracer } from '@switchboard/telemetry';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { RATE_WINDOW_MS, type RateLimits, registerAccessControl } from './access.js';
import type { AuthLimits } from './authenticator.js';
import { ConversationEnds } from './conversation-ends.js';
import { httpStatusOf } from './errors.js';
import { frameworkErrors, MAX_PARAM_LENGTH, registerFallbacks } from './fallbacks.js';
import { registerInputChecks } from './input-checks.js';
import { KeyRevocations } from './key-revocations.js';
import { RateLimiter } from './rate-limiter.js';
import { requestContext } from './request-context.js';
import { addAppResponses, SHARED_SCHEMAS } from './responses.js';
import { agentRoutes } from './routes/agents.routes.js';
import { consoleRoutes } from './routes/console.routes.js';
import { controlRoutes } from './routes/controls.routes.js';
import { conversationViewRoutes } from './routes/conversation-view.routes.js';
import { conversationRoutes } from './routes/conversations.routes.js';
import { dropinRoutes } from './routes/dropin.routes.js';
import { elevenLabsDropinRoutes } from './routes/dropin-elevenlabs.routes.js';
import { inboundRoutes } from './routes/inbound.routes.js';
import { keyRoutes } from './routes/keys.routes.js';
import { mcpRoutes } from './routes/mcp.routes.js';
import { metricsRoutes } from './routes/metrics.routes.js';
import { platformRoutes } from './routes/platform.routes.js';
import { runRoutes } from './routes/runs.routes.js';
import { sandboxRoutes } from './routes/sandbox.routes.js';
import { settingsRoutes } from './routes/settings.routes.js';
import { transcriptRoutes } from './routes/transcript.routes.js';
import { turnRoutes } from './routes/turns.routes.js';
import { websocketRoutes } from './routes/ws.routes.js';
import type { RunDeadlineSettings } from './run-plan.js';
import { ToolCalls } from './tool-calls.js';

/** Everything the app needs; `main.ts` builds these, tests pass their own. */
export interface AppDeps {
  db: Queryable;
  bus: Bus;
  tracer: Tracer;
  toolCallTimeoutMs: number;
  /** How a run's deadline is set, after which an unfinished run is stuck (default `DEFAULT_RUN_DEADLINE`). */
  runDeadline?: RunDeadlineSettings;
  bodyLimitBytes?: number;
  /**
   * Encrypts credentials written through the API and decrypts the ones inbound webhooks are
   * verified with; without it, both answer 503.
   */
  keyring?: Keyring;
  /** Scheme and host Twilio calls inbound webhooks on (`PUBLIC_BASE_URL`); default: the request's own. */
  publicBaseUrl?: string;
  /** Requests per minute per API key and per tenant on `/v1` (default: `DEFAULT_RATE_LIMITS`). */
  rateLimits?: RateLimits;
  /**
   * Share rate-limit counts with the other replicas through Postgres every this many ms
   * (`RATE_LIMIT_SYNC_MS`); 0 or absent: each process counts on its own.
   */
  rateLimitSyncMs?: number;
  /**
   * Failed authentications per minute per client address and how long a refused key is
   * remembered (default: `DEFAULT_AUTH_LIMITS`); see {@link Authenticator}.
   */
  authLimits?: AuthLimits;
  /**
   * Which proxies' `X-Forwarded-For` to believe for the client address (`TRUST_PROXY`, Fastify's
   * `trustProxy`): `true` (any: only when nothing reaches the service but through the proxy), or
   * addresses / CIDRs / `loopback`, `linklocal`, `uniquelocal`, comma-separated. Default: none,
   * so the client address is the socket's peer.
   */
  trustProxy?: TrustProxy;
  /**
   * Hex SHA-256 of each platform-admin key (`PLATFORM_KEY_HASHES`), the keys of `/v1/platform`;
   * none or absent: those routes answer 401 to everyone.
   */
  platformKeyHashes?: readonly string[];
  logger?: Logger | false;
  /** Serves `GET /metrics` (unauthenticated, like `/healthz`); absent: no such route. */
  metrics?: Pick<Metrics, 'text'>;
}

/**
 * Fastify's `trustProxy` values that configuration can give: all or nothing, or a list. (Not a
 * hop count: Fastify 5 trusts no peer for one, since it cannot check who sent the header.)
 */
export type TrustProxy = boolean | string;

declare module 'fastify' {
  interface FastifyInstance {
    deps: AppDeps;
    toolCalls: ToolCalls;
    /** Closes SSE and WebSocket streams whose API key is revoked (see {@link KeyRevocations}). */
    keyRevocations: KeyRevocations;
  }
  interface FastifyRequest {
    principal: ApiKeyPrincipal;
  }
}

/**
 * Builds the Fastify app without listening (tests use `app.inject()`; `main.ts` listens).
 * Every `/v1` route is authenticated with a tenant API key and scoped to that tenant, except
 * the provider webhooks under `/v1/inbound`, which are authenticated by their signatures, and
 * platform administration under `/v1/platform`, which takes only platform keys.
 */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const options: FastifyServerOptions = {
    bodyLimit: deps.bodyLimitBytes ?? 1_048_576,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    frameworkErrors,
    ...(deps.logger ? { loggerInstance: deps.logger } : { logger: false }),
    ajv: { customOptions: { allErrors: true, removeAdditional: false, coerceTypes: false } },
    trustProxy: deps.trustProxy ?? false,
  };
  const app = Fastify(options).withTypeProvider<TypeBoxTypeProvider>();
  // Response schemas document and are checked (schemathesis), but never reshape a body: the
  // default serializer would drop fields a schema forgot and coerce mismatched types, hiding
  // exactly what the document gets wrong.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  // JSON routes take JSON: a text/plain body is a 415, not a string that fails validation.
  app.removeContentTypeParser('text/plain');
  // Before any route: the 404/405 handler learns every route, and every documented route gets
  // the error statuses the app answers anywhere (see responses.ts).
  const unrouted = registerFallbacks(app);
  app.addHook('onRoute', addAppResponses);
  for (const schema of SHARED_SCHEMAS) app.addSchema(schema);
  app.decorate('deps', deps);
  app.decorate(
    'toolCalls',
    new ToolCalls({
      db: deps.db,
      bus: deps.bus,
      tracer: deps.tracer,
      timeoutMs: deps.toolCallTimeoutMs,
      ...(deps.runDeadline ? { runDeadline: deps.runDeadline } : {}),
    }),
  );

  // One server span per request, and the trace context handlers run in.
  await app.register(requestContext, { tracer: deps.tracer });

  app.setErrorHandler((error, req, reply) => {
    const err = error as Error & { validation?: unknown; statusCode?: number; code?: string };
    if (req.is404) return unrouted(req, reply);
    if (err.validation) {
      return reply.status(400).send({
        error: {
          code: 'validation_failed',
          message: err.message,
          retryable: false,
          details: { issues: toIssues(err.validation) },
        },
      });
    }
    if (err instanceof SwitchboardError) {
      return reply.status(httpStatusOf(err)).send({ error: err.toJSON() });
    }
    // Fastify's own errors (the body parser's: malformed JSON, an empty body, a content type
    // without a parser, a body over the limit), in the API's shape.
    if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
      const code = FRAMEWORK_ERROR_CODES[err.statusCode] ?? 'bad_request';
      const message =
        err.statusCode === 415
          ? `this route does not take a body of content type '${req.headers['content-type'] ?? '(none)'}'`
          : err.message;
      return reply.status(err.statusCode).send({ error: { code, message, retryable: false } });
    }
    if (err.statusCode === 503) {
      return reply.status(503).send({ error: { code: 'unavailable', message: err.message, retryable: true } });
    }
    req.log.error({ err }, 'unhandled error');
    const wrapped = asSwitchboardError(err);
    return reply.status(500).send({ error: { code: wrapped.code, message: 'internal error', retryable: false } });
  });

  // JSON limits (depth, NUL, unpaired surrogates) on every route's parameters and body.
  registerInputChecks(app);

  await app.register(swagger, {
    // Shared schemas keep their names as components (`Error`, …), not `def-0`.
    refResolver: { buildLocalReference: (json, _base, _fragment, i) => String(json.$id ?? `def-${i}`) },
    openapi: {
      info: {
        title: 'Switchboard API',
        version: '1',
        description: [
          'Durable actions for conversational AI agents.',
          'Every error is `{"error": {"code", "message", "retryable", "details"}}` (components `Error`, `ValidationError`, `RateLimitedError`); each operation lists every status it can answer.',
          'A path no route has is a 404 `not_found`; a path that takes other methods is a 405 `method_not_allowed` with `Allow`.',
        ].join(' '),
      },
      components: {
        securitySchemes: {
          apiKey: { type: 'http', scheme: 'bearer', description: "sb_key_… a tenant's API key" },
          platformKey: { type: 'http', scheme: 'bearer', description: 'sbp_… platform-admin key (/v1/platform only)' },
        },
      },
      security: [{ apiKey: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok', pid: process.pid }));
  // Readiness: a replica that cannot reach Postgres or NATS can answer no tool call; 503 takes it
  // out of the load balancer while the others serve (liveness stays on /healthz).
  app.get('/readyz', { schema: { hide: true } }, async (_req, reply) => {
    const report = await checkReadiness({
      postgres: () => pingDatabase(deps.db),
      nats: () => deps.bus.jsm.getAccountInfo(),
    });
    return reply
      .code(report.ready ? 200 : 503)
      .send({ status: report.ready ? 'ready' : 'unavailable', dependencies: report.dependencies });
  });
  if (deps.metrics) await app.register(metricsRoutes, { metrics: deps.metrics });

  // WebSocket upgrades are dispatched through the router and its hooks (auth included). Register
  // it once, here: a second registration would answer every upgrade twice.
  await app.register(websocket, { options: { maxPayload: 64 * 1024 } });
  const ends = new ConversationEnds(deps.db, undefined, (err) => app.log.warn({ err }, 'conversation end poll failed'));
  app.addHook('onClose', async () => ends.close());
  const revocations = new KeyRevocations(deps.db, undefined, (err) =>
    app.log.warn({ err }, 'API key revocation poll failed'),
  );
  app.decorate('keyRevocations', revocations);
  app.addHook('onClose', async () => revocations.close());

  // Provider webhooks: authenticated by the provider's signature, not an API key, so they are
  // registered outside the authenticated `/v1` scope below (its hook does not apply to them).
  await app.register(inboundRoutes, { prefix: '/v1/inbound', publicBaseUrl: deps.publicBaseUrl });
  // Platform administration: platform keys only, outside the tenant-key scope below.
  await app.register(platformRoutes, {
    prefix: '/v1/platform',
    platformKeyHashes: deps.platformKeyHashes ?? [],
  });
  // The web test console: static files outside `/v1` (the page asks for the API key itself).
  await app.register(consoleRoutes, { prefix: '/console', db: deps.db });

  await app.register(
    async (v1) => {
      // API key, per-key and per-tenant rate limits, route scope: before any route is added.
      const limiter = new RateLimiter({
        windowMs: RATE_WINDOW_MS,
        ...(deps.rateLimitSyncMs
          ? {
              sync: {
                add: (windowMs, counts) => addRateCounts(deps.db, windowMs, counts),
                prune: async (beforeMs) => void (await pruneRateCounts(deps.db, beforeMs)),
              },
              syncEveryMs: deps.rateLimitSyncMs,
            }
          : {}),
        onSyncError: (err) => app.log.warn({ err }, 'rate-limit counts not shared (kept for the next sync)'),
      });
      limiter.start();
      app.addHook('onClose', async () => limiter.close());
      await registerAccessControl(v1, {
        db: deps.db,
        limiter,
        ...(deps.rateLimits ? { rateLimits: deps.rateLimits } : {}),
        ...(deps.authLimits ? { authLimits: deps.authLimits } : {}),
      });
      await v1.register(conversationRoutes);
      await v1.register(conversationViewRoutes);
      await v1.register(runRoutes);
      await v1.register(controlRoutes);
      await v1.register(sandboxRoutes);
      await v1.register(agentRoutes);
      await v1.register(settingsRoutes);
      // Voice runtimes (Vapi, Retell) and MCP clients send the API key as a Bearer token too.
      await v1.register(dropinRoutes);
      await v1.register(elevenLabsDropinRoutes);
      await v1.register(mcpRoutes);
      await v1.register(keyRoutes);
      await v1.register(transcriptRoutes, { ends });
      await v1.register(turnRoutes);
      await v1.register(websocketRoutes, { ends });
    },
    { prefix: '/v1' },
  );
  return app;
}

/** Codes of Fastify's own 4xx errors, by status. */
const FRAMEWORK_ERROR_CODES: Readonly<Record<number, string>> = {
  400: 'bad_request',
  413: 'payload_too_large',
  414: 'uri_too_long',
  415: 'unsupported_media_type',
};

function toIssues(validation: unknown): { pointer: string; message: string }[] {
  if (!Array.isArray(validation)) return [];
  return validation.map((v: { instancePath?: string; message?: string; params?: Record<string, unknown> }) => {
    const extra = v.params?.additionalProperty ? ` ('${String(v.params.additionalProperty)}')` : '';
    return { pointer: v.instancePath ?? '', message: `${v.message ?? 'invalid'}${extra}` };
  });
}
