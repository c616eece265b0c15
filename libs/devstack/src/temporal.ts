import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { freePort, retryOnEarlyExit, waitFor } from './ports.js';
import { type ManagedProcess, spawnManaged } from './process.js';
import { findBinary } from './tools.js';

/** Options of {@link startTemporal}. */
export interface TemporalOptions {
  /** SQLite file for persistence; in-memory when absent (tests). */
  dbFile?: string;
  port?: number;
  /** Serve the web UI on this port; no UI when absent. */
  uiPort?: number;
  logDir?: string;
  namespace?: string;
}

/** A running `temporal server start-dev`. */
export interface TemporalServer {
  address: string;
  port: number;
  uiUrl?: string;
  namespace: string;
  process: ManagedProcess;
  stop(): Promise<void>;
}

/**
 * Starts the Temporal dev server on loopback and waits until its namespace answers; again on
 * fresh ports if it exited first (it also binds internal ports of its own choosing, which a
 * parallel process can take; see `retryOnEarlyExit`).
 */
export function startTemporal(options: TemporalOptions = {}): Promise<TemporalServer> {
  return retryOnEarlyExit(() => startTemporalOnce(options));
}

async function startTemporalOnce(options: TemporalOptions): Promise<TemporalServer> {
  const bin = findBinary('temporal', 'TEMPORAL_BIN');
  const port = options.port ?? (await freePort());
  const namespace = options.namespace ?? 'default';
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--namespace', namespace];
  args.push('--log-level', 'warn', '--log-format', 'json');
  // The dev server otherwise binds a metrics port of its own choosing, which can collide.
  args.push('--metrics-port', String(await freePort()));
  if (options.uiPort !== undefined) args.push('--ui-port', String(options.uiPort));
  else args.push('--headless');
  if (options.dbFile !== undefined) args.push('--db-filename', options.dbFile);
  // Dynamic config: allow update-with-start and raise the per-namespace RPS for benchmarks.
  args.push('--dynamic-config-value', 'frontend.enableUpdateWorkflowExecution=true');
  args.push('--dynamic-config-value', 'frontend.namespaceRPS=100000');
  const proc = spawnManaged({
    name: 'temporal',
    command: bin,
    args,
    ...(options.logDir ? { logFile: join(options.logDir, 'temporal.log') } : {}),
    stopSignal: 'SIGINT',
  });
  const address = `127.0.0.1:${port}`;
  try {
    await waitFor(
      `temporal dev server on ${address}`,
      async () => {
        const connection = await Connection.connect({ address, connectTimeout: 1000 });
        try {
          await connection.workflowService.describeNamespace({ namespace });
          return true;
        } finally {
          await connection.close();
        }
      },
      { isAlive: () => proc.alive(), timeoutMs: 60_000, intervalMs: 250 },
    );
  } catch (err) {
    await proc.stop().catch(() => {});
    throw err;
  }
  return {
    address,
    port,
    namespace,
    ...(options.uiPort !== undefined ? { uiUrl: `http://127.0.0.1:${options.uiPort}` } : {}),
    process: proc,
    stop: () => proc.stop(),
  };
}
