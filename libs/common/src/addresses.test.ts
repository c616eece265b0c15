/**
 * The address policy against a reference list written from the IANA special-purpose registries
 * (independently of the policy's own tables): addresses inside every refused prefix, and every
 * IPv4 embedding of every refused IPv4 range, in random text forms, are refused; public IPv4
 * addresses embedded in each form get the verdict of the IPv4 address, except in the prefixes
 * refused whole (Teredo, local-use NAT64).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { firstNonPublicAddress, isNonPublicAddress, nonPublicReason } from './addresses.js';
import { addressIn, cidr, formatV4, inPrefix, v6Text, writtenV6 } from './ip-forms.test-support.js';

/** IANA IPv4 special-purpose entries that are not globally reachable, multicast and class E. */
const REFUSED_V4 = [
  '0.0.0.0/8',
  '0.0.0.0/32',
  '10.0.0.0/8',
  '100.64.0.0/10',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '172.16.0.0/12',
  '192.0.0.0/24',
  '192.0.0.0/29',
  '192.0.0.8/32',
  '192.0.0.170/31',
  '192.0.2.0/24',
  '192.88.99.0/24',
  '192.168.0.0/16',
  '198.18.0.0/15',
  '198.51.100.0/24',
  '203.0.113.0/24',
  '224.0.0.0/4',
  '240.0.0.0/4',
  '255.255.255.255/32',
].map(cidr);

/** IPv6 prefixes refused whatever the rest of the address holds. */
const REFUSED_V6 = [
  '::/128',
  '::1/128',
  '64:ff9b:1::/48',
  '100::/64',
  '100:0:0:1::/64',
  '2001::/23',
  '2001::/32', // Teredo, refused whole
  '2001:2::/48',
  '2001:10::/28',
  '2001:20::/28',
  '2001:db8::/32',
  '3fff::/20',
  '5f00::/16',
  'fc00::/7',
  'fe80::/10',
  'fec0::/10',
  'ff00::/8',
  // Reserved by the IETF in the IPv6 address space registry (outside 2000::/3).
  '100::/8',
  '200::/7',
  '400::/6',
  '800::/5',
  '1000::/4',
  '4000::/3',
  '6000::/3',
  '8000::/3',
  'a000::/3',
  'c000::/3',
  'e000::/4',
  'f000::/5',
  'f800::/6',
  'fe00::/9',
].map(cidr);

const refusedV4 = (b: Uint8Array) => REFUSED_V4.some((r) => inPrefix(b, r));
const anyV4 = fc.uint8Array({ minLength: 4, maxLength: 4 });
const publicV4 = anyV4.filter((b) => !refusedV4(b));
const refusedV4Address = fc.constantFrom(...REFUSED_V4).chain(addressIn);
const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });

/** /64s under global unicast /32s of real networks, for prefixes that must not decide the verdict. */
const PUBLIC_32S = ['2a00:1450::', '2606:4700::', '2600:1f18::', '2a03:2880::', '2c0f:fb50::', '2400:cb00::'];
const publicV6Prefix = fc
  .tuple(fc.constantFrom(...PUBLIC_32S), bytes(4))
  .map(([p, rest]) => Uint8Array.from([...cidr(`${p}/32`).bytes.subarray(0, 4), ...rest]));

/** ISATAP's interface id is `[0-3]0:5efe` + IPv4; anything else in the low 64 bits is not. */
const notIsatap = (iid: Uint8Array) => !((iid[0] ?? 0) <= 3 && iid[1] === 0 && iid[2] === 0x5e && iid[3] === 0xfe);

type Embedding = (v4: Uint8Array) => fc.Arbitrary<Uint8Array>;
const of = (...parts: (number[] | Uint8Array)[]) => Uint8Array.from(parts.flatMap((p) => Array.from(p)));
const zeros = (n: number) => new Array<number>(n).fill(0);

