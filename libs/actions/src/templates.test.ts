import type { JsonObject } from '@switchboard/common';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ScopeView, setAtPath } from './paths.js';
import { checkTemplate, renderTemplate, templatePaths } from './templates.js';

function view(partial: Partial<ScopeView> = {}): ScopeView {
  return { params: {}, context: {}, flags: {}, workflow: {}, agents: {}, outputs: {}, ...partial };
}

describe('renderTemplate', () => {
  const v = view({
    params: { meal_type: 'lunch', count: 2, ok: true },
    context: { user: { id: 'u-1', tags: ['a'] } },
    workflow: { total: 12.5 },
    agents: { meal: { last: 'soup' } },
  });
  it('renders the seed placeholders', () => {
    expect(renderTemplate("Got it! I've logged your {{params.meal_type}}.", v)).toBe("Got it! I've logged your lunch.");
    expect(renderTemplate('{{user.id}} / {{workflow.total}} / {{agents.meal.last}}', v)).toBe('u-1 / 12.5 / soup');
  });
  it('renders missing as empty, scalars as text, objects as JSON', () => {
    expect(renderTemplate('[{{params.missing}}]', v)).toBe('[]');
    expect(renderTemplate('{{params.count}} {{params.ok}}', v)).toBe('2 true');
    expect(renderTemplate('{{user}}', v)).toBe('{"id":"u-1","tags":["a"]}');
    expect(renderTemplate('{{ params.meal_type }}', v)).toBe('lunch');
  });
  it('keeps malformed placeholders literally instead of throwing', () => {
    expect(renderTemplate('hello {{ world', v)).toBe('hello {{ world');
    expect(renderTemplate('a {{not a path}} b', v)).toBe('a {{not a path}} b');
    expect(renderTemplate('just }} text', v)).toBe('just }} text');
  });
});

describe('checkTemplate', () => {
  it('accepts well-formed templates', () => {
    expect(checkTemplate('Hi {{user.name}}, {{params.x}}')).toEqual([]);
    expect(checkTemplate('no placeholders')).toEqual([]);
  });
  it('reports unclosed, empty and invalid placeholders with offsets', () => {
    expect(checkTemplate('Hi {{user.name')).toEqual([{ message: "unclosed '{{' (expected '}}')", offset: 3 }]);
    expect(checkTemplate('{{}}')[0]?.message).toContain('placeholder is empty');
    expect(checkTemplate('{{a b}}')[0]?.message).toContain('invalid placeholder');
    expect(checkTemplate('{{meals[+]}}')[0]?.message).toContain('[+]');
    expect(checkTemplate('{{__proto__.x}}')[0]?.message).toContain('not allowed');
  });
  it('suggests the scope for a near-miss first segment', () => {
    const [problem] = checkTemplate('{{parms.email}}');
    expect(problem?.suggestion).toBe('{{params.email}}');
  });
  it('lists referenced paths', () => {
    expect(templatePaths('{{a.b}} and {{ params.c }}')).toEqual(['a.b', 'params.c']);
  });
});

const key = fc.stringMatching(/^[a-z][a-z0-9_]{0,6}$/).filter((s) => !['constructor', 'prototype'].includes(s));
const scope = fc.constantFrom('params', 'context', 'workflow');

describe('template properties', () => {
  it('text without braces renders unchanged', () => {
    fc.assert(
      fc.property(
        fc.string().filter((s) => !s.includes('{{')),
        (text) => {
          expect(renderTemplate(text, view())).toBe(text);
        },
      ),
    );
  });
  it('a value set at a path renders back through {{path}}', () => {
    fc.assert(
      fc.property(
        scope,
        fc.array(key, { minLength: 1, maxLength: 4 }),
        fc.string(),
        fc.string().filter((s) => !s.includes('{{')),
        (s, segments, value, prefix) => {
          const v = view();
          setAtPath(v[s] as JsonObject, segments, value);
          expect(renderTemplate(`${prefix}{{${s}.${segments.join('.')}}}`, v)).toBe(prefix + value);
        },
      ),
    );
  });
  it('rendering never throws on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        renderTemplate(text, view({ context: { a: { b: 1 } } }));
      }),
    );
  });
});
