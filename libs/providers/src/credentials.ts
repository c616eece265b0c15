import { SwitchboardError } from '@switchboard/common';
import {
  type CredentialProvider,
  type CredentialSecret,
  type Keyring,
  type Queryable,
  readCredential,
  setCredentialStatus,
} from '@switchboard/db';

/** How a provider worker reads credentials and reports what the provider thought of them. */
export interface CredentialAccess {
  /** Decrypts the tenant's credential; fails if it is missing or belongs to another provider. */
  get(tenantId: string, name: string, provider: CredentialProvider): Promise<CredentialSecret>;
  /** The provider refused it (401/403): actions using it get status Error with this reason. */
  authFailed(tenantId: string, name: string, reason: string): Promise<void>;
  /** The provider accepted it. */
  ok(tenantId: string, name: string): Promise<void>;
}

/** Credential access over the encrypted credentials table. */
export function createCredentialAccess(db: Queryable, keyring: Keyring): CredentialAccess {
  const confirmed = new Set<string>();
  return {
    async get(tenantId, name, provider) {
      const found = await readCredential(db, keyring, tenantId, name);
      if (found.provider !== provider) {
        throw new SwitchboardError(
          'credential_wrong_provider',
          `credential '${name}' is a ${found.provider} credential, not ${provider}`,
        );
      }
      return found.secret;
    },
    authFailed: async (tenantId, name, reason) => {
      confirmed.delete(`${tenantId}\u0000${name}`);
      await setCredentialStatus(db, tenantId, name, 'auth_failed', reason);
    },
    // Only the first success per process is written: this is on every call's path.
    ok: async (tenantId, name) => {
      const key = `${tenantId}\u0000${name}`;
      if (confirmed.has(key)) return;
      confirmed.add(key);
      await setCredentialStatus(db, tenantId, name, 'ok');
    },
  };
}
