/**
 * Platform-admin API keys: the keys that create, list and disable tenants, and nothing else.
 *
 * They are not rows of any tenant: the conversation service is given the SHA-256 of each
 * (`PLATFORM_KEY_HASHES`, hex, comma-separated so a new key can be added before the old one is
 * removed) and keeps no secret. `switchboard platform-key` makes one; the dev stack makes one
 * per start. The `sbp_` prefix tells them apart from tenant keys (`sb_key_…`) at a glance, and
 * lets each side refuse the other's keys with a clear code.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { ConfigError } from './config.js';

/** How every platform key begins. */
export const PLATFORM_KEY_PREFIX = 'sbp_';

const SHAPE = /^sbp_[A-Za-z0-9_-]{32,128}$/;
const HEX_SHA256 = /^[0-9a-f]{64}$/;

/** Whether `token` has the shape of a platform key (says nothing of whether it is one). */
export function isPlatformKeyShaped(token: string): boolean {
  return SHAPE.test(token);
}

/** The hex SHA-256 of a platform key: what `PLATFORM_KEY_HASHES` holds. */
export function platformKeyHash(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** A new platform key (256 random bits) and its hash; the key is shown once and never stored. */
export function newPlatformKey(): { key: string; sha256: string } {
  const key = `${PLATFORM_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
  return { key, sha256: platformKeyHash(key) };
}

/**
 * Parses `PLATFORM_KEY_HASHES`: hex SHA-256 digests, comma-separated (spaces and case ignored).
 * Empty or absent: no platform key, so every platform route answers 401.
 */
export function parsePlatformKeyHashes(spec: string | undefined): string[] {
  const hashes = (spec ?? '')
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter((h) => h !== '');
  const bad = hashes.filter((h) => !HEX_SHA256.test(h));
  if (bad.length > 0) {
    throw new ConfigError([
      `PLATFORM_KEY_HASHES must be hex SHA-256 digests (64 hex characters, from \`switchboard platform-key\`), comma-separated; ${bad.length} ${bad.length === 1 ? 'is' : 'are'} not`,
    ]);
  }
  return [...new Set(hashes)];
}

/** Whether `token` is one of the platform keys whose hashes are given (compared in constant time). */
export function matchesPlatformKey(token: string, hashes: readonly string[]): boolean {
  if (!isPlatformKeyShaped(token)) return false;
  const presented = createHash('sha256').update(token).digest();
  let found = false;
  for (const hex of hashes) {
    const expected = Buffer.from(hex, 'hex');
    if (expected.length === presented.length && timingSafeEqual(expected, presented)) found = true;
  }
  return found;
}
