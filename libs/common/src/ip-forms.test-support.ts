/**
 * Test support: fast-check arbitraries that write one address in the many text forms an IPv6
 * address has (zero compression anywhere, padded groups, mixed case, dotted-quad tail, brackets,
 * zone ids), and addresses inside a prefix. Written independently of `ip.ts`, which they test.
 */
import fc from 'fast-check';

/** `a.b.c.d/n` or `x::/n` as bytes and length, parsed without `ip.ts` (via the URL parser). */
export function cidr(text: string): { bytes: Uint8Array; length: number } {
  const [address = '', length = ''] = text.split('/');
  return { bytes: address.includes(':') ? v6Bytes(address) : v4Bytes(address), length: Number(length) };
}

/** IPv4 text to bytes, through the WHATWG URL parser (an oracle independent of ours). */
export function v4Bytes(text: string): Uint8Array {
  return Uint8Array.from(new URL(`http://${text}/`).hostname.split('.').map(Number));
}

/** IPv6 text to bytes, through the WHATWG URL parser, which serialises to eight groups or `::`. */
export function v6Bytes(text: string): Uint8Array {
  const host = new URL(`http://[${text}]/`).hostname.slice(1, -1);
  const [head = '', tail] = host.split('::');
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t].map((g) => Number.parseInt(g, 16));
  const bytes = new Uint8Array(16);
  groups.forEach((g, i) => {
    bytes[2 * i] = g >> 8;
    bytes[2 * i + 1] = g & 0xff;
  });
  return bytes;
}

export function inPrefix(bytes: Uint8Array, prefix: { bytes: Uint8Array; length: number }): boolean {
  if (bytes.length !== prefix.bytes.length) return false;
  for (let bit = 0; bit < prefix.length; bit++) {
    const mask = 0x80 >> (bit & 7);
    if (((bytes[bit >> 3] ?? 0) & mask) !== ((prefix.bytes[bit >> 3] ?? 0) & mask)) return false;
  }
  return true;
}

/** Random addresses inside `prefix`. */
export function addressIn(prefix: { bytes: Uint8Array; length: number }): fc.Arbitrary<Uint8Array> {
  const n = prefix.bytes.length;
  return fc.uint8Array({ minLength: n, maxLength: n }).map((random) => {
    const out = Uint8Array.from(random);
    for (let bit = 0; bit < prefix.length; bit++) {
      const mask = 0x80 >> (bit & 7);
      const i = bit >> 3;
      out[i] = ((out[i] ?? 0) & ~mask) | ((prefix.bytes[i] ?? 0) & mask);
    }
    return out;
  });
}

export const formatV4 = (b: Uint8Array) => Array.from(b).join('.');

/** How to write one IPv6 address; every field is drawn at random. */
interface V6Style {
  dottedTail: boolean;
  /** Which run of zero groups `::` replaces: index among the candidate runs, or none. */
  compress: number | undefined;
  /** Extra leading zeros per group (0–3, capped at 4 digits). */
  pads: number[];
  /** Upper-case each hex letter or not, per group. */
  upper: boolean[];
  brackets: boolean;
  zone: string | undefined;
}

const styles: fc.Arbitrary<V6Style> = fc.record({
  dottedTail: fc.boolean(),
  compress: fc.option(fc.nat({ max: 7 }), { nil: undefined }),
  pads: fc.array(fc.nat({ max: 3 }), { minLength: 8, maxLength: 8 }),
  upper: fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
  brackets: fc.boolean(),
  zone: fc.option(fc.constantFrom('eth0', '1', 'en0', 'lo'), { nil: undefined }),
});

function write(bytes: Uint8Array, style: V6Style): string {
  if (bytes.length !== 16) throw new Error(`an IPv6 address has 16 bytes, not ${bytes.length}`);
  const groups = Array.from({ length: 8 }, (_, i) => ((bytes[2 * i] ?? 0) << 8) | (bytes[2 * i + 1] ?? 0));
  const hexCount = style.dottedTail ? 6 : 8;
  const text = groups.slice(0, hexCount).map((g, i) => {
    const digits = g.toString(16);
    const padded = '0'.repeat(Math.min(style.pads[i] ?? 0, 4 - digits.length)) + digits;
    return style.upper[i] ? padded.toUpperCase() : padded;
  });
  if (style.dottedTail) text.push(formatV4(bytes.subarray(12, 16)));
  // Every maximal or partial run of zero groups among the hex groups can be compressed.
  const runs: [number, number][] = [];
  for (let start = 0; start < hexCount; start++) {
    for (let end = start + 1; end <= hexCount && groups[end - 1] === 0; end++) runs.push([start, end]);
  }
  let address: string;
  const run = style.compress === undefined || runs.length === 0 ? undefined : runs[style.compress % runs.length];
  if (run === undefined) {
    address = text.join(':');
  } else {
    address = `${text.slice(0, run[0]).join(':')}::${text.slice(run[1]).join(':')}`;
  }
  if (style.zone !== undefined) address = `${address}%${style.zone}`;
  return style.brackets ? `[${address}]` : address;
}

/** Random text forms of one IPv6 address. */
export function v6Text(bytes: Uint8Array): fc.Arbitrary<string> {
  return styles.map((style) => write(bytes, style));
}

/** Random text forms of random IPv6 addresses from `addresses`, with the bytes they encode. */
export function writtenV6(addresses: fc.Arbitrary<Uint8Array>): fc.Arbitrary<{ bytes: Uint8Array; text: string }> {
  return addresses.chain((bytes) => v6Text(bytes).map((text) => ({ bytes, text })));
}
