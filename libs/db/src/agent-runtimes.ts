/** The voice runtimes an agent serves (migration 026): see `runtimeProblems` in `@switchboard/operations`. */
import type { Queryable } from './pool.js';

/** Sets (or, with `undefined`, clears) the agent's runtimes; a setting of the agent, not of a version. */
export async function setAgentRuntimes(
  db: Queryable,
  tenantId: string,
  agentName: string,
  runtimes: readonly string[] | undefined,
): Promise<void> {
  await db.query('UPDATE agents SET runtimes = $3 WHERE tenant_id = $1 AND name = $2', [
    tenantId,
    agentName,
    runtimes === undefined ? null : [...runtimes],
  ]);
}

/** The agent's runtimes as stored; `undefined` when it was not told (or is not the tenant's). */
export async function findAgentRuntimes(
  db: Queryable,
  tenantId: string,
  agentId: string,
): Promise<string[] | undefined> {
  const { rows } = await db.query<{ runtimes: string[] | null }>(
    'SELECT runtimes FROM agents WHERE tenant_id = $1 AND id = $2',
    [tenantId, agentId],
  );
  return rows[0]?.runtimes ?? undefined;
}
