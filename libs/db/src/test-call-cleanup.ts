/**
 * Test calls clean up after themselves: whether a sandbox conversation's side effects are undone
 * when it ends (`keep_effects` of the call, else of its agent), and what the clean-up did.
 * See migration 021.
 */
import type { JsonObject } from '@switchboard/common';
import type { Queryable } from './pool.js';

/** What ending a conversation should do about its recorded side effects. */
export interface TestCallEndPolicy {
  /** A test call: its side effects were recorded. */
  sandbox: boolean;
  /** The call (or, when it did not say, its agent) asked to keep them. */
  keepEffects: boolean;
}

/** Records the call's own `keep_effects` (it overrides the agent's). */
export async function setConversationKeepEffects(
  db: Queryable,
  tenantId: string,
  conversationId: string,
  keepEffects: boolean,
): Promise<void> {
  await db.query('UPDATE conversations SET keep_effects = $3 WHERE tenant_id = $1 AND id = $2', [
    tenantId,
    conversationId,
    keepEffects,
  ]);
}

/**
 * Sets the agent's `keep_effects` (the default of its test calls). A setting of the agent, not of
 * a version: it applies from now on, whichever version is published.
 */
export async function setAgentKeepEffects(
  db: Queryable,
  tenantId: string,
  agentName: string,
  keepEffects: boolean,
): Promise<void> {
  await db.query('UPDATE agents SET keep_effects = $3 WHERE tenant_id = $1 AND name = $2', [
    tenantId,
    agentName,
    keepEffects,
  ]);
}

/** The agent's `keep_effects`; `false` for an agent that is not the tenant's. */
export async function findAgentKeepEffects(db: Queryable, tenantId: string, agentId: string): Promise<boolean> {
  const { rows } = await db.query<{ keep_effects: boolean }>(
    'SELECT keep_effects FROM agents WHERE tenant_id = $1 AND id = $2',
    [tenantId, agentId],
  );
  return rows[0]?.keep_effects ?? false;
}

/**
 * What ending the conversation does about its side effects, decided when it ends (so an agent
 * changed meanwhile counts). A conversation that is not found is no test call.
 */
export async function findTestCallEndPolicy(
  db: Queryable,
  tenantId: string,
  conversationId: string,
): Promise<TestCallEndPolicy> {
  const { rows } = await db.query<{ sandbox: boolean; keep_effects: boolean }>(
    `SELECT c.sandbox, COALESCE(c.keep_effects, a.keep_effects, false) AS keep_effects
       FROM conversations c LEFT JOIN agents a ON a.id = c.agent_id
      WHERE c.tenant_id = $1 AND c.id = $2`,
    [tenantId, conversationId],
  );
  const row = rows[0];
  return { sandbox: row?.sandbox ?? false, keepEffects: row?.keep_effects ?? false };
}

/** Stores what the automatic clean-up of the conversation did (the latest one wins). */
export async function recordTestCallCleanup(
  db: Queryable,
  tenantId: string,
  conversationId: string,
  cleanup: JsonObject,
): Promise<void> {
  await db.query('UPDATE conversations SET cleanup = $3 WHERE tenant_id = $1 AND id = $2', [
    tenantId,
    conversationId,
    cleanup,
  ]);
}

/** What the automatic clean-up did, and the call's own `keep_effects`; `undefined` when not found. */
export async function findTestCallCleanup(
  db: Queryable,
  tenantId: string,
  conversationId: string,
): Promise<{ cleanup: JsonObject | null; keepEffects: boolean | null } | undefined> {
  const { rows } = await db.query<{ cleanup: JsonObject | null; keep_effects: boolean | null }>(
    'SELECT cleanup, keep_effects FROM conversations WHERE tenant_id = $1 AND id = $2',
    [tenantId, conversationId],
  );
  const row = rows[0];
  return row ? { cleanup: row.cleanup, keepEffects: row.keep_effects } : undefined;
}
