/**
 * "Credential → client → mark `ok` / `auth_failed`": the one rule every provider worker
 * follows for a tenant credential.
 *
 * - A credential whose secret cannot make a client (a missing key) is refused before any
 *   request: marked `auth_failed` with the reason, failing non-retryably `provider_auth_failed`.
 * - A provider refusing it (`provider_auth_failed`, from a 401/403) marks it `auth_failed` with
 *   the provider's reason, and the failure goes on unchanged.
 * - Success marks it `ok`. When recording that fails, the work's result still stands: the
 *   provider already did what was asked (a booking made, a text sent), and failing now would
 *   only make Temporal retry a committed write. The failure to record is logged.
 */
import type { Logger } from '@switchboard/common';
import type { CredentialProvider, CredentialSecret } from '@switchboard/db';
import type { CredentialAccess } from './credentials.js';
import { ProviderError, ProviderErrorCodes } from './errors.js';

/** Whose credential, for the status updates and the log. */
export interface CredentialUse {
  tenantId: string;
  /** The credential's name. */
  credential: string;
  /** The provider as errors name it (`calcom`, `twilio`, `hubspot`, an endpoint name). */
  provider: string;
  /** Logged with every line (operation, intent, step). */
  where?: Record<string, unknown>;
}

/**
 * Runs `work` and reports what the provider thought of the credential (see the module doc).
 */
export async function withCredentialStatus<T>(
  credentials: CredentialAccess,
  log: Pick<Logger, 'warn'> | undefined,
  use: CredentialUse,
  work: () => Promise<T>,
): Promise<T> {
  let result: T;
  try {
    result = await work();
  } catch (err) {
    if (err instanceof ProviderError && err.code === ProviderErrorCodes.AuthFailed) {
      await credentials.authFailed(use.tenantId, use.credential, err.message);
      log?.warn(
        { ...use.where, tenantId: use.tenantId, credential: use.credential, status: err.httpStatus },
        `${use.provider} refused the credential`,
      );
    }
    throw err;
  }
  await markCredentialOk(credentials, log, use);
  return result;
}

/** Marks a credential `ok`; a failure to record it is logged, never thrown (see the module doc). */
export async function markCredentialOk(
  credentials: CredentialAccess,
  log: Pick<Logger, 'warn'> | undefined,
  use: CredentialUse,
): Promise<void> {
  try {
    await credentials.ok(use.tenantId, use.credential);
  } catch (err) {
    log?.warn(
      { ...use.where, tenantId: use.tenantId, credential: use.credential, err: (err as Error).message },
      'could not record credential status',
    );
  }
}

/**
 * Loads a credential and builds a client with `open`, then runs `work` with it under
 * {@link withCredentialStatus}. `open` returns the client, or a reason when the secret cannot
 * make one: the credential is then marked `auth_failed` and the call fails non-retryably.
 */
export async function withCredentialClient<C, T>(
  credentials: CredentialAccess,
  log: Pick<Logger, 'warn'> | undefined,
  use: CredentialUse & { kind: CredentialProvider },
  open: (secret: CredentialSecret) => { client: C } | { refused: string },
  work: (client: C) => Promise<T>,
): Promise<T> {
  const opened = open(await credentials.get(use.tenantId, use.credential, use.kind));
  if ('refused' in opened) {
    await credentials.authFailed(use.tenantId, use.credential, opened.refused);
    throw new ProviderError(use.provider, ProviderErrorCodes.AuthFailed, opened.refused, { retryable: false });
  }
  return withCredentialStatus(credentials, log, use, () => work(opened.client));
}
