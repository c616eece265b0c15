/**
 * Running one intent of a session: its chain interpreted over the session's state, its effects
 * run as activities, its events and outcome published, and what it leaves behind (bookings
 * whose lifecycle starts, a call ended once the final message was delivered).
 */
import {
  type CanonicalAction,
  type ChainEvent,
  type ChainState,
  deliversLater,
  type EffectRequest,
  interpret,
  pickLocale,
  spokenMessages,
} from '@switchboard/actions';
import type { JsonObject, JsonValue } from '@switchboard/common';
import { CallChannels } from '@switchboard/common/call-channels';
import { SwitchboardError } from '@switchboard/common/errors';
import {
  type BookingLifecycleInput,
  bookingLifecycleWorkflowId,
  type CallStatusUpdate,
  DefaultSessionSettings,
  type SessionIntent,
  type SessionSettings,
} from '@switchboard/contracts/temporal';
import { callControlRefusal, channelOfCallContext, effectTraits } from '@switchboard/operations';
import { ActivityFailure, patched } from '@temporalio/workflow';
import { setTraceParent } from '../trace-context.js';
import { sessionActivities } from './activities.js';
import { BOOKING_FOLLOW_PATCH, bookingChangeOf, type FollowedChange, tellLifecycles } from './booking-changes.js';
import { withCallContext } from './call-context.js';
import { type AskedConfirmation, askedBefore, type ConfirmationGate, passConfirmation } from './confirmation.js';
import { endCallsAfterDelivery, failOnStatus, fromActivityFailure, runEffect, withStillWorking } from './effects.js';
import { type IntentTrace, intentTrace } from './intent-trace.js';
import {
  CHANNELS_CALL_CONTROL_PATCH,
  LENIENT_OUTPUTS_PATCH,
  type LegacyCommands,
  LIFECYCLE_START_BY_ACTIVITY_PATCH,
  startLifecyclesAsChildren,
  startLifecyclesInline,
} from './legacy.js';
import { type LifecycleStartOutcome, lifecycleStartReport, startOutcomes } from './lifecycle-report.js';
import { type EventSink, type FinalResult, OutcomePublisher, toPublished } from './outcome.js';
import { type Bookings, type Controls, type InactivityPause, withCallStatus } from './state.js';

/**
 * The patch of the delivery start of async results (issue 15): intents of actions that may be
 * answered before their result start a `resultDelivery` workflow once their outcome is out.
 */
export const ASYNC_RESULT_DELIVERY_PATCH = 'async-result-delivery';

/**
 * The patch of publishing an intent's outcome and starting its bookings' lifecycles in one local
 * activity (`publishOutcomeThenStartLifecycles`) instead of three (outcome, starts, reports).
 */
export const LIFECYCLE_START_WITH_OUTCOME_PATCH = 'lifecycle-start-with-outcome';

/** How one intent runs: the commands of earlier releases it must repeat, and its confirmation gate. */
export interface IntentRun extends LegacyCommands {
  confirmation: ConfirmationGate;
}

/** What a session's intent needs of the session: its controls and its bookings. */
export interface SessionParts {
  controls: Controls;
  bookings: Bookings;
  inactivity: InactivityPause;
}

