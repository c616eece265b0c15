import type { JsonObject } from '@switchboard/common';
import type { ActionDefinitionRow } from './action-definitions.js';
import type { ResultWebhookSettings } from './async-results.js';
import { IdPrefixes, newId } from './ids.js';
import type { Queryable } from './pool.js';

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

/** One topic as saved with an agent version: its declaration as written, and its own actions. */
export interface AgentTopicInput {
  name: string;
  /** The topic as written (`name`, `description`, `instructions`, `actions` with imports as written). */
  declaration: JsonObject;
  /** The topic's actions, imports already copied (each row is the topic's own copy). */
  actions: readonly AgentActionInput[];
}

/** A topic of a saved agent version (its declaration as written). */
export interface AgentTopic {
  name: string;
  description: string;
  instructions?: string;
  /** The topic's action entries as written: definitions, and `{ import, ...overrides }`. */
  actions: JsonObject[];
}

/** An action row of a topic. */
export interface TopicActionRow extends ActionDefinitionRow {
  topic: string;
}

/** What {@link saveAgentVersion} wrote. */
export interface SavedAgentVersion {
  agentId: string;
  version: number;
  published: boolean;
  /** The top-level actions. */
  actions: { name: string; id: string; version: number }[];
  /** Each topic's actions (versions are per topic and name); empty without topics. */
  topics: { name: string; actions: { name: string; id: string; version: number }[] }[];
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
 *
 * Topics (`options.topics`): each topic's actions are rows of their own (versioned per topic
 * and name), so a topic's copy of a library action is frozen in the versions that list it.
 */
export async function saveAgentVersion(
  db: Queryable,
  tenantId: string,
  agentName: string,
  instructions: string,
  actions: readonly AgentActionInput[],
  publish = true,
  options: {
    llm?: AgentLlmSettings;
    topics?: readonly AgentTopicInput[];
    library?: readonly JsonObject[];
    resultWebhook?: ResultWebhookSettings;
  } = {},
): Promise<SavedAgentVersion> {
  const agent = await db.query<{ id: string }>(
    `INSERT INTO agents (id, tenant_id, name, instructions) VALUES ($1, $2, $3, $4)
     ON CONFLICT (tenant_id, name) DO UPDATE SET name = EXCLUDED.name RETURNING id`,
    [newId(IdPrefixes.Agent), tenantId, agentName, instructions],
  );
  const agentId = (agent.rows[0] as { id: string }).id;
  // Serialise concurrent saves of one agent (version numbers must not collide).
  await db.query('SELECT id FROM agents WHERE id = $1 FOR UPDATE', [agentId]);
  const saved = await saveActionRows(db, tenantId, agentId, actions, null);
  const topics: SavedAgentVersion['topics'] = [];
  for (const topic of options.topics ?? []) {
    topics.push({ name: topic.name, actions: await saveActionRows(db, tenantId, agentId, topic.actions, topic.name) });
  }
  const hasTopics = options.topics !== undefined && options.topics.length > 0;
  const v = await db.query<{ version: number }>(
    `INSERT INTO agent_versions (agent_id, version, instructions, action_ids, llm, topics, library, result_webhook)
     SELECT $1, COALESCE(MAX(version), 0) + 1, $2, $3, $4, $5, $6, $7 FROM agent_versions WHERE agent_id = $1
     RETURNING version`,
    [
      agentId,
      instructions,
      [...saved, ...topics.flatMap((t) => t.actions)].map((s) => s.id),
      options.llm ?? null,
      hasTopics ? JSON.stringify(options.topics?.map((t) => t.declaration)) : null,
      options.library !== undefined && options.library.length > 0 ? JSON.stringify(options.library) : null,
      options.resultWebhook ?? null,
    ],
  );
  const version = (v.rows[0] as { version: number }).version;
  if (publish) await publishAgentVersion(db, tenantId, agentId, version);
  return { agentId, version, published: publish, actions: saved, topics };
}

