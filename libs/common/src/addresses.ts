import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { formatIPv4, parseIp } from './ip.js';

/**
 * Which addresses a tenant-configured destination (webhook endpoint, LLM base URL, a redirect the
 * webhook worker follows) must not reach unless it is explicitly allowed to: everything that is
 * not a globally reachable unicast host. One policy, so the services that guard outgoing traffic
 * can never disagree about it.
 *
 * The policy judges bytes, not text (see `ip.ts`), and decodes every IPv6 form that carries an
 * IPv4 address before deciding, since a stack or a translator on the path delivers such traffic
 * to that IPv4 address: `::ffff:7f00:1`, `::7f00:1`, `::ffff:0:7f00:1`, `64:ff9b::7f00:1`,
 * `2002:7f00:1::` and `…:0:5efe:127.0.0.1` all mean 127.0.0.1.
 */

/** A prefix of an address family, with why it is on a list. */
interface Range {
  bytes: Uint8Array;
  length: number;
  why: string;
}

function range(cidr: string, why: string): Range {
  const [address = '', length = ''] = cidr.split('/');
  const parsed = parseIp(address);
  if (parsed === undefined) throw new Error(`bad range ${cidr}`);
  return { bytes: parsed.bytes, length: Number(length), why };
}

function contains(r: Range, bytes: Uint8Array): boolean {
  if (bytes.length !== r.bytes.length) return false;
  const whole = r.length >> 3;
  for (let i = 0; i < whole; i++) if (bytes[i] !== r.bytes[i]) return false;
  const bits = r.length & 7;
  if (bits === 0) return true;
  const mask = (0xff << (8 - bits)) & 0xff;
  return ((bytes[whole] ?? 0) & mask) === ((r.bytes[whole] ?? 0) & mask);
}

/**
 * IPv4 ranges refused: every entry of the IANA IPv4 Special-Purpose Address Registry that is not
 * globally reachable, plus multicast and the reserved class E space. Not listed, because they are
 * globally reachable hosts: 192.31.196.0/24 and 192.175.48.0/24 (AS112 DNS), 192.52.193.0/24
 * (AMT relays).
 */
const IPV4_BLOCKED: readonly Range[] = [
  // Connecting to 0.0.0.0 reaches the local host on Linux.
  range('0.0.0.0/8', '"this network" (RFC 791)'),
  range('10.0.0.0/8', 'private (RFC 1918)'),
  // Carrier-grade NAT, and the internal addresses of several clouds.
  range('100.64.0.0/10', 'shared address space (RFC 6598)'),
  range('127.0.0.0/8', 'loopback (RFC 1122)'),
  // Cloud metadata services live at 169.254.169.254.
  range('169.254.0.0/16', 'link-local (RFC 3927)'),
  range('172.16.0.0/12', 'private (RFC 1918)'),
  // DS-Lite, NAT64 discovery, dummy address; its two anycast services (PCP, TURN at .9 and .10)
  // are no webhook destinations either.
  range('192.0.0.0/24', 'IETF protocol assignments (RFC 6890)'),
  range('192.0.2.0/24', 'documentation, TEST-NET-1 (RFC 5737)'),
  // Traffic to it is handed to whichever 6to4 relay is nearest.
  range('192.88.99.0/24', 'deprecated 6to4 relay anycast (RFC 7526)'),
  range('192.168.0.0/16', 'private (RFC 1918)'),
  range('198.18.0.0/15', 'benchmarking (RFC 2544)'),
  range('198.51.100.0/24', 'documentation, TEST-NET-2 (RFC 5737)'),
  range('203.0.113.0/24', 'documentation, TEST-NET-3 (RFC 5737)'),
  range('224.0.0.0/4', 'multicast (RFC 5771)'),
  range('240.0.0.0/4', 'reserved (RFC 1112)'),
  // Inside 240.0.0.0/4, but a registry entry of its own.
  range('255.255.255.255/32', 'limited broadcast (RFC 919)'),
];

/**
 * IPv6 ranges refused whole: the entries of the IANA IPv6 Special-Purpose Address Registry that
 * are not globally reachable, and the non-unicast parts of the IPv6 address space. Everything
 * outside 2000::/3 is refused anyway (see {@link GLOBAL_UNICAST}) except the IPv4 translations
 * below; the entries there are listed to say what they are.
 */
const IPV6_BLOCKED: readonly Range[] = [
  range('::/128', 'unspecified (RFC 4291)'),
  range('::1/128', 'loopback (RFC 4291)'),
  // Which bits hold the IPv4 address depends on the prefix length the operator chose (/48 to
  // /96, RFC 6052), so the address cannot be decoded reliably; and the translator is local.
  range('64:ff9b:1::/48', 'local-use IPv4/IPv6 translation (RFC 8215)'),
  range('100::/64', 'discard-only (RFC 6666)'),
  range('100:0:0:1::/64', 'dummy prefix (IANA special-purpose registry)'),
  // Not globally reachable as a whole (IANA). It holds Teredo 2001::/32 (RFC 4380), refused whole
  // rather than decoded: a Teredo address is reached through a relay that sends UDP to the
  // client's obfuscated IPv4 address and port, so where the traffic lands depends on that relay
  // and on the client's NAT, not on the address alone; Teredo service has been withdrawn, and
  // no webhook lives behind it. Also benchmarking 2001:2::/48 (RFC 5180), ORCHID 2001:10::/28
  // (RFC 4843) and ORCHIDv2 2001:20::/28 (RFC 7343: identifiers, never routed as locators), and
  // anycast services (PCP, TURN, AMT, AS112, drone remote ID) that are no webhook destinations.
  range('2001::/23', 'IETF protocol assignments, Teredo included (RFC 2928)'),
  range('2001:db8::/32', 'documentation (RFC 3849)'),
  range('3fff::/20', 'documentation (RFC 9637)'),
  range('5f00::/16', 'SRv6 segment identifiers (RFC 9602)'),
  range('fc00::/7', 'unique local (RFC 4193)'),
  range('fe80::/10', 'link-local (RFC 4291)'),
  range('fec0::/10', 'site-local, deprecated (RFC 3879)'),
  range('ff00::/8', 'multicast (RFC 4291)'),
];

