import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clientAddressKey } from './client-address.js';

/** Every way of writing one IPv6 address: groups with or without leading zeros, any run of zeros as `::`. */
function spellings(groups: number[]): string[] {
  const full = groups.map((g) => g.toString(16));
  const padded = groups.map((g) => g.toString(16).padStart(4, '0'));
  const out = [full.join(':'), padded.join(':').toUpperCase()];
  for (let i = 0; i < 8; i++) {
    for (let j = i + 1; j <= 8; j++) {
      if (groups.slice(i, j).every((g) => g === 0))
        out.push(`${full.slice(0, i).join(':')}::${full.slice(j).join(':')}`);
    }
  }
  return out;
}

describe('clientAddressKey', () => {
  it('counts IPv4 clients by address, however the socket reports them', () => {
    expect(clientAddressKey('203.0.113.7')).toBe('203.0.113.7');
    expect(clientAddressKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(clientAddressKey('::FFFF:cb00:7107')).toBe('203.0.113.7');
    expect(clientAddressKey('0:0:0:0:0:ffff:203.0.113.7')).toBe('203.0.113.7');
  });

  it('counts IPv6 clients by their /64, one key for every spelling of it', () => {
    expect(clientAddressKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(clientAddressKey('2001:db8:1:2:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64');
    expect(clientAddressKey('2001:db8:1:3::1')).toBe('2001:db8:1:3::/64');
    expect(clientAddressKey('::1')).toBe('0:0:0:0::/64');
    expect(clientAddressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    const group = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffff }));
    fc.assert(
      fc.property(fc.array(group, { minLength: 8, maxLength: 8 }), (groups) => {
        fc.pre(!(groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff));
        const expected = `${groups
          .slice(0, 4)
          .map((g) => g.toString(16))
          .join(':')}::/64`;
        for (const spelling of spellings(groups)) expect(clientAddressKey(spelling), spelling).toBe(expected);
      }),
    );
  });

  it('keeps anything that is not an IP address as it is', () => {
    expect(clientAddressKey('')).toBe('');
    expect(clientAddressKey('unix:/tmp/sock')).toBe('unix:/tmp/sock');
  });
});
