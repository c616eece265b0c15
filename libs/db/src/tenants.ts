import { IdPrefixes, newId } from './ids.js';
import type { Queryable } from './pool.js';

/** A tenant. */
export interface Tenant {
  id: string;
  name: string;
}

export async function createTenant(
  db: Queryable,
  name: string,
  id: string = newId(IdPrefixes.Tenant),
): Promise<Tenant> {
  await db.query('INSERT INTO tenants (id, name) VALUES ($1, $2)', [id, name]);
  return { id, name };
}

export async function findTenantByName(db: Queryable, name: string): Promise<Tenant | undefined> {
  const { rows } = await db.query<Tenant>('SELECT id, name FROM tenants WHERE name = $1', [name]);
  return rows[0];
}
