import { describe, expect, it } from 'vitest';
import { closestMatch, editDistance } from './suggest.js';

describe('editDistance', () => {
  it('counts insertions, deletions, substitutions and adjacent transpositions', () => {
    expect(editDistance('context.sett', 'context.set')).toBe(1);
    expect(editDistance('endpont', 'endpoint')).toBe(1);
    expect(editDistance('conetxt', 'context')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('same', 'same')).toBe(0);
  });
});

describe('closestMatch', () => {
  const steps = ['context.set', 'context.get', 'webhook', 'respond'];
  it('suggests near misses only', () => {
    expect(closestMatch('context.sett', steps)).toBe('context.set');
    expect(closestMatch('Webhook', steps)).toBe('webhook');
    expect(closestMatch('respnod', steps)).toBe('respond');
    expect(closestMatch('teleport', steps)).toBeUndefined();
    expect(closestMatch('', steps)).toBeUndefined();
  });
  it('honours an explicit maximum distance', () => {
    expect(closestMatch('contact', ['context'])).toBe('context');
    expect(closestMatch('contact', ['context'], 1)).toBeUndefined();
  });
});
