import { describe, expect, it } from 'vitest';
import { parseEndCallInput, parseSmsInput, parseTransferInput, requireCallSid } from './telephony.js';

const CALL = `CA${'a'.repeat(32)}`;
const messageOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    expect(err).toMatchObject({ code: 'provider_invalid_input', retryable: false });
    return (err as Error).message;
  }
  throw new Error('expected a failure');
};

describe('payload checks', () => {
  it('joins text parts and keeps the sender', () => {
    expect(
      parseSmsInput({ credential: 'tw', to: '+15551234567', from: '+15557654321', body: ['a', 1, null, true] }),
    ).toEqual({
      credential: 'tw',
      to: '+15551234567',
      from: '+15557654321',
      body: 'a1true',
    });
  });

  it('says precisely what is wrong with an SMS', () => {
    expect(
      messageOf(() => parseSmsInput({ credential: 'tw', to: '0044 20 7946 0958', from: '+15557654321', body: 'x' })),
    ).toBe(
      "sms.send: the recipient '0044 20 7946 0958' is not an E.164 number: an E.164 number starts with '+', not the international prefix 00 (did you mean +442079460958?)",
    );
    expect(messageOf(() => parseSmsInput({ credential: 'tw', to: '+15551234567', body: 'x' }))).toContain(
      "a sender is required: 'from' (E.164) or 'messaging_service_sid' (MG…)",
    );
    expect(messageOf(() => parseSmsInput({ to: '+15551234567', from: '+15557654321', body: 'x' }))).toContain(
      "'credential'",
    );
    expect(
      messageOf(() =>
        parseSmsInput({ credential: 'tw', to: '+15551234567', from: '+15557654321', body: 'x'.repeat(1601) }),
      ),
    ).toContain('1601 characters; at most 1600');
  });

  it('checks transfers: call, destination kind and address, ring timeout, hold music', () => {
    const base = {
      call_sid: CALL,
      destination: { kind: 'phone', address: '+15553334444' },
      mode: 'warm',
      ring_timeout_seconds: 30,
    };
    expect(
      parseTransferInput({ ...base, whisper: ['Hi ', 'Bob'], hold_music_url: 'https://x.example.com/a.mp3' }),
    ).toMatchObject({
      callSid: CALL,
      destination: { kind: 'phone', address: '+15553334444' },
      mode: 'warm',
      whisper: 'Hi Bob',
      message: '',
      holdMusicUrl: 'https://x.example.com/a.mp3',
    });
    expect(
      parseTransferInput({ ...base, destination: { kind: 'sip', address: 'SIP:desk@pbx.example.com' } }).destination,
    ).toEqual({
      kind: 'sip',
      address: 'sip:desk@pbx.example.com',
    });
    expect(messageOf(() => parseTransferInput({ ...base, call_sid: 'CA123' }))).toContain(
      "'CA' and 32 hexadecimal digits",
    );
    expect(
      messageOf(() =>
        parseTransferInput({ ...base, destination: { kind: 'phone', address: 'support@pbx.example.com' } }),
      ),
    ).toContain("a SIP destination needs the 'sip:' scheme (did you mean sip:support@pbx.example.com?)");
    expect(messageOf(() => parseTransferInput({ ...base, ring_timeout_seconds: 2 }))).toContain(
      'integer from 5 to 600',
    );
    expect(
      messageOf(() => parseTransferInput({ ...base, hold_music_url: 'https://x.example.com/a.mp3?token=abc' })),
    ).toContain('credential-looking query parameter');
    // No call sid is the channel's business (a Vapi call has none); Twilio control needs one.
    expect(parseEndCallInput({})).toEqual({ message: '' });
    expect(messageOf(() => requireCallSid('telephony.end_call', parseEndCallInput({})))).toContain(
      "'call_sid' is missing",
    );
    expect(requireCallSid('telephony.end_call', parseEndCallInput({ call_sid: CALL })).callSid).toBe(CALL);
  });
});
