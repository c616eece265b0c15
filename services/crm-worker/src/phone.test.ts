import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nationalForm, phoneDigits, phoneSearchValues, toE164 } from './phone.js';

const e164 = fc.stringMatching(/^\+[1-9]\d{7,14}$/);
const nanp = fc.stringMatching(/^[2-9]\d{9}$/);
const separators = fc.array(fc.constantFrom(' ', '-', '.', '(', ')', '/', '\u00a0'), { maxLength: 2 });
const formatted = (number: string, seps: string[][]) =>
  [...number].map((ch, i) => (seps[i] ?? []).join('') + ch).join('');

describe('toE164', () => {
  it('gives back an E.164 number however it was formatted', () => {
    fc.assert(
      fc.property(e164, fc.array(separators, { maxLength: 16 }), (number, seps) => {
        expect(toE164(formatted(number, seps))).toBe(number);
        expect(toE164(`00${number.slice(1)}`)).toBe(number);
      }),
    );
  });

  it('is idempotent and only ever answers E.164 or nothing', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), e164, nanp), fc.constantFrom('1', '44', '49'), (raw, cc) => {
        const out = toE164(raw, cc);
        if (out !== undefined) {
          expect(out).toMatch(/^\+[1-9]\d{7,14}$/);
          expect(toE164(out, cc)).toBe(out);
        }
      }),
    );
  });

  it('puts the default country in front of national numbers', () => {
    fc.assert(
      fc.property(nanp, fc.array(separators, { maxLength: 10 }), (national, seps) => {
        expect(toE164(formatted(national, seps))).toBe(`+1${national}`);
        expect(toE164(`1${national}`)).toBe(`+1${national}`);
        expect(nationalForm(`+1${national}`)).toBe(national);
      }),
    );
    expect(toE164('(555) 123-4567 ext. 89')).toBe('+15551234567');
    expect(toE164('020 7946 0018', '44')).toBe('+442079460018');
    expect(nationalForm('+442079460018', '44')).toBe('02079460018');
    expect(toE164('+44 (0)20 7946 0018')).toBe('+442079460018');
    for (const bad of ['', 'call me', '123', '+0123456789', '555-CALL-NOW', '1 800 555 12'])
      expect(toE164(bad)).toBeUndefined();
  });
});

describe('phoneSearchValues', () => {
  it('searches E.164 first, then the given form, then the national form; at most three, no repeats', () => {
    fc.assert(
      fc.property(nanp, fc.array(separators, { maxLength: 10 }), (national, seps) => {
        const given = formatted(national, seps).trim();
        const values = phoneSearchValues(given);
        expect(values[0]).toBe(`+1${national}`);
        expect(values.length).toBeLessThanOrEqual(3);
        expect(new Set(values).size).toBe(values.length);
        expect(values).toContain(national);
        expect(values.map(phoneDigits)).toContain(national);
      }),
    );
    expect(phoneSearchValues('+15551234567')).toEqual(['+15551234567', '5551234567']);
    expect(phoneSearchValues(' +44 20 7946 0018 ')).toEqual(['+442079460018', '+44 20 7946 0018']);
    expect(phoneSearchValues('12345')).toEqual(['12345']);
    expect(phoneSearchValues('unknown')).toEqual([]);
  });
});
