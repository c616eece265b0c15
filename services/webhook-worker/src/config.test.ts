import { describe, expect, it } from 'vitest';
import { loadWebhookOptions } from './config.js';

describe('loadWebhookOptions', () => {
  it('reads VAPI_CONTROL_HOSTS as the telephony worker does: default vapi.ai, listed hosts trimmed', () => {
    expect(loadWebhookOptions({}).vapiControlHosts).toEqual(['vapi.ai']);
    expect(loadWebhookOptions({ VAPI_CONTROL_HOSTS: ' vapi.ai, 127.0.0.1 ' }).vapiControlHosts).toEqual([
      'vapi.ai',
      '127.0.0.1',
    ]);
  });
  it('refuses a VAPI_CONTROL_HOSTS that names no host', () => {
    expect(() => loadWebhookOptions({ VAPI_CONTROL_HOSTS: ' , ' })).toThrow(/VAPI_CONTROL_HOSTS must name/);
  });
});
