import { type Bus, publishDurable, publishFirstOnSubject } from '@switchboard/bus';
import {
  type FinalOutcome,
  type OutcomeBatch,
  type PublishedEvent,
  type SessionActivities,
  startBookingLifecycleWorkflow,
  startResultDeliveryWorkflow,
} from '@switchboard/chains';
import {
  type ActionEvent,
  ActionEventKind,
  ActionEventSchema,
  ActionResultSchema,
  ActionStatus,
  create,
  encodeEvent,
  encodeResult,
  MessageKinds,
  Headers as SbHeaders,
  Subjects,
  timestampFromMs,
} from '@switchboard/contracts';
import { applyHandoff, type FinishedRun, finishRun, handoffOf, markRunStarted, type Queryable } from '@switchboard/db';
import { recordActionOutcome, SpanKind, type Telemetry, traceIdOf } from '@switchboard/telemetry';
import type { Client } from '@temporalio/client';
import type { ConfirmationTracker } from './gauges.js';

const KINDS: Record<PublishedEvent['kind'], ActionEventKind> = {
  accepted: ActionEventKind.ACCEPTED,
  respond: ActionEventKind.RESPOND,
  handoff: ActionEventKind.HANDOFF,
  log: ActionEventKind.LOG,
  progress: ActionEventKind.PROGRESS,
  effect: ActionEventKind.EFFECT,
  call_control: ActionEventKind.CALL_CONTROL,
  confirmation_required: ActionEventKind.CONFIRMATION_REQUIRED,
  failed: ActionEventKind.FAILED,
  cancelled: ActionEventKind.CANCELLED,
};

const STATUSES = {
  succeeded: ActionStatus.SUCCEEDED,
  failed: ActionStatus.FAILED,
  cancelled: ActionStatus.CANCELLED,
} as const;

/**
 * The orchestrator's local activities. Every publish carries a deterministic message id
 * (`<intent>:<seq>`, `<intent>:result`), so a retried local activity is de-duplicated by
 * JetStream, and the audit update ignores rows that are already terminal. Starting a lifecycle
 * again answers "already started", so that one is safe to retry too.
 */
export function createSessionActivities(deps: {
  bus: Bus;
  db: Queryable;
  /** Starts booking lifecycles (with the client interceptor that carries the trace). */
  temporal: Client;
  /** The chains task queue: where lifecycles and SMS threads run. */
  taskQueue: string;
  /** Records the spans the workflow stands for; without it they are dropped. */
  telemetry?: Pick<Telemetry, 'recordSpan'>;
  /** Learns which confirmations are waiting (the `switchboard_confirmations_waiting` gauge). */
  confirmations?: Pick<ConfirmationTracker, 'observe'>;
}): SessionActivities {
  return {
    async startBookingLifecycles(inputs) {
      // In order: one booking's thread subscription is signalled before the next is started.
      const started = [];
      for (const input of inputs)
        started.push(await startBookingLifecycleWorkflow(deps.temporal, deps.taskQueue, input));
      return started;
    },
    async startResultDelivery(input) {
      await startResultDeliveryWorkflow(deps.temporal, deps.taskQueue, input);
    },
    async publishOutcome(batch: OutcomeBatch): Promise<void> {
      const { intent } = batch;
      const trace = { traceparent: intent.traceparent, tracestate: '' };
      const first = batch.events[0];
      if (batch.first && first) await markRunStarted(deps.db, intent.intentId, new Date(first.atMs));
      deps.confirmations?.observe(batch);
      const toEvent = (e: PublishedEvent): ActionEvent =>
        create(ActionEventSchema, {
          intentId: intent.intentId,
          conversationId: intent.conversationId,
          tenantId: intent.tenantId,
          seq: e.seq,
          kind: KINDS[e.kind],
          data: e.data,
          at: timestampFromMs(e.atMs),
          trace,
        });
      const subject = Subjects.event(intent.conversationId, intent.intentId);
      const kind = { [SbHeaders.Kind]: MessageKinds.Event };
      // Pipelined on one connection; for the order this keeps, see `isEarlyAccepted`.
      await Promise.all(
        batch.events.map((e) =>
          (isEarlyAccepted(e) ? publishFirstOnSubject : publishDurable)(
            deps.bus.js,
            subject,
            encodeEvent(toEvent(e)),
            `${intent.intentId}:${e.seq}`,
            trace,
            kind,
          ),
        ),
      );
      const final = batch.final;
      if (final === undefined) return;
      const result = create(ActionResultSchema, {
        intentId: intent.intentId,
        conversationId: intent.conversationId,
        tenantId: intent.tenantId,
        actionName: intent.actionName,
        status: STATUSES[final.status],
        messages: final.messages,
        events: final.events.map(toEvent),
        outputs: final.outputs,
        ...(final.error ? { error: { ...final.error, step: final.error.step ?? '' } } : {}),
        startedAt: timestampFromMs(final.startedAtMs),
        finishedAt: timestampFromMs(final.finishedAtMs),
        traceId: traceIdOf(intent.traceparent),
      });
      // A handoff moves the conversation before its run is final: a client that makes its next
      // call after this result reaches the target agent. Only while the run is not terminal, so a
      // retry of this activity after the row was finished changes nothing.
      const handoff = handoffOf(final);
      if (handoff) {
        await applyHandoff(deps.db, {
          tenantId: intent.tenantId,
          conversationId: intent.conversationId,
          intentId: intent.intentId,
          ...handoff,
        });
      }
      // The audit row is final before anyone can see the result on the bus, so a client that
      // reads the run right after its response never sees it still "running".
      const finished = await finishRun(
        deps.db,
        intent.intentId,
        {
          status: final.status,
          startedAt: new Date(final.startedAtMs),
          finishedAt: new Date(final.finishedAtMs),
          ...(final.error ? { errorCode: final.error.code, errorMessage: final.error.message } : {}),
          result: {
            status: final.status,
            messages: final.messages,
            outputs: final.outputs,
            events: final.events.map((e) => ({ seq: e.seq, kind: e.kind, data: e.data, atMs: e.atMs })),
            ...(final.error ? { error: final.error } : {}),
          },
        },
        { tenantId: intent.tenantId, conversationId: intent.conversationId, actionName: intent.actionName },
      );
      // Only by the call that ended the run: a retry of this activity finds the row terminal.
      if (finished) recordRunMetrics(intent, final, finished);
      await publishDurable(
        deps.bus.js,
        Subjects.result(intent.conversationId, intent.intentId),
        encodeResult(result),
        `${intent.intentId}:result`,
        trace,
        { [SbHeaders.Kind]: MessageKinds.Result },
      );
      // Last, so that a retry of this activity (a failed publish) does not record them twice.
      const traceId = traceIdOf(intent.traceparent);
      for (const span of final.spans ?? []) {
        deps.telemetry?.recordSpan({
          ...span,
          traceId,
          kind: span.kind === 'client' ? SpanKind.CLIENT : SpanKind.INTERNAL,
        });
      }
    },
  };
}

