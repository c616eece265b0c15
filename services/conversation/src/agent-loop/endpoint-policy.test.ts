import { describe, expect, it } from 'vitest';
import { assertLlmEndpointAllowed } from './endpoint-policy.js';

describe('LLM endpoint policy', () => {
  it.each([
    'http://127.0.0.1:11434/v1',
    'http://[::ffff:127.0.0.1]:11434/v1',
    'http://[::ffff:0:7f00:1]/v1',
    'http://[64:ff9b::a9fe:a9fe]/latest',
    'http://[::7f00:1]/v1',
    'https://[2002:a00:1::1]/v1',
    'https://[fd00::1]/v1',
  ])('refuses %s unless private endpoints are allowed', async (url) => {
    await expect(assertLlmEndpointAllowed(url, false)).rejects.toMatchObject({
      code: 'llm_endpoint_not_allowed',
      retryable: false,
    });
    await expect(assertLlmEndpointAllowed(url, true)).resolves.toBeUndefined();
  });

  it('allows public addresses, IPv4-mapped ones included', async () => {
    await expect(assertLlmEndpointAllowed('https://[2606:4700:4700::1111]/v1', false)).resolves.toBeUndefined();
    await expect(assertLlmEndpointAllowed('https://[::ffff:8.8.8.8]/v1', false)).resolves.toBeUndefined();
    await expect(assertLlmEndpointAllowed('https://8.8.8.8/v1', false)).resolves.toBeUndefined();
  });
});
