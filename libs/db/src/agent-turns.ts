import type { JsonObject } from '@switchboard/common';
import type pg from 'pg';
import type { Queryable } from './pool.js';

/** The confirmation an agent turn ended on; the next turn's user text answers it. */
export interface TurnConfirmation {
  /** The tool call (run) waiting for the answer, `int_…`. */
  callId: string;
  /** The exact action name. */
  action: string;
  /** The tool name the model called it by. */
  toolName: string;
  arguments: JsonObject;
}

/** The confirmation the conversation's last agent turn ended on, if any. */
export async function findTurnConfirmation(
  db: Queryable,
  tenantId: string,
  conversationId: string,
): Promise<TurnConfirmation | undefined> {
  const { rows } = await db.query<{ pending: TurnConfirmation | null }>(
    'SELECT turn_pending_confirmation AS pending FROM conversations WHERE tenant_id = $1 AND id = $2',
    [tenantId, conversationId],
  );
  return rows[0]?.pending ?? undefined;
}

/** Records (or, with `null`, clears) the confirmation the conversation's agent turn ended on. */
export async function setTurnConfirmation(
  db: Queryable,
  tenantId: string,
  conversationId: string,
  pending: TurnConfirmation | null,
): Promise<void> {
  await db.query('UPDATE conversations SET turn_pending_confirmation = $3 WHERE tenant_id = $1 AND id = $2', [
    tenantId,
    conversationId,
    pending,
  ]);
}

/**
 * Runs `fn` holding the conversation's turn lock (a session advisory lock on a dedicated
 * connection, released when `fn` settles or the connection dies), so two turns of one
 * conversation never interleave their transcripts. Answers `{ locked: false }` at once, without
 * running `fn`, when another turn holds it.
 */
export async function withConversationTurnLock<T>(
  pool: pg.Pool,
  conversationId: string,
  fn: () => Promise<T>,
): Promise<{ locked: true; value: T } | { locked: false }> {
  const client = await pool.connect();
  const key = `agent-turn:${conversationId}`;
  let acquired = false;
  try {
    const { rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS ok', [
      key,
    ]);
    acquired = rows[0]?.ok === true;
    if (!acquired) return { locked: false };
    return { locked: true, value: await fn() };
  } finally {
    let unlocked = true;
    if (acquired) {
      unlocked = await client
        .query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [key])
        .then(() => true)
        .catch(() => false);
    }
    // A connection that may still hold the lock must not go back to the pool: destroy it.
    client.release(!unlocked);
  }
}
