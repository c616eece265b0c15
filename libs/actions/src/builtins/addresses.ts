/**
 * Addresses the built-in actions accept: E.164 phone numbers, SIP URIs, IANA time zones and
 * public http(s) URLs.
 *
 * E.164 is checked structurally (`+`, a country code that does not start with 0, 8–15 digits),
 * which is what Twilio's `<Dial><Number>` and `Messages.To` require, and then with the maintained
 * `libphonenumber-js` metadata: the country code must exist and the number must have a possible
 * length for it (`isPossible`). We deliberately do not require `isValid` (assigned ranges): the
 * seed's own examples use fictional 555 numbers, and the carrier is the authority on assignment.
 *
 * Every check is pure and runs in a Temporal workflow sandbox (only `Intl`, no I/O).
 */

import { parsePhoneNumberFromString } from 'libphonenumber-js/min';

/** A problem with an address, with a likely fix when there is one. */
export interface AddressProblem {
  /** What is wrong, in one sentence. */
  message: string;
  /** The address the author probably meant, when it can be derived. */
  suggestion?: string;
}

const E164 = /^\+[1-9][0-9]{7,14}$/;

/** Why a structurally fine number is still impossible, per libphonenumber's metadata. */
function metadataProblem(value: string): string | undefined {
  const parsed = parsePhoneNumberFromString(value);
  if (parsed === undefined) return `'${value}' does not start with a known country calling code`;
  if (!parsed.isPossible() || parsed.number !== value) {
    return `'${value}' has the wrong number of digits for country code +${parsed.countryCallingCode}`;
  }
  return undefined;
}

/**
 * True for an E.164 number: `+`, then 8 to 15 digits, the first one 1–9, with a known country
 * calling code and a possible length for it (`+15551234567`).
 */
export function isE164(value: string): boolean {
  return E164.test(value) && metadataProblem(value) === undefined;
}

/**
 * Says why `value` is not an E.164 number, or `undefined` when it is. Suggestions remove
 * separators (`+1 (555) 123-4567` → `+15551234567`), turn an international `00` prefix into `+`,
 * and add `+1` to a ten-digit number that looks North American; they never guess other country codes.
 */
export function e164Problem(value: string): AddressProblem | undefined {
  if (E164.test(value)) {
    const problem = metadataProblem(value);
    return problem === undefined ? undefined : { message: problem };
  }
  const compact = value.replace(/[\s().\-/]/g, '');
  if (compact.length === 0) return { message: 'a phone number must not be empty' };
  if (/^\+?[0-9]+$/.test(compact) && compact !== value && isE164(compact)) {
    return {
      message: 'an E.164 number has no spaces, dots, dashes or parentheses',
      suggestion: compact,
    };
  }
  if (/^00[1-9][0-9]{7,14}$/.test(compact)) {
    return {
      message: "an E.164 number starts with '+', not the international prefix 00",
      suggestion: `+${compact.slice(2)}`,
    };
  }
  if (/^\+0/.test(compact)) {
    return { message: 'an E.164 country code cannot start with 0' };
  }
  if (/^[0-9]+$/.test(compact)) {
    // Ten digits starting 2–9 look like a North American number written without its +1.
    const nanp = /^[2-9][0-9]{9}$/.test(compact) ? `+1${compact}` : undefined;
    return {
      message: "an E.164 number starts with '+' and the country code",
      ...(nanp === undefined ? {} : { suggestion: nanp }),
    };
  }
  if (/^\+[0-9]+$/.test(compact)) {
    const digits = compact.length - 1;
    return {
      message: `an E.164 number has 8 to 15 digits after the '+', this one has ${digits}`,
    };
  }
  if (/^tel:/i.test(value)) {
    const rest = value.slice(4);
    return {
      message: "write the number without the 'tel:' prefix",
      ...(isE164(rest) ? { suggestion: rest } : {}),
    };
  }
  return { message: "an E.164 number is '+' followed by digits only" };
}

/** The parts of a SIP URI. */
export interface SipUri {
  /** `sip` or `sips` (lower case). */
  scheme: 'sip' | 'sips';
  user: string;
  host: string;
  port?: number;
  /** URI parameters (`;transport=tls`), in order; a flag parameter has an empty value. */
  params: [string, string][];
}