/** Forms whose verdict is that of the IPv4 address they carry. */
const DECODED: Record<string, Embedding> = {
  'IPv4-mapped ::ffff:0:0/96': (v4) => fc.constant(of(zeros(10), [0xff, 0xff], v4)),
  'IPv4-compatible ::/96': (v4) => fc.constant(of(zeros(12), v4)),
  'IPv4-translated ::ffff:0:0:0/96': (v4) => fc.constant(of(zeros(8), [0xff, 0xff, 0, 0], v4)),
  'NAT64 64:ff9b::/96': (v4) => fc.constant(of([0, 0x64, 0xff, 0x9b], zeros(8), v4)),
  '6to4 2002::/16': (v4) =>
    fc.tuple(bytes(2), bytes(8).filter(notIsatap)).map(([subnet, iid]) => of([0x20, 0x02], v4, subnet, iid)),
  'ISATAP …:[0-3]00:5efe:a.b.c.d': (v4) =>
    fc.tuple(publicV6Prefix, fc.constantFrom(0, 1, 2, 3)).map(([prefix, u]) => of(prefix, [u, 0, 0x5e, 0xfe], v4)),
};

/** Forms refused whatever IPv4 address they carry. */
const REFUSED_WHOLE: Record<string, Embedding> = {
  'Teredo server': (v4) => fc.tuple(bytes(8)).map(([rest]) => of([0x20, 0x01, 0, 0], v4, rest)),
  // The client's address is stored inverted (RFC 4380).
  'Teredo client': (v4) =>
    fc.tuple(bytes(8)).map(([rest]) =>
      of(
        [0x20, 0x01, 0, 0],
        rest,
        v4.map((x) => x ^ 0xff),
      ),
    ),
  // The IPv4 address sits where the operator's prefix length puts it (RFC 6052 §2.2).
  'local-use NAT64 64:ff9b:1::/48': (v4) =>
    fc.tuple(fc.constantFrom(48, 56, 64, 96), bytes(10)).map(([len, rest]) => {
      const out = of([0, 0x64, 0xff, 0x9b, 0, 1], rest);
      const at = len === 96 ? [12, 13, 14, 15] : [len / 8, len / 8 + 1, len / 8 + 2, len / 8 + 3].map(skipU);
      at.forEach((pos, i) => {
        out[pos] = v4[i] ?? 0;
      });
      if (len !== 96) out[8] = 0;
      return out;
    }),
};
/** Bits 64–71 (the "u" octet) are skipped by RFC 6052 embeddings. */
const skipU = (pos: number) => (pos >= 8 ? pos + 1 : pos);

