import type { JsMsg } from '@nats-io/jetstream';
import type { Bus } from '@switchboard/bus';
import type { Logger } from '@switchboard/common';
import {
  type ActionIntent,
  Consumers,
  ControlKind,
  type ConversationControl,
  controlSignal,
  decodeControl,
  decodeIntent,
  Headers,
  intentSignal,
  MessageKinds,
  type SessionControlKind,
  type SessionInput,
  type SessionIntent,
  type SessionSettings,
  Streams,
  sessionWorkflowId,
  WorkflowTypes,
} from '@switchboard/contracts';
import type { Queryable } from '@switchboard/db';
import { currentTraceHeaders, type Tracer } from '@switchboard/telemetry';
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { type LaneConsumer, startLaneConsumer } from './lane-consumer.js';

/** Dependencies of {@link startIntentConsumer}. */
export interface IntentConsumerDeps {
  bus: Bus;
  temporal: Client;
  db: Queryable;
  tracer: Tracer;
  log: Logger;
  taskQueue: string;
  maxInFlight: number;
  /** Attached to every intent: the session workflow's executor settings. */
  settings: SessionSettings;
  /** Starts the clean-up of a sandbox conversation (a COMPENSATE control). */
  compensate?: (control: { tenantId: string; conversationId: string; controlId: string }) => Promise<void>;
}

/** A running consumer; `stop()` stops pulling and waits for in-flight intents. */
export type IntentConsumer = LaneConsumer;

/** What travels on an intent subject: an intent, or a control message about one. */
type IntentMessage = { kind: 'intent'; intent: ActionIntent } | { kind: 'control'; control: ConversationControl };

const CONTROL_KINDS: Partial<Record<ControlKind, SessionControlKind>> = {
  [ControlKind.CONFIRM]: 'confirm',
  [ControlKind.DECLINE]: 'decline',
  [ControlKind.CANCEL]: 'cancel',
  [ControlKind.DELIVERED]: 'delivered',
};

/**
 * Consumes intents from JetStream and hands each to its conversation's session workflow with
 * signal-with-start. A message is acked only after Temporal has durably recorded the signal;
 * on failure it is nak'ed with back-off and redelivered. Intents of one conversation are
 * handed over one after another, in stream order; different conversations go in parallel.
 *
 * Control messages (confirm, decline, cancel, delivered, compensate) share the conversation's
 * subject and lane, so a cancel is never handed over before the intent it cancels.
 */
export async function startIntentConsumer(deps: IntentConsumerDeps): Promise<IntentConsumer> {
  return startLaneConsumer<IntentMessage>({
    bus: deps.bus,
    log: deps.log,
    tracer: deps.tracer,
    stream: Streams.Intents,
    durable: Consumers.Orchestrator,
    maxInFlight: deps.maxInFlight,
    decode: decodeMessage,
    // The lane key is the subject's conversation: one promise chain per conversation.
    laneOf: (_m, msg) => msg.subject,
    describe: (m) => (m.kind === 'intent' ? { intentId: m.intent.intentId } : { controlId: m.control.controlId }),
    spanAttributes: (m): Record<string, string> =>
      m.kind === 'intent'
        ? { 'switchboard.intent_id': m.intent.intentId }
        : { 'switchboard.control_id': m.control.controlId, 'switchboard.intent_id': m.control.intentId },
    handle: async (m) => {
      if (m.kind === 'control') return handleControl(deps, m.control);
      if (await alreadyFinished(deps.db, m.intent.intentId)) {
        deps.log.info({ intentId: m.intent.intentId }, 'intent already finished; redelivery dropped');
        return;
      }
      await signal(deps, m.intent);
    },
  });
}

function decodeMessage(msg: JsMsg): IntentMessage {
  return msg.headers?.get(Headers.Kind) === MessageKinds.Control
    ? { kind: 'control', control: decodeControl(msg.data) }
    : { kind: 'intent', intent: decodeIntent(msg.data) };
}

async function handleControl(deps: IntentConsumerDeps, control: ConversationControl): Promise<void> {
  if (control.kind === ControlKind.COMPENSATE) {
    if (!deps.compensate) throw new Error('this orchestrator cannot compensate sandbox conversations');
    await deps.compensate({
      tenantId: control.tenantId,
      conversationId: control.conversationId,
      controlId: control.controlId,
    });
    return;
  }
  const kind = CONTROL_KINDS[control.kind];
  if (kind === undefined) {
    deps.log.warn({ controlId: control.controlId, kind: control.kind }, 'unknown control kind dropped');
    return;
  }
  try {
    // Signal only: a control never starts a session. Without a session there is nothing to
    // confirm or cancel (the intent finished long ago, or never existed).
    await deps.temporal.workflow
      .getHandle(sessionWorkflowId(control.tenantId, control.conversationId))
      .signal(controlSignal, {
        controlId: control.controlId,
        kind,
        intentId: control.intentId,
        atMs: control.createdAt
          ? Number(control.createdAt.seconds) * 1000 + Math.floor(control.createdAt.nanos / 1e6)
          : 0,
      });
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
    deps.log.info({ controlId: control.controlId, intentId: control.intentId }, 'control for a closed session dropped');
  }
}

async function alreadyFinished(db: Queryable, intentId: string): Promise<boolean> {
  const { rows } = await db.query<{ status: string }>('SELECT status FROM action_runs WHERE intent_id = $1', [
    intentId,
  ]);
  const status = rows[0]?.status;
  return status === 'succeeded' || status === 'failed' || status === 'cancelled';
}

async function signal(deps: IntentConsumerDeps, intent: ActionIntent): Promise<void> {
  const trace = currentTraceHeaders();
  const sessionIntent: SessionIntent = {
    intentId: intent.intentId,
    tenantId: intent.tenantId,
    conversationId: intent.conversationId,
    agentName: intent.agentName,
    actionName: intent.actionName,
    arguments: intent.arguments ?? {},
    action: intent.action ?? {},
    callContext: intent.callContext ?? {},
    createdAtMs: intent.createdAt
      ? Number(intent.createdAt.seconds) * 1000 + Math.floor(intent.createdAt.nanos / 1e6)
      : 0,
    traceparent: trace.traceparent,
    tracestate: trace.tracestate,
    sandbox: intent.sandbox,
    settings: deps.settings,
  };
  const input: SessionInput = { tenantId: intent.tenantId, conversationId: intent.conversationId };
  await deps.temporal.workflow.signalWithStart(WorkflowTypes.ConversationSession, {
    workflowId: sessionWorkflowId(intent.tenantId, intent.conversationId),
    taskQueue: deps.taskQueue,
    args: [input],
    signal: intentSignal,
    signalArgs: [sessionIntent],
  });
}
