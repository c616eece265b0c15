/**
 * Request context and tracing, as a Fastify plugin: one server span per request (parented by
 * the caller's `traceparent` when it sends one), ended with the response's status, and
 * {@link inRequestContext} for handlers to run their work inside it. Routes import it from
 * here, not from `app.ts`, so the app and its routes do not import each other.
 */
import {
  type Context,
  context,
  contextFromTraceHeaders,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@switchboard/telemetry';
import type { FastifyInstance } from 'fastify';

declare module 'fastify' {
  interface FastifyRequest {
    /** The request's server span and the trace context it opened. */
    otel: { span: Span; context: Context };
  }
}

/** Options of {@link requestContext}. */
export interface RequestContextOptions {
  tracer: Tracer;
}

/**
 * Adds the request span hooks to the instance it is registered on and every route after it
 * (not encapsulated: it marks itself `skip-override`, as `fastify-plugin` would).
 */
export async function requestContext(app: FastifyInstance, opts: RequestContextOptions): Promise<void> {
  app.addHook('onRequest', async (req) => {
    const parent = contextFromTraceHeaders(
      typeof req.headers.traceparent === 'string' ? req.headers.traceparent : undefined,
      typeof req.headers.tracestate === 'string' ? req.headers.tracestate : undefined,
    );
    const route = req.routeOptions.url ?? req.url;
    const span = opts.tracer.startSpan(
      `${req.method} ${route}`,
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method, 'http.route': route } },
      parent,
    );
    req.otel = { span, context: trace.setSpan(parent, span) };
  });
  app.addHook('onResponse', async (req, reply) => {
    // Absent when the router refused the request before any hook ran (`frameworkErrors`).
    const span = req.otel?.span;
    if (!span) return;
    span.setAttribute('http.response.status_code', reply.statusCode);
    if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  });
}
Object.assign(requestContext, { [Symbol.for('skip-override')]: true });

/** Runs `fn` inside the request's trace context, so spans and publishes nest under it. */
export function inRequestContext<T>(ctx: Context, fn: () => Promise<T>): Promise<T> {
  return context.with(ctx, fn);
}