/**
 * Whether `e` is an intent's `accepted` event (sequence 0; only its first batch has one), which
 * the conversation service published already when it accepted the call (its `accepted-event.ts`),
 * under the same message id. It is published only as the first message of the intent's subject
 * ({@link publishFirstOnSubject}): within JetStream's duplicate window the message id alone drops
 * the repeat, and the expectation keeps a session that starts later than the window (the
 * orchestrator or Temporal down a while) from storing it twice, in the batch's one round trip
 * (a direct get before the publishes took one more).
 *
 * The batch's later events are pipelined behind it without waiting for its verdict, and still
 * come after it on the subject:
 * - The batch's publishes leave in one tick on one connection, which delivers them in order (or
 *   a prefix of them, when it breaks), and the stream takes a connection's messages in the order
 *   it reads them (a clustered stream's leader proposes them in that order). So events 1… are
 *   stored after the verdict on 0, and whether 0 is stored now or was there, it comes first.
 * - A rejection means the subject holds a message, and the first message an intent's subject
 *   ever holds is its `accepted`: the conversation service publishes only that one, and the
 *   session publishes 1… only behind 0 in this batch or in later batches, each started after
 *   the acks of the one before. So "rejected" is "already published", never "something else came
 *   first".
 * - Left as it was with the direct get: should the `accepted` publish fail on its own (a stream
 *   leader change between it and event 1) while later events were stored, the retried batch
 *   finds the subject taken and leaves the `accepted` out, as the get found event 1 then.
 */
function isEarlyAccepted(e: PublishedEvent): boolean {
  return e.seq === 0 && e.kind === 'accepted';
}

/** Events a voice runtime can speak while the action runs. */
const SPEAKABLE: ReadonlySet<PublishedEvent['kind']> = new Set(['progress', 'respond']);

/**
 * The run's `switchboard_action_*` observations: accepted (the audit row's time) → result, and
 * accepted → its first speakable event (from the run's own event times).
 */
function recordRunMetrics(intent: OutcomeBatch['intent'], final: FinalOutcome, run: FinishedRun): void {
  const firstSpoken = final.events.find((e) => SPEAKABLE.has(e.kind));
  recordActionOutcome({
    agent: run.agentName ?? '',
    action: intent.actionName,
    outcome: final.status,
    ...(final.error ? { errorCode: final.error.code } : {}),
    tenant: intent.tenantId,
    durationMs: run.durationMs,
    ...(firstSpoken ? { firstEventMs: firstSpoken.atMs - run.acceptedAt.getTime() } : {}),
  });
}
