import type { JsonObject, JsonValue } from '@switchboard/common';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deleteAtPath, getAtPath, parsePath, resolvePath, type ScopeView, setAtPath } from './paths.js';

function view(partial: Partial<ScopeView> = {}): ScopeView {
  return { params: {}, context: {}, flags: {}, workflow: {}, agents: {}, outputs: {}, ...partial };
}

describe('parsePath', () => {
  it('resolves explicit scopes and defaults to context', () => {
    expect(parsePath('params.email')).toEqual({
      ok: true,
      path: { scope: 'params', segments: ['email'], append: false, explicitScope: true },
    });
    expect(parsePath('params')).toMatchObject({ ok: true, path: { scope: 'params', segments: [] } });
    expect(parsePath('user.id')).toMatchObject({
      ok: true,
      path: { scope: 'context', segments: ['user', 'id'], explicitScope: false },
    });
    expect(parsePath('agents.meal.last')).toMatchObject({
      ok: true,
      path: { scope: 'agents', segments: ['meal', 'last'] },
    });
    expect(parsePath('items.0.name')).toMatchObject({ ok: true, path: { segments: ['items', '0', 'name'] } });
  });
  it('accepts [+] only at the end of write paths, at any depth', () => {
    expect(parsePath('logged_meals[+]', 'write')).toMatchObject({
      ok: true,
      path: { scope: 'context', segments: ['logged_meals'], append: true },
    });
    expect(parsePath('a.b[+]', 'write')).toMatchObject({ ok: true, path: { segments: ['a', 'b'], append: true } });
    expect(parsePath('workflow.meals[+]', 'write')).toMatchObject({
      ok: true,
      path: { scope: 'workflow', append: true },
    });
    expect(parsePath('meals[+]', 'read').ok).toBe(false);
    expect(parsePath('a[+].b', 'write').ok).toBe(false);
    expect(parsePath('a[+][+]', 'write').ok).toBe(false);
    expect(parsePath('a[0]', 'write').ok).toBe(false);
  });
  it('rejects prototype keys anywhere', () => {
    for (const text of ['__proto__', 'a.__proto__', 'constructor.x', 'a.prototype', 'user.constructor']) {
      expect(parsePath(text, 'read').ok).toBe(false);
      expect(parsePath(text, 'write').ok).toBe(false);
    }
  });
  it('rejects malformed paths', () => {
    for (const text of ['', 'a..b', '.a', 'a.', '1abc', 'a b', "'quoted'", 'a.b c', 'x'.repeat(257)])
      expect(parsePath(text).ok).toBe(false);
  });
  it('restricts writes to context, workflow and agents.<name>', () => {
    expect(parsePath('params.x', 'write')).toMatchObject({ ok: false, message: "the 'params' scope is read-only" });
    expect(parsePath('flags.x', 'write')).toMatchObject({ ok: false });
    expect(parsePath('outputs.x', 'write').ok).toBe(false);
    expect(parsePath('context', 'write').ok).toBe(false);
    expect(parsePath('agents.meal', 'write').ok).toBe(false);
    expect(parsePath('agents.meal.last', 'write').ok).toBe(true);
    expect(parsePath('workflow.total', 'write').ok).toBe(true);
  });
  it('flags first segments one edit away from a scope, but still reads context', () => {
    expect(parsePath('parms.email')).toMatchObject({ ok: true, path: { scope: 'context', nearMissScope: 'params' } });
    const contact = parsePath('contact.name');
    expect(contact.ok ? contact.path.nearMissScope : 'not ok').toBeUndefined();
  });
});

