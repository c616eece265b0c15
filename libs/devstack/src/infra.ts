import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type NatsServer, startNats } from './nats.js';
import { type PostgresServer, startPostgres } from './postgres.js';
import { startTemporal, type TemporalServer } from './temporal.js';

/** Where each piece of infrastructure is, whether we started it or it was given. */
export interface InfraEndpoints {
  natsUrl: string;
  temporalAddress: string;
  temporalNamespace: string;
  temporalUiUrl?: string;
  databaseUrl: string;
}

/** Options of {@link startInfra}. */
export interface InfraOptions {
  /**
   * Persistent state directory (dev mode): NATS store, Temporal db file and Postgres data
   * survive restarts. When absent, everything lives in a temporary directory removed on stop.
   */
  stateDir?: string;
  logDir?: string;
  /** Serve the Temporal UI on this port (dev mode). */
  temporalUiPort?: number;
  /** External servers to use instead of starting one (`NATS_URL`, `TEMPORAL_ADDRESS`, `DATABASE_URL`). */
  external?: Partial<Pick<InfraEndpoints, 'natsUrl' | 'temporalAddress' | 'databaseUrl'>>;
}

/** Infrastructure started by {@link startInfra}; `stop()` stops only what it started. */
export interface Infra extends InfraEndpoints {
  started: string[];
  stop(): Promise<void>;
}

/**
 * Brings up NATS (JetStream), the Temporal dev server and Postgres, in parallel, on free
 * loopback ports, unless an external endpoint is given for a piece. Stops whatever it had
 * started if one of them fails.
 */
export async function startInfra(options: InfraOptions = {}): Promise<Infra> {
  const temp = options.stateDir === undefined ? mkdtempSync(join(tmpdir(), 'switchboard-')) : undefined;
  // mkdtemp makes the folder private (0700); Postgres runs as its own user and must reach it.
  if (temp !== undefined) chmodSync(temp, 0o755);
  const state = options.stateDir ?? (temp as string);
  const logDir = options.logDir ?? join(state, 'logs');
  const ext = options.external ?? {};
  const results = await Promise.allSettled([
    ext.natsUrl ? Promise.resolve(undefined) : startNats({ storeDir: join(state, 'nats'), logDir }),
    ext.temporalAddress
      ? Promise.resolve(undefined)
      : startTemporal({
          logDir,
          ...(temp === undefined ? { dbFile: join(state, 'temporal.db') } : {}),
          ...(options.temporalUiPort !== undefined ? { uiPort: options.temporalUiPort } : {}),
        }),
    ext.databaseUrl
      ? Promise.resolve(undefined)
      : startPostgres({ dataDir: join(state, 'pg'), logDir, ephemeral: temp !== undefined }),
  ]);
  const running = results.flatMap((r) => (r.status === 'fulfilled' && r.value ? [r.value] : []));
  const stop = async () => {
    await Promise.all(running.map((s) => s.stop()));
    if (temp !== undefined) rmSync(temp, { recursive: true, force: true });
  };
  const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure) {
    await stop();
    throw failure.reason;
  }
  const [nats, temporal, postgres] = results.map((r) => (r.status === 'fulfilled' ? r.value : undefined)) as [
    NatsServer | undefined,
    TemporalServer | undefined,
    PostgresServer | undefined,
  ];
  return {
    natsUrl: ext.natsUrl ?? (nats as NatsServer).url,
    temporalAddress: ext.temporalAddress ?? (temporal as TemporalServer).address,
    temporalNamespace: temporal?.namespace ?? 'default',
    ...(temporal?.uiUrl !== undefined ? { temporalUiUrl: temporal.uiUrl } : {}),
    databaseUrl: ext.databaseUrl ?? (postgres as PostgresServer).url,
    started: running.map((s) => s.process.name),
    stop,
  };
}
