import { join } from 'node:path';
import { freePort, waitFor } from './ports.js';
import { type ManagedProcess, spawnManaged } from './process.js';
import { repoRoot } from './tools.js';

/** The service processes of the stack. */
export const ServiceNames = [
  'conversation',
  'orchestrator',
  'webhook-worker',
  'calcom-worker',
  'telephony-worker',
  'crm-worker',
] as const;
export type ServiceName = (typeof ServiceNames)[number];

/** Options of {@link startServices}. */
export interface ServicesOptions {
  natsUrl: string;
  temporalAddress: string;
  temporalNamespace?: string;
  databaseUrl: string;
  /** Port of the public API; a free one when absent. */
  apiPort?: number;
  logDir: string;
  /** Extra environment for every service (e.g. OTEL_EXPORTER_OTLP_ENDPOINT). */
  env?: NodeJS.ProcessEnv;
  /** Which services to run. Default: all. */
  only?: readonly ServiceName[];
  /**
   * Extra Node flags per service, e.g. `{ orchestrator: ['--cpu-prof', '--cpu-prof-dir=/tmp/p'] }`
   * (Node refuses profiling flags in NODE_OPTIONS). Default: from `SWITCHBOARD_NODE_ARGS_<NAME>`
   * (name upper-cased, `-` as `_`), split on spaces.
   */
  nodeArgs?: Partial<Record<ServiceName, string[]>>;
  /**
   * Processes of every service (cluster mode): replica 0 keeps the service's name, the others
   * are `<name>-2`, `<name>-3`, … (their log files too); each conversation replica serves the
   * API on its own port. Default 1.
   */
  replicas?: number;
}

/** The process name of replica `replica` (0-based) of a service. */
export function replicaName(name: ServiceName, replica = 0): string {
  return replica === 0 ? name : `${name}-${replica + 1}`;
}

/** Extra Node flags of a service: the option, else its environment variable. */
function nodeArgsOf(name: ServiceName, options: ServicesOptions): string[] {
  const given = options.nodeArgs?.[name];
  if (given !== undefined) return given;
  const text = process.env[`SWITCHBOARD_NODE_ARGS_${name.toUpperCase().replaceAll('-', '_')}`];
  return text === undefined ? [] : text.split(' ').filter((a) => a !== '');
}

