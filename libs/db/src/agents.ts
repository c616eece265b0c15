import { IdPrefixes, newId } from './ids.js';
import type { Queryable } from './pool.js';

/** An agent of a tenant. */
export interface Agent {
  id: string;
  tenantId: string;
  name: string;
  instructions: string;
}

/** Creates or updates (by name) an agent. */
export async function upsertAgent(db: Queryable, tenantId: string, name: string, instructions: string): Promise<Agent> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO agents (id, tenant_id, name, instructions) VALUES ($1, $2, $3, $4)
     ON CONFLICT (tenant_id, name) DO UPDATE SET instructions = EXCLUDED.instructions
     RETURNING id`,
    [newId(IdPrefixes.Agent), tenantId, name, instructions],
  );
  return { id: (rows[0] as { id: string }).id, tenantId, name, instructions };
}

export async function findAgentByName(db: Queryable, tenantId: string, name: string): Promise<Agent | undefined> {
  const { rows } = await db.query<{ id: string; instructions: string }>(
    'SELECT id, instructions FROM agents WHERE tenant_id = $1 AND name = $2',
    [tenantId, name],
  );
  const row = rows[0];
  return row ? { id: row.id, tenantId, name, instructions: row.instructions } : undefined;
}

export async function findAgentById(db: Queryable, tenantId: string, id: string): Promise<Agent | undefined> {
  const { rows } = await db.query<{ name: string; instructions: string }>(
    'SELECT name, instructions FROM agents WHERE tenant_id = $1 AND id = $2',
    [tenantId, id],
  );
  const row = rows[0];
  return row ? { id, tenantId, name: row.name, instructions: row.instructions } : undefined;
}

/**
 * An agent with the settings its tool calls read: its locale (migration 021, which text of a
 * per-locale message its runs say) and the voice runtimes it serves (migration 026), each
 * `undefined` when not set.
 */
export interface AgentWithSettings {
  agent: Agent;
  locale: string | undefined;
  runtimes: string[] | undefined;
}

/** The `agents` columns of {@link AgentWithSettings} besides its id, as a join may read them. */
export interface AgentSettingsRow {
  name: string;
  instructions: string;
  locale: string | null;
  runtimes: string[] | null;
}

/** The agent `id` of `tenantId` with its settings, from its {@link AgentSettingsRow}. */
export function mapAgentWithSettings(id: string, tenantId: string, row: AgentSettingsRow): AgentWithSettings {
  return {
    agent: { id, tenantId, name: row.name, instructions: row.instructions },
    locale: row.locale ?? undefined,
    runtimes: row.runtimes ?? undefined,
  };
}

/** {@link findAgentById} with the agent's settings, in one round trip (a tool call's hot path). */
export async function findAgentWithSettings(
  db: Queryable,
  tenantId: string,
  id: string,
): Promise<AgentWithSettings | undefined> {
  const { rows } = await db.query<AgentSettingsRow>(
    'SELECT name, instructions, locale, runtimes FROM agents WHERE tenant_id = $1 AND id = $2',
    [tenantId, id],
  );
  const row = rows[0];
  return row ? mapAgentWithSettings(id, tenantId, row) : undefined;
}

/** Agents of a tenant, by name. */
export async function listAgents(
  db: Queryable,
  tenantId: string,
): Promise<{ id: string; name: string; publishedVersion: number | null }[]> {
  const { rows } = await db.query<{ id: string; name: string; published_version: number | null }>(
    'SELECT id, name, published_version FROM agents WHERE tenant_id = $1 ORDER BY name',
    [tenantId],
  );
  return rows.map((r) => ({ id: r.id, name: r.name, publishedVersion: r.published_version }));
}
