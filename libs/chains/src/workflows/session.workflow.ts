/**
 * The conversation session workflow: one per conversation, fed by signal-with-start.
 *
 * Why a session and not a workflow per intent: the state a chain reads and writes (context,
 * flags, workflow state, remembered outputs) belongs to the conversation and must be shared
 * by its tool calls; a single workflow owns it without locks, and applies concurrent tool
 * calls of one conversation one at a time in the order Temporal recorded their signals.
 *
 * Why signal-with-start and not update-with-start: the orchestrator acks a JetStream message
 * only once Temporal has durably accepted the intent. A signal is durable in history when the
 * call returns, independent of whether a worker is polling; an update would tie the ack to
 * a workflow task running. Results go back to the bus from inside the workflow (a local
 * activity), so they survive an orchestrator crash at any point.
 */

import { type ChainState, emptyState } from '@switchboard/actions';
import {
  type CallStatusUpdate,
  callStatusSignal,
  controlSignal,
  DefaultSessionSettings,
  endSessionSignal,
  intentSignal,
  type SessionInput,
  type SessionIntent,
  type SessionSettings,
  sessionStateQuery,
} from '@switchboard/contracts/temporal';
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  patched,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { AskedConfirmation } from './session/confirmation.js';
import { CONFIRMATION_PARKING_PATCH, IDLE_WATCHDOG_PATCH, waitWithTimerPerWait } from './session/legacy.js';
import { runIntent } from './session/run-intent.js';
import { Bookings, Controls, callIsOver, carriedCallStatus, InactivityPause, withCallStatus } from './session/state.js';
import { cleanUpTestCall, TEST_CALL_CLEANUP_PATCH } from './session/test-call-cleanup.js';

// The loop is here: the queue, de-duplication, parking and continue-as-new. Running one intent
// (`session/run-intent.ts`), its outcome (`outcome.ts`), the confirmation gate
// (`confirmation.ts`), the session's state (`state.ts`) and the paths of earlier releases
// (`legacy.ts`) have their modules.

/** An intent waiting for the user's confirmation, set aside (see `CONFIRMATION_PARKING_PATCH`). */
interface ParkedIntent {
  intent: SessionIntent;
  /** When it fails with `confirmation_timeout`, workflow time. */
  deadlineMs: number;
  asked: AskedConfirmation;
}
/** A session with no tool call for this long completes; a new call starts a new run. */
const IDLE_TIMEOUT_MS = 24 * 3_600_000;
/** Intents handled per run before continuing as new, to keep history small. */
const MAX_INTENTS_PER_RUN = 100;
/** Intent ids remembered for de-duplication across redeliveries and continue-as-new. */
const RECENT_IDS = 1000;

