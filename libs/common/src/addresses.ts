import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/**
 * Addresses a tenant-configured destination (webhook endpoint, LLM base URL) must not reach
 * unless it is explicitly allowed to: loopback, private ranges, link-local (cloud metadata at
 * 169.254.169.254 included), CGNAT, unspecified and multicast, for IPv4 and IPv6. One list, so
 * the services that guard outgoing traffic can never disagree about it.
 */
const blocked = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  blocked.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  blocked.addSubnet(net, prefix, 'ipv6');
}

/** True when `ip` is in a non-public range. IPv4-mapped IPv6 addresses are checked as IPv4. */
export function isNonPublicAddress(ip: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped?.[1]) return blocked.check(mapped[1], 'ipv4');
  const family = isIP(ip);
  if (family === 4) return blocked.check(ip, 'ipv4');
  if (family === 6) return blocked.check(ip, 'ipv6');
  return true;
}

/** Resolves a host (a name, an IP, or a bracketed IPv6) and returns its first non-public address, if any. */
export async function firstNonPublicAddress(host: string): Promise<string | undefined> {
  const bare = host.startsWith('[') ? host.slice(1, -1) : host;
  const addresses = isIP(bare) ? [{ address: bare }] : await lookup(bare, { all: true, verbatim: true });
  return addresses.find((a) => isNonPublicAddress(a.address))?.address;
}
