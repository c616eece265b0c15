/**
 * HMAC-SHA256 request signing, so a receiver can tell that a request comes from Switchboard
 * and was not altered or replayed.
 *
 * Header (one per signed request):
 *
 * ```
 * X-Switchboard-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>
 * ```
 *
 * `body` is the exact request body as sent (UTF-8), the empty string when there is none.
 * The secret is the `secret` field of an `http` credential. A receiver recomputes the HMAC
 * over the raw body it received, compares in constant time, and rejects timestamps further
 * than a few minutes from its clock (replay). {@link verifySignature} does all of that.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Header names and the scheme version of request signing. */
export const Signing = {
  /** The signature header added to signed requests. */
  Header: 'X-Switchboard-Signature',
  /** The only signature scheme so far (HMAC-SHA256 of `t.body`). */
  Scheme: 'v1',
  /**
   * Reserved endpoint header: when an endpoint's headers contain it, every call to that
   * endpoint is signed with the named credential. The header itself is never sent.
   */
  EndpointCredentialHeader: 'x-switchboard-signing-credential',
  /** The credential field holding the signing secret. */
  SecretField: 'secret',
} as const;

/** Default accepted clock difference for {@link verifySignature}, in seconds. */
export const DEFAULT_SIGNATURE_TOLERANCE_SECONDS = 300;

/** The hex HMAC-SHA256 of `"<timestamp>.<body>"` with `secret`. */
export function signatureOf(secret: string, timestamp: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex');
}

/** The value of the {@link Signing.Header} header for this body, signed at `nowMs`. */
export function signatureHeader(secret: string, body: string, nowMs: number = Date.now()): string {
  const t = Math.floor(nowMs / 1000);
  return `t=${t},${Signing.Scheme}=${signatureOf(secret, t, body)}`;
}

/** Why {@link verifySignature} refused a signature, or `ok`. */
export type SignatureCheck = { ok: true; timestamp: number } | { ok: false; reason: string };

/**
 * Checks a {@link Signing.Header} value against the raw body a receiver got: the format, the
 * timestamp (within `toleranceSeconds` of `nowMs`) and the HMAC (constant-time comparison;
 * any of several `v1=` values may match, which lets a sender sign with two secrets while one
 * rotates).
 */
export function verifySignature(
  secret: string,
  header: string | undefined,
  body: string,
  options: { nowMs?: number; toleranceSeconds?: number } = {},
): SignatureCheck {
  if (!header) return { ok: false, reason: 'no signature header' };
  let timestamp: number | undefined;
  const candidates: string[] = [];
  for (const item of header.split(',')) {
    const eq = item.indexOf('=');
    const key = item.slice(0, eq).trim();
    const value = item.slice(eq + 1).trim();
    if (key === 't' && /^\d{1,12}$/.test(value)) timestamp = Number(value);
    else if (key === Signing.Scheme && /^[0-9a-f]{64}$/.test(value)) candidates.push(value);
  }
  if (timestamp === undefined) return { ok: false, reason: 'no timestamp' };
  if (candidates.length === 0) return { ok: false, reason: `no ${Signing.Scheme} signature` };
  const now = Math.floor((options.nowMs ?? Date.now()) / 1000);
  if (Math.abs(now - timestamp) > (options.toleranceSeconds ?? DEFAULT_SIGNATURE_TOLERANCE_SECONDS)) {
    return { ok: false, reason: 'timestamp outside the tolerance' };
  }
  const expected = Buffer.from(signatureOf(secret, timestamp, body), 'hex');
  const match = candidates.some((c) => timingSafeEqual(Buffer.from(c, 'hex'), expected));
  return match ? { ok: true, timestamp } : { ok: false, reason: 'signature mismatch' };
}
