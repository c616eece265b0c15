import { describe, expect, it } from 'vitest';
import { parseNoteInput } from './crm.js';

const refusal = (fn: () => unknown): unknown => {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a refusal');
};

describe('crm.note payload', () => {
  it('keeps the text parts, the contact and the timestamp', () => {
    expect(
      parseNoteInput({
        credential: 'hs',
        body: ['Called ', null],
        contact: { id: 42, email: ' a@b.co ', phone: null },
        timestamp: '2026-12-06T17:00:00Z',
      }),
    ).toEqual({
      credential: 'hs',
      body: ['Called ', null],
      contact: { id: '42', email: 'a@b.co' },
      timestamp: '2026-12-06T17:00:00Z',
    });
    expect(parseNoteInput({ credential: 'hs', body: 'plain' })).toEqual({ credential: 'hs', body: ['plain'] });
  });

  it('names every problem at once, non-retryably', () => {
    const err = refusal(() => parseNoteInput({ credential: '', contact: { id: 'abc' }, timestamp: 'yesterday' }));
    expect(err).toMatchObject({ code: 'provider_invalid_input', retryable: false });
    expect((err as { details: { problems: string[] } }).details.problems).toEqual([
      'credential must name a HubSpot credential',
      'body must be the note text (text parts)',
      "contact.id 'abc' is not a HubSpot object id (digits)",
      "timestamp 'yesterday' is not an ISO 8601 date and time",
    ]);
    expect(refusal(() => parseNoteInput('text'))).toMatchObject({ message: 'invalid crm.note payload: not an object' });
  });
});
