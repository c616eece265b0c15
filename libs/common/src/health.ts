import { createServer, type Server } from 'node:http';
import { checkReadiness, type DependencyProbe } from './readiness.js';

/** Extra routes of {@link startHealthServer}. */
export interface HealthServerRoutes {
  /**
   * `GET /metrics`: the process's metrics in Prometheus text format (see `Metrics.text` in
   * @switchboard/telemetry). A failure answers 500.
   */
  metrics?: () => Promise<string>;
  /**
   * `GET /readyz`: 200 when `ready()` is true and every probe answers (Postgres, NATS, Temporal…),
   * else 503 with `{status, dependencies}` saying which did not; see {@link checkReadiness}.
   * Without probes, `/readyz` answers as `/healthz` does.
   */
  dependencies?: Readonly<Record<string, DependencyProbe>>;
}

const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * A minimal health endpoint for processes that serve no HTTP otherwise (Temporal workers,
 * the orchestrator): `GET /healthz` answers 200 once `ready()` is true and 503 before, which
 * is what the dev stack, the tests and Kubernetes liveness probes wait on. `GET /readyz` also
 * asks `routes.dependencies` (the Kubernetes readiness probe). With `routes.metrics`,
 * `GET /metrics` serves the metrics Prometheus scrapes, ready or not.
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
    if (req.url === '/readyz' && req.method === 'GET') {
      const started = ready();
      void checkReadiness(started ? (routes.dependencies ?? {}) : {}).then((report) => {
        const ok = started && report.ready;
        res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            status: ok ? 'ready' : started ? 'unavailable' : 'starting',
            dependencies: report.dependencies,
          }),
        );
      });
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
