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

import * as otel from '@opentelemetry/api';
import { type ChainEvent, type ChainState, emptyState, type InterpretResult, interpret } from '@switchboard/actions';
import type { JsonValue } from '@switchboard/common';
import { SwitchboardError } from '@switchboard/common/errors';
import {
  type CallStatusUpdate,
  callStatusSignal,
  endSessionSignal,
  intentSignal,
  type SessionInput,
  type SessionIntent,
  sessionStateQuery,
  type TaskQueue,
  TaskQueues,
  taskQueueForOperation,
} from '@switchboard/contracts/temporal';
import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { ProviderActivities, PublishedEvent, SessionActivities, WebhookActivities } from '../activity-types.js';

/** A session with no tool call for this long completes; a new call starts a new run. */
const IDLE_TIMEOUT = '24 hours';
/** Intents handled per run before continuing as new, to keep history small. */
const MAX_INTENTS_PER_RUN = 100;
/** Intent ids remembered for de-duplication across redeliveries and continue-as-new. */
const RECENT_IDS = 1000;

const webhook = proxyActivities<WebhookActivities>({
  taskQueue: TaskQueues.Webhook,
  startToCloseTimeout: '30 seconds',
  retry: {
    initialInterval: '200 milliseconds',
    backoffCoefficient: 2,
    maximumInterval: '10 seconds',
    maximumAttempts: 5,
  },
});

