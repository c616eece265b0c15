import { createApiKey } from './api-keys.js';
import { IdPrefixes, newId } from './ids.js';
import { type Pool, type Queryable, withTransaction } from './pool.js';

/** A tenant. */
export interface Tenant {
  id: string;
  name: string;
}

/** A tenant as platform administrators see it. */
export interface TenantRecord extends Tenant {
  createdAt: Date;
  /** When it was disabled; `null` while it is active. */
  disabledAt: Date | null;
}

interface TenantRow {
  id: string;
  name: string;
  created_at: Date;
  disabled_at: Date | null;
}

const mapTenant = (r: TenantRow): TenantRecord => ({
  id: r.id,
  name: r.name,
  createdAt: r.created_at,
  disabledAt: r.disabled_at,
});

/** Serialises tenant creation, so two creations of one name cannot both pass the name check. */
const TENANT_NAMES_LOCK = 0x5b0a_7e;

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

/** What {@link createTenantWithAdminKey} did. */
export type CreateTenantOutcome =
  | { status: 'created'; tenant: TenantRecord; adminKey: { keyId: string; key: string } }
  /** A tenant of this name exists: nothing was made. */
  | { status: 'name_taken'; tenant: TenantRecord };

/**
 * Makes a tenant and its first API key (granted `adminScopes`) in one transaction: either both
 * exist afterwards or neither. Refuses a name another tenant has (checked under a lock, so
 * concurrent creations of one name make one tenant).
 */
export async function createTenantWithAdminKey(
  pool: Pool,
  name: string,
  adminScopes: readonly string[],
): Promise<CreateTenantOutcome> {
  return withTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1)', [TENANT_NAMES_LOCK]);
    const { rows: taken } = await client.query<TenantRow>(
      'SELECT id, name, created_at, disabled_at FROM tenants WHERE name = $1 ORDER BY created_at LIMIT 1',
      [name],
    );
    if (taken[0]) return { status: 'name_taken', tenant: mapTenant(taken[0]) };
    const { rows } = await client.query<TenantRow>(
      'INSERT INTO tenants (id, name) VALUES ($1, $2) RETURNING id, name, created_at, disabled_at',
      [newId(IdPrefixes.Tenant), name],
    );
    const tenant = mapTenant(rows[0] as TenantRow);
    const adminKey = await createApiKey(client, tenant.id, { label: 'admin', scopes: [...adminScopes] });
    return { status: 'created', tenant, adminKey };
  });
}

/** Every tenant, oldest first. */
export async function listTenants(db: Queryable): Promise<TenantRecord[]> {
  const { rows } = await db.query<TenantRow>(
    'SELECT id, name, created_at, disabled_at FROM tenants ORDER BY created_at, id',
  );
  return rows.map(mapTenant);
}

/**
 * Disables a tenant: from then on its API keys are refused ({@link verifyApiKey} says so) and
 * count as inactive for open streams. Idempotent: a disabled tenant keeps its first
 * `disabledAt`. Nothing is deleted. `undefined` when there is no such tenant.
 */
export async function disableTenant(db: Queryable, id: string): Promise<TenantRecord | undefined> {
  const { rows } = await db.query<TenantRow>(
    `UPDATE tenants SET disabled_at = coalesce(disabled_at, now()) WHERE id = $1
     RETURNING id, name, created_at, disabled_at`,
    [id],
  );
  return rows[0] ? mapTenant(rows[0]) : undefined;
}
