import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/**
 * Addresses a tenant's webhook must not reach unless the endpoint is explicitly allowed to:
 * loopback, private ranges, link-local (cloud metadata at 169.254.169.254 included), CGNAT,
 * unspecified and multicast, for IPv4 and IPv6.
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

/** Resolves a host and returns the first non-public address it maps to, if any. */
export async function firstNonPublicAddress(host: string): Promise<string | undefined> {
  const bare = host.startsWith('[') ? host.slice(1, -1) : host;
  const addresses = isIP(bare) ? [{ address: bare }] : await lookup(bare, { all: true, verbatim: true });
  return addresses.find((a) => isNonPublicAddress(a.address))?.address;
}

/** Thrown (through the socket) when a connection would reach an address the policy refuses. */
export class NonPublicAddressError extends Error {
  readonly code = 'ERR_NON_PUBLIC_ADDRESS';
  constructor(
    readonly host: string,
    readonly address: string,
  ) {
    super(`${host} resolves to a non-public address (${address})`);
    this.name = 'NonPublicAddressError';
  }
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for `net.connect` that refuses hosts resolving to any non-public address. Used at
 * connect time (not before the request), so the address judged is the address connected to:
 * a name that resolves to a public address once and to a private one a moment later (DNS
 * rebinding) cannot slip through. Handles both the single-address and the `all` form (Node's
 * happy-eyeballs connect asks for every address).
 */
export function guardedLookup(hostname: string, options: LookupOptions, callback: LookupCallback): void {
  dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, []);
    const bad = addresses.find((a) => isNonPublicAddress(a.address));
    if (bad) return callback(new NonPublicAddressError(hostname, bad.address) as NodeJS.ErrnoException, []);
    if (options.all) return callback(null, addresses);
    const first = addresses[0];
    if (!first) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), []);
    return callback(null, first.address, first.family);
  });
}

/**
 * True when every address `host` resolves to is non-public (loopback, private, link-local…):
 * a host only reachable inside our network, where plain `http:` does not cross the Internet.
 */
export async function isLocalOnlyHost(host: string): Promise<boolean> {
  const bare = host.startsWith('[') ? host.slice(1, -1) : host;
  const addresses = isIP(bare) ? [{ address: bare }] : await lookup(bare, { all: true, verbatim: true });
  return addresses.length > 0 && addresses.every((a) => isNonPublicAddress(a.address));
}
