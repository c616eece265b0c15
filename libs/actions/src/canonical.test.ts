import { describe, expect, it } from 'vitest';
import { validateCanonicalAction } from './canonical.js';
import type { CanonicalAction } from './model.js';

const builtin: CanonicalAction = {
  name: 'Book Consultation',
  label: 'Book Consultation',
  description: 'Book a consultation in Cal.com',
  source: 'builtin',
  parameters: [{ name: 'email', type: 'string', required: true }],
  outputs: [],
  steps: [{ type: 'provider', operation: 'calcom.book', input: { email: 'params.email' }, result_key: 'booking' }],
  onSuccess: [{ type: 'respond', message: 'Booked for {{params.email}}.' }],
  onFailure: [{ type: 'respond', message: 'Booking failed: {{error.message}}' }],
  requireUserConfirmation: true,
  includeInProgressIndicator: false,
};

describe('validateCanonicalAction', () => {
  it('accepts a built-in with a provider step', () => {
    expect(validateCanonicalAction(builtin)).toEqual([]);
  });
  it('reports canonical mistakes at canonical pointers', () => {
    const issues = validateCanonicalAction({
      ...builtin,
      source: 'typed',
      parameters: [{ name: 'x', type: 'list', required: true }],
      steps: [{ type: 'provider', operation: 'Calcom', input: {} }],
      onSuccess: [{ type: 'respond', message: '{{error.message}}' }],
      extra: 1,
    });
    expect(issues.map((i) => i.pointer)).toEqual([
      '/extra',
      '/name',
      '/parameters/0/items',
      '/steps/0/operation',
      '/onSuccess/0/message',
    ]);
  });
});
