import type { Queryable } from './pool.js';

/** An API key as its tenant's admins see it: never the secret, nor its hash. */
export interface ApiKeyRecord {
  id: string;
  tenantId: string;
  /** What the key is for, as given when it was made (`label` column). */
  name: string;
  scopes: string[];
  createdAt: Date;
  /** When it was revoked; `null` while it is active. */
  revokedAt: Date | null;
}

interface ApiKeyRow {
  id: string;
  tenant_id: string;
  label: string;
  scopes: string[];
  created_at: Date;
  revoked_at: Date | null;
}

const COLUMNS = 'id, tenant_id, label, scopes, created_at, revoked_at';

function mapKey(row: ApiKeyRow): ApiKeyRecord {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    name: row.label,
    scopes: row.scopes,
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
  };
}

/** The tenant's API keys, active and revoked, oldest first. */
export async function listApiKeys(db: Queryable, tenantId: string): Promise<ApiKeyRecord[]> {
  const { rows } = await db.query<ApiKeyRow>(
    `SELECT ${COLUMNS} FROM api_keys WHERE tenant_id = $1 ORDER BY created_at, id`,
    [tenantId],
  );
  return rows.map(mapKey);
}

/** One API key of this tenant; another tenant's key is not found. */
export async function findApiKey(db: Queryable, tenantId: string, id: string): Promise<ApiKeyRecord | undefined> {
  const { rows } = await db.query<ApiKeyRow>(`SELECT ${COLUMNS} FROM api_keys WHERE tenant_id = $1 AND id = $2`, [
    tenantId,
    id,
  ]);
  return rows[0] ? mapKey(rows[0]) : undefined;
}

/** What {@link revokeApiKey} did. */
export type RevokeApiKeyOutcome =
  | { status: 'revoked'; key: ApiKeyRecord }
  /** It was revoked before: nothing changed (revoking is idempotent). */
  | { status: 'already_revoked'; key: ApiKeyRecord }
  /** It is the tenant's last active key holding one of the protected scopes: not revoked. */
  | { status: 'last_protected'; key: ApiKeyRecord }
  | { status: 'not_found' };

/**
 * Revokes a key of this tenant: from the next request on, it is refused. Refuses to revoke the
 * tenant's last active key that holds any of `protectedScopes` (its admin keys), which would
 * leave nobody able to manage keys.
 *
 * One statement, safe under concurrency: the tenant's active protected keys are locked
 * (`FOR UPDATE`, in id order); a concurrent revocation of another of them is waited for and
 * re-checked, so two admins revoking each other's keys at once leave one of them active.
 */
export async function revokeApiKey(
  db: Queryable,
  tenantId: string,
  id: string,
  protectedScopes: readonly string[],
): Promise<RevokeApiKeyOutcome> {
  const { rows } = await db.query<ApiKeyRow>(
    `WITH admins AS (
       SELECT id FROM api_keys
        WHERE tenant_id = $1 AND revoked_at IS NULL AND scopes && $3::text[]
        ORDER BY id FOR UPDATE
     ), target AS (
       SELECT id, scopes && $3::text[] AS is_protected FROM api_keys
        WHERE tenant_id = $1 AND id = $2 AND revoked_at IS NULL
     )
     UPDATE api_keys k SET revoked_at = now()
       FROM target
      WHERE k.id = target.id
        AND (NOT target.is_protected OR (SELECT count(*) FROM admins WHERE admins.id <> $2) > 0)
     RETURNING k.id, k.tenant_id, k.label, k.scopes, k.created_at, k.revoked_at`,
    [tenantId, id, [...protectedScopes]],
  );
  if (rows[0]) return { status: 'revoked', key: mapKey(rows[0]) };
  const key = await findApiKey(db, tenantId, id);
  if (!key) return { status: 'not_found' };
  return key.revokedAt ? { status: 'already_revoked', key } : { status: 'last_protected', key };
}
