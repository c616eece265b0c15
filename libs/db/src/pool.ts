import pg from 'pg';

/** Anything that can run a query: a pool or a checked-out client (inside a transaction). */
export type Queryable = Pick<pg.Pool, 'query'>;

/** A connection pool (what {@link createPool} makes), for code that checks out connections. */
export type Pool = pg.Pool;

/** A pool with sane defaults for services; timestamps come back as Date, bigint as string. */
export function createPool(
  connectionString: string,
  options: {
    max?: number;
    applicationName?: string;
    /** Told about errors of idle clients (the pool has already dropped them). */
    onIdleError?: (err: Error) => void;
  } = {},
): pg.Pool {
  const pool = new pg.Pool({
    connectionString,
    max: options.max ?? 10,
    application_name: options.applicationName ?? 'switchboard',
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 5_000,
  });
  // An idle client whose server connection dies (restart, failover) emits 'error' on the pool;
  // unhandled, that kills the process. The pool drops the client and the next query reconnects.
  pool.on('error', options.onIdleError ?? (() => {}));
  return pool;
}

/** Runs `fn` in a transaction, committing on success and rolling back on any error. */
export async function withTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

/**
 * Runs `fn` only if no other process holds the transaction-scoped advisory lock `key` (one
 * connection is kept for it meanwhile); answers `undefined` without running it otherwise. For
 * periodic work that several replicas schedule and one at a time should do.
 */
export async function withAdvisoryLockOrSkip<T>(
  pool: pg.Pool,
  key: number,
  fn: () => Promise<T>,
): Promise<T | undefined> {
  return withTransaction(pool, async (client) => {
    const { rows } = await client.query<{ got: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS got', [key]);
    return rows[0]?.got === true ? fn() : undefined;
  });
}

/** One round trip to Postgres (`SELECT 1`): the readiness probe of every service that uses it. */
export async function pingDatabase(db: Queryable): Promise<void> {
  await db.query('SELECT 1');
}
