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

import {
  type CanonicalAction,
  type ChainEvent,
  type ChainState,
  type EffectPolicy,
  type EffectRequest,
  emptyState,
  interpret,
} from '@switchboard/actions';
import type { JsonValue } from '@switchboard/common';
import { SwitchboardError } from '@switchboard/common/errors';
import {
  type BookingLifecycleInput,
  bookingLifecycleWorkflowId,
  type CallStatusUpdate,
  callStatusSignal,
  controlSignal,
  DefaultSessionSettings,
  endSessionSignal,
  intentSignal,
  type SessionControl,
  type SessionInput,
  type SessionIntent,
  type SessionSettings,
  sessionStateQuery,
  TaskQueues,
} from '@switchboard/contracts/temporal';
import { operationFamily } from '@switchboard/operations';
import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type {
  FinalOutcome,
  ProviderActivities,
  PublishedEvent,
  SessionActivities,
  WebhookActivities,
  WorkflowSpan,
} from '../activity-types.js';
import { activityOptionsFor, type EffectDefaults, PROVIDER_DEFAULTS, WEBHOOK_DEFAULTS } from '../policy.js';
import { startBookingLifecycle } from './booking-lifecycle.workflow.js';
import { childTraceparent, newSpanId, parseTraceparent, setTraceParent, withTraceParent } from './trace-context.js';

/** A session with no tool call for this long completes; a new call starts a new run. */
const IDLE_TIMEOUT = '24 hours';
const IDLE_TIMEOUT_MS = 24 * 3_600_000;
/**
 * Patch id of the idle watchdog: sessions that started before it replay with a timer per wait.
 * Why a watchdog: a timer per wait cost a timer start and cancel in Temporal for every intent
 * (about 7 % of the server's work per booking chain in the bench).
 */
const IDLE_WATCHDOG_PATCH = 'session-idle-watchdog';
/**
 * Patch id of parking intents that wait for the user's confirmation: the session goes on with
 * the conversation's later intents meanwhile. Sessions that started before it wait inside the
 * chain, holding every later intent (a voice caller who asked something else in between heard
 * nothing until the confirmation timed out).
 */
const CONFIRMATION_PARKING_PATCH = 'confirmation-parking';

/** An intent waiting for the user's confirmation, set aside (see {@link CONFIRMATION_PARKING_PATCH}). */
interface ParkedIntent {
  intent: SessionIntent;
  /** When it fails with `confirmation_timeout`, workflow time. */
  deadlineMs: number;
  asked: AskedConfirmation;
}
/** Intents handled per run before continuing as new, to keep history small. */
const MAX_INTENTS_PER_RUN = 100;
/** Intent ids remembered for de-duplication across redeliveries and continue-as-new. */
const RECENT_IDS = 1000;

/** Activity proxies by queue and policy (a definition has few distinct policies). */
const proxies = new Map<string, unknown>();
function proxyFor<T>(queue: string, policy: EffectPolicy | undefined, defaults: EffectDefaults): T {
  const key = `${queue}\u0000${policy === undefined ? '' : JSON.stringify(policy)}`;
  let proxy = proxies.get(key);
  if (proxy === undefined) {
    proxy = proxyActivities(activityOptionsFor(queue, defaults, policy));
    proxies.set(key, proxy);
  }
  return proxy as T;
}

/** Operations whose success the voice runtime must act on (it owns the call leg). */
const CALL_CONTROL: Record<string, string> = {
  'telephony.transfer': 'transfer',
  'telephony.end_call': 'end_call',
  'session.pause_inactivity': 'pause_inactivity',
};

const session = proxyLocalActivities<SessionActivities>({
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '100 milliseconds', maximumInterval: '5 seconds', maximumAttempts: 20 },
});

/** Control messages remembered (for intents not run yet, and de-duplication). */
const RECENT_CONTROLS = 500;

/**
 * What the conversation's controls said so far: confirmations, declines, cancels and
 * deliveries, by intent id. Kept by the session (and carried across continue-as-new) because a
 * control may arrive before the session reaches its intent.
 */
