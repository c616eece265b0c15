/**
 * Serving declared operations: a worker implements an operation against its payload as the
 * spec parses it, so the payload is typed once (in `@switchboard/operations`) and parsed once,
 * before anything else runs.
 */
import type { ProviderActivities, ProviderCall } from '@switchboard/chains';
import type { JsonValue } from '@switchboard/common';
import type { OperationSpec } from '@switchboard/operations';

/** An operation's implementation: the call, and its payload as the spec parsed it. */
export type OperationImpl<I> = (call: ProviderCall, input: I) => Promise<JsonValue>;

/**
 * The activity (keyed by operation name) serving `spec` with `impl`. A payload the spec's
 * parser refuses fails non-retryably (`provider_invalid_input`) before `impl` runs.
 */
export function serveOperation<I>(spec: OperationSpec<I>, impl: OperationImpl<I>): ProviderActivities {
  const parse = spec.parse;
  if (parse === undefined) throw new Error(`operation '${spec.name}' declares no payload parser to serve it with`);
  return { [spec.name]: async (call) => impl(call, parse(call.payload)) };
}
