import { describe, expect, it } from 'vitest';
import { parseTypedTypeName, typeMismatch } from './value-types.js';

describe('parseTypedTypeName', () => {
  it('parses every Agentforce type', () => {
    for (const t of [
      'string',
      'number',
      'integer',
      'long',
      'boolean',
      'object',
      'date',
      'datetime',
      'time',
      'currency',
      'id',
    ]) {
      expect(parseTypedTypeName(t)).toEqual({ type: t });
    }
    expect(parseTypedTypeName('list[string]')).toEqual({ type: 'list', items: 'string' });
    expect(parseTypedTypeName('list[number]')).toEqual({ type: 'list', items: 'number' });
    expect(parseTypedTypeName('list[object]')).toEqual({ type: 'list', items: 'object' });
  });
  it('rejects unknown types, nested lists and the declarative array', () => {
    for (const t of ['array', 'list', 'list[list[string]]', 'list[]', 'String', 'float', 'constructor'])
      expect(parseTypedTypeName(t)).toBeUndefined();
  });
});

describe('typeMismatch', () => {
  it('checks values strictly', () => {
    expect(typeMismatch('x', { type: 'string' })).toBeUndefined();
    expect(typeMismatch(1, { type: 'string' })).toBe('expected string');
    expect(typeMismatch(1.5, { type: 'integer' })).toContain('whole number');
    expect(typeMismatch(2, { type: 'long' })).toBeUndefined();
    expect(typeMismatch(9.99, { type: 'currency' })).toBeUndefined();
    expect(typeMismatch('2024-02-29', { type: 'date' })).toBeUndefined();
    expect(typeMismatch('2023-02-29', { type: 'date' })).toBeDefined();
    expect(typeMismatch('2025-01-31T09:30:00Z', { type: 'datetime' })).toBeUndefined();
    expect(typeMismatch('2025-01-31T09:30:00+01:00', { type: 'datetime' })).toBeUndefined();
    expect(typeMismatch('tomorrow', { type: 'datetime' })).toBeDefined();
    expect(typeMismatch('09:30', { type: 'time' })).toBeUndefined();
    expect(typeMismatch('25:00', { type: 'time' })).toBeDefined();
    expect(typeMismatch('', { type: 'id' })).toBeDefined();
    expect(typeMismatch({}, { type: 'object' })).toBeUndefined();
    expect(typeMismatch([], { type: 'object' })).toBeDefined();
    expect(typeMismatch([1, 2], { type: 'list', items: 'number' })).toBeUndefined();
    expect(typeMismatch([1, 'x'], { type: 'list', items: 'number' })).toBe(
      'expected list[number]: item 1: expected number',
    );
    expect(typeMismatch(['a'], { type: 'array' })).toBeUndefined();
  });

  it('takes numeric ids only when asked (outputs), in lists too', () => {
    expect(typeMismatch(42, { type: 'id' })).toBe('expected id (a non-empty string)');
    expect(typeMismatch(42, { type: 'id' }, { numericIds: true })).toBeUndefined();
    expect(typeMismatch([1, 'b'], { type: 'list', items: 'id' }, { numericIds: true })).toBeUndefined();
    expect(typeMismatch(Number.NaN, { type: 'id' }, { numericIds: true })).toBe(
      'expected id (a non-empty string or a number)',
    );
    expect(typeMismatch('', { type: 'id' }, { numericIds: true })).toBeDefined();
    expect(typeMismatch(true, { type: 'id' }, { numericIds: true })).toBeDefined();
  });
});
