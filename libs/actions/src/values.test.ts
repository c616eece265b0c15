import { describe, expect, it } from 'vitest';
import type { ScopeView } from './paths.js';
import { checkPropertyValue, interpretStringValue, quoteLiteral, resolvePropertyValue } from './values.js';

const v: ScopeView = {
  params: { meal_type: 'lunch', dishes: ['soup'], calories: 420 },
  context: { user: { id: 'u1', name: 'Ada' } },
  flags: { subscribed: true },
  workflow: {},
  agents: {},
  outputs: {},
};

describe('property values', () => {
  it('reads bare dot paths (whole scopes too)', () => {
    expect(resolvePropertyValue('params', v)).toEqual({ meal_type: 'lunch', dishes: ['soup'], calories: 420 });
    expect(resolvePropertyValue('params.meal_type', v)).toBe('lunch');
    expect(resolvePropertyValue('context.user.name', v)).toBe('Ada');
    expect(resolvePropertyValue('user.id', v)).toBe('u1');
    expect(resolvePropertyValue('flags.subscribed', v)).toBe(true);
    expect(resolvePropertyValue('params.nothing', v)).toBeUndefined();
  });
  it("reads 'quoted literals' as strings", () => {
    expect(resolvePropertyValue("'meal_saved'", v)).toBe('meal_saved');
    expect(resolvePropertyValue("''", v)).toBe('');
    expect(resolvePropertyValue("'it\\'s here'", v)).toBe("it's here");
    expect(resolvePropertyValue("'params.email'", v)).toBe('params.email');
    expect(quoteLiteral("it's")).toBe("'it\\'s'");
    expect(interpretStringValue(quoteLiteral("a\\'b"))).toEqual({ kind: 'literal', value: "a\\'b" });
  });
  it('keeps JSON literals and resolves string leaves recursively', () => {
    expect(resolvePropertyValue(42, v)).toBe(42);
    expect(resolvePropertyValue(null, v)).toBeNull();
    expect(
      resolvePropertyValue(
        { meal: 'params', user_id: 'context.user.id', kind: "'food'", n: 1, list: ['params.meal_type', true] },
        v,
      ),
    ).toEqual({
      meal: { meal_type: 'lunch', dishes: ['soup'], calories: 420 },
      user_id: 'u1',
      kind: 'food',
      n: 1,
      list: ['lunch', true],
    });
  });
  it('omits missing members and nulls missing array elements', () => {
    expect(resolvePropertyValue({ a: 'params.none', b: ['params.none'] }, v)).toEqual({ b: [null] });
  });
  it('returns copies, never aliases into the state', () => {
    const copy = resolvePropertyValue('params.dishes', v) as string[];
    copy.push('bread');
    expect(v.params.dishes).toEqual(['soup']);
  });
  it('reports strings that are neither paths nor literals, suggesting a quoted literal', () => {
    const problems = checkPropertyValue({ greeting: 'hello world', ok: 'params.x', bad: ["'open"] });
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatchObject({ at: ['greeting'], suggestion: "'hello world'" });
    expect(problems[1]).toMatchObject({ at: ['bad', 0] });
    expect(problems[1]?.message).toContain('not terminated');
  });
  it('reports near-miss scopes', () => {
    expect(checkPropertyValue('parms.email')[0]).toMatchObject({ suggestion: 'params.email' });
    expect(checkPropertyValue('context.parms.email')).toEqual([]);
  });
});
