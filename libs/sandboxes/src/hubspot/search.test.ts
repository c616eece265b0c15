import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { matchesFilter, phoneKey, phonesMatch } from './search.js';

/** Random E.164 numbers and the ways people write them. */
const e164 = fc.stringMatching(/^\+[1-9]\d{7,14}$/);
const separators = fc.array(fc.constantFrom(' ', '-', '.', '(', ')', '/'), { maxLength: 2 });
function formatted(number: string, seps: string[][]): string {
  return [...number].map((ch, i) => (seps[i] ?? []).join('') + ch).join('');
}

describe('phone matching', () => {
  it('ignores formatting characters and the 00 prefix', () => {
    fc.assert(
      fc.property(e164, fc.array(separators, { maxLength: 16 }), fc.boolean(), (number, seps, useZeros) => {
        const written = formatted(useZeros ? `00${number.slice(1)}` : number, seps);
        expect(phonesMatch(written, number)).toBe(true);
        expect(phoneKey(written)).toBe(number.slice(1));
      }),
    );
  });

  it('never equates different digit strings, nor values without digits', () => {
    fc.assert(
      fc.property(e164, e164, (a, b) => {
        fc.pre(a !== b);
        expect(phonesMatch(a, b)).toBe(false);
      }),
    );
    expect(phonesMatch('n/a', 'none')).toBe(false);
  });

  it('applies to EQ on phone properties only; other properties compare case-insensitively', () => {
    expect(matchesFilter({ propertyName: 'phone', operator: 'EQ', value: '+1 555 123 4567' }, '+15551234567')).toBe(
      true,
    );
    expect(matchesFilter({ propertyName: 'fax', operator: 'EQ', value: '+1 555 123 4567' }, '+15551234567')).toBe(
      false,
    );
    expect(matchesFilter({ propertyName: 'email', operator: 'EQ', value: 'A@B.CO' }, 'a@b.co')).toBe(true);
    expect(matchesFilter({ propertyName: 'email', operator: 'NEQ', value: 'a@b.co' }, undefined)).toBe(true);
    expect(matchesFilter({ propertyName: 'n', operator: 'BETWEEN', value: '2', highValue: '10' }, '9')).toBe(true);
    expect(
      matchesFilter({ propertyName: 'phone', operator: 'CONTAINS_TOKEN', value: '(555) 123-4567' }, '555 123 4567'),
    ).toBe(true);
  });
});