/**
 * IPv6 ranges whose addresses stand for one IPv4 address (the last 32 bits): that address
 * decides. `::ffff:0:0/96` is not globally reachable in the IANA registry for this very reason.
 */
const IPV4_TRANSLATIONS: readonly Range[] = [
  // A dual-stack socket connects to the IPv4 address itself.
  range('::ffff:0:0/96', 'IPv4-mapped (RFC 4291)'),
  // Linux's sit0 tunnels these to the IPv4 address. `::` and `::1` are refused above first.
  range('::/96', 'IPv4-compatible, deprecated (RFC 4291)'),
  range('::ffff:0:0:0/96', 'IPv4-translated (RFC 2765)'),
  // A NAT64 translator forwards to the IPv4 address; RFC 6052 forbids non-global ones in it.
  range('64:ff9b::/96', 'NAT64 well-known prefix (RFC 6052)'),
];

/** IANA allocates IPv6 unicast from 2000::/3 only; the rest is reserved, local or multicast. */
const GLOBAL_UNICAST = range('2000::/3', 'outside global unicast 2000::/3 (reserved by the IETF)');

/** 6to4 (RFC 3056): `2002:AABB:CCDD::/48` is the site behind IPv4 address AA.BB.CC.DD. */
const SIX_TO_FOUR = range('2002::/16', '6to4 (RFC 3056)');

/**
 * ISATAP (RFC 5214): an interface id of `0000:5efe` (or with the u/g bits, `0100`, `0200`,
 * `0300`) followed by an IPv4 address, under any /64. The ISATAP router delivers to that IPv4
 * address, so a non-public one is refused whatever the prefix.
 */
function isIsatap(bytes: Uint8Array): boolean {
  return ((bytes[8] ?? 0) & 0xfc) === 0 && bytes[9] === 0 && bytes[10] === 0x5e && bytes[11] === 0xfe;
}

function ipv4Reason(bytes: Uint8Array): string | undefined {
  return IPV4_BLOCKED.find((r) => contains(r, bytes))?.why;
}

function embedded(bytes: Uint8Array, at: number, form: string): string | undefined {
  const v4 = bytes.subarray(at, at + 4);
  const why = ipv4Reason(v4);
  return why === undefined ? undefined : `${form} of ${formatIPv4(v4)}, ${why}`;
}

function ipv6Reason(bytes: Uint8Array): string | undefined {
  const special = IPV6_BLOCKED.find((r) => contains(r, bytes));
  if (special !== undefined) return special.why;
  const translation = IPV4_TRANSLATIONS.find((r) => contains(r, bytes));
  if (translation !== undefined) return embedded(bytes, 12, translation.why);
  if (!contains(GLOBAL_UNICAST, bytes)) return GLOBAL_UNICAST.why;
  // A 6to4 address can also carry an ISATAP interface id: each embedding is checked.
  if (contains(SIX_TO_FOUR, bytes)) {
    const why = embedded(bytes, 2, SIX_TO_FOUR.why);
    if (why !== undefined) return why;
  }
  if (isIsatap(bytes)) return embedded(bytes, 12, 'ISATAP interface id (RFC 5214)');
  return undefined;
}

/**
 * Why `ip` is non-public (e.g. `NAT64 well-known prefix (RFC 6052) of 127.0.0.1, loopback
 * (RFC 1122)`), or `undefined` for a public address. Text that is not an IP address is
 * non-public: the policy fails closed.
 */
export function nonPublicReason(ip: string): string | undefined {
  const parsed = parseIp(ip);
  if (parsed === undefined) return 'not an IP address';
  return parsed.family === 4 ? ipv4Reason(parsed.bytes) : ipv6Reason(parsed.bytes);
}

/**
 * True when `ip` (any text form: see `ip.ts`) is not a globally reachable unicast address, IPv4
 * embedded in IPv6 judged as the IPv4 address it carries. Also true for text that is not an IP
 * address.
 */
export function isNonPublicAddress(ip: string): boolean {
  return nonPublicReason(ip) !== undefined;
}

/** Resolves a host (a name, an IP, or a bracketed IPv6) and returns its first non-public address, if any. */
export async function firstNonPublicAddress(host: string): Promise<string | undefined> {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  // An address literal is judged as written; only names go to DNS, whose answers are judged too.
  if (parseIp(bare) !== undefined || isIP(bare) !== 0) return isNonPublicAddress(bare) ? bare : undefined;
  const addresses = await lookup(bare, { all: true, verbatim: true });
  return addresses.find((a) => isNonPublicAddress(a.address))?.address;
}
