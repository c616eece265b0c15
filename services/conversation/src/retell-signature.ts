/**
 * Retell's webhook signature (`X-Retell-Signature`), checked on the Retell drop-in endpoint
 * when the request names a `retell` credential. Retell signs each request with the API key
 * that has the webhook badge: `v=<unix ms>,d=<hex HMAC-SHA256(key, raw body + unix ms)>`.
 * A signature older or newer than {@link RETELL_SIGNATURE_TOLERANCE_MS} is refused, so a
 * captured request cannot be replayed later.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** How far a signature's timestamp may be from now (Retell's SDK uses 5 minutes). */
export const RETELL_SIGNATURE_TOLERANCE_MS = 5 * 60_000;

/** Why a signature was refused. */
export type RetellSignatureProblem = 'missing' | 'malformed' | 'expired' | 'mismatch';

/** Signs `rawBody` as Retell does (tests, and clients that stand in for Retell). */
export function signRetell(rawBody: string, apiKey: string, atMs: number): string {
  return `v=${atMs},d=${createHmac('sha256', apiKey)
    .update(rawBody + atMs)
    .digest('hex')}`;
}

/** Checks `header` against the raw body; undefined when it is valid, else why not. */
export function verifyRetellSignature(
  rawBody: string,
  apiKey: string,
  header: string | undefined,
  nowMs: number,
): RetellSignatureProblem | undefined {
  if (header === undefined || header === '') return 'missing';
  const match = /^v=(\d{1,16}),d=([0-9a-f]{64})$/.exec(header.trim());
  if (!match) return 'malformed';
  const atMs = Number(match[1]);
  if (Math.abs(nowMs - atMs) > RETELL_SIGNATURE_TOLERANCE_MS) return 'expired';
  const expected = createHmac('sha256', apiKey)
    .update(rawBody + match[1])
    .digest();
  return timingSafeEqual(expected, Buffer.from(match[2] as string, 'hex')) ? undefined : 'mismatch';
}
