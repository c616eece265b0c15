import { describe, expect, it } from 'vitest';
import { elevenLabsContext } from './dropin-elevenlabs.routes.js';

describe('elevenLabsContext', () => {
  it('takes the caller, the number called and the CallSid from the call headers', () => {
    expect(
      elevenLabsContext({
        'x-elevenlabs-caller-id': '+15551230000',
        'x-elevenlabs-called-number': '+15557654321',
        'x-elevenlabs-call-sid': 'CA123',
      }),
    ).toEqual({
      contact: { phone: '+15551230000' },
      call: { sid: 'CA123', from: '+15551230000', to: '+15557654321' },
    });
  });

  it('leaves out what a web call does not have (empty variables, numbers that are not E.164)', () => {
    expect(
      elevenLabsContext({
        'x-elevenlabs-caller-id': '',
        'x-elevenlabs-called-number': 'web',
        'x-elevenlabs-call-sid': '',
      }),
    ).toEqual({ contact: {}, call: {} });
  });
});
