import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IdPrefixes, intentIdForKey, newId } from './ids.js';

describe('ids', () => {
  it('are prefixed, random and safe as NATS subject tokens', () => {
    const a = newId(IdPrefixes.Conversation);
    expect(a).toMatch(/^conv_[0-9a-f]{24}$/);
    expect(newId(IdPrefixes.Conversation)).not.toBe(a);
  });

  it('map one idempotency key to one intent id per tenant and conversation', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.string({ minLength: 1 }), (tenant, conv, key) => {
        const id = intentIdForKey(tenant, conv, key);
        expect(id).toMatch(/^int_[0-9a-f]{32}$/);
        expect(intentIdForKey(tenant, conv, key)).toBe(id);
        expect(intentIdForKey(tenant, `${conv}x`, key)).not.toBe(id);
        expect(intentIdForKey(`${tenant}x`, conv, key)).not.toBe(id);
      }),
    );
  });

  it('do not let field boundaries collide ("a"+"bc" vs "ab"+"c")', () => {
    expect(intentIdForKey('t', 'a', 'bc')).not.toBe(intentIdForKey('t', 'ab', 'c'));
  });
});
