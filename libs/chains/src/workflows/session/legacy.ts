/**
 * The session's `patched()` ids, and the commands of the releases before them that a replaying
 * session must issue again, in that release's order. A new session takes none of these paths;
 * each goes once no history without its marker can still be running (see the replay corpus).
 */
import { type BookingLifecycleInput, bookingLifecycleWorkflowId } from '@switchboard/contracts/temporal';
import { condition } from '@temporalio/workflow';
import { startBookingLifecycle } from '../booking-lifecycle.workflow.js';
import type { OutcomeEvent } from './outcome.js';
import type { Controls } from './state.js';

/**
 * Patch id of the idle watchdog: sessions that started before it replay with a timer per wait.
 * Why a watchdog: a timer per wait cost a timer start and cancel in Temporal for every intent
 * (about 7 % of the server's work per booking chain in the bench).
 */
export const IDLE_WATCHDOG_PATCH = 'session-idle-watchdog';
/**
 * Patch id of parking intents that wait for the user's confirmation: the session goes on with
 * the conversation's later intents meanwhile. Sessions that started before it wait inside the
 * chain, holding every later intent (a voice caller who asked something else in between heard
 * nothing until the confirmation timed out).
 */
export const CONFIRMATION_PARKING_PATCH = 'confirmation-parking';
/**
 * Patch id of starting lifecycles from the orchestrator's local activity instead of as child
 * workflows: sessions that started children before it replay that way. Why: a child start cost
 * the session two events and a workflow task, and the lifecycle a child start of its SMS thread
 * and another workflow task (see `lifecycle-start.ts`).
 */
export const LIFECYCLE_START_BY_ACTIVITY_PATCH = 'lifecycle-start-by-activity';

/**
 * Patch id of outputs that fail their type after the effect: left out with a warning, the run
 * succeeded (and an `id` output takes a number). Sessions that met such an output before it
 * failed the run with `invalid_output`, running `on_failure` instead of `on_success`, and
 * replay so. Asked only when an output fails the earlier check, so only such runs carry it.
 */
export const LENIENT_OUTPUTS_PATCH = 'lenient-outputs';

/**
 * Call-control steps go through the conversation's channel (`call.channel` of the call context):
 * a step the channel cannot carry out fails before anything runs (`no_call_control`,
 * `unsupported_by_runtime`), and an end call on a Vapi call runs in the chain (Vapi says the
 * final message and hangs up itself) instead of after the outcome. Sessions before it deferred
 * every end call and left it to the runtime when there was no call sid. Asked only by runs that
 * reach a call-control step with a channel, so only those carry it.
 */
export const CHANNELS_CALL_CONTROL_PATCH = 'channels-call-control';

/** The idle timeout (the session's `IDLE_TIMEOUT_MS`) as the release before the watchdog wrote it. */
const IDLE_TIMEOUT = '24 hours';

/**
 * Before {@link IDLE_WATCHDOG_PATCH}: waits for `ready` with a timer of the idle timeout per
 * wait; false when the timer fired first.
 */
export function waitWithTimerPerWait(ready: () => boolean): Promise<boolean> {
  return condition(ready, IDLE_TIMEOUT);
}

/**
 * Before {@link CONFIRMATION_PARKING_PATCH}: waits inside the chain for the user's answer (or a
 * cancel) to the confirmation just asked; false when the time ran out.
 */
export function waitForAnswerInsideChain(controls: Controls, intentId: string, timeoutMs: number): Promise<boolean> {
  return condition(() => controls.decision(intentId) !== undefined || controls.cancelled(intentId), timeoutMs);
}

/**
 * Commands of an earlier release that a replaying session must issue again, in that release's
 * order. Read from the patch markers a history carries; a new session takes none of them.
 */
export interface LegacyCommands {
  /**
   * Start each booking's lifecycle as a child workflow right after the SMS that enables it,
   * inside the chain, before the outcome is published. The release before the idle watchdog
   * (no `session-idle-watchdog` marker) did so; later ones start lifecycles after the outcome.
   */
  inlineLifecycleStart: boolean;
}

/** {@link LegacyCommands.inlineLifecycleStart}: the earlier release's start, command for command. */
export async function startLifecyclesInline(
  lifecycles: BookingLifecycleInput[],
  emit: (e: OutcomeEvent) => void,
): Promise<void> {
  for (const booking of lifecycles) {
    const workflowId = bookingLifecycleWorkflowId(booking.tenantId, booking.bookingUid);
    try {
      const started = await startBookingLifecycle(booking);
      emit({
        kind: 'log',
        data: {
          level: 'info',
          message: `booking lifecycle ${started === 'started' ? 'started' : 'already running'}`,
          data: { workflow_id: workflowId },
        },
      });
    } catch (err) {
      emit({
        kind: 'log',
        data: {
          level: 'error',
          message: `booking lifecycle could not start: ${err instanceof Error ? err.message : String(err)}`,
          data: { workflow_id: workflowId },
        },
      });
    }
  }
}

/**
 * Before {@link LIFECYCLE_START_BY_ACTIVITY_PATCH}: starts each lifecycle after the outcome as a
 * child workflow, one after the other, and reports each.
 */
export async function startLifecyclesAsChildren(
  lifecycles: BookingLifecycleInput[],
  report: (booking: BookingLifecycleInput, outcome: 'started' | 'already_started' | Error) => void,
): Promise<void> {
  for (const booking of lifecycles) {
    try {
      report(booking, await startBookingLifecycle(booking));
    } catch (err) {
      report(booking, err instanceof Error ? err : new Error(String(err)));
    }
  }
}
