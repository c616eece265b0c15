import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { SwitchboardError } from '@switchboard/common';
import type { Queryable } from './pool.js';

/** Providers a credential can belong to. */
export const CredentialProviders = {
  Calcom: 'calcom',
  Twilio: 'twilio',
  Hubspot: 'hubspot',
  Http: 'http',
  /** An OpenAI-compatible chat-completions endpoint (`{ apiKey }`), used by an agent's LLM loop. */
  OpenAI: 'openai',
  /** Retell's webhook-badge API key (`{ apiKey }`): checks `X-Retell-Signature` on the Retell drop-in endpoint. */
  Retell: 'retell',
} as const;
export type CredentialProvider = (typeof CredentialProviders)[keyof typeof CredentialProviders];

/** The secret fields of a credential, e.g. `{ apiKey }` or `{ accountSid, authToken }`. */
export type CredentialSecret = Record<string, string>;

/**
 * Encryption keys by id; the first is the primary (used to encrypt), the others only decrypt,
 * which is how a key rotates: add the new key first, re-encrypt with {@link rotateCredentials},
 * then drop the old one.
 */
export interface Keyring {
  primaryId: string;
  keys: ReadonlyMap<string, Buffer>;
}

/**
 * Parses `CREDENTIALS_KEYS`: comma-separated `id:base64key` entries of 32-byte keys, primary
 * first. Throws naming the malformed entry (never printing key material).
 */
export function parseKeyring(spec: string): Keyring {
  const keys = new Map<string, Buffer>();
  const entries = spec
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  entries.forEach((entry, i) => {
    const at = entry.indexOf(':');
    const id = at > 0 ? entry.slice(0, at) : '';
    const key = at > 0 ? Buffer.from(entry.slice(at + 1), 'base64') : Buffer.alloc(0);
    if (!/^[A-Za-z0-9_-]{1,32}$/.test(id) || key.length !== 32) {
      throw new SwitchboardError(
        'config_invalid',
        `CREDENTIALS_KEYS entry ${i + 1} must be 'id:<32 bytes in base64>' (id: letters, digits, _ or -)`,
      );
    }
    keys.set(id, key);
  });
  const primaryId = entries.length > 0 ? [...keys.keys()][0] : undefined;
  if (primaryId === undefined) throw new SwitchboardError('config_invalid', 'CREDENTIALS_KEYS has no key');
  return { primaryId, keys };
}

/** A new random keyring spec (`id:key`), for development stacks and tests. */
export function generateKeyringSpec(id = `k${Date.now().toString(36)}`): string {
  return `${id}:${randomBytes(32).toString('base64')}`;
}

const aad = (tenantId: string, name: string) => Buffer.from(`switchboard-credential\u0000${tenantId}\u0000${name}`);

/** Stores (creates or replaces) a credential, encrypted with the primary key. */
export async function putCredential(
  db: Queryable,
  keyring: Keyring,
  c: { tenantId: string; name: string; provider: CredentialProvider; secret: CredentialSecret },
): Promise<void> {
  const key = keyring.keys.get(keyring.primaryId) as Buffer;
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(aad(c.tenantId, c.name));
  const ciphertext = Buffer.concat([cipher.update(JSON.stringify(c.secret), 'utf8'), cipher.final()]);
  await db.query(
    `INSERT INTO credentials (tenant_id, name, provider, key_id, nonce, ciphertext, auth_tag)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (tenant_id, name) DO UPDATE SET provider = EXCLUDED.provider, key_id = EXCLUDED.key_id,
       nonce = EXCLUDED.nonce, ciphertext = EXCLUDED.ciphertext, auth_tag = EXCLUDED.auth_tag,
       status = 'unchecked', status_reason = NULL, status_at = NULL, updated_at = now()`,
    [c.tenantId, c.name, c.provider, keyring.primaryId, nonce, ciphertext, cipher.getAuthTag()],
  );
}

/** The credential is not configured for the tenant (an action using it is Incomplete). */
export class CredentialMissingError extends SwitchboardError {
  constructor(name: string) {
    super('credential_missing', `credential '${name}' is not configured for this tenant`, { retryable: false });
  }
}

