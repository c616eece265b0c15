import type { ConsumerMessages, JsMsg } from '@nats-io/jetstream';
import { AckPolicy, DeliverPolicy } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { type Bus, traceFromHeaders } from '@switchboard/bus';
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
import { contextFromTraceHeaders, currentTraceHeaders, SpanKind, type Tracer, withSpan } from '@switchboard/telemetry';
import type { Client } from '@temporalio/client';

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
export interface IntentConsumer {
  stop(): Promise<void>;
  /** Intents handed to Temporal since start (for logs and tests). */
  handed(): number;
}

/** Redelivery back-off for an intent Temporal did not accept: 0.25 s, 0.5 s, … up to 10 s. */
function backoffMs(deliveryCount: number): number {
  return Math.min(10_000, 250 * 2 ** Math.max(0, deliveryCount - 1));
}

/**
 * Consumes intents from JetStream and hands each to its conversation's session workflow with
 * signal-with-start. A message is acked only after Temporal has durably recorded the signal;
 * on failure it is nak'ed with back-off and redelivered. Intents of one conversation are
 * handed over one after another, in stream order; different conversations go in parallel.
 */
export async function startIntentConsumer(deps: IntentConsumerDeps): Promise<IntentConsumer> {
  await deps.bus.jsm.consumers
    .add(Streams.Intents, {
      durable_name: Consumers.Orchestrator,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: nanos(30_000),
      max_ack_pending: deps.maxInFlight * 4,
    })
    .catch(async (err: Error) => {
      // Already exists with another config (e.g. a changed limit): update it in place.
      if (!/already in use|exists/i.test(err.message)) throw err;
    });
  const consumer = await deps.bus.js.consumers.get(Streams.Intents, Consumers.Orchestrator);
  const messages: ConsumerMessages = await consumer.consume({ max_messages: deps.maxInFlight });
  const lanes = new Map<string, Promise<void>>();
  const inFlight = new Set<Promise<void>>();
  let handed = 0;
  let slots = deps.maxInFlight;
  let wake: (() => void) | undefined;

  const handle = async (msg: JsMsg): Promise<void> => {
    let intent: ActionIntent;
    try {
      intent = decodeIntent(msg.data);
    } catch (err) {
      // A message that cannot be decoded never will be: terminate it instead of looping.
      deps.log.error({ err, seq: msg.seq, subject: msg.subject }, 'undecodable intent terminated');
      msg.term('undecodable');
      return;
    }
    const parent = contextFromTraceHeaders(
      traceFromHeaders(msg.headers).traceparent,
      traceFromHeaders(msg.headers).tracestate,
    );
    try {
      await withSpan(
        deps.tracer,
        `consume ${Streams.Intents}`,
        {
          kind: SpanKind.CONSUMER,
          parent,
          attributes: {
            'messaging.system': 'nats',
            'messaging.destination.name': msg.subject,
            'switchboard.intent_id': intent.intentId,
            'messaging.delivery_count': msg.info.deliveryCount,
          },
        },
        async () => {
          if (await alreadyFinished(deps.db, intent.intentId)) {
            deps.log.info({ intentId: intent.intentId }, 'intent already finished; redelivery dropped');
            return;
          }
          await signal(deps, intent);
        },
      );
      msg.ack();
      handed++;
    } catch (err) {
      deps.log.warn(
        { err, intentId: intent.intentId, delivery: msg.info.deliveryCount },
        'intent not accepted by Temporal; will retry',
      );
      msg.nak(backoffMs(msg.info.deliveryCount));
    }
  };

  const loop = (async () => {
    for await (const msg of messages) {
      while (slots === 0) {
        await new Promise<void>((r) => {
          wake = r;
        });
      }
      slots--;
      // The lane key is the subject's conversation: one promise chain per conversation.
      const lane = msg.subject;
      const previous = lanes.get(lane) ?? Promise.resolve();
      const task = previous.then(() => handle(msg));
      lanes.set(lane, task);
      const tracked = task.finally(() => {
        slots++;
        inFlight.delete(tracked);
        if (lanes.get(lane) === task) lanes.delete(lane);
        wake?.();
        wake = undefined;
      });
      inFlight.add(tracked);
    }
  })();

  return {
    handed: () => handed,
    async stop() {
      messages.stop();
      await loop.catch(() => {});
      await Promise.allSettled([...inFlight]);
    },
  };
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
