import type { JsonObject } from '@switchboard/common';
import { IdPrefixes, newId } from './ids.js';
import type { Queryable } from './pool.js';

/** One saved version of an action definition. */
export interface ActionDefinitionRow {
  id: string;
  agentId: string;
  name: string;
  version: number;
  format: 'tool' | 'typed' | 'builtin';
  source: JsonObject;
  canonical: JsonObject;
}

/** Saves a new version of an action (version = previous + 1, atomically). */
export async function saveActionVersion(
  db: Queryable,
  tenantId: string,
  agentId: string,
  def: { name: string; format: ActionDefinitionRow['format']; source: JsonObject; canonical: JsonObject },
): Promise<ActionDefinitionRow> {
  const id = newId(IdPrefixes.Action);
  const { rows } = await db.query<{ version: number }>(
    `INSERT INTO action_definitions (id, tenant_id, agent_id, name, version, format, source, canonical)
     SELECT $1, $2, $3, $4, COALESCE(MAX(version), 0) + 1, $5, $6, $7
       FROM action_definitions WHERE agent_id = $3 AND name = $4 AND topic IS NULL
     RETURNING version`,
    [id, tenantId, agentId, def.name, def.format, def.source, def.canonical],
  );
  return { id, agentId, version: (rows[0] as { version: number }).version, ...def };
}

/** The newest version of an action by exact (case-sensitive) name. */
export async function findLatestAction(
  db: Queryable,
  tenantId: string,
  agentId: string,
  name: string,
): Promise<ActionDefinitionRow | undefined> {
  const { rows } = await db.query<{
    id: string;
    version: number;
    format: ActionDefinitionRow['format'];
    source: JsonObject;
    canonical: JsonObject;
  }>(
    `SELECT id, version, format, source, canonical FROM action_definitions
      WHERE tenant_id = $1 AND agent_id = $2 AND name = $3 AND topic IS NULL ORDER BY version DESC LIMIT 1`,
    [tenantId, agentId, name],
  );
  const row = rows[0];
  return row ? { ...row, agentId, name } : undefined;
}

/** Names of the newest versions of all actions of an agent. */
export async function listActionNames(db: Queryable, tenantId: string, agentId: string): Promise<string[]> {
  const { rows } = await db.query<{ name: string }>(
    'SELECT DISTINCT name FROM action_definitions WHERE tenant_id = $1 AND agent_id = $2 AND topic IS NULL ORDER BY name',
    [tenantId, agentId],
  );
  return rows.map((r) => r.name);
}