class Controls {
  private readonly list: SessionControl[];
  constructor(carried: SessionControl[] = []) {
    this.list = [...carried];
  }
  add(control: SessionControl): void {
    if (this.list.some((c) => c.controlId === control.controlId)) return;
    this.list.push(control);
    if (this.list.length > RECENT_CONTROLS) this.list.splice(0, this.list.length - RECENT_CONTROLS);
  }
  private has(intentId: string, kind: SessionControl['kind']): boolean {
    return this.list.some((c) => c.intentId === intentId && c.kind === kind);
  }
  cancelled(intentId: string): boolean {
    return this.has(intentId, 'cancel');
  }
  delivered(intentId: string): boolean {
    return this.has(intentId, 'delivered');
  }
  /** The user's first answer to a confirmation request. */
  decision(intentId: string): 'confirm' | 'decline' | undefined {
    const first = this.list.find((c) => c.intentId === intentId && (c.kind === 'confirm' || c.kind === 'decline'));
    return first?.kind as 'confirm' | 'decline' | undefined;
  }
  carry(): SessionControl[] {
    return [...this.list];
  }
}

/**
 * Bookings this conversation made that have no lifecycle yet. A lifecycle needs to text the
 * customer, so it starts once the conversation has sent an SMS (the booking agent's "SMS
 * confirmation" step): from then on the credential, sender and number are known.
 */
class Bookings {
  private readonly list: BookingLifecycleInput[];
  constructor(carried: Record<string, unknown>[] = []) {
    this.list = carried as unknown as BookingLifecycleInput[];
  }
  /** Remembers a booking `calcom.book` made. */
  booked(intent: SessionIntent, payload: JsonValue, result: JsonValue): void {
    const p = asObject(payload);
    const r = asObject(result);
    const attendee = asObject(p.attendee);
    if (typeof r.booking_uid !== 'string' || typeof r.start !== 'string') return;
    this.list.push({
      tenantId: intent.tenantId,
      conversationId: intent.conversationId,
      intentId: intent.intentId,
      bookingUid: r.booking_uid,
      start: r.start,
      timeZone: String(attendee.time_zone ?? p.time_zone ?? 'UTC'),
      phone: typeof attendee.phone_number === 'string' ? attendee.phone_number : '',
      attendeeName: String(attendee.name ?? ''),
      calcomCredential: String(p.credential ?? ''),
      smsCredential: '',
      ...(typeof p.event_type_id === 'number' ? { eventTypeId: p.event_type_id } : {}),
      bookedAtMs: Date.now(),
      timings: { ...(intent.settings?.lifecycle ?? DefaultSessionSettings.lifecycle) },
      sandbox: intent.sandbox,
      ...(intent.settings?.taskQueues ? { taskQueues: intent.settings.taskQueues } : {}),
    });
  }
  /** The bookings whose lifecycle can start now that an SMS went to `payload.to`; forgets them. */
  takeForSms(payload: JsonValue): BookingLifecycleInput[] {
    const p = asObject(payload);
    if (typeof p.to !== 'string' || typeof p.credential !== 'string') return [];
    const taken = this.list.splice(0, this.list.length);
    return taken.map((b) => ({
      ...b,
      phone: p.to as string,
      smsCredential: p.credential as string,
      ...(typeof p.from === 'string' ? { smsFrom: p.from } : {}),
      ...(typeof p.messaging_service_sid === 'string' ? { smsMessagingServiceSid: p.messaging_service_sid } : {}),
    }));
  }
  carry(): Record<string, unknown>[] {
    return this.list as unknown as Record<string, unknown>[];
  }
}

function asObject(value: JsonValue | undefined): { [key: string]: JsonValue } {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? value : {};
}

