import { type CanonicalAction, parseAnyAction } from '@switchboard/actions';
import { describe, expect, it } from 'vitest';
import { findAnnouncements, stem } from './announcements.js';

const action = (doc: unknown): CanonicalAction => parseAnyAction(doc).action;
const transfer = action({
  type: 'transfer_call',
  name: 'Transfer to Scheduling',
  description: 'Transfers the caller.',
  config: { destination: '+15551230000', mode: 'cold' },
});
const endCall = action({ type: 'end_call', name: 'End Call Politely', description: 'Hangs up.', config: {} });
const book = action({
  name: 'book_consultation',
  description: 'Books a consultation.',
  target: 'webhook://book',
  inputs: { start: { type: 'string', is_required: true } },
});
const ALL = [transfer, endCall, book];
const found = (text: string) => findAnnouncements(text, ALL).map((a) => a.action);

describe('findAnnouncements', () => {
  it.each([
    ["I'll transfer you to our scheduling team now.", ['Transfer to Scheduling']],
    ['Okay, I’m transferring you now.', ['Transfer to Scheduling']],
    ['Let me connect you with someone who can help.', ['Transfer to Scheduling']],
    ["I'm going to put you through to scheduling.", ['Transfer to Scheduling']],
    ['Thanks for calling! I will now end the call.', ['End Call Politely']],
    ["Great, I'll book that for you right away.", ['book_consultation']],
    ["I'll just hang up now, goodbye. Actually first let me book it.", ['End Call Politely', 'book_consultation']],
  ])('finds the commitment in %j', (text, expected) => {
    expect(found(text)).toEqual(expected);
  });

  it.each([
    'I can transfer you if you like. Would you like that?',
    'Your transfer was completed earlier.',
    "I'm sorry, the slot is taken.",
    'What date would you like to book?',
    "I've booked it for Monday.",
  ])('finds nothing in %j', (text) => {
    expect(found(text)).toEqual([]);
  });

  it('only considers the actions it is given', () => {
    expect(findAnnouncements("I'll transfer you now.", [endCall, book])).toEqual([]);
  });
});

describe('stem', () => {
  it('reduces inflections to one form', () => {
    expect(['transfer', 'transferring', 'transfers', 'transferred'].map(stem)).toEqual(Array(4).fill('transfer'));
    expect(stem('booking')).toBe(stem('book'));
    expect(stem('scheduling')).toBe(stem('schedule'));
    expect(stem('putting')).toBe('put');
    expect(stem('end')).toBe('end');
  });
});
