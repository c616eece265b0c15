import pg from 'pg';

/** Anything that can run a query: a pool or a checked-out client (inside a transaction). */
export type Queryable = Pick<pg.Pool, 'query'>;

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
