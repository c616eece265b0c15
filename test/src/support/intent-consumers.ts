import type { JetStreamManager } from '@nats-io/jetstream';
import { Consumers, INTENT_PARTITIONS, Streams } from '@switchboard/contracts';

/** What JetStream holds for the orchestrators, over every intent partition's consumer. */
export interface IntentBacklog {
  /** Not delivered yet. */
  pending: number;
  /** Delivered and not acked yet. */
  ackPending: number;
  /** Delivered more than once, still unacked. */
  redelivered: number;
  /** Deliveries made, all partitions together (redeliveries included). */
  deliveries: number;
}

/** Sums the intent partitions' consumers (one not made yet counts as empty). */
export async function intentBacklog(jsm: JetStreamManager): Promise<IntentBacklog> {
  const sum: IntentBacklog = { pending: 0, ackPending: 0, redelivered: 0, deliveries: 0 };
  for (let p = 0; p < INTENT_PARTITIONS; p++) {
    const info = await jsm.consumers.info(Streams.Intents, Consumers.intentPartition(p)).catch(() => undefined);
    if (info === undefined) continue;
    sum.pending += info.num_pending;
    sum.ackPending += info.num_ack_pending;
    sum.redelivered += info.num_redelivered;
    sum.deliveries += info.delivered.consumer_seq;
  }
  return sum;
}
