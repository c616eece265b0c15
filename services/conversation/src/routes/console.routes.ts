/**
 * The web test console at `/console`: the seed's "Test Call → Start Web Call" for any agent.
 * Plain static files (`services/conversation/console/`: HTML, CSS and ES modules — `console.js`
 * the entry, one module per page; no build step) served outside the authenticated `/v1` scope:
 * the page asks for an API key and calls the `/v1` API of this same origin with it, like any
 * other client.
 *
 * Besides the files:
 * - `GET /console/config.json` — what the page cannot know by itself: the trace link template
 *   (`TRACE_URL_TEMPLATE`, e.g. Jaeger's), the Temporal UI's workflow link (`TEMPORAL_UI_URL`)
 *   and which provider sandboxes the dev stack runs (`SANDBOX_URLS`).
 * - `POST|DELETE /console/sandboxes/:provider/faults` — fault injection into those sandboxes
 *   ("Simulate failure"), forwarded to their `/_sandbox/faults`. Forwarded rather than called
 *   from the page because the sandboxes answer no CORS preflight. Only registered when
 *   `SANDBOX_URLS` is set (dev stack, tests), and only for a valid API key that may run
 *   conversations.
 */
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ConfigError } from '@switchboard/common';
import { type Queryable, verifyApiKey } from '@switchboard/db';
import type { FastifyRequest } from 'fastify';
import { UnauthorizedError } from '../errors.js';
import { ForbiddenError, grants, Scopes } from '../scopes.js';
import { FaultBody, ProviderParams, type SandboxProvider, SandboxProviders } from './console.schemas.js';

/** What the console page is told through `/console/config.json`. */
export interface ConsoleSettings {
  /**
   * Link to a run's trace, with `{traceId}` where the id goes, e.g.
   * `http://localhost:16686/trace/{traceId}` (Jaeger). Absent: trace ids are shown without links.
   */
  traceUrlTemplate?: string;
  /**
   * Link to a run's workflow in the Temporal UI, with `{workflowId}` where the (URL-encoded) id
   * goes: `<TEMPORAL_UI_URL>/namespaces/<TEMPORAL_NAMESPACE>/workflows/{workflowId}`. Absent
   * (no `TEMPORAL_UI_URL`): workflow ids are shown without links.
   */
  workflowUrlTemplate?: string;
  /** Base URLs of the provider sandboxes; absent: the "Simulate failure" panel is hidden. */
  sandboxUrls?: Partial<Record<SandboxProvider, string>>;
}

/** Options of {@link consoleRoutes}; register it with `prefix: '/console'`. */
export interface ConsoleRoutesOptions {
  /** Verifies the API key of the fault-injection routes. */
  db: Queryable;
  /**
   * Where `TRACE_URL_TEMPLATE`, `TEMPORAL_UI_URL`, `TEMPORAL_NAMESPACE` and `SANDBOX_URLS` are
   * read from (default `process.env`), once, at start.
   */
  env?: NodeJS.ProcessEnv;
}

/** The console's static files: `services/conversation/console/`, beside `src/` and `dist/`. */
export const CONSOLE_DIR = fileURLToPath(new URL('../../console/', import.meta.url));

/**
 * Reads `TRACE_URL_TEMPLATE`, `TEMPORAL_UI_URL` (the Temporal UI's origin as a browser reaches
 * it) with `TEMPORAL_NAMESPACE` (default `default`, the namespace the workers use), and
 * `SANDBOX_URLS` (JSON `{"calcom": url, "twilio": url, "hubspot": url}`, any subset). Throws a
 * {@link ConfigError} naming every problem.
 */
export function consoleSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): ConsoleSettings {
  const problems: string[] = [];
  const settings: ConsoleSettings = {};
  const template = env.TRACE_URL_TEMPLATE?.trim();
  if (template) {
    if (!template.includes('{traceId}') || !isHttpUrl(template.replace('{traceId}', '0'))) {
      problems.push(`TRACE_URL_TEMPLATE must be an http(s) URL containing {traceId}, got '${template}'`);
    } else settings.traceUrlTemplate = template;
  }
  const temporalUi = env.TEMPORAL_UI_URL?.trim();
  if (temporalUi) {
    if (!isHttpUrl(temporalUi)) problems.push(`TEMPORAL_UI_URL must be an http(s) URL, got '${temporalUi}'`);
    else {
      const namespace = env.TEMPORAL_NAMESPACE?.trim() || 'default';
      settings.workflowUrlTemplate = `${temporalUi.replace(/\/+$/, '')}/namespaces/${encodeURIComponent(namespace)}/workflows/{workflowId}`;
    }
  }
  const raw = env.SANDBOX_URLS?.trim();
  if (raw) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      parsed = undefined;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      problems.push(`SANDBOX_URLS must be a JSON object {"calcom"?, "twilio"?, "hubspot"?: url}, got '${raw}'`);
    } else {
      const urls: Partial<Record<SandboxProvider, string>> = {};
      for (const [name, url] of Object.entries(parsed)) {
        if (!(SandboxProviders as readonly string[]).includes(name)) {
          problems.push(`SANDBOX_URLS: unknown sandbox '${name}' (known: ${SandboxProviders.join(', ')})`);
        } else if (typeof url !== 'string' || !isHttpUrl(url)) {
          problems.push(`SANDBOX_URLS: '${name}' must be an http(s) URL`);
        } else urls[name as SandboxProvider] = url.replace(/\/+$/, '');
      }
      if (Object.keys(urls).length > 0) settings.sandboxUrls = urls;
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return settings;
}

