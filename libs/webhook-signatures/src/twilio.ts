/**
 * Twilio's `X-Twilio-Signature` on the webhooks it sends (inbound SMS, call status, message
 * status callbacks). The conversation service verifies them with {@link verifyTwilioSignature};
 * the Twilio sandbox signs its callbacks with its own code (`libs/sandboxes/src/twilio/form.ts`),
 * so tests check the two against each other.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** POST parameters of a webhook: a repeated name carries a list of values. */
export type SignedParams = Readonly<Record<string, string | readonly string[]>>;

/**
 * Computes the signature Twilio puts in `X-Twilio-Signature`: base64 of HMAC-SHA1, keyed with
 * the account's auth token, over the full request URL (scheme, host, path and query, exactly
 * as Twilio requested it) followed by every POST parameter as `name` + `value`, names sorted;
 * a repeated name contributes each distinct value, sorted (what Twilio's helper libraries do).
 * For a GET webhook pass `{}`: the parameters are in the URL.
 */
export function computeTwilioSignature(authToken: string, url: string, params: SignedParams): string {
  let data = url;
  for (const name of Object.keys(params).sort()) {
    const value = params[name];
    if (value === undefined) continue;
    if (typeof value === 'string') data += name + value;
    else for (const v of [...new Set(value)].sort()) data += name + v;
  }
  return createHmac('sha1', authToken).update(data, 'utf8').digest('base64');
}

/**
 * Verifies a webhook's `X-Twilio-Signature`. Returns false for a missing or malformed header.
 *
 * Behind a proxy the URL the service sees can differ from the one Twilio signed only by an
 * explicit default port (`:443`, `:80`); like Twilio's own validators, both spellings are
 * tried. Comparison is constant-time so a forger learns nothing from response timing.
 */
export function verifyTwilioSignature(
  authToken: string,
  url: string,
  params: SignedParams,
  signatureHeader: string | null | undefined,
): boolean {
  if (typeof signatureHeader !== 'string' || signatureHeader.length === 0 || authToken.length === 0) return false;
  const given = Buffer.from(signatureHeader, 'utf8');
  let valid = false;
  for (const candidate of urlVariants(url)) {
    const expected = Buffer.from(computeTwilioSignature(authToken, candidate, params), 'utf8');
    // Evaluate every variant (no early exit) so timing does not say which one matched.
    if (expected.length === given.length && timingSafeEqual(expected, given)) valid = true;
  }
  return valid;
}

/** The URL as given, plus the same URL with its default port added or removed. */
function urlVariants(url: string): string[] {
  const m = /^(https?):\/\/([^/?#]*)(.*)$/i.exec(url);
  if (!m) return [url];
  const scheme = (m[1] as string).toLowerCase();
  const authority = m[2] as string;
  const rest = m[3] as string;
  const defaultPort = scheme === 'https' ? '443' : '80';
  const at = authority.lastIndexOf('@');
  const userinfo = at >= 0 ? authority.slice(0, at + 1) : '';
  const hostport = authority.slice(at + 1);
  const portMatch = /^(.*?)(?::(\d+))?$/.exec(hostport);
  const host = portMatch?.[1] ?? hostport;
  const port = portMatch?.[2];
  const prefix = `${m[1]}://${userinfo}`;
  if (port === undefined) return [url, `${prefix}${host}:${defaultPort}${rest}`];
  if (port === defaultPort) return [url, `${prefix}${host}${rest}`];
  return [url];
}
