/**
 * Answers for requests no route takes, in the API's error shape rather than Fastify's own:
 *
 * - a path no route has: 404 `not_found`, naming the method and the path;
 * - a path that exists for other methods: 405 `method_not_allowed`, with `Allow`;
 * - what the router refuses before any route runs (Fastify's `frameworkErrors`): a URL that
 *   cannot be decoded (400 `bad_request`), a path segment over {@link MAX_PARAM_LENGTH} (414).
 *
 * None of them needs an API key: they say nothing the OpenAPI document does not.
 */
import { SwitchboardError } from '@switchboard/common';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { httpStatusOf } from './errors.js';

/**
 * The longest path segment the router takes (Fastify's `maxParamLength`, default 100). Above
 * every path parameter's own `maxLength`, so that a too-long parameter is a 400 naming it
 * rather than a router error.
 */
export const MAX_PARAM_LENGTH = 1024;

/** 404: no route has this path. */
export class RouteNotFoundError extends SwitchboardError {
  constructor(method: string, path: string) {
    super('not_found', `no route ${method} ${path}`, { details: { what: 'route', method, path } });
  }
}

/** 405: the path exists, not for this method. */
export class MethodNotAllowedError extends SwitchboardError {
  constructor(method: string, path: string, allowed: readonly string[]) {
    super('method_not_allowed', `${path} does not take ${method}; it takes ${allowed.join(', ')}`, {
      details: { method, path, allowed: [...allowed] },
    });
  }
}

/**
 * A route's URL as a pattern over request paths: `:name` matches one segment, `*` the rest
 * (the only forms this service's routes use).
 */
export function routePattern(url: string): RegExp {
  const source = url
    .split('/')
    .map((segment) => {
      if (segment.startsWith(':')) return '[^/]+';
      if (segment === '*') return '.*';
      return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return new RegExp(`^${source}$`);
}

/** Answers a request no route takes: 404, or 405 when the path takes other methods. */
export type UnroutedAnswer = (req: FastifyRequest, reply: FastifyReply) => FastifyReply;

/**
 * Registers the 404/405 handler on `app`; call it before any route is added, so every route's
 * methods are known. Returns the handler's answer for the error handler: Fastify parses the
 * body of an unrouted request before the 404 handler runs, so a body it cannot parse (or a
 * QUERY without a content type) would otherwise be a 400 for a route that does not exist.
 */
export function registerFallbacks(app: FastifyInstance): UnroutedAnswer {
  const routes: { pattern: RegExp; methods: string[] }[] = [];
  app.addHook('onRoute', (route: RouteOptions) => {
    routes.push({ pattern: routePattern(route.url), methods: [route.method].flat() });
  });
  const answer: UnroutedAnswer = (req, reply) => {
    const path = req.url.split('?')[0] ?? req.url;
    const allowed = [...new Set(routes.filter((r) => r.pattern.test(path)).flatMap((r) => r.methods))];
    if (allowed.length === 0 || allowed.includes(req.method)) {
      return sendError(reply, new RouteNotFoundError(req.method, path));
    }
    const sorted = allowed.sort();
    reply.header('allow', sorted.join(', '));
    return sendError(reply, new MethodNotAllowedError(req.method, path, sorted));
  };
  app.setNotFoundHandler(async (req, reply) => answer(req, reply));
  return answer;
}

/** Fastify's `frameworkErrors` option: the router's refusals, in the API's error shape. */
export function frameworkErrors(error: FastifyError, req: FastifyRequest, reply: FastifyReply): void {
  const path = req.url.split('?')[0] ?? req.url;
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    void sendError(
      reply,
      new SwitchboardError('uri_too_long', `a path segment is longer than ${MAX_PARAM_LENGTH} characters`),
    );
    return;
  }
  if (error.code === 'FST_ERR_BAD_URL') {
    void sendError(reply, new SwitchboardError('bad_request', `the path '${path}' is not a valid URL`));
    return;
  }
  req.log.error({ err: error }, 'router error');
  void sendError(reply, new SwitchboardError('internal', 'internal error'));
}

function sendError(reply: FastifyReply, err: SwitchboardError): FastifyReply {
  return reply.status(httpStatusOf(err)).type('application/json; charset=utf-8').send({ error: err.toJSON() });
}