// RFC 3261 §25.1: user = 1*( unreserved / escaped / user-unreserved ); ':' would start a
// password, which is refused separately (a credential must never sit in an address).
const SIP_USER = /^(?:[A-Za-z0-9\-_.!~*'()&=+$,?/]|%[0-9A-Fa-f]{2})+$/;
const SIP_PARAM = /^(?:[A-Za-z0-9\-_.!~*'()[\]/:&+$]|%[0-9A-Fa-f]{2})+$/;
const HOST_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
const IPV4 = /^(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(?:\.(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3}$/;
/** Longest SIP URI accepted; Twilio's `<Sip>` noun and most PBXs stay far below it. */
export const MAX_SIP_URI_LENGTH = 255;

/** True for a `sip:` or `sips:` URI of the form `user@host[:port][;params]`. */
export function isSipUri(value: string): boolean {
  return sipUriProblem(value) === undefined;
}

/** Parses a SIP URI (see {@link isSipUri}); `undefined` when it is not one. */
export function parseSipUri(value: string): SipUri | undefined {
  const result = analyseSip(value);
  return 'uri' in result ? result.uri : undefined;
}

/** Says why `value` is not a SIP URI `sip:user@host[:port][;params]`, or `undefined`. */
export function sipUriProblem(value: string): AddressProblem | undefined {
  const result = analyseSip(value);
  return 'uri' in result ? undefined : result;
}

function analyseSip(value: string): { uri: SipUri } | AddressProblem {
  if (value.length > MAX_SIP_URI_LENGTH) return { message: `a SIP URI is at most ${MAX_SIP_URI_LENGTH} characters` };
  const schemeMatch = /^(sips?):/i.exec(value);
  if (!schemeMatch) return { message: "a SIP URI starts with 'sip:' or 'sips:'" };
  const scheme = (schemeMatch[1] ?? 'sip').toLowerCase() as 'sip' | 'sips';
  const rest = value.slice(schemeMatch[0].length);
  if (rest.startsWith('//')) {
    return { message: "a SIP URI has no '//' after the scheme", suggestion: `${scheme}:${rest.slice(2)}` };
  }
  if (/\s/.test(rest)) return { message: 'a SIP URI must not contain spaces' };
  const at = rest.lastIndexOf('@');
  if (at < 0) return { message: 'a SIP URI needs a user and a host (sip:user@host)' };
  const userinfo = rest.slice(0, at);
  const hostpart = rest.slice(at + 1);
  if (userinfo.length === 0) return { message: "a SIP URI needs a user before '@' (sip:user@host)" };
  if (userinfo.includes(':')) {
    return {
      message: 'a SIP URI must not carry a password (user:password@host); never put credentials in an address',
      suggestion: `${scheme}:${userinfo.slice(0, userinfo.indexOf(':'))}@${hostpart}`,
    };
  }
  if (!SIP_USER.test(userinfo)) return { message: `'${userinfo}' is not a valid SIP user part` };
  if (hostpart.includes('?')) return { message: 'SIP URI headers (?name=value) are not supported in a destination' };
  const [hostport = '', ...paramTexts] = hostpart.split(';');
  const hostPort = splitHostPort(hostport);
  if ('message' in hostPort) return hostPort;
  const params: [string, string][] = [];
  for (const text of paramTexts) {
    const eq = text.indexOf('=');
    const name = eq < 0 ? text : text.slice(0, eq);
    const paramValue = eq < 0 ? '' : text.slice(eq + 1);
    if (!SIP_PARAM.test(name) || (eq >= 0 && !SIP_PARAM.test(paramValue))) {
      return { message: `';${text}' is not a valid SIP URI parameter` };
    }
    params.push([name, paramValue]);
  }
  const uri: SipUri = { scheme, user: userinfo, host: hostPort.host, params };
  if (hostPort.port !== undefined) uri.port = hostPort.port;
  return { uri };
}

function splitHostPort(text: string): { host: string; port?: number } | AddressProblem {
  if (text.length === 0) return { message: "a SIP URI needs a host after '@' (sip:user@host)" };
  let host = text;
  let portText: string | undefined;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) return { message: "an IPv6 host must be closed with ']'" };
    host = text.slice(0, close + 1);
    const after = text.slice(close + 1);
    if (after.length > 0) {
      if (!after.startsWith(':')) return { message: `unexpected '${after}' after the IPv6 host` };
      portText = after.slice(1);
    }
    if (!isIpv6(host.slice(1, -1))) return { message: `'${host}' is not a valid IPv6 address` };
  } else {
    const colon = text.indexOf(':');
    if (colon >= 0) {
      host = text.slice(0, colon);
      portText = text.slice(colon + 1);
    }
    if (!isHostname(host)) return { message: `'${host}' is not a valid host name or IPv4 address` };
  }
  if (portText === undefined) return { host };
  if (!/^[0-9]{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) {
    return { message: `'${portText}' is not a valid port (1–65535)` };
  }
  return { host, port: Number(portText) };
}

function isHostname(host: string): boolean {
  if (host.length === 0 || host.length > 253) return false;
  if (/^[0-9.]+$/.test(host)) return IPV4.test(host);
  const labels = (host.endsWith('.') ? host.slice(0, -1) : host).split('.');
  // RFC 3261 toplabel: the last label starts with a letter (so `1.2.3` is not a host name).
  return labels.every((label) => HOST_LABEL.test(label)) && /^[A-Za-z]/.test(labels[labels.length - 1] ?? '');
}

function isIpv6(text: string): boolean {
  if (!/^[0-9A-Fa-f:.]+$/.test(text) || text.length < 2) return false;
  const halves = text.split('::');
  if (halves.length > 2) return false;
  const groupsOf = (half: string): string[] | undefined => {
    if (half === '') return [];
    const groups = half.split(':');
    return groups.every((g) => g.length > 0) ? groups : undefined;
  };
  const head = groupsOf(halves[0] ?? '');
  const tail = halves.length === 2 ? groupsOf(halves[1] ?? '') : [];
  if (head === undefined || tail === undefined) return false;
  const groups = [...head, ...tail];
  let width = 8;
  const last = groups[groups.length - 1];
  if (last?.includes('.')) {
    if (!IPV4.test(last)) return false;
    groups.pop();
    width = 6;
  }
  if (!groups.every((g) => /^[0-9A-Fa-f]{1,4}$/.test(g))) return false;
  return halves.length === 2 ? groups.length < width : groups.length === width;
}

/** A transfer destination: a phone number or a SIP address. */
export type TransferDestination = { kind: 'phone'; address: string } | { kind: 'sip'; address: string };

/**
 * Classifies a transfer destination: `sip:`/`sips:` URIs are SIP addresses (the scheme is
 * normalised to lower case), everything else must be an E.164 number.
 */
export function parseTransferDestination(
  value: string,
): { ok: true; destination: TransferDestination } | ({ ok: false } & AddressProblem) {
  if (/^sips?:/i.test(value)) {
    const problem = sipUriProblem(value);
    if (problem !== undefined) return { ok: false, ...problem };
    const colon = value.indexOf(':');
    return {
      ok: true,
      destination: { kind: 'sip', address: `${value.slice(0, colon).toLowerCase()}${value.slice(colon)}` },
    };
  }
  const problem = e164Problem(value);
  if (problem !== undefined) {
    // `support@example.com` is a SIP address without its scheme more often than an e-mail.
    if (/^[^@\s:]+@[A-Za-z0-9.-]+$/.test(value) && isSipUri(`sip:${value}`)) {
      return { ok: false, message: "a SIP destination needs the 'sip:' scheme", suggestion: `sip:${value}` };
    }
    return { ok: false, ...problem };
  }
  return { ok: true, destination: { kind: 'phone', address: value } };
}

let zoneCache: ReadonlySet<string> | undefined;

/** The time zones `Intl` lists (computed once; ICU's list, which includes 'UTC' only via our addition). */
function supportedZones(): ReadonlySet<string> {
  if (zoneCache === undefined) {
    let zones: string[] = [];
    try {
      zones = Intl.supportedValuesOf('timeZone');
    } catch {
      zones = [];
    }
    zoneCache = new Set([...zones, 'UTC']);
  }
  return zoneCache;
}

const IANA_SHAPE =
  /^(?:Africa|America|Antarctica|Arctic|Asia|Atlantic|Australia|Europe|Indian|Pacific|Etc)\/[A-Z][A-Za-z0-9_+-]*(?:\/[A-Z][A-Za-z0-9_+-]*)?$/;

/**
 * True for an IANA time zone name: one that `Intl.supportedValuesOf('timeZone')` lists, or
 * `UTC`. ICU's list still uses some pre-2022 spellings (`Asia/Calcutta`, `Europe/Kiev`), so a
 * correctly cased `Area/Location` name that `Intl.DateTimeFormat` accepts (`Asia/Kolkata`,
 * `Europe/Kyiv`) is accepted too. Abbreviations (`EST`) and legacy aliases (`US/Eastern`)
 * are refused: they are ambiguous or deprecated, and Cal.com expects IANA names.
 */
export function isIanaTimeZone(name: string): boolean {
  if (supportedZones().has(name)) return true;
  if (!IANA_SHAPE.test(name)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

const ZONE_ALIASES: Readonly<Record<string, string>> = {
  est: 'America/New_York',
  edt: 'America/New_York',
  et: 'America/New_York',
  'us/eastern': 'America/New_York',
  cst: 'America/Chicago',
  cdt: 'America/Chicago',
  ct: 'America/Chicago',
  'us/central': 'America/Chicago',
  mst: 'America/Denver',
  mdt: 'America/Denver',
  mt: 'America/Denver',
  'us/mountain': 'America/Denver',
  pst: 'America/Los_Angeles',
  pdt: 'America/Los_Angeles',
  pt: 'America/Los_Angeles',
  'us/pacific': 'America/Los_Angeles',
  gmt: 'UTC',
  utc: 'UTC',
  z: 'UTC',
  'etc/utc': 'UTC',
  bst: 'Europe/London',
  cet: 'Europe/Paris',
  cest: 'Europe/Paris',
};

/** A likely IANA name for a misspelt or abbreviated time zone (`EST`, `america/new_york`). */
export function suggestTimeZone(name: string): string | undefined {
  const lowered = name.trim().toLowerCase();
  const alias = ZONE_ALIASES[lowered];
  if (alias !== undefined) return alias;
  for (const zone of supportedZones()) {
    if (zone.toLowerCase() === lowered) return zone;
  }
  const spaced = lowered.replace(/ /g, '_');
  for (const zone of supportedZones()) {
    if (zone.toLowerCase() === spaced || zone.toLowerCase().endsWith(`/${spaced}`)) return zone;
  }
  return undefined;
}

/**
 * Says why `value` is not an acceptable absolute URL for a provider to fetch (hold music), or
 * `undefined`. Only `http:`/`https:`; no user:password part and no credential-looking query
 * parameters, because URLs end up in logs and provider dashboards. Parsed by hand rather than
 * with `URL`, which a Temporal workflow sandbox does not necessarily provide.
 */
export function publicUrlProblem(value: string): AddressProblem | undefined {
  if (value.length > 2048) return { message: 'the URL is longer than 2048 characters' };
  const match = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)([^?#]*)(\?[^#]*)?(#.*)?$/.exec(value);
  if (!match) return { message: 'not an absolute URL (expected https://...)' };
  const scheme = (match[1] ?? '').toLowerCase();
  if (scheme !== 'https' && scheme !== 'http') return { message: 'the URL must use https:// (or http://)' };
  const authority = match[2] ?? '';
  if (authority.includes('@')) {
    return { message: 'the URL must not contain a user name or password; never put credentials in URLs' };
  }
  if (/\s/.test(value)) return { message: 'the URL must not contain spaces' };
  if (authority === '') return { message: 'the URL needs a host (https://host/path)' };
  const hostPort = splitHostPort(authority);
  if ('message' in hostPort) return hostPort;
  for (const pair of (match[4] ?? '').slice(1).split('&')) {
    const key = decodeQueryKey(pair.split('=')[0] ?? '');
    if (key !== '' && /(?:key|token|secret|password|passwd|signature|sig|auth)$/i.test(key.replace(/[-_]/g, ''))) {
      return { message: `the URL has a credential-looking query parameter '${key}'; never put credentials in URLs` };
    }
  }
  return undefined;
}

function decodeQueryKey(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}
