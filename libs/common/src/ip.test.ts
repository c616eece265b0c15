import { isIP } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseIp } from './ip.js';
import { formatV4, v6Text } from './ip-forms.test-support.js';

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });

describe('parseIp', () => {
  it('reads every text form of an IPv6 address to its 16 bytes', () => {
    fc.assert(
      fc.property(
        bytes(16).chain((b) => v6Text(b).map((text) => ({ b, text }))),
        ({ b, text }) => {
          expect(parseIp(text)).toEqual({ family: 6, bytes: b });
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('reads dotted-quad IPv4 to its 4 bytes', () => {
    fc.assert(
      fc.property(bytes(4), (b) => {
        expect(parseIp(formatV4(b))).toEqual({ family: 4, bytes: b });
      }),
    );
  });

  it("accepts exactly what Node's isIP accepts, on strings made of address characters", () => {
    const alphabet = fc.constantFrom(...'0123456789abcdefABCDEF:.%'.split(''), '::', 'ffff:', '255.', '%eth0');
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 24 }), (parts) => {
        const s = parts.join('');
        expect([s, parseIp(s)?.family ?? 0]).toEqual([s, isIP(s)]);
      }),
      { numRuns: 20_000 },
    );
  });

  it('takes brackets and zone ids off IPv6 only', () => {
    expect(parseIp('[::1]')?.family).toBe(6);
    expect(parseIp('[FE80::1%eth0]')?.bytes[0]).toBe(0xfe);
    expect(parseIp('[127.0.0.1]')).toBeUndefined();
    expect(parseIp('127.0.0.1%1')).toBeUndefined();
    expect(parseIp('[::1')).toBeUndefined();
    expect(parseIp('::1]')).toBeUndefined();
  });
});
