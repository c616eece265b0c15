/**
 * How the caller's call context (contact, call, user — what the conversation service knows when
 * the tool call is made) meets the session's chain state at the start of each intent.
 */
import type { ChainState } from '@switchboard/actions';
import type { JsonObject, JsonValue } from '@switchboard/common';

function isObject(value: JsonValue | undefined): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * The state an intent starts from: each call-context key replaces the stale copy in `context`
 * (the caller knows better), except `user`, which is merged field by field: the conversation's
 * user context wins for the fields it gives, and what chains stored under `user.*` themselves
 * (`context.set` `user.preferences.theme`, as the seed does) stays. Intents of earlier
 * releases carry no `user`, so their state is what it was.
 */
export function withCallContext(state: ChainState, callContext: JsonObject | undefined): ChainState {
  const given = callContext ?? {};
  const context: ChainState['context'] = { ...state.context, ...given };
  const stored = state.context.user;
  const user = given.user;
  if (isObject(user) && isObject(stored)) context.user = { ...stored, ...user };
  return { ...state, context };
}
