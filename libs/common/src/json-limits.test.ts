import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkJson, JSON_MAX_DEPTH, toStorableText, unstorableChar } from './json-limits.js';

/** `depth` nested arrays (or objects with key `a`) around `inner`, built without recursion. */
function nested(depth: number, kind: 'array' | 'object', inner: unknown = 1): unknown {
  let v = inner;
  for (let i = 0; i < depth; i++) v = kind === 'array' ? [v] : { a: v };
  return v;
}

/** Reference depth (recursive; only for the small values the properties generate). */
function depthOf(v: unknown): number {
  if (v === null || typeof v !== 'object') return 0;
  const children = Array.isArray(v) ? v : Object.values(v);
  return 1 + Math.max(0, ...children.map(depthOf));
}

/** Reference for "no string or key can be stored": NUL or not well-formed. */
function badText(s: string): boolean {
  return s.includes('\u0000') || !(s as string & { isWellFormed(): boolean }).isWellFormed();
}
function hasBadText(v: unknown): boolean {
  if (typeof v === 'string') return badText(v);
  if (v === null || typeof v !== 'object') return false;
  if (Array.isArray(v)) return v.some(hasBadText);
  return Object.entries(v).some(([k, x]) => badText(k) || hasBadText(x));
}

/** RFC 6901 resolution: the value at `pointer`, and the last key on the way. */
function resolve(root: unknown, pointer: string): { value: unknown; key: string | undefined } {
  if (pointer === '') return { value: root, key: undefined };
  let v = root;
  let key: string | undefined;
  for (const raw of pointer.slice(1).split('/')) {
    key = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    v = (v as Record<string, unknown>)[key];
  }
  return { value: v, key };
}

/** Any UTF-16 string, lone surrogates and NUL included. */
const anyUnits = fc
  .array(fc.oneof(fc.integer({ min: 0, max: 0xffff }), fc.constantFrom(0, 0xd800, 0xdbff, 0xdc00, 0xdfff, 0x61)), {
    maxLength: 12,
  })
  .map((codes) => String.fromCharCode(...codes));

/** JSON values whose strings and keys may hold anything. */
const anyJson = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.oneof(fc.string(), anyUnits),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.oneof(fc.string(), anyUnits), tie('value'), { maxKeys: 4 }),
  ),
})).value;

