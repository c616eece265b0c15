import { describe, expect, it } from 'vitest';
import { isXmlChar } from './xml.js';

describe('isXmlChar', () => {
  it('allows tab, newline, carriage return and the ordinary planes', () => {
    for (const code of [0x9, 0xa, 0xd, 0x20, 0x41, 0xd7ff, 0xe000, 0xfffd, 0x10000, 0x1f600, 0x10ffff]) {
      expect(isXmlChar(code), code.toString(16)).toBe(true);
    }
  });
  it('refuses other controls, surrogates, U+FFFE/U+FFFF and beyond the last plane', () => {
    for (const code of [0x0, 0x8, 0xb, 0x1f, 0xd800, 0xdfff, 0xfffe, 0xffff, 0x110000]) {
      expect(isXmlChar(code), code.toString(16)).toBe(false);
    }
  });
});
