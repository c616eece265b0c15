import type { CanonicalAction } from '@switchboard/actions';
import { describe, expect, it } from 'vitest';
import { describeOutcome, e164, retellIdempotencyKey } from './dropin.js';
import type { ToolCallResponse } from './results.js';

const base: ToolCallResponse = { id: 'int_1', status: 'succeeded', messages: [], events: [], outputs: {} };
const withHidden = { outputs: [{ name: 'secret', filterFromAgent: true }, { name: 'slot' }] } as CanonicalAction;

describe('describeOutcome', () => {
  it('joins the messages and appends the visible outputs as JSON', () => {
    const outcome = describeOutcome(
      { ...base, messages: ['Booked.', 'See you then.'], outputs: { slot: '10:00', secret: 'x' } },
      withHidden,
    );
    expect(outcome.text).toBe('Booked. See you then.\nOutputs: {"slot":"10:00"}');
    expect(outcome.outputs).toEqual({ slot: '10:00' });
    expect(outcome.failed).toBe(false);
  });

  it('says why a chain failed or was cancelled, after its messages', () => {
    const error = { code: 'webhook_rejected', message: 'HTTP 422', retryable: false };
    const failed = describeOutcome({ ...base, status: 'failed', messages: ['Sorry.'], error }, undefined);
    expect(failed).toMatchObject({ failed: true, text: 'Sorry.\nThe action failed (webhook_rejected): HTTP 422' });
    expect(failed.error).toEqual({ code: 'webhook_rejected', message: 'HTTP 422' });
    const cancelled = describeOutcome({ ...base, status: 'cancelled' }, undefined);
    expect(cancelled).toMatchObject({ failed: true, text: 'The action was cancelled.' });
  });

  it('says when nothing is known yet, and never returns an empty text', () => {
    expect(describeOutcome({ ...base, status: 'running' }, undefined).text).toContain(
      'still running (tool call int_1)',
    );
    expect(describeOutcome({ ...base, status: 'awaiting_confirmation' }, undefined).text).toContain('confirmation');
    expect(describeOutcome(base, undefined).text).toBe('Done.');
  });
});

describe('retellIdempotencyKey', () => {
  it('is the same for the same call, name and arguments in any key order, and differs otherwise', () => {
    const key = retellIdempotencyKey('c1', 'save', { a: 1, b: [2] });
    expect(retellIdempotencyKey('c1', 'save', { b: [2], a: 1 })).toBe(key);
    expect(retellIdempotencyKey('c2', 'save', { a: 1, b: [2] })).not.toBe(key);
    expect(retellIdempotencyKey('c1', 'other', { a: 1, b: [2] })).not.toBe(key);
    expect(retellIdempotencyKey('c1', 'save', { a: 2, b: [2] })).not.toBe(key);
  });
});

describe('e164', () => {
  it('keeps E.164 numbers only', () => {
    expect(e164('+15551234567')).toBe('+15551234567');
    expect(e164('5551234567')).toBeUndefined();
    expect(e164(undefined)).toBeUndefined();
  });
});