/** The session workflow of one conversation (see the file comment). */
export async function conversationSession(input: SessionInput): Promise<void> {
  let state = (input.carried?.state as ChainState | undefined) ?? emptyState();
  const recent: string[] = [...(input.carried?.recentIntentIds ?? [])];
  const pending: SessionIntent[] = [...(input.carried?.pending ?? [])];
  const controls = new Controls(input.carried?.controls);
  const bookings = new Bookings(input.carried?.bookings);
  const inactivity = new InactivityPause(input.carried?.inactivityPausedUntilMs);
  const parts = { controls, bookings, inactivity };
  const parked: ParkedIntent[] = [...((input.carried?.parked ?? []) as unknown as ParkedIntent[])];
  let ended = false;
  let processed = 0;
  // Nothing ran since the test call's clean-up (or there was none yet): see the end path.
  let cleanedUp = false;
  // The latest call status callback; applied to the state after every intent, because an
  // intent's run (and its call context) replaces the state it started from.
  let callStatus: CallStatusUpdate | undefined = carriedCallStatus(state);

  const seen = (id: string) =>
    recent.includes(id) || pending.some((p) => p.intentId === id) || parked.some((p) => p.intent.intentId === id);
  setHandler(intentSignal, (intent) => {
    // A redelivered or re-signalled intent (orchestrator crash before ack) is dropped here.
    if (!seen(intent.intentId)) pending.push(intent);
  });
  setHandler(controlSignal, (control) => controls.add(control));
  setHandler(callStatusSignal, (update) => {
    // Twilio's callbacks can arrive out of order; the latest one (by receipt time) wins.
    if (callStatus !== undefined && update.at < callStatus.at) return;
    callStatus = update;
    state = withCallStatus(state, update);
    // The caller is gone: nobody is left to wait for.
    if (callIsOver(update)) inactivity.lifted();
  });
  setHandler(endSessionSignal, () => {
    ended = true;
    inactivity.lifted();
  });
  setHandler(sessionStateQuery, () => ({
    state: state as unknown as Record<string, unknown>,
    processed,
    pending: pending.length + parked.length,
    recentIntentIds: [...recent],
    // A query is not in history: answering more changes no replay.
    pendingIntentIds: [...pending.map((p) => p.intentId), ...parked.map((p) => p.intent.intentId)],
    ...(inactivity.holdsUntil(Date.now()) !== undefined
      ? { inactivityPausedUntilMs: inactivity.holdsUntil(Date.now()) }
      : {}),
  }));

  let busy = false;
  let lastActiveMs = Date.now();
  let idle = false;
  const watchdog = patched(IDLE_WATCHDOG_PATCH);
  // Only a session that has the watchdog can park (parked intents keep it from going idle).
  const parking = watchdog && patched(CONFIRMATION_PARKING_PATCH);
  if (watchdog) {
    void watchIdle(
      () => (busy || parked.length > 0 ? Date.now() : lastActiveMs),
      () => {
        idle = true;
      },
    );
  }

  /** The first parked intent that was answered, cancelled or timed out. */
  const due = () =>
    parked.findIndex(
      (p) =>
        controls.decision(p.intent.intentId) !== undefined ||
        controls.cancelled(p.intent.intentId) ||
        Date.now() >= p.deadlineMs,
    );
  for (;;) {
    let woke: boolean;
    if (parked.length > 0) {
      // Wake for the next intent, an answer, or the nearest confirmation deadline.
      const nearest = Math.min(...parked.map((p) => p.deadlineMs));
      await condition(() => pending.length > 0 || ended || due() >= 0, Math.max(1, nearest - Date.now()));
      woke = true;
    } else {
      woke = watchdog
        ? await condition(() => pending.length > 0 || ended || idle).then(() => !idle)
        : await waitWithTimerPerWait(() => pending.length > 0 || ended);
    }
    // The user answered the question just asked: that goes before what came since.
    const answered = due();
    if (answered >= 0) {
      const [p] = parked.splice(answered, 1) as [ParkedIntent];
      const timedOut = controls.decision(p.intent.intentId) === undefined && !controls.cancelled(p.intent.intentId);
      busy = true;
      try {
        const ran = await runIntent(p.intent, state, callStatus, parts, {
          inlineLifecycleStart: false,
          confirmation: { mode: timedOut ? 'expired' : 'answered', asked: p.asked },
        });
        state = ran.state;
      } finally {
        busy = false;
        lastActiveMs = Date.now();
      }
      if (callStatus !== undefined) state = withCallStatus(state, callStatus);
      processed++;
      continue;
    }
    if (pending.length > 0 && (processed >= MAX_INTENTS_PER_RUN || workflowInfo().continueAsNewSuggested)) {
      // Continue-as-new when the next intent has arrived, not right after publishing a result:
      // a client that calls again as soon as it has the result would otherwise race the
      // continue-as-new task with its signal, and the rejected task forces a full replay
      // (seconds at a few thousand events). Here the waking signal is already in history.
      await condition(allHandlersFinished);
      const pausedUntil = inactivity.carry();
      await continueAsNew<typeof conversationSession>({
        tenantId: input.tenantId,
        conversationId: input.conversationId,
        carried: {
          state: state as unknown as Record<string, unknown>,
          recentIntentIds: recent,
          pending,
          controls: controls.carry(),
          bookings: bookings.carry(),
          ...(pausedUntil !== undefined ? { inactivityPausedUntilMs: pausedUntil } : {}),
          ...(parked.length > 0 ? { parked: parked as unknown as Record<string, unknown>[] } : {}),
        },
      });
    }
    const intent = pending.shift();
    if (intent === undefined) {
      // A parked intent still gets its answer or its timeout, even after the conversation ended.
      if ((ended || !woke) && parked.length === 0) {
        // A test call cleans up after itself before its session ends. Intents that arrive
        // meanwhile (an idle conversation called again) are run, not dropped: the loop goes on,
        // and the next end cleans up again.
        if (watchdog && !cleanedUp && patched(TEST_CALL_CLEANUP_PATCH)) {
          cleanedUp = true;
          await cleanUpTestCall(input.tenantId, input.conversationId, ended ? 'ended' : 'idle');
          continue;
        }
        return;
      }
      continue;
    }
    recent.push(intent.intentId);
    cleanedUp = false;
    if (recent.length > RECENT_IDS) recent.splice(0, recent.length - RECENT_IDS);
    busy = true;
    try {
      // A history without the watchdog marker was written by the release before it, which
      // started lifecycles inside the chain (see `LegacyCommands`).
      const ran = await runIntent(intent, state, callStatus, parts, {
        inlineLifecycleStart: !watchdog,
        confirmation: { mode: parking ? 'ask' : 'block' },
      });
      state = ran.state;
      if (ran.asked !== undefined) {
        const settings: SessionSettings = { ...DefaultSessionSettings, ...intent.settings };
        parked.push({ intent, deadlineMs: Date.now() + settings.confirmationTimeoutMs, asked: ran.asked });
      }
    } finally {
      busy = false;
      lastActiveMs = Date.now();
    }
    if (callStatus !== undefined) state = withCallStatus(state, callStatus);
    processed++;
  }
}

/**
 * Calls `onIdle` once no intent has been active for the idle timeout: one timer per idle period
 * (re-armed for the time left when activity happened meanwhile), not one per wait.
 */
async function watchIdle(lastActiveMs: () => number, onIdle: () => void): Promise<void> {
  for (;;) {
    const left = lastActiveMs() + IDLE_TIMEOUT_MS - Date.now();
    if (left <= 0) {
      onIdle();
      return;
    }
    await sleep(left);
  }
}
