import { describe, expect, it } from 'vitest';
import { effectOrderViolations } from './effect-order.js';

describe('effect order violations', () => {
  const sent = new Map([['c', ['a', 'b', 'c']]]);

  it('finds none when effects follow the calls, repeats and unknown effects aside', () => {
    expect(effectOrderViolations(sent, new Map([['c', ['a', 'a', 'b', 'x', 'c', 'b']]]))).toEqual([]);
    expect(effectOrderViolations(sent, new Map([['c', ['a', 'c']]]))).toEqual([]);
  });

  it('names a conversation whose later call took effect first', () => {
    expect(effectOrderViolations(sent, new Map([['c', ['b', 'a', 'c']]]))).toEqual([
      { conversation: 'c', sent: ['a', 'b', 'c'], effects: ['b', 'a', 'c'] },
    ]);
  });
});
