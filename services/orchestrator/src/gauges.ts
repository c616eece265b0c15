/**
 * The gauges the orchestrator reports (see `MetricNames` in @switchboard/telemetry): read at
 * each scrape from where the truth is (JetStream, Postgres, Temporal visibility), except the
 * confirmations, which only the outcomes passing through this replica reveal.
 */
import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import type { Bus } from '@switchboard/bus';
import type { OutcomeBatch } from '@switchboard/chains';
import {
  BookingLifecycleWorkflowType,
  Consumers,
  INBOUND_PARTITIONS,
  INTENT_PARTITIONS,
  Streams,
} from '@switchboard/contracts';
import { countCredentialsByStatus, countStuckRuns, type Queryable } from '@switchboard/db';
import { MetricNames, observeGauge, tenantLabelEnabled } from '@switchboard/telemetry';
import type { Client } from '@temporalio/client';

/**
 * The JetStream consumers whose messages are intents (or inbound webhooks) not yet handled:
 * every partition's of both streams, and each stream's pre-partition one while it is drained.
 */
const CONSUMERS: readonly (readonly [string, string])[] = [
  [Streams.Intents, Consumers.Orchestrator],
  ...Array.from({ length: INTENT_PARTITIONS }, (_, p) => [Streams.Intents, Consumers.intentPartition(p)] as const),
  [Streams.Inbound, Consumers.OrchestratorInbound],
  ...Array.from({ length: INBOUND_PARTITIONS }, (_, p) => [Streams.Inbound, Consumers.inboundPartition(p)] as const),
];

/**
 * Intents waiting for a confirmation, as seen in the outcomes this replica published: asked
 * when a batch ends with `confirmation_required`, settled by the next batch of that intent.
 * An entry older than the confirmation timeout (plus a minute) is dropped, so one whose
 * answer went through another replica does not stay counted.
 */
export class ConfirmationTracker {
  private readonly asked = new Map<string, number>();

  constructor(
    private readonly timeoutMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Notes what an outcome batch says about its intent's confirmation. */
  observe(batch: Pick<OutcomeBatch, 'intent' | 'events' | 'final'>): void {
    const last = batch.events.at(-1);
    if (batch.final === undefined && last?.kind === 'confirmation_required') {
      this.asked.set(batch.intent.intentId, this.now());
    } else {
      this.asked.delete(batch.intent.intentId);
    }
  }

  /** Confirmations waiting now. */
  waiting(): number {
    const oldest = this.now() - this.timeoutMs - 60_000;
    for (const [intentId, at] of this.asked) if (at < oldest) this.asked.delete(intentId);
    return this.asked.size;
  }
}

/** Registers the orchestrator's gauges; returns a function that unregisters them. */
export function observeOrchestratorGauges(deps: {
  bus: Bus;
  db: Queryable;
  temporal: Client;
  confirmations: ConfirmationTracker;
  onError: (err: unknown, gauge: string) => void;
}): () => void {
  const fail = (gauge: string) => (err: unknown) => deps.onError(err, gauge);
  const stops = [
    observeGauge(
      MetricNames.intentsPending,
      async () => {
        const byStream = new Map<string, { backlog: number; ackPending: number }>();
        for (const [stream, durable] of CONSUMERS) {
          // Until the consumers are made at start there is nothing pending to report.
          const info = await deps.bus.jsm.consumers.info(stream, durable).catch((err: unknown) => {
            if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.ConsumerNotFound) return undefined;
            throw err;
          });
          if (info === undefined) continue;
          const sum = byStream.get(stream) ?? { backlog: 0, ackPending: 0 };
          sum.backlog += info.num_pending;
          sum.ackPending += info.num_ack_pending;
          byStream.set(stream, sum);
        }
        return [...byStream].flatMap(([stream, sum]) => [
          { value: sum.backlog, labels: { stream, state: 'backlog' } },
          { value: sum.ackPending, labels: { stream, state: 'ack_pending' } },
        ]);
      },
      fail(MetricNames.intentsPending),
    ),
    observeGauge(
      MetricNames.runsStuck,
      async () => [{ value: await countStuckRuns(deps.db) }],
      fail(MetricNames.runsStuck),
    ),
    observeGauge(
      MetricNames.credentialStatus,
      async () =>
        (await countCredentialsByStatus(deps.db, tenantLabelEnabled())).map((c) => ({
          value: c.count,
          labels: { provider: c.provider, status: c.status, ...(c.tenantId ? { tenant: c.tenantId } : {}) },
        })),
      fail(MetricNames.credentialStatus),
    ),
    observeGauge(
      MetricNames.bookingLifecyclesActive,
      async () => {
        const { count } = await deps.temporal.workflow.count(
          `WorkflowType = '${BookingLifecycleWorkflowType}' AND ExecutionStatus = 'Running'`,
        );
        return [{ value: count }];
      },
      fail(MetricNames.bookingLifecyclesActive),
    ),
    observeGauge(MetricNames.confirmationsWaiting, () => [{ value: deps.confirmations.waiting() }]),
  ];
  return () => {
    for (const stop of stops) stop();
  };
}
