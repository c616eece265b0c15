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

/** An agent turn requested with an Idempotency-Key (see migration 011). */
export interface IdempotentTurn {
  /** Hash of what the key was first used for. */
  requestHash: string;
  /** The turn id every attempt under the key runs as. */
  turnId: string;
  /** The transcript entry holding the user's text, once an attempt kept it. */
  userSeq?: number;
  /** The turn's outcome, once an attempt finished it. */
  outcome?: JsonObject;
}

/** The turn recorded under `key` in the conversation, if any. */
export async function findIdempotentTurn(
  db: Queryable,
  tenantId: string,
  conversationId: string,
  key: string,
): Promise<IdempotentTurn | undefined> {
  const { rows } = await db.query<{
    request_hash: string;
    turn_id: string;
    user_seq: number | null;
    outcome: JsonObject | null;
  }>(
    `SELECT request_hash, turn_id, user_seq, outcome FROM agent_turns
      WHERE tenant_id = $1 AND conversation_id = $2 AND idempotency_key = $3`,
    [tenantId, conversationId, key],
  );
  const row = rows[0];
  if (!row) return undefined;
  return {
    requestHash: row.request_hash,
    turnId: row.turn_id,
    ...(row.user_seq !== null ? { userSeq: row.user_seq } : {}),
    ...(row.outcome !== null ? { outcome: row.outcome } : {}),
  };
}

/**
 * Records the first attempt of a turn under `key`. Callers hold the conversation's turn lock,
 * so no other attempt of the conversation races this one.
 */
export async function beginIdempotentTurn(
  db: Queryable,
  turn: { tenantId: string; conversationId: string; key: string; requestHash: string; turnId: string },
): Promise<void> {
  await db.query(
    `INSERT INTO agent_turns (conversation_id, idempotency_key, tenant_id, request_hash, turn_id)
     VALUES ($1, $2, $3, $4, $5)`,
    [turn.conversationId, turn.key, turn.tenantId, turn.requestHash, turn.turnId],
  );
}

/** Records which transcript entry holds the turn's user text (a retry does not keep it again). */
export async function keepIdempotentTurnUserSeq(
  db: Queryable,
  tenantId: string,
  conversationId: string,
  key: string,
  seq: number,
): Promise<void> {
  await db.query(
    'UPDATE agent_turns SET user_seq = $4 WHERE tenant_id = $1 AND conversation_id = $2 AND idempotency_key = $3',
    [tenantId, conversationId, key, seq],
  );
}

/** Stores the finished turn's outcome: later requests under the key answer with it. */
export async function finishIdempotentTurn(
  db: Queryable,
  tenantId: string,
  conversationId: string,
  key: string,
  outcome: JsonObject,
): Promise<void> {
  await db.query(
    `UPDATE agent_turns SET outcome = $4, finished_at = now()
      WHERE tenant_id = $1 AND conversation_id = $2 AND idempotency_key = $3`,
    [tenantId, conversationId, key, outcome],
  );
}
