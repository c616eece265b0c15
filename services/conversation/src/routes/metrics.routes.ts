/**
 * `GET /metrics`: the service's metrics in Prometheus text format (see `MetricNames` in
 * @switchboard/telemetry). Outside `/v1` and unauthenticated like `/healthz`: Prometheus scrapes
 * without an API key, and nothing in it names a tenant's data unless `METRICS_TENANT_LABEL` is
 * set (tenant ids only). Keep it off the public ingress (a network policy, or the proxy's
 * routes) where that matters.
 */
import { Type } from '@fastify/type-provider-typebox';
import { type Metrics, PROMETHEUS_CONTENT_TYPE } from '@switchboard/telemetry';
import type { FastifyPluginAsync } from 'fastify';

export const metricsRoutes: FastifyPluginAsync<{ metrics: Pick<Metrics, 'text'> }> = async (app, options) => {
  app.get(
    '/metrics',
    {
      schema: {
        summary: 'Prometheus metrics',
        description:
          'Every instrument of this process in Prometheus text format (0.0.4), including HTTP server request durations. Unauthenticated, for scrapers.',
        tags: ['operations'],
        security: [],
        response: {
          200: {
            description: 'The metrics',
            content: { 'text/plain': { schema: Type.String() } },
          },
        },
      },
    },
    async (_req, reply) => {
      const text = await options.metrics.text();
      return reply.type(PROMETHEUS_CONTENT_TYPE).send(text);
    },
  );
};
