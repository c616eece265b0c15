import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { SwitchboardError } from '@switchboard/common';

/**
 * The ranges a tenant-configured LLM endpoint must not reach unless the agent allows private
 * addresses: the same list as the webhook worker's address policy (loopback, private,
 * link-local with cloud metadata, CGNAT, unspecified, multicast), for IPv4 and IPv6.
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

/** True when `ip` is not a public address (IPv4-mapped IPv6 is judged as IPv4). */
export function isNonPublicAddress(ip: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped?.[1]) return blocked.check(mapped[1], 'ipv4');
  const family = isIP(ip);
  if (family === 4) return blocked.check(ip, 'ipv4');
  if (family === 6) return blocked.check(ip, 'ipv6');
  return true;
}

/**
 * Refuses an LLM base URL whose host resolves to a non-public address, unless the agent allows
 * private endpoints. Checked before each turn's first request; the resolution is not pinned to
 * the connection, so this stops configuration mistakes and plain internal URLs, not a
 * DNS-rebinding attacker (the webhook worker's connect-time guard does that for webhooks).
 *
 * @throws {SwitchboardError} `llm_endpoint_not_allowed` (not retryable).
 */
export async function assertLlmEndpointAllowed(baseUrl: string, allowPrivate: boolean): Promise<void> {
  if (allowPrivate) return;
  const host = new URL(baseUrl).hostname;
  const bare = host.startsWith('[') ? host.slice(1, -1) : host;
  const addresses = isIP(bare)
    ? [{ address: bare }]
    : await lookup(bare, { all: true, verbatim: true }).catch(() => [] as { address: string }[]);
  const bad = addresses.find((a) => isNonPublicAddress(a.address));
  if (bad) {
    throw new SwitchboardError(
      'llm_endpoint_not_allowed',
      `the agent's LLM endpoint ${host} is on a non-public address; set llm.allow_private to use it`,
      { retryable: false, details: { host } },
    );
  }
}
