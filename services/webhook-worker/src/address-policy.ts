import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { firstNonPublicAddress, isNonPublicAddress } from '@switchboard/common';

export { firstNonPublicAddress, isNonPublicAddress };

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