describe('get / set / delete', () => {
  it('sets nested values creating objects, and reads them back', () => {
    const root: JsonObject = {};
    setAtPath(root, ['user', 'preferences', 'theme'], 'dark');
    expect(root).toEqual({ user: { preferences: { theme: 'dark' } } });
    expect(getAtPath(root, ['user', 'preferences', 'theme'])).toBe('dark');
    expect(getAtPath(root, ['user', 'missing', 'x'])).toBeUndefined();
  });
  it('appends, creating the array, at any depth', () => {
    const root: JsonObject = {};
    setAtPath(root, ['logged_meals'], { meal: 1 }, true);
    setAtPath(root, ['logged_meals'], { meal: 2 }, true);
    setAtPath(root, ['a', 'b'], 1, true);
    expect(root).toEqual({ logged_meals: [{ meal: 1 }, { meal: 2 }], a: { b: [1] } });
  });
  it('indexes arrays with numeric segments', () => {
    const root: JsonObject = { items: [{ name: 'a' }, { name: 'b' }] };
    expect(getAtPath(root, ['items', '1', 'name'])).toBe('b');
    setAtPath(root, ['items', '0', 'name'], 'z');
    setAtPath(root, ['items', '2'], { name: 'c' });
    expect(root.items).toEqual([{ name: 'z' }, { name: 'b' }, { name: 'c' }]);
    expect(() => setAtPath(root, ['items', '9'], 1)).toThrow(/outside the array/);
    expect(() => setAtPath(root, ['items', 'x'], 1)).toThrow(/path_conflict|is not/);
  });
  it('refuses to overwrite a non-container on the way', () => {
    const root: JsonObject = { name: 'Ada', list: 'x' };
    expect(() => setAtPath(root, ['name', 'first'], 'A')).toThrow(expect.objectContaining({ code: 'path_conflict' }));
    expect(() => setAtPath(root, ['list'], 1, true)).toThrow(expect.objectContaining({ code: 'path_conflict' }));
    expect(root).toEqual({ name: 'Ada', list: 'x' });
  });
  it('never touches prototypes at run time', () => {
    const root: JsonObject = {};
    expect(() => setAtPath(root, ['__proto__', 'polluted'], true)).toThrow(
      expect.objectContaining({ code: 'forbidden_path' }),
    );
    expect(() => setAtPath(root, ['a', 'constructor', 'prototype', 'x'], true)).toThrow(
      expect.objectContaining({ code: 'forbidden_path' }),
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(getAtPath({}, ['constructor'])).toBeUndefined();
    expect(getAtPath({ a: 'x' }, ['a', 'length'])).toBeUndefined();
  });
  it('deletes object members and array elements, ignoring missing paths', () => {
    const root: JsonObject = { temp: { draft: 'x', keep: 1 }, list: [1, 2, 3] };
    deleteAtPath(root, ['temp', 'draft']);
    deleteAtPath(root, ['list', '1']);
    deleteAtPath(root, ['nothing', 'here']);
    expect(root).toEqual({ temp: { keep: 1 }, list: [1, 3] });
  });
  it('resolves paths against scopes', () => {
    const v = view({
      params: { email: 'a@b.co' },
      context: { user: { id: 'u1' } },
      agents: { meal: { last: 'soup' } },
      workflow: { total: 3 },
    });
    expect(resolvePath(v, 'params.email')).toBe('a@b.co');
    expect(resolvePath(v, 'user.id')).toBe('u1');
    expect(resolvePath(v, 'context.user.id')).toBe('u1');
    expect(resolvePath(v, 'agents.meal.last')).toBe('soup');
    expect(resolvePath(v, 'workflow.total')).toBe(3);
    expect(resolvePath(v, 'error.code')).toBeUndefined();
    expect(resolvePath(v, 'params')).toEqual({ email: 'a@b.co' });
  });
});

const segment = fc
  .stringMatching(/^[a-z_][a-z0-9_-]{0,8}$/)
  .filter((s) => !['constructor', 'prototype', '__proto__'].includes(s));

describe('properties', () => {
  it('set then get returns the value (fresh root)', () => {
    fc.assert(
      fc.property(fc.array(segment, { minLength: 1, maxLength: 6 }), fc.jsonValue(), (segments, value) => {
        const root: JsonObject = {};
        setAtPath(root, segments, value as JsonValue);
        expect(getAtPath(root, segments)).toEqual(value);
      }),
    );
  });
  it('set then get returns the value on an existing object root when no conflict', () => {
    fc.assert(
      fc.property(
        fc.dictionary(segment, fc.jsonValue()),
        fc.array(segment, { minLength: 1, maxLength: 4 }),
        fc.jsonValue(),
        (base, segments, value) => {
          const root = structuredClone(base) as JsonObject;
          try {
            setAtPath(root, segments, value as JsonValue);
          } catch (err) {
            expect((err as { code?: string }).code).toBe('path_conflict');
            return;
          }
          expect(getAtPath(root, segments)).toEqual(value);
        },
      ),
    );
  });
  it('append then read the last element', () => {
    fc.assert(
      fc.property(
        fc.array(segment, { minLength: 1, maxLength: 4 }),
        fc.array(fc.jsonValue(), { minLength: 1, maxLength: 5 }),
        (segments, values) => {
          const root: JsonObject = {};
          for (const v of values) setAtPath(root, segments, v as JsonValue, true);
          expect(getAtPath(root, segments)).toEqual(values);
        },
      ),
    );
  });
});
