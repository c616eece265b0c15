/** The agent's locale (migration 021): which text of a per-locale action message its runs say. */
import type { Queryable } from './pool.js';

/** Sets (or, with `undefined`, clears) the agent's locale; a setting of the agent, not of a version. */
export async function setAgentLocale(
  db: Queryable,
  tenantId: string,
  agentName: string,
  locale: string | undefined,
): Promise<void> {
  await db.query('UPDATE agents SET locale = $3 WHERE tenant_id = $1 AND name = $2', [
    tenantId,
    agentName,
    locale ?? null,
  ]);
}

/** The agent's locale; `undefined` when it has none (or is not the tenant's). */
export async function findAgentLocale(db: Queryable, tenantId: string, agentId: string): Promise<string | undefined> {
  const { rows } = await db.query<{ locale: string | null }>(
    'SELECT locale FROM agents WHERE tenant_id = $1 AND id = $2',
    [tenantId, agentId],
  );
  return rows[0]?.locale ?? undefined;
}
