import { createHmac } from 'node:crypto';

/** Decoded form or query fields: a key sent once is a string, a repeated key an array (in order). */
export type FormFields = Record<string, string | string[]>;

/** Every decoded field as a list, whatever its count (for consumers that coerce by schema). */
export type FormLists = Record<string, string[]>;

/** Decodes `application/x-www-form-urlencoded` text (also a query string without its `?`). */
export function decodeForm(text: string): { fields: FormFields; lists: FormLists } {
  // A Map, not an object literal: a field may be called `__proto__`.
  const byKey = new Map<string, string[]>();
  for (const [key, value] of new URLSearchParams(text)) {
    const list = byKey.get(key);
    if (list) list.push(value);
    else byKey.set(key, [value]);
  }
  const lists: FormLists = Object.fromEntries(byKey);
  const fields: FormFields = Object.fromEntries(
    [...byKey].map(([key, list]) => [key, list.length === 1 ? (list[0] as string) : [...list]]),
  );
  return { fields, lists };
}

/**
 * Twilio's `X-Twilio-Signature` of a request it sends: HMAC-SHA1 keyed with the account's auth
 * token over the full URL followed by every POST parameter as `name` + `value`, names sorted
 * (a repeated name contributes each distinct value, sorted, as Twilio's own libraries do),
 * base64-encoded. The sandbox signs
 * its status callbacks so the receiving side's verification can be tested end to end.
 */
export function twilioSignature(authToken: string, url: string, params: FormLists): string {
  let data = url;
  for (const key of Object.keys(params).sort()) {
    for (const value of [...new Set(params[key] ?? [])].sort()) data += key + value;
  }
  return createHmac('sha1', authToken).update(data, 'utf8').digest('base64');
}