function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

/** How long a forwarded fault request may take: the sandboxes are local. */
const SANDBOX_TIMEOUT_MS = 5000;

/** The console's files, its config, and (with sandboxes) fault injection. */
export const consoleRoutes: FastifyPluginAsyncTypebox<ConsoleRoutesOptions> = async (app, options) => {
  const settings = consoleSettingsFromEnv(options.env ?? process.env);

  await app.register(fastifyStatic, {
    root: CONSOLE_DIR,
    prefix: '/',
    // Another registration (Swagger UI's) may own `reply.sendFile`; this one needs none.
    decorateReply: false,
    index: 'index.html',
    // A development tool: always the files on disk, never a stale copy.
    cacheControl: false,
    setHeaders: (res) => {
      res.setHeader('cache-control', 'no-cache');
      res.setHeader('x-content-type-options', 'nosniff');
      res.setHeader(
        'content-security-policy',
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
      );
    },
  });

  // The page's relative links need the trailing slash.
  app.get('', { schema: { hide: true } }, async (_req, reply) => reply.redirect('/console/', 301));

  app.get('/config.json', { schema: { hide: true } }, async (_req, reply) => {
    reply.header('cache-control', 'no-store');
    return {
      traceUrlTemplate: settings.traceUrlTemplate ?? null,
      workflowUrlTemplate: settings.workflowUrlTemplate ?? null,
      sandboxes: settings.sandboxUrls ?? {},
    };
  });

  const sandboxUrls = settings.sandboxUrls;
  if (sandboxUrls === undefined) return;

  /** The same check as `/v1` (a valid key, the `conversations` scope), for two routes. */
  const authenticate = async (req: FastifyRequest) => {
    const header = req.headers.authorization;
    const token = typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7).trim() : '';
    const principal = token === '' ? undefined : await verifyApiKey(options.db, token);
    if (!principal) throw new UnauthorizedError();
    if (!grants(principal.scopes, Scopes.Conversations)) {
      throw new ForbiddenError(Scopes.Conversations, principal.scopes, `${req.method} ${req.routeOptions.url}`);
    }
  };

  const forward = async (provider: SandboxProvider, method: 'POST' | 'DELETE', fault?: FaultBody) => {
    const base = sandboxUrls[provider];
    if (base === undefined) {
      return {
        status: 404,
        body: { error: { code: 'not_found', message: `no ${provider} sandbox is configured`, retryable: false } },
      };
    }
    try {
      const res = await fetch(`${base}/_sandbox/faults`, {
        method,
        ...(fault ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(fault) } : {}),
        signal: AbortSignal.timeout(SANDBOX_TIMEOUT_MS),
      });
      const text = await res.text();
      let body: unknown = null;
      try {
        body = text === '' ? null : JSON.parse(text);
      } catch {
        body = { text };
      }
      // The sandbox's own status (400 for a fault it refuses), or 502 when it failed.
      return res.ok
        ? { status: 200, body: { provider, sandbox: body } }
        : {
            status: res.status < 500 ? res.status : 502,
            body: {
              error: {
                code: 'sandbox_refused',
                message: `${provider} sandbox answered ${res.status}`,
                retryable: false,
                details: body,
              },
            },
          };
    } catch (err) {
      return {
        status: 502,
        body: {
          error: {
            code: 'sandbox_unreachable',
            message: `${provider} sandbox at ${base} did not answer: ${(err as Error).message}`,
            retryable: true,
          },
        },
      };
    }
  };

  app.post(
    '/sandboxes/:provider/faults',
    { schema: { hide: true, params: ProviderParams, body: FaultBody }, onRequest: authenticate },
    async (req, reply) => {
      const out = await forward(req.params.provider, 'POST', req.body);
      return reply.status(out.status).send(out.body);
    },
  );

  app.delete(
    '/sandboxes/:provider/faults',
    { schema: { hide: true, params: ProviderParams }, onRequest: authenticate },
    async (req, reply) => {
      const out = await forward(req.params.provider, 'DELETE');
      return reply.status(out.status).send(out.body);
    },
  );
};
