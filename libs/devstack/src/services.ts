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
  apiUrl: string;
  /** Where a service serves `GET /metrics`: the API port for the conversation service, else its health port. */
  metricsUrl(name: ServiceName): string;
  processes(): Record<string, ManagedProcess>;
  /** SIGKILLs a service. */
  kill(name: ServiceName): void;
  /**
   * Starts a service again (after a kill or stop; a running one is stopped first) and waits
   * until it is ready. `env` is extra environment for it from now on (it wins over the stack's,
   * and is kept by later restarts until replaced): a test can change one setting for a while.
   */
  restart(name: ServiceName, options?: { env?: NodeJS.ProcessEnv }): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts each service as its own Node process from its built `dist/main.js`, and waits for
 * each one's `/healthz`. Services get the stack's endpoints through the same environment
 * variables production uses.
 */
export async function startServices(options: ServicesOptions): Promise<Services> {
  const names = options.only ?? ServiceNames;
  let apiPort = options.apiPort ?? (await freePort());
  const healthPorts: Record<string, number> = {};
  for (const n of names) healthPorts[n] = n === 'conversation' ? apiPort : await freePort();
  const procs: Record<string, ManagedProcess> = {};
  const envOverrides: Partial<Record<ServiceName, NodeJS.ProcessEnv>> = {};

  /** Ports the caller chose are kept; ports we picked may be re-picked when taken meanwhile. */
  const fixedPort = (name: ServiceName) => name === 'conversation' && options.apiPort !== undefined;

  const spawnOnce = async (name: ServiceName) => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...options.env,
      ...envOverrides[name],
      NATS_URL: options.natsUrl,
      TEMPORAL_ADDRESS: options.temporalAddress,
      TEMPORAL_NAMESPACE: options.temporalNamespace ?? 'default',
      DATABASE_URL: options.databaseUrl,
      ...(name === 'conversation'
        ? { PORT: String(healthPorts[name]), HOST: '127.0.0.1' }
        : { HEALTH_PORT: String(healthPorts[name]) }),
    };
    const proc = spawnManaged({
      name,
      command: process.execPath,
      args: ['--enable-source-maps', ...nodeArgsOf(name, options), join(repoRoot, 'services', name, 'dist', 'main.js')],
      env,
      logFile: join(options.logDir, `${name}.log`),
      stopTimeoutMs: 30_000,
    });
    procs[name] = proc;
    await waitFor(
      `${name} service`,
      async () => {
        const res = await fetch(`http://127.0.0.1:${healthPorts[name]}/healthz`, {
          signal: AbortSignal.timeout(2_000),
        });
        // Only our own process counts: a free port picked earlier may have been taken by
        // another process (another test's service) that answers /healthz too.
        return res.ok && ((await res.json()) as { pid?: number }).pid === proc.pid;
      },
      { isAlive: () => proc.alive(), timeoutMs: 60_000, intervalMs: 100 },
    ).catch((err: Error) => {
      throw new Error(`${err.message}; see ${join(options.logDir, `${name}.log`)}`);
    });
  };

  const start = async (name: ServiceName, keepPort = false) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await spawnOnce(name);
      } catch (err) {
        // A process that died at start on a port picked for it (EADDRINUSE: picked ports are
        // free when picked, not when bound) gets a fresh port, twice at most.
        if (attempt >= 3 || keepPort || fixedPort(name) || procs[name]?.alive()) throw err;
        healthPorts[name] = await freePort();
        if (name === 'conversation') apiPort = healthPorts[name];
      }
    }
  };

  try {
    // Workers first, so the first tool call finds someone polling its task queues.
    await Promise.all(names.filter((n) => n !== 'conversation').map((n) => start(n)));
    if (names.includes('conversation')) await start('conversation');
  } catch (err) {
    await Promise.all(Object.values(procs).map((p) => p.stop()));
    throw err;
  }

  return {
    apiUrl: `http://127.0.0.1:${apiPort}`,
    metricsUrl: (name) => `http://127.0.0.1:${healthPorts[name]}/metrics`,
    processes: () => ({ ...procs }),
    kill: (name) => procs[name]?.kill('SIGKILL'),
    restart: async (name, restartOptions = {}) => {
      if (restartOptions.env !== undefined) envOverrides[name] = restartOptions.env;
      const old = procs[name];
      if (old?.alive()) await old.stop();
      // Same port: clients (and the API URL handed out) keep pointing at it.
      await start(name, true);
    },
    stop: async () => {
      // The API first, so no new work arrives, then the workers.
      await procs.conversation?.stop();
      await Promise.all(
        Object.entries(procs)
          .filter(([n]) => n !== 'conversation')
          .map(([, p]) => p.stop()),
      );
    },
  };
}
