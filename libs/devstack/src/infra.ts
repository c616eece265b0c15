import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type NatsCluster, type NatsServer, startNats, startNatsCluster } from './nats.js';
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
  /**
   * Keep Temporal's state in a SQLite file even without `stateDir` (in the temporary
   * directory), so {@link Infra.restart} of Temporal keeps every workflow (chaos tests).
   * Default false: an ephemeral stack runs Temporal in memory, which is faster.
   */
  persistTemporal?: boolean;
  /**
   * Cluster mode: a three-node NATS cluster on loopback (routes between the nodes; the services
   * then keep their streams at replicas 3) instead of one nats-server. Default false.
   */
  natsCluster?: boolean;
}

/** A server {@link Infra.restart} can restart in place. */
export type RestartablePiece = 'nats' | 'temporal';

/** Options of {@link Infra.restart}. */
export interface RestartOptions {
  /** SIGKILL the server (a crash) instead of stopping it gracefully. Default false. */
  kill?: boolean;
  /** How long the server stays down before it starts again, in ms. Default 0. */
  downMs?: number;
  /** Which node of a NATS cluster (0-based). Default 0. */
  node?: number;
}

/** Infrastructure started by {@link startInfra}; `stop()` stops only what it started. */
export interface Infra extends InfraEndpoints {
  started: string[];
  /**
   * Stops a server this started and starts it again on the same ports with the same state
   * (the JetStream store directory; Temporal's database file), and waits until it is ready.
   * Clients see their connections drop and must reconnect by themselves — which is what a
   * chaos test checks. Refuses a server it did not start, and an in-memory Temporal (a
   * restart would silently lose every workflow: use `stateDir` or `persistTemporal`).
   */
  restart(piece: RestartablePiece, options?: RestartOptions): Promise<void>;
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
  const natsOptions = { storeDir: join(state, 'nats'), logDir };
  const temporalOptions = {
    logDir,
    ...(temp === undefined || options.persistTemporal === true ? { dbFile: join(state, 'temporal.db') } : {}),
    ...(options.temporalUiPort !== undefined ? { uiPort: options.temporalUiPort } : {}),
  };
  const results = await Promise.allSettled([
    ext.natsUrl
      ? Promise.resolve(undefined)
      : options.natsCluster === true
        ? startNatsCluster({ storeDir: join(state, 'nats-cluster'), logDir })
        : startNats(natsOptions),
    ext.temporalAddress ? Promise.resolve(undefined) : startTemporal(temporalOptions),
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
  let [nats, temporal, postgres] = results.map((r) => (r.status === 'fulfilled' ? r.value : undefined)) as [
    NatsServer | NatsCluster | undefined,
    TemporalServer | undefined,
    PostgresServer | undefined,
  ];

  /** Stops `old` (killed or gracefully), waits `downMs`, starts its replacement in `running`. */
  const replace = async <T extends NatsServer | TemporalServer>(
    old: T,
    restartOptions: RestartOptions,
    start: () => Promise<T>,
  ): Promise<T> => {
    if (restartOptions.kill === true) {
      old.process.kill('SIGKILL');
      await old.process.exited;
    } else await old.stop();
    if ((restartOptions.downMs ?? 0) > 0) await new Promise((r) => setTimeout(r, restartOptions.downMs));
    const started = await start();
    running.splice(running.indexOf(old), 1, started);
    return started;
  };
  const restart: Infra['restart'] = async (piece, restartOptions = {}) => {
    if (piece === 'nats') {
      if (nats === undefined) throw new Error('NATS was not started by startInfra; it cannot be restarted');
      if ('nodes' in nats) return nats.restartNode(restartOptions.node ?? 0, restartOptions);
      const { port, monitorPort } = nats;
      nats = await replace(nats, restartOptions, () => startNats({ ...natsOptions, port, monitorPort }));
      return;
    }
    if (temporal === undefined) throw new Error('Temporal was not started by startInfra; it cannot be restarted');
    if (temporalOptions.dbFile === undefined) {
      throw new Error('Temporal runs in memory: a restart would lose every workflow (use stateDir or persistTemporal)');
    }
    const { port, namespace } = temporal;
    temporal = await replace(temporal, restartOptions, () => startTemporal({ ...temporalOptions, port, namespace }));
  };
  return {
    natsUrl: ext.natsUrl ?? (nats as NatsServer | NatsCluster).url,
    temporalAddress: ext.temporalAddress ?? (temporal as TemporalServer).address,
    temporalNamespace: temporal?.namespace ?? 'default',
    ...(temporal?.uiUrl !== undefined ? { temporalUiUrl: temporal.uiUrl } : {}),
    databaseUrl: ext.databaseUrl ?? (postgres as PostgresServer).url,
    started: running.flatMap((s) => ('nodes' in s ? s.nodes.map((n) => n.process.name) : [s.process.name])),
    restart,
    stop,
  };
}
