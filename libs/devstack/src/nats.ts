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
  const proc = spawnManaged({
    name: 'nats-server',
    command: bin,
    args: ['-a', '127.0.0.1', '-p', String(port), '-m', String(monitorPort), '-js', '-sd', options.storeDir],
    ...(options.logDir ? { logFile: join(options.logDir, 'nats-server.log') } : {}),
  });
  try {
    await waitFor(
      `nats-server on port ${port}`,
      async () =>
        (
          await fetch(`http://127.0.0.1:${monitorPort}/healthz?js-enabled-only=true`, {
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
