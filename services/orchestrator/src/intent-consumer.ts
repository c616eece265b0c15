import type { JsMsg } from '@nats-io/jetstream';
import { type Bus, traceFromHeaders } from '@switchboard/bus';
import type { PublishedEvent, SessionActivities } from '@switchboard/chains';
import type { Logger } from '@switchboard/common';
import {
  type ActionIntent,
  Consumers,
  ControlKind,
  type ConversationControl,
  controlSignal,
  decodeControl,
  decodeIntent,
  endSessionSignal,
  Headers,
  INTENT_PARTITIONS,
  intentSignal,
  MessageKinds,
  type SessionControlKind,
  type SessionInput,
  type SessionIntent,
  type SessionSettings,
  Streams,
  Subjects,
  sessionWorkflowId,
  WorkflowTypes,
} from '@switchboard/contracts';
import { findRun, findRunStatus, type Queryable, TERMINAL_RUN_STATUSES } from '@switchboard/db';
import { currentTraceHeaders, type Tracer } from '@switchboard/telemetry';
import { type Client, isGrpcServiceError, ServiceError, WorkflowNotFoundError } from '@temporalio/client';
import type { Rejection } from './lane-consumer.js';
import { type PartitionedConsumer, startPartitionedConsumer } from './partitioned-consumer.js';

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
  /**
   * Publishes events and the result of a run and makes its audit row final (the session
   * workflow's own activity): how an intent that can never be handed over is answered.
   */
  publishOutcome: SessionActivities['publishOutcome'];
  /** Starts the clean-up of a sandbox conversation (a COMPENSATE control). */
  compensate?: (control: { tenantId: string; conversationId: string; controlId: string }) => Promise<void>;
}

/** A running consumer; `stop()` stops pulling and waits for in-flight intents. */
export type IntentConsumer = PartitionedConsumer;

/** The priority group orchestrator replicas pull intent partitions in. */
export const INTENT_GROUP = 'orchestrators';
/**
 * Ack wait of an intent partition: an intent being handed over is kept alive meanwhile, so it
 * only bounds how soon a lost replica's partitions move (see `pinTimeoutMs`).
 */
export const INTENT_ACK_WAIT_MS = 5_000;

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
 * on failure it is retried with back-off, holding its conversation's lane. Intents of one
 * conversation are handed over one after another, in stream order, whichever orchestrator
 * replica handles its partition (see `startPartitionedConsumer`); different conversations go
 * in parallel.
 *
 * Control messages (confirm, decline, cancel, delivered, compensate, end) share the conversation's
 * subject and lane, so a cancel is never handed over before the intent it cancels.
 *
 * An intent that can never be handed over — it cannot be decoded, or Temporal refuses it as
 * invalid (e.g. too large) — ends its run `failed` ({@link IntentFailureCodes}) with a `failed`
 * event and a result, so the caller waiting for it is answered at once.
 */
