import type { Bus } from '@switchboard/bus';
import type { Logger } from '@switchboard/common';
import {
  type ActionIntent,
  Consumers,
  decodeIntent,
  intentSignal,
  type SessionInput,
  type SessionIntent,
  Streams,
  sessionWorkflowId,
  WorkflowTypes,
} from '@switchboard/contracts';
import type { Queryable } from '@switchboard/db';
import { currentTraceHeaders, type Tracer } from '@switchboard/telemetry';
import type { Client } from '@temporalio/client';
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
}

/** A running consumer; `stop()` stops pulling and waits for in-flight intents. */
export type IntentConsumer = LaneConsumer;

/**
 * Consumes intents from JetStream and hands each to its conversation's session workflow with
 * signal-with-start. A message is acked only after Temporal has durably recorded the signal;
 * on failure it is nak'ed with back-off and redelivered. Intents of one conversation are
 * handed over one after another, in stream order; different conversations go in parallel.
 */
export async function startIntentConsumer(deps: IntentConsumerDeps): Promise<IntentConsumer> {
  return startLaneConsumer<ActionIntent>({
    bus: deps.bus,
    log: deps.log,
    tracer: deps.tracer,
    stream: Streams.Intents,
    durable: Consumers.Orchestrator,
    maxInFlight: deps.maxInFlight,
    decode: (msg) => decodeIntent(msg.data),
    // The lane key is the subject's conversation: one promise chain per conversation.
    laneOf: (_intent, msg) => msg.subject,
    describe: (intent) => ({ intentId: intent.intentId }),
    spanAttributes: (intent) => ({ 'switchboard.intent_id': intent.intentId }),
    handle: async (intent) => {
      if (await alreadyFinished(deps.db, intent.intentId)) {
        deps.log.info({ intentId: intent.intentId }, 'intent already finished; redelivery dropped');
        return;
      }
      await signal(deps, intent);
    },
  });
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
