import { JSON_MAX_DEPTH } from '@switchboard/common';
import { describe, expect, it } from 'vitest';
import { parseToolArguments } from './tool-arguments.js';

describe('parseToolArguments', () => {
  it('takes objects and strings holding objects; says why anything else is refused', () => {
    expect(parseToolArguments({ a: 1 })).toEqual({ a: 1 });
    expect(parseToolArguments('{"a":1}')).toEqual({ a: 1 });
    expect(parseToolArguments(undefined)).toEqual({});
    expect(parseToolArguments(null)).toEqual({});
    expect(parseToolArguments('  ')).toEqual({});
    expect(parseToolArguments('[1]')).toBe('the arguments must be a JSON object');
    expect(parseToolArguments(3)).toBe('the arguments must be a JSON object');
    expect(parseToolArguments('{oops')).toBe('the arguments are not valid JSON');
  });

  it('holds JSON inside a string to the limits of request bodies', () => {
    const nest = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;
    // The arguments object is level 1.
    expect(parseToolArguments(`{"a": ${nest(JSON_MAX_DEPTH - 1)}}`)).toEqual(expect.any(Object));
    expect(parseToolArguments(`{"a": ${nest(100_000)}}`)).toBe(
      `the arguments cannot be accepted: /a${'/0'.repeat(JSON_MAX_DEPTH - 1)} must not nest deeper than 32 levels of objects and arrays`,
    );
    expect(parseToolArguments('{"k\\ud800": 1}')).toBe(
      'the arguments cannot be accepted: /k\ud800 key must not contain an unpaired surrogate (U+D800)',
    );
  });
});
