/**
 * Where a conversation's order was lost, for the report of an order violation: the order its
 * session workflow recorded the intents in (the first history event that carries each intent
 * id: the signal, or the start of a signal-with-start), and its runs' audit rows. Signals in
 * sending order with effects out of it point at the session or a worker; signals out of order
 * point at the hand-over (orchestrators, JetStream).
 */
import { sessionWorkflowId } from '@switchboard/contracts';
import type { Client } from '@temporalio/client';
import type pg from 'pg';

/** `labels`: intent id → what the test calls it (`<chain>:book`). */
export async function orderEvidence(
  db: pg.Pool,
  temporal: Client,
  tenantId: string,
  conversationId: string,
  labels: ReadonlyMap<string, string>,
): Promise<string> {
  const parts: string[] = [];
  try {
    const history = await temporal.workflow.getHandle(sessionWorkflowId(tenantId, conversationId)).fetchHistory();
    const seen: string[] = [];
    for (const event of history.events ?? []) {
      // Payloads are bytes; an intent id appears in them verbatim whatever their encoding.
      const text = JSON.stringify(event, (_k, v) =>
        v instanceof Uint8Array ? Buffer.from(v).toString('latin1') : typeof v === 'bigint' ? String(v) : v,
      );
      for (const [id, label] of labels) {
        if (!seen.includes(label) && text.includes(id)) {
          seen.push(label);
          parts.push(
            `${label} first in session event #${String(event.eventId)} (${event.eventTime ? 'at ' : ''}${
              event.eventTime?.seconds !== undefined
                ? new Date(Number(event.eventTime.seconds) * 1000 + Math.floor((event.eventTime.nanos ?? 0) / 1e6))
                    .toISOString()
                    .slice(11, 23)
                : '?'
            })`,
          );
        }
      }
    }
  } catch (err) {
    parts.push(`(session history: ${(err as Error).message})`);
  }
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
  for (const r of rows) {
    parts.push(
      `${labels.get(r.intent_id) ?? r.intent_id}: accepted ${t(r.accepted_at)} started ${t(r.started_at)} finished ${t(r.finished_at)}`,
    );
  }
  return parts.join('; ');
}
