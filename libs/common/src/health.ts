import { createServer, type Server } from 'node:http';

/** Extra routes of {@link startHealthServer}. */
export interface HealthServerRoutes {
  /**
   * `GET /metrics`: the process's metrics in Prometheus text format (see `Metrics.text` in
   * @switchboard/telemetry). A failure answers 500.
   */
  metrics?: () => Promise<string>;
}

const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * A minimal health endpoint for processes that serve no HTTP otherwise (Temporal workers,
 * the orchestrator): `GET /healthz` answers 200 once `ready()` is true and 503 before, which
 * is what the dev stack, the tests and Kubernetes readiness probes wait on. With
 * `routes.metrics`, `GET /metrics` serves the metrics Prometheus scrapes, ready or not.
 */
export async function startHealthServer(
  port: number,
  ready: () => boolean,
  host = '127.0.0.1',
  routes: HealthServerRoutes = {},
): Promise<Server> {
  const server = createServer((req, res) => {
    const metrics = routes.metrics;
    if (req.url === '/metrics' && metrics && req.method === 'GET') {
      metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': PROMETHEUS_CONTENT_TYPE });
          res.end(text);
        },
        (err: Error) => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(`metrics unavailable: ${err.message}\n`);
        },
      );
      return;
    }
    const ok = req.url === '/healthz' && ready();
    res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' });
    // The pid lets a supervisor tell this process from another one that holds a reused port.
    res.end(JSON.stringify({ status: ok ? 'ok' : 'starting', pid: process.pid }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  return server;
}
