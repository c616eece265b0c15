import { describe, expect, it } from 'vitest';
import { checkRule, defaultRuleMessage } from './rules.js';

describe('validate rules', () => {
  it('required', () => {
    expect(checkRule('required', 'x', undefined)).toBe(true);
    expect(checkRule('required', 0, undefined)).toBe(true);
    expect(checkRule('required', false, undefined)).toBe(true);
    expect(checkRule('required', undefined, undefined)).toBe(false);
    expect(checkRule('required', null, undefined)).toBe(false);
    expect(checkRule('required', '   ', undefined)).toBe(false);
    expect(checkRule('required', [], undefined)).toBe(false);
  });
  it('email', () => {
    for (const ok of ['ada@example.com', 'first.last+tag@mail.example.co.uk', "o'brien@example.ie"])
      expect(checkRule('email', ok, undefined)).toBe(true);
    for (const bad of [
      'ada',
      'ada@',
      '@example.com',
      'ada@example',
      'ada example@x.com',
      'ada@-x.com',
      42,
      undefined,
    ]) {
      expect(checkRule('email', bad as never, undefined)).toBe(false);
    }
  });
  it('phone: optional +, 8–15 digits, separators allowed', () => {
    for (const ok of [
      '+15551234567',
      '+44 20 7946 0958',
      '(555) 123-4567',
      '555.123.4567',
      '+491701234567',
      12345678,
    ]) {
      expect(checkRule('phone', ok, undefined)).toBe(true);
    }
    for (const bad of ['1234567', '+1234567890123456', '+0123456789', 'call me', '+1 555 CALL NOW', undefined, null]) {
      expect(checkRule('phone', bad as never, undefined)).toBe(false);
    }
  });
  it('number', () => {
    for (const ok of [42, -3.5, '42', ' -3.5e2 ', '.5', '1.']) expect(checkRule('number', ok, undefined)).toBe(true);
    for (const bad of ['4 2', 'abc', '', '0x10', true, null, undefined, [1]])
      expect(checkRule('number', bad as never, undefined)).toBe(false);
  });
  it('min_length and max_length on strings (code points) and arrays', () => {
    expect(checkRule('min_length', 'abc', 3)).toBe(true);
    expect(checkRule('min_length', 'ab', 3)).toBe(false);
    expect(checkRule('min_length', ['a', 'b', 'c'], 3)).toBe(true);
    expect(checkRule('min_length', undefined, 1)).toBe(false);
    expect(checkRule('min_length', undefined, 0)).toBe(true);
    expect(checkRule('max_length', '😀😀', 2)).toBe(true);
    expect(checkRule('max_length', 'abc', 2)).toBe(false);
    expect(checkRule('max_length', undefined, 2)).toBe(true);
    expect(checkRule('max_length', 12, 5)).toBe(false);
  });
  it('pattern', () => {
    const zip = /^\d{5}$/;
    expect(checkRule('pattern', '12345', zip)).toBe(true);
    expect(checkRule('pattern', 12345, zip)).toBe(true);
    expect(checkRule('pattern', '1234', zip)).toBe(false);
    expect(checkRule('pattern', undefined, zip)).toBe(false);
    expect(checkRule('pattern', 'a'.repeat(10_001), /a/)).toBe(false);
  });
  it('has default messages', () => {
    expect(defaultRuleMessage('email', 'params.email', undefined)).toBe('params.email must be a valid email address');
    expect(defaultRuleMessage('min_length', 'params.name', 2)).toBe('params.name must be at least 2 long');
  });
});
