import { type CanonicalAction, visibleOutputs } from '@switchboard/actions';
import type { JsonObject } from '@switchboard/common';
import type { ToolOutcome } from './types.js';

/**
 * What the model sees of a tool call's outcome, as the content of its tool message: the status,
 * the outputs it may see (`filter_from_agent` ones dropped; none at all when the action is
 * unknown, since nothing then says which are hidden), what the action said, and the error.
 * Never the events: those are for the runtime.
 */
export function resultForModel(
  action: CanonicalAction | undefined,
  outcome: Pick<ToolOutcome, 'status' | 'outputs' | 'messages'> & { error?: { code: string; message: string } | null },
): JsonObject {
  const outputs = action ? visibleOutputs(action, outcome.outputs) : {};
  return {
    status: outcome.status,
    ...(outcome.status === 'running' || outcome.status === 'accepted'
      ? { note: 'Still running; it finishes on its own. Tell the user it is in progress.' }
      : {}),
    ...(Object.keys(outputs).length > 0 ? { outputs: outputs as JsonObject } : {}),
    ...(outcome.messages.length > 0 ? { messages: outcome.messages } : {}),
    ...(outcome.error ? { error: { code: outcome.error.code, message: outcome.error.message } } : {}),
  };
}
