/**
 * Call-control steps an agent's voice runtimes cannot perform, found when the action is saved
 * (issue 15, item 2): an agent may say which runtimes it serves (`runtimes` on
 * `PUT /v1/agents/:name`); when it does, an action with a call-control step one of them cannot
 * carry out is an `error`, with the step's pointer and the reason from
 * {@link CALL_CONTROL_SUPPORT}, instead of a refusal on every call of that runtime.
 *
 * Workflow-safe: no I/O, no Node built-ins.
 */
import { actionEffects, type CanonicalAction } from '@switchboard/actions';
import { type CallChannel, CallChannels } from '@switchboard/common/call-channels';
import { callControlRefusal } from './call-channels.js';
import { effectTraits } from './catalogue.js';

/** A voice runtime an agent can serve: every call-control channel but `none`. */
export type CallRuntime = Exclude<CallChannel, typeof CallChannels.None>;

/** Every runtime, in a stable order (schemas, documentation). */
export const CALL_RUNTIMES: readonly CallRuntime[] = [
  CallChannels.Twilio,
  CallChannels.Vapi,
  CallChannels.Retell,
  CallChannels.ElevenLabs,
];

/** One call-control step a listed runtime cannot perform. */
export interface RuntimeProblem {
  /** JSON pointer of the step in the canonical action (`/steps/0`, `/onSuccess/1/then/0`). */
  pointer: string;
  /** Which runtime cannot, and why (the support table's reason). */
  message: string;
}

/**
 * Every call-control step of `action` (main chain, `onSuccess`, `onFailure`, both branches of
 * every conditional) that one of `runtimes` cannot carry out: one problem per step and runtime,
 * in step order then in the order the runtimes are listed. Empty when `runtimes` is empty.
 */
export function runtimeProblems(action: CanonicalAction, runtimes: readonly CallRuntime[]): RuntimeProblem[] {
  if (runtimes.length === 0) return [];
  const problems: RuntimeProblem[] = [];
  for (const effect of actionEffects(action)) {
    const step = effect.operation === undefined ? undefined : effectTraits(effect.operation)?.callControl;
    if (step === undefined) continue;
    for (const runtime of runtimes) {
      const refusal = callControlRefusal(runtime, step);
      if (refusal === undefined) continue;
      problems.push({
        pointer: effect.stepPointer,
        message: `${refusal.message} (the agent's runtimes include ${runtime})`,
      });
    }
  }
  return problems;
}
