import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';

/** Folder of the versioned SQL migrations shipped with this package. */
export const migrationsDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'migrations');

/** Any advisory-lock key works as long as every service uses the same one. */
const MIGRATION_LOCK = 0x5b0a_7d;

interface Migration {
  version: number;
  name: string;
  sql: string;
}

function loadMigrations(dir: string): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d{3}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((file) => ({
      version: Number(file.slice(0, 3)),
      name: file.slice(4, -4),
      sql: readFileSync(join(dir, file), 'utf8'),
    }));
}

/**
 * Applies pending migrations in order, each in its own transaction. Every service calls this
 * on start; a transaction-scoped advisory lock serialises concurrent starters so exactly one
 * applies each migration. Returns the versions it applied.
 */
export async function migrate(pool: pg.Pool, dir: string = migrationsDir): Promise<number[]> {
  const migrations = loadMigrations(dir);
  const client = await pool.connect();
  const applied: number[] = [];
  try {
    // One transaction: the lock also covers creating the bookkeeping table, and a failing
    // migration leaves the schema exactly as it was.
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    const done = new Set((await client.query('SELECT version FROM schema_migrations')).rows.map((r) => r.version));
    for (const m of migrations) {
      if (done.has(m.version)) continue;
      try {
        await client.query(m.sql);
      } catch (err) {
        throw new Error(`migration ${m.version}_${m.name} failed: ${(err as Error).message}`, { cause: err });
      }
      await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
      applied.push(m.version);
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
  return applied;
}
