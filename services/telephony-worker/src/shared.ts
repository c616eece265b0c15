/**
 * What the three operations share: their dependencies, the Twilio client of a tenant's
 * credential, facts about effect records that the retry rules need, and the one rule for
 * releasing a claim.
 */
import { SwitchboardError } from '@switchboard/common';
import { findEffectClaimedAt, listCredentials, type Queryable } from '@switchboard/db';
import {
  type EffectClaim,
  ProviderError,
  ProviderErrorCodes,
  type ProviderWorkerContext,
} from '@switchboard/providers';
import type { TelephonyConfig } from './config.js';
import { createTwilioClient, TWILIO, type TwilioClient } from './twilio-client.js';

/** Dependencies of the telephony operations. */
export interface TelephonyDeps {
  ctx: ProviderWorkerContext;
  config: TelephonyConfig;
}

/** A tenant's Twilio client and the name of the credential behind it. */
export interface TenantTwilio {
  client: TwilioClient;
  credential: string;
}

/**
 * Which credential controls calls: the payload's, else `TWILIO_CALL_CREDENTIAL`, else the
 * tenant's only Twilio credential. Several and none configured are both configuration errors.
 */
export async function callCredentialName(d: TelephonyDeps, tenantId: string, fromPayload?: string): Promise<string> {
  if (fromPayload !== undefined) return fromPayload;
  if (d.config.callCredential !== undefined) return d.config.callCredential;
  const twilio = (await listCredentials(d.ctx.db, tenantId)).filter((c) => c.provider === 'twilio');
  if (twilio.length === 1) return (twilio[0] as { name: string }).name;
  throw new SwitchboardError(
    'credential_missing',
    twilio.length === 0
      ? 'no Twilio credential is configured for call control: add one in Settings > Credentials'
      : `the tenant has ${twilio.length} Twilio credentials (${twilio.map((c) => c.name).join(', ')}); set TWILIO_CALL_CREDENTIAL to the one that owns the calls`,
    { retryable: false },
  );
}

/** Loads the credential and builds a client for it. A malformed credential is marked `auth_failed`. */
export async function twilioFor(d: TelephonyDeps, tenantId: string, credential: string): Promise<TenantTwilio> {
  const secret = await d.ctx.credentials.get(tenantId, credential, 'twilio');
  const accountSid = secret.accountSid ?? '';
  const authToken = secret.authToken ?? '';
  if (!/^AC[0-9a-fA-F]{32}$/.test(accountSid) || authToken === '') {
    const reason = `credential '${credential}' needs an accountSid ('AC' and 32 hexadecimal digits) and an authToken`;
    await d.ctx.credentials.authFailed(tenantId, credential, reason);
    throw new ProviderError(TWILIO, ProviderErrorCodes.AuthFailed, reason, { retryable: false });
  }
  const client = createTwilioClient({
    http: d.ctx.http,
    baseUrl: d.config.apiUrl,
    accountSid,
    authToken,
    timeoutMs: d.config.requestTimeoutMs,
  });
  return { client, credential };
}

/**
 * The Twilio client for an effect whose claim is held. Nothing was sent when this fails (the
 * credential is missing or malformed): a fresh claim is released so that a later, fixed attempt
 * does not look for a ghost.
 */
export async function twilioForEffect(
  d: TelephonyDeps,
  tenantId: string,
  credential: () => Promise<string> | string,
  claim: EffectClaim,
): Promise<TenantTwilio> {
  try {
    return await twilioFor(d, tenantId, await credential());
  } catch (err) {
    await claim.releaseIfFresh();
    throw err;
  }
}

/** When the effect was first claimed (the database clock), in epoch ms; now when unclaimed. */
export async function claimedAt(db: Queryable, tenantId: string, key: string): Promise<number> {
  const at = await findEffectClaimedAt(db, tenantId, key);
  return at instanceof Date ? at.getTime() : Date.now();
}

const NEVER_CONNECTED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * True only when a failed request certainly did not change anything at Twilio, so a claim may
 * be released: Twilio answered with a 4xx (it validates and authorizes before acting, and a
 * 429 is refused before any work), the request was refused client-side, or the connection was
 * never established. Timeouts, resets, dropped connections and 5xx stay ambiguous: the request
 * may have been carried out, and the next attempt must look before acting again.
 */
export function certainlyNotApplied(err: unknown): boolean {
  if (!(err instanceof ProviderError)) return false;
  if (err.code === ProviderErrorCodes.InvalidInput) return true;
  if (err.httpStatus !== undefined) return err.httpStatus >= 400 && err.httpStatus < 500;
  if (err.code !== ProviderErrorCodes.Unavailable) return false;
  for (let cause: unknown = err.cause, depth = 0; cause !== undefined && depth < 5; depth++) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string' && NEVER_CONNECTED.has(code)) return true;
    cause = (cause as { cause?: unknown }).cause;
  }
  return false;
}

/** Epoch ms of an RFC 2822 date from Twilio (`Wed, 18 Aug 2010 20:01:40 +0000`); NaN when absent. */
export function twilioTime(value: string | null | undefined): number {
  return value ? Date.parse(value) : Number.NaN;
}

/** How long text-to-speech takes to say `text`, roughly (for waiting out a `<Say>`). */
export function speechMs(d: TelephonyDeps, text: string): number {
  return text === '' ? 0 : 500 + [...text].length * d.config.speechMsPerChar;
}