/** Provider activities per task queue; the activity type is the operation name. */
const providers = new Map<TaskQueue, ProviderActivities>();
function providerQueue(queue: TaskQueue): ProviderActivities {
  let proxy = providers.get(queue);
  if (!proxy) {
    proxy = proxyActivities<ProviderActivities>({
      taskQueue: queue,
      startToCloseTimeout: '30 seconds',
      retry: {
        initialInterval: '250 milliseconds',
        backoffCoefficient: 2,
        maximumInterval: '15 seconds',
        maximumAttempts: 6,
      },
    });
    providers.set(queue, proxy);
  }
  return proxy;
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

export async function conversationSession(input: SessionInput): Promise<void> {
  let state = (input.carried?.state as ChainState | undefined) ?? emptyState();
  const recent: string[] = [...(input.carried?.recentIntentIds ?? [])];
  const pending: SessionIntent[] = [...(input.carried?.pending ?? [])];
  let ended = false;
  let processed = 0;
  // The latest call status callback; applied to the state after every intent, because an
  // intent's run (and its call context) replaces the state it started from.
  let callStatus: CallStatusUpdate | undefined = carriedCallStatus(state);

  const seen = (id: string) => recent.includes(id) || pending.some((p) => p.intentId === id);
  setHandler(intentSignal, (intent) => {
    // A redelivered or re-signalled intent (orchestrator crash before ack) is dropped here.
    if (!seen(intent.intentId)) pending.push(intent);
  });
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
    pending: pending.length,
    recentIntentIds: [...recent],
  }));

  for (;;) {
    const woke = await condition(() => pending.length > 0 || ended, IDLE_TIMEOUT);
    if (pending.length > 0 && (processed >= MAX_INTENTS_PER_RUN || workflowInfo().continueAsNewSuggested)) {
      // Continue-as-new when the next intent has arrived, not right after publishing a result:
      // a client that calls again as soon as it has the result would otherwise race the
      // continue-as-new task with its signal, and the rejected task forces a full replay
      // (seconds at a few thousand events). Here the waking signal is already in history.
      await condition(allHandlersFinished);
      await continueAsNew<typeof conversationSession>({
        tenantId: input.tenantId,
        conversationId: input.conversationId,
        carried: { state: state as unknown as Record<string, unknown>, recentIntentIds: recent, pending },
      });
    }
    const intent = pending.shift();
    if (intent === undefined) {
      if (ended || !woke) return;
      continue;
    }
    recent.push(intent.intentId);
    if (recent.length > RECENT_IDS) recent.splice(0, recent.length - RECENT_IDS);
    state = await runIntent(intent, state, callStatus);
    if (callStatus !== undefined) state = withCallStatus(state, callStatus);
    processed++;
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

/** Runs one intent inside its own trace (the caller's), publishing events and the outcome. */
async function runIntent(
  intent: SessionIntent,
  state: ChainState,
  callStatus: CallStatusUpdate | undefined,
): Promise<ChainState> {
  const parent = otel.propagation.extract(otel.ROOT_CONTEXT, {
    traceparent: intent.traceparent,
    ...(intent.tracestate ? { tracestate: intent.tracestate } : {}),
  });
  const tracer = otel.trace.getTracer('switchboard-chains');
  return otel.context.with(parent, () =>
    tracer.startActiveSpan(`chain ${intent.actionName}`, async (span) => {
      try {
        span.setAttribute('switchboard.intent_id', intent.intentId);
        span.setAttribute('switchboard.conversation_id', intent.conversationId);
        // The call context (contact, call) is what the caller knows now; it overrides stale copies.
        const merged: ChainState = {
          ...state,
          context: { ...state.context, ...(intent.callContext as ChainState['context']) },
        };
        // The caller's call context does not know the latest status callback; keep it visible.
        const withCall = callStatus === undefined ? merged : withCallStatus(merged, callStatus);
        const result = await execute(intent, withCall);
        if (result.status === 'failed') {
          span.setStatus({ code: otel.SpanStatusCode.ERROR, message: result.error?.message ?? 'failed' });
        }
        return result.state;
      } finally {
        span.end();
      }
    }),
  );
}

async function execute(intent: SessionIntent, state: ChainState): Promise<InterpretResult> {
  const startedAtMs = Date.now();
  const ref = {
    intentId: intent.intentId,
    tenantId: intent.tenantId,
    conversationId: intent.conversationId,
    actionName: intent.actionName,
    traceparent: intent.traceparent,
  };
  let seq = 0;
  let first = true;
  const all: PublishedEvent[] = [
    { seq: seq++, kind: 'accepted', data: { action: intent.actionName }, atMs: startedAtMs },
  ];
  let buffer: PublishedEvent[] = [...all];
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
        try {
          if (request.kind === 'webhook' && request.endpoint !== undefined) {
            return await webhook.callWebhook({
              tenantId: intent.tenantId,
              intentId: intent.intentId,
              endpoint: request.endpoint,
              stepPointer: request.stepPointer,
              payload: request.payload,
            });
          }
          const operation = request.operation ?? '';
          const queue = request.kind === 'provider' ? taskQueueForOperation(operation) : undefined;
          if (queue === undefined) {
            throw new SwitchboardError(
              'unsupported_effect',
              `no worker serves '${request.kind}' operation '${operation}'`,
            );
          }
          const result =
            queue === 'session'
              ? ({ status: 'ok' } as JsonValue)
              : await providerQueue(queue)[operation]!({
                  tenantId: intent.tenantId,
                  intentId: intent.intentId,
                  conversationId: intent.conversationId,
                  stepPointer: request.stepPointer,
                  operation,
                  payload: request.payload,
                  sandbox: intent.sandbox,
                });
          const control = CALL_CONTROL[operation];
          if (control !== undefined) {
            emit({ kind: 'call_control', data: { action: control, payload: request.payload, result } });
          }
          return result;
        } catch (err) {
          throw fromActivityFailure(err);
        }
      },
    },
    { onEvent },
  );
  const finishedAtMs = Date.now();
  const messages = result.events.flatMap((e) => (e.type === 'respond' ? [e.message] : []));
  await session.publishOutcome({
    intent: ref,
    first,
    events: buffer,
    final: {
      status: result.status,
      messages,
      events: all,
      outputs: result.outputs as { [key: string]: JsonValue },
      ...(result.error
        ? {
            error: {
              code: result.error.code,
              message: result.error.message,
              retryable: result.error.retryable,
              ...(result.error.stepPointer ? { step: result.error.stepPointer } : {}),
            },
          }
        : {}),
      startedAtMs,
      finishedAtMs,
    },
  });
  return result;
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
