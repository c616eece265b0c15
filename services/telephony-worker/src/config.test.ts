import { ConfigError } from '@switchboard/common';
import { describe, expect, it } from 'vitest';
import { DEFAULT_ANNOUNCE_URL, readTelephonyConfig } from './config.js';

describe('configuration', () => {
  it('defaults to the real Twilio API and the message Twimlet', () => {
    const config = readTelephonyConfig({});
    expect(config).toMatchObject({ apiUrl: 'https://api.twilio.com', announceUrlTemplate: DEFAULT_ANNOUNCE_URL });
    expect(config.resumeUrl).toBeUndefined();
    expect(config.vapiControlHosts).toEqual(['vapi.ai']);
    expect(readTelephonyConfig({ VAPI_CONTROL_HOSTS: ' vapi.ai, 127.0.0.1 ' }).vapiControlHosts).toEqual([
      'vapi.ai',
      '127.0.0.1',
    ]);
    expect(() => readTelephonyConfig({ VAPI_CONTROL_HOSTS: ' , ' })).toThrow(/VAPI_CONTROL_HOSTS must name/);
  });

  it('fails once, naming every bad variable', () => {
    let err: unknown;
    try {
      readTelephonyConfig({
        TWILIO_API_URL: 'api.twilio.com',
        TWILIO_ANNOUNCE_URL: 'https://x.example.com/say',
        TWILIO_TIMEOUT_MS: '5',
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain('TWILIO_TIMEOUT_MS');
    let second: unknown;
    try {
      readTelephonyConfig({ TWILIO_API_URL: 'api.twilio.com', TWILIO_ANNOUNCE_URL: 'https://x.example.com/say' });
    } catch (e) {
      second = e;
    }
    expect((second as Error).message).toContain('TWILIO_API_URL must be an http(s) URL');
    expect((second as Error).message).toContain("TWILIO_ANNOUNCE_URL must contain '{text}'");
  });
});
