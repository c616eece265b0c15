import type { JsonObject } from '@switchboard/common';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IdempotencyKeyReusedError } from './errors.js';
import { requestDifferences, type ToolCallIdentity, toolCallRequestHash } from './idempotency.js';

/** The same object with its keys in another order, at every depth. */
function reordered(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reordered);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .reverse()
        .map(([k, v]) => [k, reordered(v)]),
    );
  }
  return value;
}

const args = fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 4 })) as fc.Arbitrary<JsonObject>;

/** The audit row a request stored under its key. */
const stored = (req: ToolCallIdentity) => ({
  actionName: req.name,
  arguments: req.arguments,
  requestHash: toolCallRequestHash(req),
});

describe('toolCallRequestHash', () => {
  it('is one hash for one request, whatever the order of its object keys', () => {
    fc.assert(
      fc.property(fc.string(), args, (name, a) => {
        const hash = toolCallRequestHash({ name, arguments: a });
        expect(toolCallRequestHash({ name, arguments: reordered(a) as JsonObject })).toBe(hash);
        expect(requestDifferences(stored({ name, arguments: a }), { name, arguments: a }, hash)).toEqual([]);
      }),
    );
  });

  it('tells requests apart by action, arguments and topic', () => {
    fc.assert(
      fc.property(fc.string(), args, args, (name, a, b) => {
        const first = { name, arguments: a };
        const same = toolCallRequestHash({ name, arguments: b }) === toolCallRequestHash(first);
        const other = { name, arguments: b };
        expect(requestDifferences(stored(first), other, toolCallRequestHash(other))).toEqual(same ? [] : ['arguments']);
      }),
    );
    const lunch = { name: 'save_meal', arguments: { meal_type: 'lunch', dishes: ['soup'] } };
    const row = stored(lunch);
    const cases: [ToolCallIdentity, string[]][] = [
      [{ ...lunch, arguments: { meal_type: 'lunch', dishes: ['soup', 'bread'] } }, ['arguments']],
      [{ ...lunch, arguments: { meal_type: 'lunch', dishes: ['soup'], extra: null } }, ['arguments']],
      [{ ...lunch, name: 'save_snack' }, ['action']],
      [{ name: 'save_snack', arguments: {} }, ['action', 'arguments']],
      [{ ...lunch, topic: 'food' }, ['topic']],
      [{ ...lunch, arguments: { dishes: ['soup'], meal_type: 'lunch' } }, []],
    ];
    for (const [req, differs] of cases) {
      expect(requestDifferences(row, req, toolCallRequestHash(req)), JSON.stringify(req)).toEqual(differs);
    }
  });

  it('compares rows written before the hash by what they store, and accepts what cannot be told', () => {
    const legacy = { actionName: 'save_meal', arguments: { meal_type: 'lunch' }, requestHash: null };
    const req = (r: ToolCallIdentity) => requestDifferences(legacy, r, toolCallRequestHash(r));
    expect(req({ name: 'save_meal', arguments: { meal_type: 'lunch' } })).toEqual([]);
    expect(req({ name: 'save_meal', arguments: { meal_type: 'dinner' } })).toEqual(['arguments']);
    expect(req({ name: 'other', arguments: { meal_type: 'lunch' } })).toEqual(['action']);
    // The topic was never stored: not a reason to refuse a retry.
    expect(req({ name: 'save_meal', arguments: { meal_type: 'lunch' }, topic: 'food' })).toEqual([]);
    // A row the orchestrator recreated keeps no arguments ({}): only the action name can be told.
    const recreated = { actionName: 'save_meal', arguments: {}, requestHash: null };
    const lunch = { name: 'save_meal', arguments: { meal_type: 'lunch' } };
    expect(requestDifferences(recreated, lunch, toolCallRequestHash(lunch))).toEqual([]);
  });
});

describe('IdempotencyKeyReusedError', () => {
  it('names the key and what differed, and is not retryable', () => {
    const err = new IdempotencyKeyReusedError('order-7', ['arguments']);
    expect(err.toJSON()).toEqual({
      code: 'idempotency_key_reused',
      message:
        "Idempotency-Key 'order-7' was first used for another request (other arguments); send a new key for a new request",
      retryable: false,
      details: { idempotencyKey: 'order-7', differs: ['arguments'] },
    });
  });
});
