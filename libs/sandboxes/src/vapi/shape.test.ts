import { describe, expect, it } from 'vitest';
import { vapiControlBodyProblems } from './shape.js';

describe('the check of Live Call Control bodies', () => {
  it('accepts the SDK message types Vapi documents', () => {
    for (const body of [
      { type: 'end-call' },
      { type: 'say', content: 'Bye', endCallAfterSpoken: true },
      { type: 'add-message', message: { role: 'system', content: 'Booked.' }, triggerResponseEnabled: true },
      { type: 'control', control: 'mute-assistant' },
      {
        type: 'transfer',
        destination: { type: 'number', number: '+15551230000', transferPlan: { mode: 'blind-transfer' } },
        content: 'Transferring you.',
      },
      { type: 'transfer', destination: { type: 'sip', sipUri: 'sip:desk@example.com' } },
    ]) {
      expect(vapiControlBodyProblems(body), JSON.stringify(body)).toEqual([]);
    }
  });

  it('names what is not in the SDK types', () => {
    expect(vapiControlBodyProblems({ type: 'hangup' })).toEqual([expect.stringContaining('body.type must be one of')]);
    expect(vapiControlBodyProblems({ type: 'end-call', reason: 'x' })).toEqual([
      'body.reason is not a member of the SDK type',
    ]);
    expect(vapiControlBodyProblems({ type: 'say', content: 1, endCallAfterSpoken: 'yes' })).toEqual([
      'body.content must be a string',
      'body.endCallAfterSpoken must be a boolean',
    ]);
    expect(vapiControlBodyProblems({ type: 'add-message', message: { role: 'bot', content: 'x' } })).toEqual([
      expect.stringContaining('body.message.role must be one of'),
    ]);
    expect(
      vapiControlBodyProblems({
        type: 'transfer',
        destination: { type: 'number', phoneNumber: '+1555', transferPlan: { mode: 'cold' } },
      }),
    ).toEqual([
      'body.destination.phoneNumber is not a member of the SDK type',
      'body.destination.number is required (string)',
      expect.stringContaining('body.destination.transferPlan.mode must be one of'),
    ]);
    expect(vapiControlBodyProblems('end-call')).toEqual(['body must be a JSON object']);
  });
});