/** Runs one intent inside its own trace (the caller's), publishing events and the outcome. */
export async function runIntent(
  intent: SessionIntent,
  state: ChainState,
  callStatus: CallStatusUpdate | undefined,
  parts: SessionParts,
  how: IntentRun,
): Promise<{ state: ChainState; asked?: AskedConfirmation }> {
  // A parked intent's second part stays in the chain span its first part started, so the trace
  // shows one chain from the call to its outcome, the wait for the answer included.
  const trace = intentTrace(intent, askedBefore(how.confirmation)?.chainSpanId);
  // Everything the intent schedules (effects, outcome publishing, a booking's lifecycle) joins
  // the caller's trace under the chain span.
  setTraceParent(trace?.chainTraceparent);
  try {
    // The call context (contact, call, user) is what the caller knows now; it overrides stale copies.
    const merged = withCallContext(state, intent.callContext as JsonObject | undefined);
    // The caller's call context does not know the latest status callback; keep it visible.
    const withCall = callStatus === undefined ? merged : withCallStatus(merged, callStatus);
    const result = await execute(intent, withCall, parts, trace, how);
    if (result.status === 'awaiting_confirmation') return { state, asked: result.asked };
    // Its tool call may have been answered `running`: the result is delivered by a workflow of
    // its own (which finds out whether it was). Only such actions ask for the patch.
    if (deliversLater(intent.action as unknown as CanonicalAction) && patched(ASYNC_RESULT_DELIVERY_PATCH)) {
      await sessionActivities.startResultDelivery({
        tenantId: intent.tenantId,
        intentId: intent.intentId,
        ...(intent.settings?.taskQueues ? { taskQueues: intent.settings.taskQueues } : {}),
      });
    }
    // A cancelled run leaves nothing behind: not even the pure steps it ran before the cancel.
    return { state: result.status === 'cancelled' ? state : result.state };
  } finally {
    setTraceParent(undefined);
  }
}

/** How one intent ended, as the session keeps it. */
type ExecuteResult =
  | { status: 'succeeded' | 'failed' | 'cancelled'; state: ChainState; error?: { code: string; message: string } }
  /** Asked the user and set aside (gate `ask`): nothing ran yet. */
  | { status: 'awaiting_confirmation'; asked: AskedConfirmation };

