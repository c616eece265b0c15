import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, retryOnEarlyExit, waitFor } from './ports.js';
import { type ManagedProcess, spawnManaged } from './process.js';
import { findBinary } from './tools.js';

/** Options of {@link startNats}. */
export interface NatsOptions {
  /** JetStream store directory (kept across restarts in dev mode). */
  storeDir: string;
  port?: number;
  /** HTTP monitoring port (`/healthz`); a free one when absent. Pass the old one to restart in place. */
  monitorPort?: number;
  logDir?: string;
  /** A node of a cluster (see {@link startNatsCluster}): its name, route port and the others' routes. */
  cluster?: { name: string; serverName: string; port: number; routes: string[] };
}

/** A running nats-server with JetStream. */
export interface NatsServer {
  url: string;
  port: number;
  monitorPort: number;
  process: ManagedProcess;
  stop(): Promise<void>;
}

/**
 * Starts `nats-server -js` on loopback and waits until JetStream reports healthy; again on fresh
 * ports if it exited first (see `retryOnEarlyExit`).
 */
export function startNats(options: NatsOptions): Promise<NatsServer> {
  return retryOnEarlyExit(() => startNatsOnce(options));
}

async function startNatsOnce(options: NatsOptions): Promise<NatsServer> {
  const bin = findBinary('nats-server', 'NATS_SERVER_BIN');
  const port = options.port ?? (await freePort());
  const monitorPort = options.monitorPort ?? (await freePort());
  mkdirSync(options.storeDir, { recursive: true });
  const cluster = options.cluster;
  const name = cluster === undefined ? 'nats-server' : `nats-server-${cluster.serverName}`;
  const proc = spawnManaged({
    name,
    command: bin,
    args: [
      ...['-a', '127.0.0.1', '-p', String(port), '-m', String(monitorPort), '-js', '-sd', options.storeDir],
      ...(cluster === undefined
        ? []
        : [
            ...['-n', cluster.serverName, '--cluster_name', cluster.name],
            ...['--cluster', `nats://127.0.0.1:${cluster.port}`, '--routes', cluster.routes.join(',')],
          ]),
    ],
    ...(options.logDir ? { logFile: join(options.logDir, `${name}.log`) } : {}),
  });
  try {
    // A cluster node is healthy once JetStream there is current (it found its meta leader).
    const health = cluster === undefined ? '/healthz?js-enabled-only=true' : '/healthz';
    await waitFor(
      `${name} on port ${port}`,
      async () =>
        (
          await fetch(`http://127.0.0.1:${monitorPort}${health}`, {
            signal: AbortSignal.timeout(2_000),
          })
        ).ok,
      { isAlive: () => proc.alive(), timeoutMs: 30_000 },
    );
  } catch (err) {
    await proc.stop().catch(() => {});
    throw err;
  }
  return { url: `nats://127.0.0.1:${port}`, port, monitorPort, process: proc, stop: () => proc.stop() };
}

/** A NATS cluster on loopback: its nodes, and a client URL listing them all. */
export interface NatsCluster {
  /** Every node's client URL, comma-separated (as `NATS_URL` takes it). */
  url: string;
  nodes: NatsServer[];
  /** SIGKILLs node `i` (or stops it), waits `downMs`, starts it again on its ports with its store. */
  restartNode(i: number, options?: { kill?: boolean; downMs?: number }): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts `size` (default 3) nats-servers with JetStream on loopback, routed to each other as
 * one cluster, each with its own store under `storeDir`; waits until every node is healthy.
 */
export async function startNatsCluster(options: {
  storeDir: string;
  logDir?: string;
  size?: number;
}): Promise<NatsCluster> {
  const size = options.size ?? 3;
  const specs: { port: number; monitorPort: number; routePort: number }[] = [];
  for (let i = 0; i < size; i++) {
    specs.push({ port: await freePort(), monitorPort: await freePort(), routePort: await freePort() });
  }
  const routes = specs.map((s) => `nats://127.0.0.1:${s.routePort}`);
  const optionsOf = (i: number): NatsOptions => {
    const spec = specs[i] as { port: number; monitorPort: number; routePort: number };
    return {
      storeDir: join(options.storeDir, `n${i + 1}`),
      port: spec.port,
      monitorPort: spec.monitorPort,
      ...(options.logDir ? { logDir: options.logDir } : {}),
      cluster: {
        name: 'switchboard',
        serverName: `n${i + 1}`,
        port: spec.routePort,
        routes: routes.filter((_, j) => j !== i),
      },
    };
  };
  const started = await Promise.allSettled(specs.map((_, i) => startNatsOnce(optionsOf(i))));
  const nodes = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await Promise.all(nodes.map((n) => n.stop()));
    throw failed.reason;
  }
  return {
    url: nodes.map((n) => n.url).join(','),
    nodes,
    async restartNode(i, restart = {}) {
      const old = nodes[i];
      if (old === undefined) throw new Error(`no NATS node ${i}`);
      if (restart.kill === true) {
        old.process.kill('SIGKILL');
        await old.process.exited;
      } else await old.stop();
      if ((restart.downMs ?? 0) > 0) await new Promise((r) => setTimeout(r, restart.downMs));
      nodes[i] = await startNatsOnce(optionsOf(i));
    },
    stop: async () => {
      await Promise.all(nodes.map((n) => n.stop()));
    },
  };
}