describe('address policy: reference list, every text form', () => {
  it('refuses every address of every refused IPv4 range', () => {
    fc.assert(
      fc.property(refusedV4Address, (v4) => {
        expect(isNonPublicAddress(formatV4(v4))).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses every address of every refused IPv6 prefix, however it is written', () => {
    fc.assert(
      fc.property(writtenV6(fc.constantFrom(...REFUSED_V6).chain(addressIn)), ({ text }) => {
        expect(nonPublicReason(text)).toBeDefined();
      }),
      { numRuns: 5000 },
    );
  });

  it.each(Object.keys(DECODED))('refuses refused IPv4 ranges embedded as %s', (form) => {
    const embed = DECODED[form] as Embedding;
    fc.assert(
      fc.property(writtenV6(refusedV4Address.chain(embed)), ({ text }) => {
        expect(nonPublicReason(text)).toBeDefined();
      }),
      { numRuns: 2000 },
    );
  });

  it.each(Object.keys(DECODED))('judges a public IPv4 address embedded as %s as public', (form) => {
    const embed = DECODED[form] as Embedding;
    fc.assert(
      fc.property(writtenV6(publicV4.chain(embed)), ({ text }) => {
        expect(nonPublicReason(text)).toBeUndefined();
      }),
      { numRuns: 1000 },
    );
  });

  it.each(Object.keys(REFUSED_WHOLE))('refuses %s addresses whatever IPv4 address they carry', (form) => {
    const embed = REFUSED_WHOLE[form] as Embedding;
    fc.assert(
      fc.property(writtenV6(anyV4.chain(embed)), ({ text }) => {
        expect(nonPublicReason(text)).toBeDefined();
      }),
      { numRuns: 1000 },
    );
  });

  it('refuses a 6to4 address of a public site whose interface id is ISATAP of a refused address', () => {
    const address = fc
      .tuple(publicV4, bytes(2), fc.constantFrom(0, 2), refusedV4Address)
      .map(([site, subnet, u, inner]) => of([0x20, 0x02], site, subnet, [u, 0, 0x5e, 0xfe], inner));
    fc.assert(
      fc.property(writtenV6(address), ({ text }) => {
        expect(isNonPublicAddress(text)).toBe(true);
      }),
    );
  });

  it('allows public IPv4 and global unicast IPv6 addresses, however they are written', () => {
    fc.assert(
      fc.property(publicV4, (v4) => {
        expect(isNonPublicAddress(formatV4(v4))).toBe(false);
      }),
      { numRuns: 2000 },
    );
    const globalV6 = fc.tuple(publicV6Prefix, bytes(8).filter(notIsatap)).map((p) => of(...p));
    fc.assert(
      fc.property(writtenV6(globalV6), ({ text }) => {
        expect(nonPublicReason(text)).toBeUndefined();
      }),
      { numRuns: 2000 },
    );
  });
});

describe('address policy: the issue and its relatives, by example', () => {
  it.each([
    // IPv4-embedded IPv6 forms of loopback and private addresses (issue 12, item 5).
    ['::7f00:1', 'IPv4-compatible, deprecated (RFC 4291) of 127.0.0.1'],
    ['::127.0.0.1', 'IPv4-compatible, deprecated (RFC 4291) of 127.0.0.1'],
    ['64:ff9b::7f00:1', 'NAT64 well-known prefix (RFC 6052) of 127.0.0.1'],
    ['64:ff9b::10.0.0.1', 'NAT64 well-known prefix (RFC 6052) of 10.0.0.1'],
    ['64:ff9b::a9fe:a9fe', 'NAT64 well-known prefix (RFC 6052) of 169.254.169.254'],
    ['64:ff9b:1::7f00:1', 'local-use IPv4/IPv6 translation (RFC 8215)'],
    ['64:ff9b:1:0808:0008:0800::', 'local-use IPv4/IPv6 translation (RFC 8215)'],
    ['2002:7f00:1::', '6to4 (RFC 3056) of 127.0.0.1'],
    ['2002:a9fe:a9fe::1', '6to4 (RFC 3056) of 169.254.169.254'],
    ['::ffff:0:7f00:1', 'IPv4-translated (RFC 2765) of 127.0.0.1'],
    ['::ffff:0:127.0.0.1', 'IPv4-translated (RFC 2765) of 127.0.0.1'],
    ['::ffff:7f00:1', 'IPv4-mapped (RFC 4291) of 127.0.0.1'],
    ['::FFFF:7F00:0001', 'IPv4-mapped (RFC 4291) of 127.0.0.1'],
    ['0:0:0:0:0:ffff:127.0.0.1', 'IPv4-mapped (RFC 4291) of 127.0.0.1'],
    ['[::ffff:127.0.0.1]', 'IPv4-mapped (RFC 4291) of 127.0.0.1'],
    ['::ffff:c0a8:101', 'IPv4-mapped (RFC 4291) of 192.168.1.1'],
    // Teredo: server 65.54.227.120, client 192.0.2.45 — and with a public client.
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'Teredo'],
    ['2001:0:4136:e378:8000:63bf:f7f7:f7f7', 'Teredo'],
    ['2a00:1450:4001:81c:200:5efe:10.0.0.1', 'ISATAP interface id (RFC 5214) of 10.0.0.1'],
    ['2a00:1450:4001:81c:0:5efe:7f00:1', 'ISATAP interface id (RFC 5214) of 127.0.0.1'],
    ['fe80::5efe:a00:1', 'link-local (RFC 4291)'],
    // Completed IPv4 list.
    ['192.0.2.1', 'TEST-NET-1'],
    ['198.51.100.7', 'TEST-NET-2'],
    ['203.0.113.200', 'TEST-NET-3'],
    ['255.255.255.255', 'reserved (RFC 1112)'],
    ['192.88.99.1', '6to4 relay anycast'],
    ['192.0.0.170', 'IETF protocol assignments'],
    // Completed IPv6 list.
    ['100::1', 'discard-only (RFC 6666)'],
    ['2001:db8::1', 'documentation (RFC 3849)'],
    ['3fff:fff::1', 'documentation (RFC 9637)'],
    ['fec0::1', 'site-local'],
    ['2001:10::1', 'IETF protocol assignments'],
    ['2001:20::1', 'IETF protocol assignments'],
    ['2001:2::1', 'IETF protocol assignments'],
    ['5f00::1', 'SRv6'],
    ['4000::1', 'outside global unicast'],
    // Text forms.
    ['fe80::1%eth0', 'link-local'],
    ['[fe80::1%25]', 'link-local'],
    ['0000:0000:0000:0000:0000:0000:0000:0001', 'loopback'],
    ['[::1]', 'loopback'],
    ['::', 'unspecified'],
    // Not one of the accepted forms: refused (fail closed) rather than guessed.
    ['127.000.000.001', 'not an IP address'],
    ['010.8.8.8', 'not an IP address'],
    ['2130706433', 'not an IP address'],
    ['127.1', 'not an IP address'],
    ['::ffff:127.0.0.01', 'not an IP address'],
    ['1:2:3:4:5:6:7:8:9', 'not an IP address'],
    ['::00001', 'not an IP address'],
    ['1::2::3', 'not an IP address'],
    ['[127.0.0.1]', 'not an IP address'],
    ['8.8.8.8%eth0', 'not an IP address'],
    ['::1%', 'not an IP address'],
    ['not-an-ip', 'not an IP address'],
    ['', 'not an IP address'],
  ])('refuses %s (%s)', (ip, why) => {
    expect(nonPublicReason(ip)).toContain(why);
  });

  it.each([
    '8.8.8.8',
    '1.1.1.1',
    '172.32.0.1',
    '192.31.196.1',
    '::ffff:8.8.8.8',
    '::ffff:808:808',
    '::808:808',
    '::ffff:0:808:808',
    '64:ff9b::8.8.8.8',
    '2002:808:808::1',
    '2606:4700:4700::1111',
    '2606:4700:4700:0:0:0:0:1111',
    '[2606:4700:4700::1111]',
    '2a00:1450:4001:81c:200:5efe:8.8.8.8',
    '2620:4f:8000::1',
  ])('allows %s', (ip) => {
    expect(nonPublicReason(ip)).toBeUndefined();
  });

  it('judges literals as written and names by what they resolve to', async () => {
    expect(await firstNonPublicAddress('[::ffff:7f00:1]')).toBe('::ffff:7f00:1');
    expect(await firstNonPublicAddress('64:ff9b::7f00:1')).toBe('64:ff9b::7f00:1');
    expect(await firstNonPublicAddress('[2606:4700:4700::1111]')).toBeUndefined();
    expect(await firstNonPublicAddress('localhost')).toMatch(/^(127\.0\.0\.1|::1)$/);
  });
});

describe('text forms (the generator checked against the URL parser)', () => {
  it('writes forms the WHATWG URL parser reads back to the same address', () => {
    fc.assert(
      fc.property(
        bytes(16).chain((b) => v6Text(b).map((text) => ({ b, text }))),
        ({ b, text }) => {
          const bare = text.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
          expect(cidr(`${bare}/128`).bytes).toEqual(b);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
