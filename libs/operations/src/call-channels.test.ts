import { CALL_CHANNELS } from '@switchboard/common';
import { describe, expect, it } from 'vitest';
import { CALL_CONTROL_SUPPORT, callControlRefusal, channelOfCallContext } from './call-channels.js';

describe('call-control support per channel', () => {
  it('refuses on none with no_call_control and on a runtime without the control with unsupported_by_runtime', () => {
    expect(callControlRefusal('none', 'end_call')).toMatchObject({ code: 'no_call_control', retryable: false });
    expect(callControlRefusal('retell', 'transfer')).toMatchObject({
      code: 'unsupported_by_runtime',
      retryable: false,
      details: { channel: 'retell', step: 'transfer' },
    });
    expect(callControlRefusal('vapi', 'pause_inactivity')?.message).toContain(
      'cannot pause the inactivity timer on a vapi call',
    );
    expect(callControlRefusal('vapi', 'transfer')).toBeUndefined();
    expect(callControlRefusal('vapi', 'end_call')).toBeUndefined();
  });

  it('covers every channel and step, and a refusal exactly where the table says unsupported', () => {
    for (const channel of CALL_CHANNELS) {
      for (const [step, support] of Object.entries(CALL_CONTROL_SUPPORT[channel])) {
        const refusal = callControlRefusal(channel, step as 'transfer');
        expect(refusal === undefined, `${channel} ${step}`).toBe(support.supported);
      }
    }
    expect(Object.values(CALL_CONTROL_SUPPORT.twilio).every((s) => s.supported)).toBe(true);
    expect(Object.values(CALL_CONTROL_SUPPORT.none).some((s) => s.supported)).toBe(false);
  });

  it('reads the channel the conversation service put in the call context', () => {
    expect(channelOfCallContext({ call: { sid: 'CA1', channel: 'twilio' } })).toBe('twilio');
    // Intents of releases before channels: none named.
    expect(channelOfCallContext({ call: { sid: 'CA1' } })).toBeUndefined();
    expect(channelOfCallContext({ call: { channel: 'skype' } })).toBeUndefined();
    expect(channelOfCallContext(undefined)).toBeUndefined();
  });
});