export async function startIntentConsumer(deps: IntentConsumerDeps): Promise<IntentConsumer> {
  return startPartitionedConsumer<IntentMessage>({
    bus: deps.bus,
    log: deps.log,
    tracer: deps.tracer,
    stream: Streams.Intents,
    partitions: INTENT_PARTITIONS,
    durable: Consumers.intentPartition,
    filter: Subjects.intentPartition,
    group: INTENT_GROUP,
    ackWaitMs: INTENT_ACK_WAIT_MS,
    legacy: { durable: Consumers.Orchestrator, filter: Subjects.IntentsUnpartitioned },
    presence: Subjects.OrchestratorPresence,
    maxInFlight: deps.maxInFlight,
    decode: decodeMessage,
    // The lane key is the subject's conversation: one promise chain per conversation.
    laneOf: (_m, msg) => msg.subject,
    describe: (m) => (m.kind === 'intent' ? { intentId: m.intent.intentId } : { controlId: m.control.controlId }),
    spanAttributes: (m): Record<string, string> =>
      m.kind === 'intent'
        ? { 'switchboard.intent_id': m.intent.intentId }
        : { 'switchboard.control_id': m.control.controlId, 'switchboard.intent_id': m.control.intentId },
    isPermanent: refusedByTemporal,
    reject: (msg, rejection, m) => rejectMessage(deps, msg, rejection, m),
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

/** Error codes of runs whose intent never reached their session. */
export const IntentFailureCodes = {
  /** The message on the bus could not be decoded (corrupt, or nested beyond the decoder's limit). */
  Undecodable: 'intent_undecodable',
  /** Temporal refused the intent itself (e.g. larger than its payload limit). */
  Refused: 'intent_refused',
} as const;

/**
 * Temporal refused the request itself (`INVALID_ARGUMENT`, e.g. a payload over its size limit):
 * sending it again cannot help. Unavailability and rate limits are other codes, and retried.
 */
function refusedByTemporal(err: unknown): boolean {
  return err instanceof ServiceError && isGrpcServiceError(err.cause) && err.cause.code === GRPC_INVALID_ARGUMENT;
}
const GRPC_INVALID_ARGUMENT = 3;

/**
 * Answers for a message that will never be handed over. An intent's run (named by the
 * message id, in the tenant and conversation of the subject) ends `failed`, through the same
 * activity that publishes every outcome. A control has no run of its own: the session answers
 * the run it concerns by itself (an unanswered confirmation times out, a cancel that never came
 * lets the call finish, an end call hangs up after its delivery timeout), so it is only logged.
 */
async function rejectMessage(
  deps: IntentConsumerDeps,
  msg: JsMsg,
  rejection: Rejection,
  value: IntentMessage | undefined,
): Promise<void> {
  const msgId = msg.headers?.get(Headers.MsgId) ?? '';
  const where = Subjects.parseIntent(msg.subject);
  const ids = { msgId, subject: msg.subject, seq: msg.seq, ...where };
  if (value?.kind === 'control' || msg.headers?.get(Headers.Kind) === MessageKinds.Control) {
    const intentId = value?.kind === 'control' ? value.control.intentId : undefined;
    deps.log.error({ ...ids, controlId: msgId, intentId }, 'control message will never be handed over; dropped');
    return;
  }
  const intentId = value?.kind === 'intent' ? value.intent.intentId : msgId;
  const run = where === undefined || intentId === '' ? undefined : await findRun(deps.db, where.tenantId, intentId);
  if (where === undefined || run === undefined || run.conversationId !== where.conversationId) {
    deps.log.error({ ...ids, intentId }, 'intent will never be handed over, and names no run of its subject');
    return;
  }
  if (TERMINAL_RUN_STATUSES.has(run.status)) return;
  const undecodable = rejection.reason === 'undecodable';
  const cause = rejection.err instanceof Error ? rejection.err.message : String(rejection.err);
  const error = {
    code: undecodable ? IntentFailureCodes.Undecodable : IntentFailureCodes.Refused,
    message: undecodable
      ? `the orchestrator cannot decode this tool call: ${cause}`
      : `Temporal refused this tool call: ${cause}`,
    retryable: false,
  };
  const now = Date.now();
  // The conversation service announced the call as accepted (sequence 0, see its
  // accepted-event.ts): the run's events say so too, and its failure follows.
  const accepted: PublishedEvent = { seq: 0, kind: 'accepted', data: { action: run.actionName }, atMs: now };
  const failed: PublishedEvent = { seq: 1, kind: 'failed', data: { ...error }, atMs: now };
  deps.log.error(
    { ...ids, intentId, code: error.code, err: rejection.err },
    'intent will never be handed over; run failed',
  );
  await deps.publishOutcome({
    intent: {
      intentId,
      tenantId: where.tenantId,
      conversationId: where.conversationId,
      actionName: run.actionName,
      traceparent: traceFromHeaders(msg.headers).traceparent,
    },
    first: false,
    events: [accepted, failed],
    final: {
      status: 'failed',
      messages: [],
      events: [accepted, failed],
      outputs: {},
      error,
      startedAtMs: now,
      finishedAtMs: now,
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
  if (control.kind === ControlKind.END) {
    try {
      // Signal only: without a session nothing ran, so there is nothing to finish or undo.
      await deps.temporal.workflow
        .getHandle(sessionWorkflowId(control.tenantId, control.conversationId))
        .signal(endSessionSignal);
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
      deps.log.info({ controlId: control.controlId }, 'end of a conversation without a session: nothing to end');
    }
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
  const status = await findRunStatus(db, intentId);
  return status !== undefined && TERMINAL_RUN_STATUSES.has(status);
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
