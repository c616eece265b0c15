import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RETELL_SIGNATURE_TOLERANCE_MS, signRetell, verifyRetellSignature } from './retell-signature.js';

const KEY = 'key_2d9c0b6f1e8a';
const NOW = 1_764_000_000_000;

describe('Retell signatures', () => {
  it('accepts what Retell signs: HMAC-SHA256 of the raw body and the timestamp, hex', () => {
    const body = '{"name":"book","args":{"day":"monday"},"call":{"call_id":"c1"}}';
    const header = signRetell(body, KEY, NOW - 1000);
    expect(header).toMatch(/^v=\d+,d=[0-9a-f]{64}$/);
    expect(verifyRetellSignature(body, KEY, header, NOW)).toBeUndefined();
  });

  it('says why it refuses: missing, malformed, too old or too new, or not matching', () => {
    const body = '{"a":1}';
    expect(verifyRetellSignature(body, KEY, undefined, NOW)).toBe('missing');
    expect(verifyRetellSignature(body, KEY, 'sha256=abc', NOW)).toBe('malformed');
    const old = signRetell(body, KEY, NOW - RETELL_SIGNATURE_TOLERANCE_MS - 1);
    expect(verifyRetellSignature(body, KEY, old, NOW)).toBe('expired');
    const future = signRetell(body, KEY, NOW + RETELL_SIGNATURE_TOLERANCE_MS + 1);
    expect(verifyRetellSignature(body, KEY, future, NOW)).toBe('expired');
    expect(verifyRetellSignature(body, 'another key', signRetell(body, KEY, NOW), NOW)).toBe('mismatch');
    // Re-serialized JSON is another body: the raw bytes are what was signed.
    expect(verifyRetellSignature('{ "a": 1 }', KEY, signRetell(body, KEY, NOW), NOW)).toBe('mismatch');
  });

  it('refuses any change to the body or the timestamp (property)', () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.string({ minLength: 1 }),
        fc.integer({ min: 1, max: 60_000 }),
        (body, extra, shift) => {
          const header = signRetell(body, KEY, NOW);
          expect(verifyRetellSignature(body, KEY, header, NOW)).toBeUndefined();
          expect(verifyRetellSignature(body + extra, KEY, header, NOW)).toBe('mismatch');
          const moved = header.replace(/^v=\d+/, `v=${NOW - shift}`);
          expect(verifyRetellSignature(body, KEY, moved, NOW)).toBe('mismatch');
        },
      ),
    );
  });
});
