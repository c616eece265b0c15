import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assignToolNames, TOOL_NAME_PATTERN, toolNameFor } from './tool-names.js';

describe('toolNameFor', () => {
  it('derives snake_case names from display names', () => {
    expect(toolNameFor('Transfer to Support')).toBe('transfer_to_support');
    expect(toolNameFor('Book 30-Minute Consultation')).toBe('book_30_minute_consultation');
    expect(toolNameFor('  Send SMS Confirmation!  ')).toBe('send_sms_confirmation');
    expect(toolNameFor('Réserver un créneau')).toBe('reserver_un_creneau');
  });

  it('keeps names that are already valid tool names verbatim', () => {
    for (const name of ['send_verification_code_tool', 'getCustomer', 'save-meal', 'A', 'x'.repeat(64)]) {
      expect(toolNameFor(name)).toBe(name);
    }
  });

  it('cuts long names to 64 characters and never returns an empty name', () => {
    expect(toolNameFor(`${'Very long action name '.repeat(5)}`)).toHaveLength(64);
    expect(toolNameFor('x'.repeat(65))).toBe('x'.repeat(64));
    expect(toolNameFor('予約する')).toMatch(/^action_[0-9a-f]{8}$/);
    expect(toolNameFor('')).toMatch(/^action_[0-9a-f]{8}$/);
    expect(toolNameFor('予約する')).toBe(toolNameFor('予約する'));
    expect(toolNameFor('予約する')).not.toBe(toolNameFor('キャンセル'));
  });

  it('always matches the LLM tool-name pattern', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 120 }), (name) => {
        expect(toolNameFor(name)).toMatch(TOOL_NAME_PATTERN);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('assignToolNames', () => {
  it('suffixes collisions with _2, _3 and lets verbatim names keep theirs', () => {
    expect(
      assignToolNames(['Transfer to Support', 'transfer_to_support', 'Transfer-to-Support!', 'Transfer to support']),
    ).toEqual(['transfer_to_support_2', 'transfer_to_support', 'transfer_to_support_3', 'transfer_to_support_4']);
  });

  it('treats names that differ only by case as colliding', () => {
    expect(assignToolNames(['Lookup', 'lookup'])).toEqual(['Lookup', 'lookup_2']);
  });

  it('keeps suffixed names within 64 characters', () => {
    const long = 'Book a very long consultation name that goes on and on and on forever';
    const names = assignToolNames([long, `${long}!`, `${long}?`]);
    expect(names.map((name) => name.length)).toEqual([64, 64, 64]);
    expect(names[1]?.endsWith('_2')).toBe(true);
    expect(names[2]?.endsWith('_3')).toBe(true);
  });

  // Names built from few characters collide often after derivation, which is the point.
  const collisionProne = fc.string({
    unit: fc.constantFrom('a', 'A', 'b', ' ', '-', '_', '!', 'é', '2', '予'),
    maxLength: 6,
  });
  const anyName = fc.oneof(collisionProne, fc.string({ maxLength: 80 }), fc.string({ minLength: 60, maxLength: 90 }));

  it('is injective, matches the pattern and is deterministic over any set of distinct names', () => {
    fc.assert(
      fc.property(fc.uniqueArray(anyName, { maxLength: 40 }), (names) => {
        const tools = assignToolNames(names);
        expect(tools).toHaveLength(names.length);
        for (const tool of tools) expect(tool).toMatch(TOOL_NAME_PATTERN);
        expect(new Set(tools.map((tool) => tool.toLowerCase())).size).toBe(tools.length);
        expect(assignToolNames(names)).toEqual(tools);
      }),
      { numRuns: 500 },
    );
  });
});
