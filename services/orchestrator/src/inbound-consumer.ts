import type { Bus } from '@switchboard/bus';
import type { Logger } from '@switchboard/common';
import {
  type CallStatusUpdate,
  Consumers,
  callStatusSignal,
  decodeInbound,
  INBOUND_PARTITIONS,
  type InboundEvent,
  InboundKind,
  type InboundSms,
  inboundSmsSignal,
  type SmsThreadInput,
  Streams,
  Subjects,
  sessionWorkflowId,
  smsThreadWorkflowId,
  WorkflowTypes,
} from '@switchboard/contracts';
import { findConversationByCallSid, type Queryable } from '@switchboard/db';
import type { Tracer } from '@switchboard/telemetry';
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { INTENT_ACK_WAIT_MS, INTENT_GROUP } from './intent-consumer.js';
import { type PartitionedConsumer, startPartitionedConsumer } from './partitioned-consumer.js';

/** Dependencies of {@link startInboundConsumer}. */
export interface InboundConsumerDeps {
  bus: Bus;
  temporal: Client;
  db: Queryable;
  tracer: Tracer;
  log: Logger;
  taskQueue: string;
  maxInFlight: number;
}

/** A running consumer; `stop()` stops pulling and waits for in-flight webhooks. */
export type InboundConsumer = PartitionedConsumer;

/**
 * Consumes verified provider webhooks (`SB_INBOUND`) and delivers them to Temporal as signals:
 * an inbound SMS with signal-with-start to the `smsThread` of its tenant and sender; a call
 * status callback to the session workflow of the conversation whose `call.sid` it names (a
 * plain signal: no session is started for it, and a missing one is not an error). Acked only
 * after Temporal accepted the signal; retried with back-off otherwise, holding its lane.
 *
 * One lane per SMS thread and per call, and the stream partitioned by that lane, consumed like
 * the intents (see `startPartitionedConsumer`): a thread's or a call's webhooks are delivered in
 * stream order whichever orchestrator replica handles its partition, also when one is lost.
 * Inbound partitions are pulled in the same priority group and with the same ack wait as intent
 * partitions, so they move to another replica within the same bound.
 */
export async function startInboundConsumer(deps: InboundConsumerDeps): Promise<InboundConsumer> {
  return startPartitionedConsumer<InboundEvent>({
    bus: deps.bus,
    log: deps.log,
    tracer: deps.tracer,
    stream: Streams.Inbound,
    partitions: INBOUND_PARTITIONS,
    durable: Consumers.inboundPartition,
    filter: Subjects.inboundPartition,
    group: INTENT_GROUP,
    ackWaitMs: INTENT_ACK_WAIT_MS,
    legacy: { durable: Consumers.OrchestratorInbound, filter: Subjects.InboundUnpartitioned },
    presence: Subjects.OrchestratorInboundPresence,
    maxInFlight: deps.maxInFlight,
    decode: (msg) => {
      const event = decodeInbound(msg.data);
      if (event.tenantId === '' || event.kind === InboundKind.UNSPECIFIED) {
        throw new TypeError('inbound event without tenant or kind');
      }
      return event;
    },
    laneOf: (event) =>
      event.kind === InboundKind.SMS
        ? `sms:${event.tenantId}:${event.from}`
        : `call:${event.tenantId}:${event.callSid}`,
    describe: (event) => ({ inboundId: event.id, tenantId: event.tenantId }),
    spanAttributes: (event) => ({ 'switchboard.inbound_id': event.id }),
    handle: (event) => deliver(deps, event),
    // A provider webhook that cannot be decoded has nobody waiting for it (the provider was
    // answered when it was published): the lane consumer logs it with its ids, and that is all.
    reject: async () => {},
  });
}

async function deliver(deps: InboundConsumerDeps, event: InboundEvent): Promise<void> {
  const receivedAtMs = event.receivedAt
    ? Number(event.receivedAt.seconds) * 1000 + Math.floor(event.receivedAt.nanos / 1e6)
    : Date.now();
  if (event.kind === InboundKind.SMS) {
    const sms: InboundSms = {
      messageSid: event.messageSid,
      tenantId: event.tenantId,
      from: event.from,
      to: event.to,
      body: event.body,
      receivedAtMs,
      credential: event.credential,
    };
    const input: SmsThreadInput = { tenantId: event.tenantId, phone: event.from };
    await deps.temporal.workflow.signalWithStart(WorkflowTypes.SmsThread, {
      workflowId: smsThreadWorkflowId(event.tenantId, event.from),
      taskQueue: deps.taskQueue,
      args: [input],
      signal: inboundSmsSignal,
      signalArgs: [sms],
    });
    return;
  }
  if (event.kind === InboundKind.CALL_STATUS) {
    const conversationId = (await findConversationByCallSid(deps.db, event.tenantId, event.callSid))?.id;
    if (conversationId === undefined) {
      deps.log.info({ tenantId: event.tenantId, callSid: event.callSid }, 'call status for no known conversation');
      return;
    }
    const update: CallStatusUpdate = { callSid: event.callSid, status: event.callStatus, at: receivedAtMs };
    try {
      await deps.temporal.workflow
        .getHandle(sessionWorkflowId(event.tenantId, conversationId))
        .signal(callStatusSignal, update);
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
      // No running session (never started, or finished): nothing holds the call's state.
      deps.log.info({ conversationId, callSid: event.callSid }, 'call status for a conversation without a session');
    }
    return;
  }
  deps.log.warn({ inboundId: event.id, kind: event.kind }, 'inbound event of unknown kind dropped');
}
