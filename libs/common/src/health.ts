import { createServer, type Server } from 'node:http';

/**
 * A minimal health endpoint for processes that serve no HTTP otherwise (Temporal workers,
 * the orchestrator): `GET /healthz` answers 200 once `ready()` is true and 503 before, which
 * is what the dev stack, the tests and Kubernetes readiness probes wait on.
 */
export async function startHealthServer(port: number, ready: () => boolean, host = '127.0.0.1'): Promise<Server> {
  const server = createServer((req, res) => {
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
