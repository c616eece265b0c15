import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { IdPrefixes, newId } from './ids.js';
import type { Queryable } from './pool.js';

/** A verified API key. */
export interface ApiKeyPrincipal {
  keyId: string;
  tenantId: string;
  scopes: string[];
}

const sha256 = (s: string) => createHash('sha256').update(s).digest();

/**
 * Creates an API key and returns the full secret once; only its hash is stored.
 * Format: `sb_<keyId>_<secret>`, so the key id can be looked up without scanning.
 */
export async function createApiKey(
  db: Queryable,
  tenantId: string,
  options: { label?: string; scopes?: string[]; secret?: string } = {},
): Promise<{ keyId: string; key: string }> {
  const keyId = newId(IdPrefixes.ApiKey);
  const secret = options.secret ?? randomBytes(32).toString('base64url');
  await db.query('INSERT INTO api_keys (id, tenant_id, secret_hash, label, scopes) VALUES ($1, $2, $3, $4, $5)', [
    keyId,
    tenantId,
    sha256(secret),
    options.label ?? '',
    options.scopes ?? ['*'],
  ]);
  return { keyId, key: `sb_${keyId}_${secret}` };
}

/** A presented key's id and secret, when it has the shape of a key (`sb_<keyId>_<secret>`). */
export function parseApiKey(presented: string): { keyId: string; secret: string } | undefined {
  const match = /^sb_(key_[0-9a-f]{24})_([A-Za-z0-9_-]{16,128})$/.exec(presented);
  if (!match) return undefined;
  const [, keyId, secret] = match as unknown as [string, string, string];
  return { keyId, secret };
}

/** What a presented key is: {@link checkApiKey}'s answer. */
export type ApiKeyCheck =
  | { status: 'active'; principal: ApiKeyPrincipal }
  /** A genuine, unrevoked key of a tenant a platform admin disabled. */
  | { status: 'tenant_disabled'; keyId: string; tenantId: string }
  /** Malformed, unknown, revoked or wrong. */
  | { status: 'refused' };

/**
 * Parses and checks a presented key. One query, and none for something that is not shaped like
 * a key.
 */
export async function checkApiKey(db: Queryable, presented: string): Promise<ApiKeyCheck> {
  const parsed = parseApiKey(presented);
  if (!parsed) return { status: 'refused' };
  const { keyId, secret } = parsed;
  const { rows } = await db.query<{
    tenant_id: string;
    secret_hash: Buffer;
    scopes: string[];
    tenant_disabled?: boolean;
  }>(
    `SELECT k.tenant_id, k.secret_hash, k.scopes, t.disabled_at IS NOT NULL AS tenant_disabled
       FROM api_keys k JOIN tenants t ON t.id = k.tenant_id
      WHERE k.id = $1 AND k.revoked_at IS NULL`,
    [keyId],
  );
  const row = rows[0];
  if (!row) return { status: 'refused' };
  const presentedHash = sha256(secret);
  if (row.secret_hash.length !== presentedHash.length || !timingSafeEqual(row.secret_hash, presentedHash)) {
    return { status: 'refused' };
  }
  if (row.tenant_disabled === true) return { status: 'tenant_disabled', keyId, tenantId: row.tenant_id };
  return { status: 'active', principal: { keyId, tenantId: row.tenant_id, scopes: row.scopes } };
}

/**
 * Parses and verifies a presented key; `undefined` when unknown, revoked or wrong, or when its
 * tenant is disabled ({@link checkApiKey} tells these apart).
 */
export async function verifyApiKey(db: Queryable, presented: string): Promise<ApiKeyPrincipal | undefined> {
  const check = await checkApiKey(db, presented);
  return check.status === 'active' ? check.principal : undefined;
}

/**
 * Which of these keys (any tenant: the ids come from authenticated requests) are no longer
 * active: revoked, gone with their tenant, or of a disabled tenant. One statement for the whole
 * batch.
 */
export async function listInactiveApiKeys(db: Queryable, ids: readonly string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const { rows } = await db.query<{ id: string }>(
    `SELECT w.id FROM unnest($1::text[]) AS w(id)
      WHERE NOT EXISTS (
        SELECT 1 FROM api_keys k JOIN tenants t ON t.id = k.tenant_id
         WHERE k.id = w.id AND k.revoked_at IS NULL AND t.disabled_at IS NULL)`,
    [[...ids]],
  );
  return rows.map((r) => r.id);
}
