/**
 * Where a conversation's order was lost, for the report of an order violation: its runs' audit
 * times. The session runs a conversation's calls one at a time in the order it received them,
 * so `started` in another order than `accepted` (the order the calls were stored) points at the
 * hand-over (orchestrators, JetStream); `started` in order with effects out of it would point
 * at the session or a worker.
 */
import type pg from 'pg';

/** `labels`: intent id → what the test calls it (`<chain>:book`). */
export async function orderEvidence(
  db: pg.Pool,
  conversationId: string,
  labels: ReadonlyMap<string, string>,
): Promise<string> {
  const { rows } = await db.query<{
    intent_id: string;
    accepted_at: Date;
    started_at: Date | null;
    finished_at: Date | null;
  }>(
    'SELECT intent_id, accepted_at, started_at, finished_at FROM action_runs WHERE conversation_id = $1 ORDER BY accepted_at',
    [conversationId],
  );
  const t = (d: Date | null) => d?.toISOString().slice(11, 23) ?? '-';
  return rows
    .map(
      (r) =>
        `${labels.get(r.intent_id) ?? r.intent_id}: accepted ${t(r.accepted_at)} started ${t(r.started_at)} finished ${t(r.finished_at)}`,
    )
    .join('; ');
}