describe('checkJson', () => {
  it('accepts the limit and refuses one level more, pointing at the first container too deep', () => {
    for (const kind of ['array', 'object'] as const) {
      expect(checkJson(nested(JSON_MAX_DEPTH, kind))).toEqual([]);
      const issues = checkJson(nested(JSON_MAX_DEPTH + 1, kind));
      expect(issues).toHaveLength(1);
      const tokens = kind === 'array' ? '/0' : '/a';
      expect(issues[0]).toMatchObject({
        pointer: tokens.repeat(JSON_MAX_DEPTH),
        message: `must not nest deeper than ${JSON_MAX_DEPTH} levels of objects and arrays`,
        found: `${kind === 'array' ? 'an array' : 'an object'} at level ${JSON_MAX_DEPTH + 1}`,
      });
    }
  });

  it('answers for 100,000 levels without exhausting the stack', () => {
    for (const kind of ['array', 'object'] as const) {
      const parsed = JSON.parse(
        kind === 'array'
          ? `${'['.repeat(100_000)}${']'.repeat(100_000)}`
          : `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`,
      );
      expect(checkJson(parsed).map((i) => i.pointer)).toEqual([
        (kind === 'array' ? '/0' : '/a').repeat(JSON_MAX_DEPTH),
      ]);
    }
  });

  it('points at NUL and unpaired surrogates in values and keys, in document order', () => {
    const value = { ok: 'fine 😀', list: ['a', 'b\u0000c'], 'k\ud800': 1, 'x/y~z': { deep: '\udc00' } };
    expect(checkJson(value)).toEqual([
      { pointer: '/list/1', message: 'must not contain U+0000 (NUL)', found: 'U+0000 at index 1' },
      {
        pointer: '/k\ud800',
        message: 'key must not contain an unpaired surrogate (U+D800)',
        found: 'U+D800 at index 1',
      },
      {
        pointer: '/x~1y~0z/deep',
        message: 'must not contain an unpaired surrogate (U+DC00)',
        found: 'U+DC00 at index 0',
      },
    ]);
  });

  it('refuses numbers that overflowed a double', () => {
    expect(checkJson(JSON.parse('{"n": [1e999]}'))).toMatchObject([{ pointer: '/n/0', found: 'Infinity' }]);
  });

  it('prefixes pointers, labels messages and stops after maxIssues', () => {
    const issues = checkJson(
      { a: '\u0000', b: '\u0000', c: '\u0000' },
      { pointer: '/contact', maxIssues: 2, label: (p) => `'${p}'` },
    );
    expect(issues.map((i) => [i.pointer, i.message])).toEqual([
      ['/contact/a', "'/contact/a' must not contain U+0000 (NUL)"],
      ['/contact/b', "'/contact/b' must not contain U+0000 (NUL)"],
    ]);
  });

  it('finds a problem exactly when the reference does, and each pointer leads to it', () => {
    const maxDepth = 3;
    fc.assert(
      fc.property(anyJson, (value) => {
        const issues = checkJson(value, { maxDepth, maxIssues: 1000 });
        const tooDeep = depthOf(value) > maxDepth;
        // A problem below the limit is never reached, so only "none at all" must agree exactly.
        if (!tooDeep) expect(issues.length > 0).toBe(hasBadText(value));
        if (tooDeep) expect(issues.some((i) => i.message.startsWith('must not nest'))).toBe(true);
        for (const issue of issues) {
          const { value: at, key } = resolve(value, issue.pointer);
          if (issue.message.startsWith('must not nest')) {
            expect(issue.pointer.split('/').length - 1).toBe(maxDepth);
            expect(typeof at === 'object' && at !== null).toBe(true);
          } else if (issue.message.startsWith('key')) {
            expect(badText(key ?? '')).toBe(true);
          } else if (typeof at === 'string') {
            expect(badText(at)).toBe(true);
          } else {
            expect(Number.isFinite(at)).toBe(false);
          }
        }
      }),
      { numRuns: 500 },
    );
  });

  it('finds a bad character planted anywhere in an acceptable value', () => {
    fc.assert(
      fc.property(
        fc.jsonValue({ maxDepth: 6 }),
        fc.nat(),
        fc.constantFrom('\u0000', '\ud800', '\udfff'),
        (v, pick, bad) => {
          // Plant the character in the pick-th string (or key) found in document order.
          const value = structuredClone(v);
          const slots: { set(): string }[] = [];
          const visit = (x: unknown, parentPointer: string) => {
            if (x === null || typeof x !== 'object') return;
            const entries = Array.isArray(x) ? x.map((y, i) => [String(i), y] as const) : Object.entries(x);
            for (const [k, y] of entries) {
              const pointer = `${parentPointer}/${k.replaceAll('~', '~0').replaceAll('/', '~1')}`;
              if (typeof y === 'string') {
                slots.push({
                  set: () => {
                    (x as Record<string, unknown>)[k] = `${y}${bad}`;
                    return pointer;
                  },
                });
              }
              visit(y, pointer);
            }
          };
          visit(value, '');
          fc.pre(slots.length > 0 && depthOf(value) <= JSON_MAX_DEPTH && !hasBadText(value));
          const pointer = (slots[pick % slots.length] as { set(): string }).set();
          expect(checkJson(value).map((i) => i.pointer)).toEqual([pointer]);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('unstorableChar and toStorableText', () => {
  it('agree with String.prototype.isWellFormed and NUL', () => {
    fc.assert(
      fc.property(anyUnits, (s) => {
        expect(unstorableChar(s) !== undefined).toBe(badText(s));
        const fixed = toStorableText(s);
        expect(unstorableChar(fixed)).toBeUndefined();
        expect(fixed.length).toBe(s.length);
        if (!badText(s)) expect(fixed).toBe(s);
      }),
      { numRuns: 2000 },
    );
  });

  it('keeps surrogate pairs and replaces what cannot be stored', () => {
    expect(toStorableText('a\u0000b\ud800c😀\udc00')).toBe('a\ufffdb\ufffdc😀\ufffd');
  });
});
