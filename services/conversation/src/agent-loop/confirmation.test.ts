import { describe, expect, it } from 'vitest';
import { classifyConfirmation } from './confirmation.js';

describe('classifyConfirmation', () => {
  it.each([
    'Yes',
    'yes please',
    'Yeah, go ahead.',
    'Sure!',
    'ok',
    "That's right",
    'Sounds good',
    'Confirm',
  ])('%j is a yes', (text) => expect(classifyConfirmation(text)).toBe('yes'));
  it.each([
    'No',
    'nope',
    'No thanks',
    "Don't",
    'Yes, but wait',
    'Actually, cancel that',
    'I changed my mind',
    "I can't now",
  ])('%j is a no (any no-word wins)', (text) => expect(classifyConfirmation(text)).toBe('no'));
  it.each(['What time was that?', 'hmm', ''])('%j is unclear', (text) => {
    expect(classifyConfirmation(text)).toBe('unclear');
  });
});