interface CredentialRow {
  provider: CredentialProvider;
  key_id: string;
  nonce: Buffer;
  ciphertext: Buffer;
  auth_tag: Buffer;
}

function decrypt(keyring: Keyring, tenantId: string, name: string, row: CredentialRow): CredentialSecret {
  const key = keyring.keys.get(row.key_id);
  if (!key) {
    throw new SwitchboardError(
      'credential_key_unknown',
      `credential '${name}' is encrypted with key '${row.key_id}', which is not in CREDENTIALS_KEYS`,
    );
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, row.nonce);
    decipher.setAAD(aad(tenantId, name));
    decipher.setAuthTag(row.auth_tag);
    const plain = Buffer.concat([decipher.update(row.ciphertext), decipher.final()]).toString('utf8');
    return JSON.parse(plain) as CredentialSecret;
  } catch (err) {
    // Never include key or plaintext material in the message.
    throw new SwitchboardError('credential_corrupt', `credential '${name}' could not be decrypted`, { cause: err });
  }
}

/**
 * Decrypts a credential. Only the workers that call the provider use this; nothing returns
 * secrets over the API, into logs, spans or LLM prompts.
 */
export async function readCredential(
  db: Queryable,
  keyring: Keyring,
  tenantId: string,
  name: string,
): Promise<{ provider: CredentialProvider; secret: CredentialSecret }> {
  const { rows } = await db.query<CredentialRow>(
    'SELECT provider, key_id, nonce, ciphertext, auth_tag FROM credentials WHERE tenant_id = $1 AND name = $2',
    [tenantId, name],
  );
  const row = rows[0];
  if (!row) throw new CredentialMissingError(name);
  return { provider: row.provider, secret: decrypt(keyring, tenantId, name, row) };
}

/** Records what a provider said about a credential (401/403 → `auth_failed` with the reason). */
export async function setCredentialStatus(
  db: Queryable,
  tenantId: string,
  name: string,
  status: 'ok' | 'auth_failed',
  reason?: string,
): Promise<void> {
  await db.query(
    'UPDATE credentials SET status = $3, status_reason = $4, status_at = now() WHERE tenant_id = $1 AND name = $2',
    [tenantId, name, status, reason ?? null],
  );
}

/**
 * How many credentials of every tenant are in each status, per provider (and per tenant with
 * `byTenant`), for the `switchboard_credential_status` gauge.
 */
export async function countCredentialsByStatus(
  db: Queryable,
  byTenant = false,
): Promise<{ tenantId?: string; provider: string; status: string; count: number }[]> {
  const tenant = byTenant ? 'tenant_id, ' : '';
  const { rows } = await db.query<{ tenant_id?: string; provider: string; status: string; n: string }>(
    `SELECT ${tenant}provider, status, count(*) AS n FROM credentials GROUP BY ${tenant}provider, status`,
  );
  return rows.map((r) => ({
    ...(r.tenant_id !== undefined ? { tenantId: r.tenant_id } : {}),
    provider: r.provider,
    status: r.status,
    count: Number(r.n),
  }));
}

/** Names, providers and statuses of a tenant's credentials (never the secrets). */
export async function listCredentials(
  db: Queryable,
  tenantId: string,
): Promise<{ name: string; provider: CredentialProvider; status: string; statusReason: string | null }[]> {
  const { rows } = await db.query(
    'SELECT name, provider, status, status_reason FROM credentials WHERE tenant_id = $1 ORDER BY name',
    [tenantId],
  );
  return rows.map((r) => ({ name: r.name, provider: r.provider, status: r.status, statusReason: r.status_reason }));
}

/** Re-encrypts every credential not under the primary key; returns how many it rewrote. */
export async function rotateCredentials(db: Queryable, keyring: Keyring): Promise<number> {
  const { rows } = await db.query<CredentialRow & { tenant_id: string; name: string }>(
    'SELECT tenant_id, name, provider, key_id, nonce, ciphertext, auth_tag FROM credentials WHERE key_id <> $1',
    [keyring.primaryId],
  );
  for (const row of rows) {
    const secret = decrypt(keyring, row.tenant_id, row.name, row);
    await putCredential(db, keyring, { tenantId: row.tenant_id, name: row.name, provider: row.provider, secret });
  }
  return rows.length;
}