/** Writes the actions of one scope (top level: `topic` null), reusing unchanged versions. */
async function saveActionRows(
  db: Queryable,
  tenantId: string,
  agentId: string,
  actions: readonly AgentActionInput[],
  topic: string | null,
): Promise<SavedAgentVersion['actions']> {
  const saved: SavedAgentVersion['actions'] = [];
  for (const a of actions) {
    const latest = await db.query<{ id: string; version: number; source: JsonObject }>(
      `SELECT id, version, source FROM action_definitions
        WHERE agent_id = $1 AND name = $2 AND topic IS NOT DISTINCT FROM $3 ORDER BY version DESC LIMIT 1`,
      [agentId, a.name, topic],
    );
    const row = latest.rows[0];
    if (row && stableJson(row.source) === stableJson(a.source)) {
      saved.push({ name: a.name, id: row.id, version: row.version });
      continue;
    }
    const id = newId(IdPrefixes.Action);
    const version = (row?.version ?? 0) + 1;
    await db.query(
      `INSERT INTO action_definitions (id, tenant_id, agent_id, name, version, format, source, canonical, topic)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [id, tenantId, agentId, a.name, version, a.format, a.source, a.canonical, topic],
    );
    saved.push({ name: a.name, id, version });
  }
  return saved;
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

/**
 * The instructions of an agent's published version (or of `version`); undefined when there is
 * no such version (agents saved before versions existed keep theirs on the agent row).
 */
export async function findAgentVersionInstructions(
  db: Queryable,
  tenantId: string,
  agentId: string,
  version?: number,
): Promise<string | undefined> {
  const { rows } = await db.query<{ instructions: string }>(
    `SELECT v.instructions FROM agent_versions v JOIN agents a ON a.id = v.agent_id
      WHERE v.agent_id = $1 AND a.tenant_id = $2 AND v.version = COALESCE($3, a.published_version)`,
    [agentId, tenantId, version ?? null],
  );
  return rows[0]?.instructions;
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
 * The top-level actions of an agent's published version (or of `version`); a topic's actions
 * are not among them (see {@link listAgentTopicActions}). Agents saved before versions existed
 * fall back to the newest version of each action.
 */
export async function listAgentActions(
  db: Queryable,
  tenantId: string,
  agentId: string,
  version?: number,
  name?: string,
): Promise<ActionDefinitionRow[]> {
  const rows = await selectVersionActions(db, tenantId, agentId, { version, name, scope: 'top' });
  return rows.map(({ topic: _, ...row }) => row);
}

/**
 * The topics' actions of an agent's published version (or of `version`), by topic then name;
 * only those of `topic` and named `name` when given.
 */
export async function listAgentTopicActions(
  db: Queryable,
  tenantId: string,
  agentId: string,
  options: { version?: number; topic?: string; name?: string } = {},
): Promise<TopicActionRow[]> {
  const rows = await selectVersionActions(db, tenantId, agentId, { ...options, scope: 'topics' });
  return rows.map((row) => ({ ...row, topic: row.topic ?? '' }));
}

async function selectVersionActions(
  db: Queryable,
  tenantId: string,
  agentId: string,
  options: {
    version?: number | undefined;
    name?: string | undefined;
    topic?: string | undefined;
    scope: 'top' | 'topics';
  },
): Promise<(ActionDefinitionRow & { topic: string | null })[]> {
  const { rows } = await db.query(
    `WITH chosen AS (
       SELECT v.action_ids FROM agent_versions v JOIN agents a ON a.id = v.agent_id
        WHERE v.agent_id = $1 AND a.tenant_id = $2 AND v.version = COALESCE($3, a.published_version))
     SELECT d.id, d.name, d.version, d.format, d.source, d.canonical, d.topic FROM action_definitions d
      WHERE d.agent_id = $1 AND d.tenant_id = $2 AND ($4::text IS NULL OR d.name = $4)
        AND (CASE WHEN $5::boolean THEN d.topic IS NOT NULL AND ($6::text IS NULL OR d.topic = $6) ELSE d.topic IS NULL END)
        AND (
        EXISTS (SELECT 1 FROM chosen WHERE d.id = ANY(chosen.action_ids))
        OR (NOT EXISTS (SELECT 1 FROM chosen) AND d.version = (
              SELECT MAX(x.version) FROM action_definitions x
               WHERE x.agent_id = d.agent_id AND x.name = d.name AND x.topic IS NOT DISTINCT FROM d.topic)))
      ORDER BY d.topic NULLS FIRST, d.name`,
    [
      agentId,
      tenantId,
      options.version ?? null,
      options.name ?? null,
      options.scope === 'topics',
      options.topic ?? null,
    ],
  );
  return rows.map((r) => ({
    id: r.id,
    agentId,
    name: r.name,
    version: r.version,
    format: r.format,
    source: r.source,
    canonical: r.canonical,
    topic: r.topic,
  }));
}

/**
 * The published definition of one action, by exact (case-sensitive) name: the top-level one,
 * or with `topic` that topic's own copy.
 */
export async function findPublishedAction(
  db: Queryable,
  tenantId: string,
  agentId: string,
  name: string,
  topic?: string,
): Promise<ActionDefinitionRow | undefined> {
  if (topic !== undefined) return (await listAgentTopicActions(db, tenantId, agentId, { topic, name }))[0];
  return (await listAgentActions(db, tenantId, agentId, undefined, name))[0];
}

/**
 * The topics and the library of an agent's published version (or of `version`), as saved;
 * empty for agents without topics.
 */
export async function findAgentTopics(
  db: Queryable,
  tenantId: string,
  agentId: string,
  version?: number,
): Promise<{ topics: AgentTopic[]; library: JsonObject[] }> {
  const { rows } = await db.query<{ topics: AgentTopic[] | null; library: JsonObject[] | null }>(
    `SELECT v.topics, v.library FROM agent_versions v JOIN agents a ON a.id = v.agent_id
      WHERE v.agent_id = $1 AND a.tenant_id = $2 AND v.version = COALESCE($3, a.published_version)`,
    [agentId, tenantId, version ?? null],
  );
  return { topics: rows[0]?.topics ?? [], library: rows[0]?.library ?? [] };
}