async function execute(
  intent: SessionIntent,
  state: ChainState,
  { controls, bookings, inactivity }: SessionParts,
  trace: IntentTrace | undefined,
  how: IntentRun,
): Promise<ExecuteResult> {
  const settings: SessionSettings = { ...DefaultSessionSettings, ...intent.settings };
  const action = intent.action as unknown as CanonicalAction;
  // A parked intent goes on where it stopped: same start, its events numbered on.
  const asked = askedBefore(how.confirmation);
  const out = new OutcomePublisher(intent, trace, asked, () => inactivity.holdsUntil(Date.now()));

  if (asked === undefined) {
    out.emit({ kind: 'accepted', data: { action: intent.actionName } });
    // While an action runs the caller hears nothing from the agent: the runtime must not treat
    // the silence as the caller's inactivity.
    out.emit({ kind: 'call_control', data: { action: 'pause_inactivity', automatic: true } });
  }

  if (asked === undefined && controls.cancelled(intent.intentId)) {
    await out.finish({
      status: 'cancelled',
      messages: [],
      outputs: {},
      error: { code: 'cancelled', message: 'cancelled by the caller before it started', retryable: false },
    });
    return { status: 'cancelled', state };
  }

  if (action.requireUserConfirmation) {
    const gate = await passConfirmation(intent, action, settings, controls, how.confirmation, out, trace);
    if (gate.verdict === 'asked') return { status: 'awaiting_confirmation', asked: gate.asked };
    if (gate.verdict === 'refused') return { status: gate.status, state, error: gate.error };
  }

  let effectsStarted = 0;
  let cancelledBeforeEffects = false;
  /** Bookings whose lifecycle starts once the outcome is published. */
  const lifecycles: BookingLifecycleInput[] = [];
  /** Bookings cancelled or moved, whose lifecycles are told once the outcome is published. */
  const changedBookings: FollowedChange[] = [];
  const deferredEndCalls: EffectRequest[] = [];
  // Where call-control steps go; undefined for intents of releases before channels.
  const channel = channelOfCallContext(intent.callContext);
  const onEvent = (e: ChainEvent) => out.emit(toPublished(e));
  const result = await interpret(
    {
      action: intent.action as never,
      params: intent.arguments as Record<string, JsonValue>,
      state,
      agentName: intent.agentName,
    },
    {
      async execute(request) {
        // Events before a side effect reach the caller before the (possibly slow) effect runs.
        await out.flush();
        if (effectsStarted === 0 && controls.cancelled(intent.intentId)) {
          // Barge-in before anything happened outside: stop here (on_failure gets no effects either).
          cancelledBeforeEffects = true;
          throw new SwitchboardError('cancelled', 'cancelled by the caller before any side effect', {
            retryable: false,
          });
        }
        // What the session does around the effect is its operation's traits (libs/operations).
        const traits = request.operation === undefined ? undefined : effectTraits(request.operation);
        const channelControl =
          request.kind === 'provider' && traits?.callControl !== undefined && channel !== undefined
            ? patched(CHANNELS_CALL_CONTROL_PATCH)
            : false;
        if (channelControl && channel !== undefined && traits?.callControl !== undefined) {
          // A step the conversation's channel cannot carry out fails here: nothing is done, and
          // nothing reports it done (on_failure runs with the code).
          const refusal = callControlRefusal(channel, traits.callControl);
          if (refusal !== undefined) throw refusal;
        }
        effectsStarted++;
        // Vapi says the final message and hangs up itself (`say` with `endCallAfterSpoken`), so
        // its end call runs in the chain and the step's outcome is the real one.
        const deferred = traits?.deferredUntilDelivered === true && !(channelControl && channel === CallChannels.Vapi);
        if (request.kind === 'provider' && deferred) {
          // Hanging up now would cut off the final message: the call ends once the runtime
          // reports it delivered (or after a bounded wait), after the outcome is published.
          deferredEndCalls.push(request);
          out.emit({
            kind: 'call_control',
            data: {
              action: traits.callControl ?? 'end_call',
              payload: request.payload,
              after: 'final_message_delivered',
            },
          });
          return { status: 'scheduled' } as JsonValue;
        }
        try {
          const effectResult = await withStillWorking(
            () => runEffect(intent, request, trace),
            settings.stillWorkingAfterMs,
            async () => {
              out.emit({
                kind: 'progress',
                data: {
                  // Not the progress message (an unrendered template here): the action's own
                  // delayed message, which the conversation service put in the agent's locale.
                  message: pickLocale(action.messages?.delayed, undefined) ?? 'One moment, still working on that.',
                  still_working: true,
                  step: request.stepPointer,
                },
              });
              await out.flush();
            },
          );
          const control = traits?.callControl;
          if (control !== undefined) {
            out.emit({
              kind: 'call_control',
              data: { action: control, payload: request.payload, result: effectResult },
            });
          }
          if (control === 'pause_inactivity') inactivity.paused(request.payload, Date.now());
          if (control === 'resume_inactivity') inactivity.lifted();
          failOnStatus(effectResult, traits?.failsOnStatus);
          if (traits?.tracksBooking) bookings.booked(intent, request.payload, effectResult);
          if (traits?.changesBooking && patched(BOOKING_FOLLOW_PATCH)) {
            const followed = bookingChangeOf(intent, traits.changesBooking, effectResult);
            if (followed !== undefined) {
              bookings.changed(followed.change, followed.uids);
              changedBookings.push(followed);
            }
          }
          if (traits?.startsBookingLifecycles && how.inlineLifecycleStart) {
            await startLifecyclesInline(bookings.takeForSms(request.payload), (e) => out.emit(e));
          } else if (traits?.startsBookingLifecycles) {
            for (const booking of bookings.takeForSms(request.payload)) {
              // The booking outlives the call: its lifecycle (confirm by SMS, remind, cancel
              // when unconfirmed) is a workflow of its own that the session only starts, after
              // the result is out: the caller need not wait for Temporal to start a workflow.
              lifecycles.push(booking);
              out.emit({
                kind: 'log',
                data: {
                  level: 'info',
                  message: 'booking lifecycle starting',
                  data: { workflow_id: bookingLifecycleWorkflowId(booking.tenantId, booking.bookingUid) },
                },
              });
            }
          }
          return effectResult;
        } catch (err) {
          throw fromActivityFailure(err);
        }
      },
    },
    { onEvent, outputChecks: () => (patched(LENIENT_OUTPUTS_PATCH) ? 'lenient' : 'strict') },
  );

  if (cancelledBeforeEffects) {
    const error = { code: 'cancelled', message: 'cancelled by the caller before any side effect', retryable: false };
    await out.finish({ status: 'cancelled', messages: [], outputs: {}, error });
    return { status: 'cancelled', state, error };
  }
  if (controls.cancelled(intent.intentId)) {
    // Too late: a side effect had started, so the run completed rather than stop half-done.
    out.emit({ kind: 'cancelled', data: { ignored: true, reason: 'a side effect had already started' } });
  }
  // A handoff's message is said too (a payload change only: no command differs on replay).
  const messages = spokenMessages(result.events);
  const error = result.error
    ? {
        code: result.error.code,
        message: result.error.message,
        retryable: result.error.retryable,
        ...(result.error.stepPointer ? { step: result.error.stepPointer } : {}),
      }
    : undefined;
  const final = {
    status: result.status,
    messages,
    outputs: result.outputs as { [key: string]: JsonValue },
    ...(error ? { error } : {}),
  };
  // Asked only by an intent that starts lifecycles: its marker stands in for the one of
  // `LIFECYCLE_START_BY_ACTIVITY_PATCH`, which this path implies (sessions of releases before
  // it replay the branch below).
  if (lifecycles.length > 0 && patched(LIFECYCLE_START_WITH_OUTCOME_PATCH)) {
    await finishThenStartLifecycles(out, final, lifecycles);
  } else {
    await out.finish(final);
    if (lifecycles.length > 0) await startLifecycles(lifecycles, out);
  }
  if (changedBookings.length > 0) await tellLifecycles(intent.tenantId, changedBookings, out);
  if (deferredEndCalls.length > 0)
    await endCallsAfterDelivery(intent, deferredEndCalls, controls, settings, out, trace);
  return { status: result.status, state: result.state, ...(error ? { error } : {}) };
}

