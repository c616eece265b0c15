/**
 * A strict parser of IP address text into bytes, so that address policy judges numbers, never
 * spellings. Accepted: dotted-quad IPv4 (`10.0.0.1`) and every RFC 4291 text form of IPv6 —
 * zero compression (`::`), leading zeros in groups (`0000:0000::0001`), a dotted-quad tail
 * (`::ffff:127.0.0.1`), any letter case — optionally in brackets (`[::1]`, as in URLs) and with
 * a zone id (`fe80::1%eth0`, dropped: it names an interface, not an address).
 *
 * Deliberately refused: IPv4 with leading zeros (`010.0.0.1`, octal to `inet_aton`, decimal to
 * others), the short forms `127.1` and `2130706433`, and anything else that is not exactly one of
 * the forms above. A caller that refuses what cannot be parsed therefore fails closed.
 */

/** An IP address as bytes: 4 for IPv4, 16 for IPv6, in network order. */
export interface IpAddress {
  family: 4 | 6;
  bytes: Uint8Array;
}

/** Parses `text` (see the module comment for the forms), or `undefined` when it is not one. */
export function parseIp(text: string): IpAddress | undefined {
  let s = text;
  const bracketed = s.startsWith('[') && s.endsWith(']');
  if (bracketed) s = s.slice(1, -1);
  const percent = s.indexOf('%');
  const zoned = percent >= 0;
  if (zoned) {
    if (!isZone(s.slice(percent + 1))) return undefined;
    s = s.slice(0, percent);
  }
  // Brackets and zone ids belong to IPv6 only.
  if (!bracketed && !zoned) {
    const v4 = parseIPv4(s);
    if (v4 !== undefined) return { family: 4, bytes: v4 };
  }
  const v6 = parseIPv6(s.toLowerCase());
  return v6 === undefined ? undefined : { family: 6, bytes: v6 };
}

/** `a.b.c.d`, each part 0–255 in decimal without leading zeros. */
function parseIPv4(text: string): Uint8Array | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const bytes = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const part = parts[i] ?? '';
    if (part.length === 0 || part.length > 3 || !isDigits(part) || (part.length > 1 && part[0] === '0')) {
      return undefined;
    }
    const value = Number(part);
    if (value > 255) return undefined;
    bytes[i] = value;
  }
  return bytes;
}

/** Lower-case IPv6 text without brackets or zone id. */
function parseIPv6(text: string): Uint8Array | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const compressed = halves.length === 2;
  // A dotted-quad may only end the address: the head may hold it only when nothing follows.
  const head = groups(halves[0] ?? '', !compressed);
  const tail = compressed ? groups(halves[1] ?? '', true) : [];
  if (head === undefined || tail === undefined) return undefined;
  // Without `::` there are exactly eight groups; `::` stands for at least one group of zeros.
  if (compressed ? head.length + tail.length > 7 : head.length !== 8) return undefined;
  const bytes = new Uint8Array(16);
  const all = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  for (let i = 0; i < 8; i++) {
    const g = all[i] ?? 0;
    bytes[2 * i] = g >> 8;
    bytes[2 * i + 1] = g & 0xff;
  }
  return bytes;
}

/** The 16-bit groups of one side of `::`; a dotted-quad tail counts as two. */
function groups(part: string, mayEndInIPv4: boolean): number[] | undefined {
  if (part === '') return [];
  const tokens = part.split(':');
  const out: number[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] ?? '';
    if (mayEndInIPv4 && i === tokens.length - 1 && token.includes('.')) {
      const v4 = parseIPv4(token);
      if (v4 === undefined) return undefined;
      out.push(((v4[0] ?? 0) << 8) | (v4[1] ?? 0), ((v4[2] ?? 0) << 8) | (v4[3] ?? 0));
    } else {
      if (token.length === 0 || token.length > 4 || !isHex(token)) return undefined;
      out.push(Number.parseInt(token, 16));
    }
  }
  return out;
}

/** An interface name or number: letters, digits, `-`, `.` and `:`, as Node's `isIP` allows. */
function isZone(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const alnum = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
    if (!alnum && c !== 45 && c !== 46 && c !== 58) return false;
  }
  return true;
}

function isDigits(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

function isHex(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

/** `a.b.c.d` of four bytes. */
export function formatIPv4(bytes: Uint8Array): string {
  return Array.from(bytes.subarray(0, 4)).join('.');
}
