import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError } from './config.js';
import {
  isPlatformKeyShaped,
  matchesPlatformKey,
  newPlatformKey,
  parsePlatformKeyHashes,
  platformKeyHash,
} from './platform-keys.js';

describe('platform keys', () => {
  it('matches a new key against its own hash, and no other key', () => {
    const a = newPlatformKey();
    const b = newPlatformKey();
    expect(a.key).toMatch(/^sbp_/);
    expect(isPlatformKeyShaped(a.key)).toBe(true);
    expect(a.sha256).toBe(platformKeyHash(a.key));
    expect(matchesPlatformKey(a.key, [a.sha256])).toBe(true);
    expect(matchesPlatformKey(a.key, [b.sha256, a.sha256])).toBe(true);
    expect(matchesPlatformKey(b.key, [a.sha256])).toBe(false);
    expect(matchesPlatformKey(a.key, [])).toBe(false);
  });

  it('never takes a tenant key or a wrongly shaped token, even one whose hash is listed', () => {
    const tenantKey = 'sb_key_0123456789abcdef01234567_abcdefghijklmnopqrstuvwxyz';
    expect(isPlatformKeyShaped(tenantKey)).toBe(false);
    expect(matchesPlatformKey(tenantKey, [platformKeyHash(tenantKey)])).toBe(false);
    fc.assert(
      fc.property(fc.string(), (token) => {
        fc.pre(!isPlatformKeyShaped(token));
        expect(matchesPlatformKey(token, [platformKeyHash(token)])).toBe(false);
      }),
    );
  });

  it('parses PLATFORM_KEY_HASHES: comma-separated hex digests, empty for none, bad ones refused', () => {
    const { sha256 } = newPlatformKey();
    expect(parsePlatformKeyHashes(undefined)).toEqual([]);
    expect(parsePlatformKeyHashes(' ')).toEqual([]);
    expect(parsePlatformKeyHashes(` ${sha256.toUpperCase()} , ${sha256}`)).toEqual([sha256]);
    expect(() => parsePlatformKeyHashes(`${sha256},sbp_not-a-hash`)).toThrow(ConfigError);
    expect(() => parsePlatformKeyHashes(sha256.slice(1))).toThrow(/64 hex characters/);
  });
});