export async function conversationSession(input: SessionInput): Promise<void> {
  let state = (input.carried?.state as ChainState | undefined) ?? emptyState();
  const recent: string[] = [...(input.carried?.recentIntentIds ?? [])];
  const pending: SessionIntent[] = [...(input.carried?.pending ?? [])];
  const controls = new Controls(input.carried?.controls);
  const bookings = new Bookings(input.carried?.bookings);
  const parked: ParkedIntent[] = [...((input.carried?.parked ?? []) as unknown as ParkedIntent[])];
  let ended = false;
  let processed = 0;
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
  });
  setHandler(endSessionSignal, () => {
    ended = true;
  });
  setHandler(sessionStateQuery, () => ({
    state: state as unknown as Record<string, unknown>,
    processed,
    pending: pending.length + parked.length,
    recentIntentIds: [...recent],
    // A query is not in history: answering more changes no replay.
    pendingIntentIds: [...pending.map((p) => p.intentId), ...parked.map((p) => p.intent.intentId)],
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
        : await condition(() => pending.length > 0 || ended, IDLE_TIMEOUT);
    }
    // The user answered the question just asked: that goes before what came since.
    const answered = due();
    if (answered >= 0) {
      const [p] = parked.splice(answered, 1) as [ParkedIntent];
      const timedOut = controls.decision(p.intent.intentId) === undefined && !controls.cancelled(p.intent.intentId);
      busy = true;
      try {
        const ran = await runIntent(p.intent, state, callStatus, controls, bookings, {
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
      await continueAsNew<typeof conversationSession>({
        tenantId: input.tenantId,
        conversationId: input.conversationId,
        carried: {
          state: state as unknown as Record<string, unknown>,
          recentIntentIds: recent,
          pending,
          controls: controls.carry(),
          bookings: bookings.carry(),
          ...(parked.length > 0 ? { parked: parked as unknown as Record<string, unknown>[] } : {}),
        },
      });
    }
    const intent = pending.shift();
    if (intent === undefined) {
      // A parked intent still gets its answer or its timeout, even after the conversation ended.
      if ((ended || !woke) && parked.length === 0) return;
      continue;
    }
    recent.push(intent.intentId);
    if (recent.length > RECENT_IDS) recent.splice(0, recent.length - RECENT_IDS);
    busy = true;
    try {
      // A history without the watchdog marker was written by the release before it, which
      // started lifecycles inside the chain (see `LegacyCommands`).
      const ran = await runIntent(intent, state, callStatus, controls, bookings, {
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

/** The call status a previous run (before continue-as-new) recorded in the state, if any. */
function carriedCallStatus(state: ChainState): CallStatusUpdate | undefined {
  const call = state.context.call;
  if (call === null || typeof call !== 'object' || Array.isArray(call)) return undefined;
  const { sid, status, statusAt } = call;
  return typeof sid === 'string' && typeof status === 'string' && typeof statusAt === 'number'
    ? { callSid: sid, status, at: statusAt }
    : undefined;
}

/** The state with `context.call.status` / `statusAt` set from a call status callback. */
function withCallStatus(state: ChainState, update: CallStatusUpdate): ChainState {
  const current = state.context.call;
  const call = current !== null && typeof current === 'object' && !Array.isArray(current) ? current : {};
  // A status of another call (the caller replaced the call context) does not apply.
  if (call.sid !== undefined && call.sid !== update.callSid) return state;
  return {
    ...state,
    context: {
      ...state.context,
      call: {
        ...call,
        ...(call.sid === undefined ? { sid: update.callSid } : {}),
        status: update.status,
        statusAt: update.at,
      },
    },
  };
}

/**
 * The trace of one intent as the workflow keeps it: the caller's span (the orchestrator's
 * consume span), the id of the `chain <action>` span under it, and the spans of the effects,
 * all recorded by the orchestrator with the outcome (see `WorkflowSpan`).
 */
interface IntentTrace {
  parentSpanId: string;
  chainSpanId: string;
  /** What activities and child workflows of this intent carry as their parent. */
  chainTraceparent: string;
  spans: WorkflowSpan[];
}

/** The intent's trace; `continued` is the chain span id of a parked intent's first part. */
function intentTrace(intent: SessionIntent, continued?: string): IntentTrace | undefined {
  const parent = parseTraceparent(intent.traceparent);
  if (parent === undefined) return undefined;
  const chainSpanId = continued ?? newSpanId();
  return {
    parentSpanId: parent.spanId,
    chainSpanId,
    chainTraceparent: childTraceparent(intent.traceparent, chainSpanId) as string,
    spans: [],
  };
}

/** Runs one intent inside its own trace (the caller's), publishing events and the outcome. */
async function runIntent(
  intent: SessionIntent,
  state: ChainState,
  callStatus: CallStatusUpdate | undefined,
  controls: Controls,
  bookings: Bookings,
  how: IntentRun,
): Promise<{ state: ChainState; asked?: AskedConfirmation }> {
  const gate = how.confirmation;
  // A parked intent's second part stays in the chain span its first part started, so the trace
  // shows one chain from the call to its outcome, the wait for the answer included.
  const trace = intentTrace(
    intent,
    gate.mode === 'answered' || gate.mode === 'expired' ? gate.asked.chainSpanId : undefined,
  );
  // Everything the intent schedules (effects, outcome publishing, a booking's lifecycle) joins
  // the caller's trace under the chain span.
  setTraceParent(trace?.chainTraceparent);
  try {
    // The call context (contact, call) is what the caller knows now; it overrides stale copies.
    const merged: ChainState = {
      ...state,
      context: { ...state.context, ...(intent.callContext as ChainState['context']) },
    };
    // The caller's call context does not know the latest status callback; keep it visible.
    const withCall = callStatus === undefined ? merged : withCallStatus(merged, callStatus);
    const result = await execute(intent, withCall, controls, bookings, trace, how);
    if (result.status === 'awaiting_confirmation') return { state, asked: result.asked };
    // A cancelled run leaves nothing behind: not even the pure steps it ran before the cancel.
    return { state: result.status === 'cancelled' ? state : result.state };
  } finally {
    setTraceParent(undefined);
  }
}

/** How one intent ended, as the session keeps it. */
type ExecuteResult =
  | { status: 'succeeded' | 'failed' | 'cancelled'; state: ChainState; error?: { code: string; message: string } }
  /** Asked the user and set aside ({@link ConfirmationGate} `ask`): nothing ran yet. */
  | { status: 'awaiting_confirmation'; asked: AskedConfirmation };

/** What an intent published before it was set aside to wait for the user's confirmation. */
interface AskedConfirmation {
  /** The next event's sequence number: the run goes on numbering its events from there. */
  seq: number;
  events: PublishedEvent[];
  startedAtMs: number;
  /** The chain span the first part ran under (absent without a trace). */
  chainSpanId?: string;
}

/** How `execute` treats `require_user_confirmation`. */
type ConfirmationGate =
  /** Ask, then wait inside the chain (sessions from before {@link CONFIRMATION_PARKING_PATCH}). */
  | { mode: 'block' }
  /** Ask, then return `awaiting_confirmation`: the session parks the intent. */
  | { mode: 'ask' }
  /** A parked intent was answered (or cancelled), or its time ran out: act on that. */
  | { mode: 'answered' | 'expired'; asked: AskedConfirmation };

/** How one intent runs: the commands of earlier releases it must repeat, and its confirmation gate. */
interface IntentRun extends LegacyCommands {
  confirmation: ConfirmationGate;
}

/** Operations whose outcome the runtime must hear about, and whose failure modes differ. */
const TRANSFER = 'telephony.transfer';
const END_CALL = 'telephony.end_call';
const CALCOM_BOOK = 'calcom.book';
const SMS_SEND = 'sms.send';
/** Warm transfer outcomes that mean the caller is still with us: the chain falls back. */
const TRANSFER_FALLBACK = new Set(['busy', 'no-answer', 'no_answer', 'failed', 'canceled']);

async function execute(
  intent: SessionIntent,
  state: ChainState,
  controls: Controls,
  bookings: Bookings,
  trace: IntentTrace | undefined,
  how: IntentRun,
): Promise<ExecuteResult> {
  const settings: SessionSettings = { ...DefaultSessionSettings, ...intent.settings };
  const action = intent.action as unknown as CanonicalAction;
  const gate = how.confirmation;
  // A parked intent goes on where it stopped: same start, its events numbered on.
  const asked = gate.mode === 'answered' || gate.mode === 'expired' ? gate.asked : undefined;
  const startedAtMs = asked?.startedAtMs ?? Date.now();
  const ref = {
    intentId: intent.intentId,
    tenantId: intent.tenantId,
    conversationId: intent.conversationId,
    actionName: intent.actionName,
    traceparent: intent.traceparent,
  };
  let seq = asked?.seq ?? 0;
  let first = asked === undefined;
  const all: PublishedEvent[] = [...(asked?.events ?? [])];
  let buffer: PublishedEvent[] = [];
  const flush = async () => {
    if (buffer.length === 0 && !first) return;
    const events = buffer;
    buffer = [];
    await session.publishOutcome({ intent: ref, first, events });
    first = false;
  };
  const emit = (e: Pick<PublishedEvent, 'kind' | 'data'>) => {
    const published: PublishedEvent = { seq: seq++, ...e, atMs: Date.now() };
    buffer.push(published);
    all.push(published);
  };
  const finish = async (final: {
    status: FinalOutcome['status'];
    messages: string[];
    outputs: FinalOutcome['outputs'];
    error?: FinalOutcome['error'];
  }) => {
    if (final.status === 'failed' && final.error) {
      emit({ kind: 'failed', data: { ...final.error } });
    } else if (final.status === 'cancelled') {
      emit({ kind: 'cancelled', data: { ...(final.error ?? {}) } });
    }
    // The runtime paused its inactivity timer for this action; the action is over now.
    emit({ kind: 'call_control', data: { action: 'resume_inactivity', automatic: true } });
    const finishedAtMs = Date.now();
    const spans =
      trace === undefined
        ? undefined
        : [
            ...trace.spans,
            {
              name: `chain ${intent.actionName}`,
              spanId: trace.chainSpanId,
              parentSpanId: trace.parentSpanId,
              kind: 'internal' as const,
              startMs: startedAtMs,
              endMs: finishedAtMs,
              attributes: {
                'switchboard.intent_id': intent.intentId,
                'switchboard.conversation_id': intent.conversationId,
                'switchboard.status': final.status,
              },
              ...(final.status === 'failed' ? { error: final.error?.message ?? 'failed' } : {}),
            },
          ];
    await session.publishOutcome({
      intent: ref,
      first,
      events: buffer,
      final: { ...final, events: all, startedAtMs, finishedAtMs, ...(spans ? { spans } : {}) },
    });
    first = false;
    buffer = [];
  };

  if (asked === undefined) {
    emit({ kind: 'accepted', data: { action: intent.actionName } });
    // While an action runs the caller hears nothing from the agent: the runtime must not treat
    // the silence as the caller's inactivity.
    emit({ kind: 'call_control', data: { action: 'pause_inactivity', automatic: true } });
  }

  if (asked === undefined && controls.cancelled(intent.intentId)) {
    await finish({
      status: 'cancelled',
      messages: [],
      outputs: {},
      error: { code: 'cancelled', message: 'cancelled by the caller before it started', retryable: false },
    });
    return { status: 'cancelled', state };
  }

  if (action.requireUserConfirmation) {
    if (asked === undefined) {
      emit({
        kind: 'confirmation_required',
        data: {
          action: intent.actionName,
          label: action.label ?? intent.actionName,
          arguments: intent.arguments as JsonValue,
          timeout_ms: settings.confirmationTimeoutMs,
        },
      });
      await flush();
    }
    if (gate.mode === 'ask') {
      const asking: AskedConfirmation = { seq, events: all, startedAtMs };
      if (trace !== undefined) asking.chainSpanId = trace.chainSpanId;
      return { status: 'awaiting_confirmation', asked: asking };
    }
    const answered =
      gate.mode === 'block'
        ? await condition(
            () => controls.decision(intent.intentId) !== undefined || controls.cancelled(intent.intentId),
            settings.confirmationTimeoutMs,
          )
        : gate.mode === 'answered';
    const decision = controls.decision(intent.intentId);
    if (!answered || decision !== 'confirm') {
      const error = !answered
        ? {
            code: 'confirmation_timeout',
            message: `no confirmation within ${Math.round(settings.confirmationTimeoutMs / 1000)} s; the action did not run`,
            retryable: true,
          }
        : decision === 'decline'
          ? { code: 'user_declined', message: 'the user declined; the action did not run', retryable: false }
          : { code: 'cancelled', message: 'cancelled by the caller before it started', retryable: false };
      await finish({ status: answered ? 'cancelled' : 'failed', messages: [], outputs: {}, error });
      return { status: answered ? 'cancelled' : 'failed', state, error };
    }
  }

  let effectsStarted = 0;
  let cancelledBeforeEffects = false;
  /** Bookings whose lifecycle starts once the outcome is published. */
  const lifecycles: BookingLifecycleInput[] = [];
  const deferredEndCalls: EffectRequest[] = [];
  const onEvent = (e: ChainEvent) => emit(toPublished(e));
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
        await flush();
        if (effectsStarted === 0 && controls.cancelled(intent.intentId)) {
          // Barge-in before anything happened outside: stop here (on_failure gets no effects either).
          cancelledBeforeEffects = true;
          throw new SwitchboardError('cancelled', 'cancelled by the caller before any side effect', {
            retryable: false,
          });
        }
        effectsStarted++;
        if (request.kind === 'provider' && request.operation === END_CALL) {
          // Hanging up now would cut off the final message: the call ends once the runtime
          // reports it delivered (or after a bounded wait), after the outcome is published.
          deferredEndCalls.push(request);
          emit({
            kind: 'call_control',
            data: { action: 'end_call', payload: request.payload, after: 'final_message_delivered' },
          });
          return { status: 'scheduled' } as JsonValue;
        }
        try {
          const effectResult = await withStillWorking(
            () => runEffect(intent, request, trace),
            settings.stillWorkingAfterMs,
            async () => {
              emit({
                kind: 'progress',
                data: {
                  // Not the progress message: that is an unrendered template here.
                  message: 'One moment, still working on that.',
                  still_working: true,
                  step: request.stepPointer,
                },
              });
              await flush();
            },
          );
          const control = request.operation === undefined ? undefined : CALL_CONTROL[request.operation];
          if (control !== undefined) {
            emit({ kind: 'call_control', data: { action: control, payload: request.payload, result: effectResult } });
          }
          if (request.operation === TRANSFER) failOnTransferFallback(effectResult);
          if (request.operation === CALCOM_BOOK) bookings.booked(intent, request.payload, effectResult);
          if (request.operation === SMS_SEND && how.inlineLifecycleStart) {
            await startLifecyclesInline(bookings.takeForSms(request.payload), emit);
          } else if (request.operation === SMS_SEND) {
            for (const booking of bookings.takeForSms(request.payload)) {
              // The booking outlives the call: its lifecycle (confirm by SMS, remind, cancel
              // when unconfirmed) is a workflow of its own that the session only starts, after
              // the result is out: the caller need not wait for Temporal to start a workflow.
              lifecycles.push(booking);
              emit({
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
    { onEvent },
  );

  if (cancelledBeforeEffects) {
    const error = { code: 'cancelled', message: 'cancelled by the caller before any side effect', retryable: false };
    await finish({ status: 'cancelled', messages: [], outputs: {}, error });
    return { status: 'cancelled', state, error };
  }
  if (controls.cancelled(intent.intentId)) {
    // Too late: a side effect had started, so the run completed rather than stop half-done.
    emit({ kind: 'cancelled', data: { ignored: true, reason: 'a side effect had already started' } });
  }
  const messages = result.events.flatMap((e) => (e.type === 'respond' ? [e.message] : []));
  const error = result.error
    ? {
        code: result.error.code,
        message: result.error.message,
        retryable: result.error.retryable,
        ...(result.error.stepPointer ? { step: result.error.stepPointer } : {}),
      }
    : undefined;
  await finish({
    status: result.status,
    messages,
    outputs: result.outputs as { [key: string]: JsonValue },
    ...(error ? { error } : {}),
  });
  if (lifecycles.length > 0) await startLifecycles(lifecycles, emit, flush);
  if (deferredEndCalls.length > 0)
    await endCallsAfterDelivery(intent, deferredEndCalls, controls, settings, emit, flush, trace);
  return { status: result.status, state: result.state, ...(error ? { error } : {}) };
}

/**
 * Commands of an earlier release that a replaying session must issue again, in that release's
 * order. Read from the patch markers a history carries; a new session takes none of them.
 */
interface LegacyCommands {
  /**
   * Start each booking's lifecycle as a child workflow right after the SMS that enables it,
   * inside the chain, before the outcome is published. The release before the idle watchdog
   * (no `session-idle-watchdog` marker) did so; later ones start lifecycles after the outcome.
   */
  inlineLifecycleStart: boolean;
}

/** {@link LegacyCommands.inlineLifecycleStart}: the earlier release's start, command for command. */
async function startLifecyclesInline(
  lifecycles: BookingLifecycleInput[],
  emit: (e: Pick<PublishedEvent, 'kind' | 'data'>) => void,
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
 * Patch id of starting lifecycles from the orchestrator's local activity instead of as child
 * workflows: sessions that started children before it replay that way. Why: a child start cost
 * the session two events and a workflow task, and the lifecycle a child start of its SMS thread
 * and another workflow task (see `lifecycle-start.ts`).
 */
const LIFECYCLE_START_BY_ACTIVITY_PATCH = 'lifecycle-start-by-activity';

/**
 * Starts the lifecycles of the bookings an intent made (after its outcome is published) and
 * reports each on the conversation's stream. A lifecycle that cannot start does not undo the
 * SMS that went out; it is reported as an error.
 */
async function startLifecycles(
  lifecycles: BookingLifecycleInput[],
  emit: (e: Pick<PublishedEvent, 'kind' | 'data'>) => void,
  flush: () => Promise<void>,
): Promise<void> {
  const report = (booking: BookingLifecycleInput, outcome: 'started' | 'already_started' | Error) => {
    const workflowId = bookingLifecycleWorkflowId(booking.tenantId, booking.bookingUid);
    emit({
      kind: 'log',
      data:
        outcome instanceof Error
          ? {
              level: 'error',
              message: `booking lifecycle could not start: ${outcome.message}`,
              data: { workflow_id: workflowId },
            }
          : {
              level: 'info',
              message: `booking lifecycle ${outcome === 'started' ? 'started' : 'already running'}`,
              data: { workflow_id: workflowId },
            },
    });
  };
  if (patched(LIFECYCLE_START_BY_ACTIVITY_PATCH)) {
    try {
      const started = await session.startBookingLifecycles(lifecycles);
      lifecycles.forEach((booking, i) => {
        report(booking, started[i]?.status ?? new Error('no answer from the starter'));
      });
    } catch (err) {
      const error = err instanceof ActivityFailure && err.cause instanceof Error ? err.cause : (err as Error);
      for (const booking of lifecycles) report(booking, error);
    }
  } else {
    for (const booking of lifecycles) {
      try {
        report(booking, await startBookingLifecycle(booking));
      } catch (err) {
        report(booking, err instanceof Error ? err : new Error(String(err)));
      }
    }
  }
  await flush();
}

/** Runs a side effect as an activity on the queue of its worker. */
async function runEffect(intent: SessionIntent, request: EffectRequest, trace?: IntentTrace): Promise<JsonValue> {
  // The deployment's queue names travel with the intent; intents of earlier releases lack them.
  const queues = intent.settings?.taskQueues ?? TaskQueues;
  if (request.kind === 'webhook' && request.endpoint !== undefined) {
    const webhook = proxyFor<WebhookActivities>(queues.Webhook, request.policy, WEBHOOK_DEFAULTS);
    const endpoint = request.endpoint;
    return traced(trace, 'callWebhook', () =>
      webhook.callWebhook({
        tenantId: intent.tenantId,
        intentId: intent.intentId,
        conversationId: intent.conversationId,
        sandbox: intent.sandbox,
        endpoint,
        stepPointer: request.stepPointer,
        payload: request.payload,
      }),
    );
  }
  const operation = request.operation ?? '';
  const family = request.kind === 'provider' ? operationFamily(operation) : undefined;
  if (family === undefined) {
    throw new SwitchboardError('unsupported_effect', `no worker serves '${request.kind}' operation '${operation}'`);
  }
  if (family === 'session') return { status: 'ok' };
  const provider = proxyFor<ProviderActivities>(queues[family], request.policy, PROVIDER_DEFAULTS);
  return traced(trace, operation, () =>
    provider[operation]!({
      tenantId: intent.tenantId,
      intentId: intent.intentId,
      conversationId: intent.conversationId,
      stepPointer: request.stepPointer,
      operation,
      payload: request.payload,
      sandbox: intent.sandbox,
    }),
  );
}

/**
 * Schedules an activity under a `StartActivity:<type>` span of the intent's trace: the activity
 * carries the span as its parent, and the span is kept for the outcome (attempts and retries
 * included, as Temporal runs them).
 */
async function traced<T>(trace: IntentTrace | undefined, activityType: string, schedule: () => Promise<T>): Promise<T> {
  if (trace === undefined) return schedule();
  const spanId = newSpanId();
  const startMs = Date.now();
  let error: string | undefined;
  try {
    return await withTraceParent(childTraceparent(trace.chainTraceparent, spanId), schedule);
  } catch (err) {
    error = err instanceof Error ? err.message : String(err);
    throw err;
  } finally {
    trace.spans.push({
      name: `StartActivity:${activityType}`,
      spanId,
      parentSpanId: trace.chainSpanId,
      kind: 'client',
      startMs,
      endMs: Date.now(),
      attributes: { temporalActivityType: activityType },
      ...(error !== undefined ? { error } : {}),
    });
  }
}

/**
 * Awaits `run`; if it is still running after `afterMs`, calls `onSlow` once (a "still working"
 * event the agent can speak). The timer is a workflow timer, so replays see the same events.
 */
async function withStillWorking<T>(run: () => Promise<T>, afterMs: number, onSlow: () => Promise<void>): Promise<T> {
  let done = false;
  const running = run().finally(() => {
    done = true;
  });
  const watcher = (async () => {
    if (!(await condition(() => done, afterMs))) await onSlow();
  })();
  try {
    return await running;
  } finally {
    await watcher;
  }
}

/** A warm transfer that did not connect fails its step, so the chain's `on_failure` falls back. */
function failOnTransferFallback(result: JsonValue): void {
  if (result === null || typeof result !== 'object' || Array.isArray(result)) return;
  const status = typeof result.status === 'string' ? result.status : '';
  if (!TRANSFER_FALLBACK.has(status)) return;
  const detail = typeof result.detail === 'string' ? result.detail : `the transfer ended '${status}'`;
  throw new SwitchboardError(`transfer_${status.replaceAll('-', '_')}`, detail, {
    retryable: false,
    details: { status, caller: typeof result.caller === 'string' ? result.caller : null },
  });
}

/**
 * Ends the call once the runtime reported the final message delivered (or after the bounded
 * wait), then tells the runtime how it went. Events after the result are still published on
 * the conversation's stream (and kept in the run's event log by their own batch).
 */
async function endCallsAfterDelivery(
  intent: SessionIntent,
  requests: EffectRequest[],
  controls: Controls,
  settings: SessionSettings,
  emit: (e: Pick<PublishedEvent, 'kind' | 'data'>) => void,
  flush: () => Promise<void>,
  trace: IntentTrace | undefined,
): Promise<void> {
  const delivered = await condition(() => controls.delivered(intent.intentId), settings.endCallDeliveryTimeoutMs);
  for (const request of requests) {
    const payload = request.payload;
    const hasCall =
      payload !== null &&
      typeof payload === 'object' &&
      !Array.isArray(payload) &&
      typeof payload.call_sid === 'string';
    if (!hasCall) {
      // Not a phone call we control: the runtime ends the session itself on the event.
      emit({ kind: 'call_control', data: { action: 'end_call', status: 'left_to_runtime', delivered } });
      continue;
    }
    try {
      // The runtime has spoken the final message: hang up without saying it a second time.
      // Unconfirmed delivery keeps the message, so the caller hears it before the line drops.
      const { message: _spoken, ...silent } = payload as Record<string, JsonValue>;
      const result = await runEffect(intent, delivered ? { ...request, payload: silent } : request, trace);
      emit({ kind: 'call_control', data: { action: 'end_call', status: 'completed', delivered, result } });
    } catch (err) {
      const failure = fromActivityFailure(err);
      emit({
        kind: 'call_control',
        data: {
          action: 'end_call',
          status: 'failed',
          delivered,
          error: { code: failure.code, message: failure.message },
        },
      });
    }
  }
  await flush();
}

function toPublished(e: ChainEvent): Pick<PublishedEvent, 'kind' | 'data'> {
  switch (e.type) {
    case 'respond':
      return { kind: 'respond', data: { message: e.message } };
    case 'handoff':
      return {
        kind: 'handoff',
        data: { target: e.target, ...(e.message !== undefined ? { message: e.message } : {}) },
      };
    case 'log':
      return {
        kind: 'log',
        data: { level: e.level, message: e.message, ...(e.data !== undefined ? { data: e.data } : {}) },
      };
    case 'progress':
      return { kind: 'progress', data: { message: e.message } };
    case 'effect':
      return {
        kind: 'effect',
        data: { kind: e.kind, name: e.name, status: e.status, ...(e.error ? { error: e.error } : {}) },
      };
    default:
      return { kind: 'log', data: { level: 'debug', message: 'unknown event', data: e as unknown as JsonValue } };
  }
}

/** Turns an activity failure back into the typed error the interpreter reports. */
function fromActivityFailure(err: unknown): SwitchboardError {
  if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) {
    const cause = err.cause;
    return new SwitchboardError(cause.type ?? 'activity_failed', cause.message, { retryable: !cause.nonRetryable });
  }
  if (err instanceof SwitchboardError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new SwitchboardError('activity_failed', message, { retryable: true });
}
