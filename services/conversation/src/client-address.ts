import { isIP } from 'node:net';

/**
 * The client a per-address limit counts against, from the request's address (`req.ip`, which
 * honours `TRUST_PROXY`): an IPv4 address as it is (IPv4-mapped IPv6 forms included, since a
 * dual-stack socket reports IPv4 clients that way); an IPv6 address by its /64 prefix, since one
 * subscriber usually holds a whole /64 and could otherwise take a fresh address per request.
 * Anything else (a Unix socket, an unparseable value) is its own client.
 */
export function clientAddressKey(ip: string): string {
  const bare = ip.replace(/%.*$/, '');
  if (isIP(bare) === 4) return bare;
  const groups = isIP(bare) === 6 ? ipv6Groups(bare) : undefined;
  if (!groups) return ip;
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    const [hi = 0, lo = 0] = groups.slice(6);
    return `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
  }
  return `${groups
    .slice(0, 4)
    .map((g) => g.toString(16))
    .join(':')}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address (`::` expanded, a dotted IPv4 tail converted). */
function ipv6Groups(ip: string): number[] | undefined {
  let text = ip;
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((g) => Number.parseInt(g, 16)));
  const front = parse(head);
  const back = tail === undefined ? [] : parse(tail);
  const groups = tail === undefined ? front : [...front, ...Array(8 - front.length - back.length).fill(0), ...back];
  return groups.length === 8 && groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff) ? groups : undefined;
}
