import type { JsonObject } from '@switchboard/common';
import { IdPrefixes, newId } from './ids.js';
import type { Queryable } from './pool.js';
import type { ActionDefinitionRow } from './repositories.js';

/** One action as saved with an agent version. */
export interface AgentActionInput {
  name: string;
  format: ActionDefinitionRow['format'];
  source: JsonObject;
  canonical: JsonObject;
}

/**
 * The LLM an agent's own loop talks to: an OpenAI-compatible chat-completions endpoint. Stored
 * with the agent version (JSON, camelCase), so publishing or rolling back a version moves it too.
 */
export interface AgentLlmSettings {
  /** Base URL of the API, e.g. `https://api.openai.com/v1` (the client appends `/chat/completions`). */
  baseUrl: string;
  model: string;
  /** Name of the tenant credential (provider `openai`) holding `{ apiKey }`. */
  credential: string;
  /** The endpoint may be on a loopback or private address (a model served on-premise). */
  allowPrivate: boolean;
}

/** What {@link saveAgentVersion} wrote. */
export interface SavedAgentVersion {
  agentId: string;
  version: number;
  published: boolean;
  actions: { name: string; id: string; version: number }[];
}

/** JSON with sorted keys: jsonb does not keep key order, so plain stringify cannot compare. */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * Saves a new version of an agent: each action whose definition changed gets a new action
 * version (unchanged ones are reused), then an immutable agent version lists them. With
 * `publish`, conversations use it from now on. Run inside a transaction so that an invalid
 * save leaves nothing half-written.
 */
export async function saveAgentVersion(
  db: Queryable,
  tenantId: string,
  agentName: string,
  instructions: string,
  actions: readonly AgentActionInput[],
  publish = true,
  options: { llm?: AgentLlmSettings } = {},
): Promise<SavedAgentVersion> {
  const agent = await db.query<{ id: string }>(
    `INSERT INTO agents (id, tenant_id, name, instructions) VALUES ($1, $2, $3, $4)
     ON CONFLICT (tenant_id, name) DO UPDATE SET name = EXCLUDED.name RETURNING id`,
    [newId(IdPrefixes.Agent), tenantId, agentName, instructions],
  );
  const agentId = (agent.rows[0] as { id: string }).id;
  // Serialise concurrent saves of one agent (version numbers must not collide).
  await db.query('SELECT id FROM agents WHERE id = $1 FOR UPDATE', [agentId]);
  const saved: SavedAgentVersion['actions'] = [];
  for (const a of actions) {
    const latest = await db.query<{ id: string; version: number; source: JsonObject }>(
      `SELECT id, version, source FROM action_definitions WHERE agent_id = $1 AND name = $2 ORDER BY version DESC LIMIT 1`,
      [agentId, a.name],
    );
    const row = latest.rows[0];
    if (row && stableJson(row.source) === stableJson(a.source)) {
      saved.push({ name: a.name, id: row.id, version: row.version });
      continue;
    }
    const id = newId(IdPrefixes.Action);
    const version = (row?.version ?? 0) + 1;
    await db.query(
      `INSERT INTO action_definitions (id, tenant_id, agent_id, name, version, format, source, canonical)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [id, tenantId, agentId, a.name, version, a.format, a.source, a.canonical],
    );
    saved.push({ name: a.name, id, version });
  }
  const v = await db.query<{ version: number }>(
    `INSERT INTO agent_versions (agent_id, version, instructions, action_ids, llm)
     SELECT $1, COALESCE(MAX(version), 0) + 1, $2, $3, $4 FROM agent_versions WHERE agent_id = $1
     RETURNING version`,
    [agentId, instructions, saved.map((s) => s.id), options.llm ?? null],
  );
  const version = (v.rows[0] as { version: number }).version;
  if (publish) await publishAgentVersion(db, tenantId, agentId, version);
  return { agentId, version, published: publish, actions: saved };
}

/** Makes a version the one conversations use (publish, or roll back to an older one). */
export async function publishAgentVersion(
  db: Queryable,
  tenantId: string,
  agentId: string,
  version: number,
): Promise<boolean> {
  const res = await db.query(
    `UPDATE agents a SET published_version = v.version, instructions = v.instructions
       FROM agent_versions v
      WHERE a.id = $1 AND a.tenant_id = $2 AND v.agent_id = a.id AND v.version = $3`,
    [agentId, tenantId, version],
  );
  return res.rowCount === 1;
}

/** The LLM settings of an agent's published version (or of `version`); undefined when it has none. */
export async function findAgentLlmSettings(
  db: Queryable,
  tenantId: string,
  agentId: string,
  version?: number,
): Promise<AgentLlmSettings | undefined> {
  const { rows } = await db.query<{ llm: AgentLlmSettings | null }>(
    `SELECT v.llm FROM agent_versions v JOIN agents a ON a.id = v.agent_id
      WHERE v.agent_id = $1 AND a.tenant_id = $2 AND v.version = COALESCE($3, a.published_version)`,
    [agentId, tenantId, version ?? null],
  );
  return rows[0]?.llm ?? undefined;
}

/** Versions of an agent, newest first, with which one is published. */
export async function listAgentVersions(
  db: Queryable,
  tenantId: string,
  agentId: string,
): Promise<{ version: number; createdAt: Date; published: boolean; actionCount: number }[]> {
  const { rows } = await db.query<{ version: number; created_at: Date; published: boolean; n: number }>(
    `SELECT v.version, v.created_at, (a.published_version = v.version) AS published, cardinality(v.action_ids) AS n
       FROM agent_versions v JOIN agents a ON a.id = v.agent_id
      WHERE v.agent_id = $1 AND a.tenant_id = $2 ORDER BY v.version DESC`,
    [agentId, tenantId],
  );
  return rows.map((r) => ({
    version: r.version,
    createdAt: r.created_at,
    published: r.published === true,
    actionCount: r.n,
  }));
}

/**
 * The actions of an agent's published version (or of `version`). Agents saved before versions
 * existed fall back to the newest version of each action.
 */
export async function listAgentActions(
  db: Queryable,
  tenantId: string,
  agentId: string,
  version?: number,
  name?: string,
): Promise<ActionDefinitionRow[]> {
  const { rows } = await db.query(
    `WITH chosen AS (
       SELECT v.action_ids FROM agent_versions v JOIN agents a ON a.id = v.agent_id
        WHERE v.agent_id = $1 AND a.tenant_id = $2 AND v.version = COALESCE($3, a.published_version))
     SELECT d.id, d.name, d.version, d.format, d.source, d.canonical FROM action_definitions d
      WHERE d.agent_id = $1 AND d.tenant_id = $2 AND ($4::text IS NULL OR d.name = $4) AND (
        EXISTS (SELECT 1 FROM chosen WHERE d.id = ANY(chosen.action_ids))
        OR (NOT EXISTS (SELECT 1 FROM chosen) AND d.version = (
              SELECT MAX(x.version) FROM action_definitions x WHERE x.agent_id = d.agent_id AND x.name = d.name)))
      ORDER BY d.name`,
    [agentId, tenantId, version ?? null, name ?? null],
  );
  return rows.map((r) => ({
    id: r.id,
    agentId,
    name: r.name,
    version: r.version,
    format: r.format,
    source: r.source,
    canonical: r.canonical,
  }));
}

/** The published definition of one action, by exact (case-sensitive) name. */
export async function findPublishedAction(
  db: Queryable,
  tenantId: string,
  agentId: string,
  name: string,
): Promise<ActionDefinitionRow | undefined> {
  return (await listAgentActions(db, tenantId, agentId, undefined, name))[0];
}
