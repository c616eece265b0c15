import { emptyState } from '@switchboard/actions';
import { describe, expect, it } from 'vitest';
import { withCallContext } from './call-context.js';

describe('withCallContext', () => {
  it('replaces contact and call with what the caller knows, keeping the rest of the context', () => {
    const state = { ...emptyState(), context: { contact: { name: 'old' }, call: { sid: 'CA1' }, meals: [1] } };
    const next = withCallContext(state, { contact: { name: 'Ada' } });
    expect(next.context).toEqual({ contact: { name: 'Ada' }, call: { sid: 'CA1' }, meals: [1] });
    expect(state.context.contact).toEqual({ name: 'old' });
  });

  it("merges user field by field: the conversation's fields win, chain-stored fields stay", () => {
    const state = { ...emptyState(), context: { user: { name: 'Old', preferences: { theme: 'dark' } } } };
    const next = withCallContext(state, { user: { id: 'u1', name: 'Ada' } });
    expect(next.context.user).toEqual({ id: 'u1', name: 'Ada', preferences: { theme: 'dark' } });
  });

  it('leaves a chain-stored user alone when the call context has none (intents of earlier releases)', () => {
    const state = { ...emptyState(), context: { user: { email: 'a@example.com' } } };
    expect(withCallContext(state, { contact: {} }).context.user).toEqual({ email: 'a@example.com' });
    expect(withCallContext(state, undefined).context.user).toEqual({ email: 'a@example.com' });
  });

  it('takes the given user as it is when the state holds none or a non-object', () => {
    expect(withCallContext(emptyState(), { user: { id: 'u1' } }).context.user).toEqual({ id: 'u1' });
    const state = { ...emptyState(), context: { user: 'text' } };
    expect(withCallContext(state, { user: { id: 'u1' } }).context.user).toEqual({ id: 'u1' });
  });
});
