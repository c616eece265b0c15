import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { computeTwilioSignature, verifyTwilioSignature } from './twilio.js';

describe('X-Twilio-Signature', () => {
  const url = 'https://mycompany.com/myapp.php?foo=1&bar=2';
  const params = {
    CallSid: 'CA1234567890ABCDE',
    Caller: '+14158675309',
    Digits: '1234',
    From: '+14158675309',
    To: '+18005551212',
  };

  it("matches the example of Twilio's helper libraries", () => {
    expect(computeTwilioSignature('12345', url, params)).toBe('RSOYDt4T1cUTdK1PDd93/VVr8B8=');
    expect(verifyTwilioSignature('12345', url, params, 'RSOYDt4T1cUTdK1PDd93/VVr8B8=')).toBe(true);
  });

  it('rejects tampering: another token, URL, parameter value, extra or missing parameter', () => {
    const good = 'RSOYDt4T1cUTdK1PDd93/VVr8B8=';
    expect(verifyTwilioSignature('54321', url, params, good)).toBe(false);
    expect(verifyTwilioSignature('12345', `${url}&x=1`, params, good)).toBe(false);
    expect(verifyTwilioSignature('12345', url, { ...params, Digits: '1235' }, good)).toBe(false);
    expect(verifyTwilioSignature('12345', url, { ...params, Extra: '' }, good)).toBe(false);
    const { Digits: _dropped, ...fewer } = params;
    expect(verifyTwilioSignature('12345', url, fewer, good)).toBe(false);
    expect(verifyTwilioSignature('12345', url, params, undefined)).toBe(false);
    expect(verifyTwilioSignature('12345', url, params, '')).toBe(false);
    expect(verifyTwilioSignature('12345', url, params, 'short')).toBe(false);
  });

  it('accepts the URL with or without the default port', () => {
    const sig = computeTwilioSignature('tok', 'https://example.com:443/hook', { A: '1' });
    expect(verifyTwilioSignature('tok', 'https://example.com/hook', { A: '1' }, sig)).toBe(true);
    const sig2 = computeTwilioSignature('tok', 'https://example.com/hook', { A: '1' });
    expect(verifyTwilioSignature('tok', 'https://example.com:443/hook', { A: '1' }, sig2)).toBe(true);
    expect(verifyTwilioSignature('tok', 'https://example.com:8443/hook', { A: '1' }, sig2)).toBe(false);
  });

  it('signs repeated parameters like Twilio (distinct values, sorted)', () => {
    const a = computeTwilioSignature('tok', 'https://x/h', { MediaUrl: ['b', 'a', 'b'], Body: 'x' });
    expect(a).toBe(computeTwilioSignature('tok', 'https://x/h', { Body: 'x', MediaUrl: ['a', 'b'] }));
  });

  it('round-trips and detects any single change (property)', () => {
    const text = fc.string({ unit: 'grapheme', maxLength: 20 });
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 32 }),
        fc.dictionary(fc.string({ minLength: 1, maxLength: 10 }), text, { minKeys: 1 }),
        (token, p) => {
          const sig = computeTwilioSignature(token, 'https://hooks.example.com/sms', p);
          expect(verifyTwilioSignature(token, 'https://hooks.example.com/sms', p, sig)).toBe(true);
          const first = Object.keys(p)[0] as string;
          const changed = { ...p, [first]: `${p[first]}!` };
          expect(verifyTwilioSignature(token, 'https://hooks.example.com/sms', changed, sig)).toBe(false);
        },
      ),
      { numRuns: 200 },
    );
  });
});