/**
 * Publishes the outcome, then starts the lifecycles of the bookings the intent made and reports
 * each on the conversation's stream, in one local activity (one workflow activation instead of
 * three; see `OutcomeThenLifecyclesActivities`). When the starts or their reports did not get
 * done there, the separate local activities do the rest, as {@link startLifecycles}.
 */
async function finishThenStartLifecycles(
  out: OutcomePublisher,
  final: FinalResult,
  lifecycles: BookingLifecycleInput[],
): Promise<void> {
  const outcome = out.finalBatch(final);
  const done = await sessionActivities.publishOutcomeThenStartLifecycles({
    outcome,
    lifecycles,
    reportSeq: out.nextSeq,
  });
  if (done.started === undefined) {
    await startLifecycles(lifecycles, out, { byActivity: true });
    return;
  }
  // The same events (and numbers) the activity published, so the next event is numbered on.
  startOutcomes(lifecycles, done.started).forEach((o, i) => {
    out.emit(lifecycleStartReport(lifecycles[i] as BookingLifecycleInput, o));
  });
  if (done.reported) out.publishedElsewhere();
  else await out.flush();
}

/**
 * Starts the lifecycles of the bookings an intent made (after its outcome is published) and
 * reports each on the conversation's stream. A lifecycle that cannot start does not undo the
 * SMS that went out; it is reported as an error. `byActivity`: the caller knows the session
 * starts them by activity (without asking the patch of that).
 */
async function startLifecycles(
  lifecycles: BookingLifecycleInput[],
  out: EventSink,
  how: { byActivity?: boolean } = {},
): Promise<void> {
  const report = (booking: BookingLifecycleInput, outcome: LifecycleStartOutcome) => {
    out.emit(lifecycleStartReport(booking, outcome));
  };
  if (how.byActivity === true || patched(LIFECYCLE_START_BY_ACTIVITY_PATCH)) {
    try {
      const started = await sessionActivities.startBookingLifecycles(lifecycles);
      startOutcomes(lifecycles, started).forEach((o, i) => {
        report(lifecycles[i] as BookingLifecycleInput, o);
      });
    } catch (err) {
      const error = err instanceof ActivityFailure && err.cause instanceof Error ? err.cause : (err as Error);
      for (const booking of lifecycles) report(booking, error);
    }
  } else {
    await startLifecyclesAsChildren(lifecycles, report);
  }
  await out.flush();
}