/** Running services; each can be killed and restarted (chaos tests). */
export interface Services {
  /** The API of the first conversation replica. */
  apiUrl: string;
  /** The API of every conversation replica, in replica order. */
  apiUrls: string[];
  /** How many processes of each service run. */
  replicas: number;
  /** Where a service serves `GET /metrics`: the API port for the conversation service, else its health port. */
  metricsUrl(name: ServiceName, replica?: number): string;
  /** The processes by {@link replicaName}. */
  processes(): Record<string, ManagedProcess>;
  /** SIGKILLs a service (replica 0 unless told). */
  kill(name: ServiceName, replica?: number): void;
  /**
   * Starts a service again (after a kill or stop; a running one is stopped first) and waits
   * until it is ready. `env` is extra environment for it from now on (it wins over the stack's,
   * and is kept by later restarts until replaced): a test can change one setting for a while.
   */
  restart(name: ServiceName, options?: { env?: NodeJS.ProcessEnv; replica?: number }): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts each service as its own Node process from its built `dist/main.js`, and waits for
 * each one's `/healthz`. Services get the stack's endpoints through the same environment
 * variables production uses.
 */
export async function startServices(options: ServicesOptions): Promise<Services> {
  const names = options.only ?? ServiceNames;
  const replicas = Math.max(1, options.replicas ?? 1);
  const instances = names.flatMap((name) =>
    Array.from({ length: replicas }, (_, replica) => ({ name, replica, key: replicaName(name, replica) })),
  );
  const healthPorts: Record<string, number> = {};
  for (const { name, replica, key } of instances) {
    healthPorts[key] = name === 'conversation' && replica === 0 && options.apiPort ? options.apiPort : await freePort();
  }
  const procs: Record<string, ManagedProcess> = {};
  const envOverrides: Partial<Record<string, NodeJS.ProcessEnv>> = {};

  /** Ports the caller chose are kept; ports we picked may be re-picked when taken meanwhile. */
  const fixedPort = (key: string) => key === 'conversation' && options.apiPort !== undefined;

  const spawnOnce = async (name: ServiceName, key: string) => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...options.env,
      ...envOverrides[key],
      NATS_URL: options.natsUrl,
      TEMPORAL_ADDRESS: options.temporalAddress,
      TEMPORAL_NAMESPACE: options.temporalNamespace ?? 'default',
      DATABASE_URL: options.databaseUrl,
      ...(name === 'conversation'
        ? { PORT: String(healthPorts[key]), HOST: '127.0.0.1' }
        : { HEALTH_PORT: String(healthPorts[key]) }),
    };
    const proc = spawnManaged({
      name: key,
      command: process.execPath,
      args: ['--enable-source-maps', ...nodeArgsOf(name, options), join(repoRoot, 'services', name, 'dist', 'main.js')],
      env,
      logFile: join(options.logDir, `${key}.log`),
      stopTimeoutMs: 30_000,
    });
    procs[key] = proc;
    await waitFor(
      `${key} service`,
      async () => {
        const res = await fetch(`http://127.0.0.1:${healthPorts[key]}/healthz`, {
          signal: AbortSignal.timeout(2_000),
        });
        // Only our own process counts: a free port picked earlier may have been taken by
        // another process (another test's service) that answers /healthz too.
        return res.ok && ((await res.json()) as { pid?: number }).pid === proc.pid;
      },
      { isAlive: () => proc.alive(), timeoutMs: 60_000, intervalMs: 100 },
    ).catch((err: Error) => {
      throw new Error(`${err.message}; see ${join(options.logDir, `${key}.log`)}`);
    });
  };

  const start = async (name: ServiceName, key: string, keepPort = false) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await spawnOnce(name, key);
      } catch (err) {
        // A process that died at start on a port picked for it (EADDRINUSE: picked ports are
        // free when picked, not when bound) gets a fresh port, twice at most.
        if (attempt >= 3 || keepPort || fixedPort(key) || procs[key]?.alive()) throw err;
        healthPorts[key] = await freePort();
      }
    }
  };

  try {
    // All at once: nothing is handed out before every one is ready, so the first tool call
    // still finds the workers polling their task queues.
    await Promise.all(instances.map((i) => start(i.name, i.key)));
  } catch (err) {
    await Promise.all(Object.values(procs).map((p) => p.stop()));
    throw err;
  }
  const apiUrls = instances
    .filter((i) => i.name === 'conversation')
    .map((i) => `http://127.0.0.1:${healthPorts[i.key]}`);

  return {
    apiUrl: apiUrls[0] ?? `http://127.0.0.1:${options.apiPort ?? 0}`,
    apiUrls,
    replicas,
    metricsUrl: (name, replica = 0) => `http://127.0.0.1:${healthPorts[replicaName(name, replica)]}/metrics`,
    processes: () => ({ ...procs }),
    kill: (name, replica = 0) => procs[replicaName(name, replica)]?.kill('SIGKILL'),
    restart: async (name, restartOptions = {}) => {
      const key = replicaName(name, restartOptions.replica ?? 0);
      if (restartOptions.env !== undefined) envOverrides[key] = restartOptions.env;
      const old = procs[key];
      if (old?.alive()) await old.stop();
      // Same port: clients (and the API URL handed out) keep pointing at it.
      await start(name, key, true);
    },
    stop: async () => {
      // The API first, so no new work arrives, then the workers.
      const api = (key: string) => key === 'conversation' || key.startsWith('conversation-');
      await Promise.all(
        Object.entries(procs)
          .filter(([key]) => api(key))
          .map(([, p]) => p.stop()),
      );
      await Promise.all(
        Object.entries(procs)
          .filter(([key]) => !api(key))
          .map(([, p]) => p.stop()),
      );
    },
  };
}
