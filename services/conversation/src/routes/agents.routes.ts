import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import {
  compileAgentDefinition,
  type LintIssue,
  lintAgentInstructions,
  lintErrors,
  lintInstructions,
  lintTopicInstructions,
  TOPIC_LIMITS,
} from '@switchboard/agents';
import { type JsonObject, NotFoundError, ValidationError } from '@switchboard/common';
import {
  type ActionDefinitionRow,
  type AgentTopic,
  findAgentByName,
  findAgentLlmSettings,
  findAgentTopics,
  findAgentVersionInstructions,
  listAgentActions,
  listAgents,
  listAgentTopicActions,
  listAgentVersions,
  publishAgentVersion,
  type Queryable,
  saveAgentVersion,
  type TopicActionRow,
  withTransaction,
} from '@switchboard/db';
import type pg from 'pg';
import { LlmSettingsBody, llmSettingsFromBody, llmSettingsToBody } from '../agent-loop/llm-settings.js';
import { statusOfActions } from '../agent-status.js';
import { InstructionsLintError } from '../errors.js';
import { errorResponses } from '../responses.js';

const AgentName = Type.String({ minLength: 1, maxLength: 200, pattern: '^[^/\\s][^/]*$' });

/** An action with its status (Configured / Incomplete / Error) and what is missing. */
const ActionWithStatus = Type.Object({
  name: Type.String(),
  format: Type.String({ description: 'declarative, typed or builtin' }),
  version: Type.Integer(),
  status: Type.Union([Type.Literal('configured'), Type.Literal('incomplete'), Type.Literal('error')]),
  problems: Type.Array(Type.Object({ pointer: Type.String(), message: Type.String() })),
  imported: Type.Optional(Type.String({ description: 'The library action a topic action is a copy of' })),
});

/** Findings of the instruction linter. */
const Lint = Type.Array(
  Type.Object({
    severity: Type.String(),
    code: Type.String(),
    message: Type.String(),
    line: Type.Integer(),
    column: Type.Integer(),
    name: Type.Optional(Type.String()),
    suggestion: Type.Optional(Type.String()),
  }),
);

/** An action's definition as saved. */
const Definition = Type.Object({
  name: Type.String(),
  version: Type.Integer(),
  format: Type.String(),
  source: Type.Record(Type.String(), Type.Unknown()),
  imported: Type.Optional(Type.String()),
});

const SavedAgent = Type.Object({
  name: Type.String(),
  version: Type.Integer(),
  published: Type.Boolean(),
  actions: Type.Array(ActionWithStatus),
  lint: Lint,
  topics: Type.Optional(
    Type.Array(Type.Object({ name: Type.String(), actions: Type.Array(ActionWithStatus), lint: Lint })),
  ),
});

const Agent = Type.Object({
  name: Type.String(),
  instructions: Type.String(),
  actions: Type.Array(ActionWithStatus),
  definitions: Type.Array(Definition),
  lint: Lint,
  versions: Type.Array(
    Type.Object({
      version: Type.Integer(),
      createdAt: Type.String(),
      published: Type.Boolean(),
      actionCount: Type.Integer(),
    }),
  ),
  llm: Type.Optional(Type.Required(LlmSettingsBody)),
  topics: Type.Optional(
    Type.Array(
      Type.Object({
        name: Type.String(),
        description: Type.String(),
        instructions: Type.Optional(Type.String()),
        actions: Type.Array(ActionWithStatus),
        definitions: Type.Array(Definition),
        lint: Lint,
      }),
    ),
  ),
  library: Type.Optional(Type.Array(Type.Record(Type.String(), Type.Unknown()))),
});

const Force = Type.Optional(
  Type.Boolean({
    default: false,
    description:
      'Publish even when the instruction lint reports errors (unknown, case-mismatched or misspelt action references). Without it such an agent is refused with 422 instructions_lint_failed; warnings never block.',
  }),
);

/** Agents: save (validated, versioned), read with action status and lint, publish/rollback. */
export const agentRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/agents',
    {
      schema: {
        summary: 'List agents',
        response: {
          200: Type.Object({
            agents: Type.Array(
              Type.Object({
                id: Type.String(),
                name: Type.String(),
                publishedVersion: Type.Union([Type.Integer(), Type.Null()]),
              }),
            ),
          }),
        },
      },
    },
    async (req) => ({
      agents: await listAgents(app.deps.db, req.principal.tenantId),
    }),
  );

  app.put(
    '/agents/:name',
    {
      schema: {
        summary: 'Create or update an agent (a new version); validates every action first',
        params: Type.Object({ name: AgentName }),
        // A query string carries text, and the service does not coerce types: 'true'/'false'.
        querystring: Type.Object({
          publish: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false'), Type.Boolean()])),
        }),
        body: Type.Object(
          {
            instructions: Type.String({ maxLength: 200_000, description: 'Liquid template with contact variables' }),
            actions: Type.Array(Type.Unknown(), {
              maxItems: 200,
              description: 'Declarative tools, typed actions or built-in actions, in any mix',
            }),
            llm: Type.Optional(LlmSettingsBody),
            library: Type.Optional(
              Type.Array(Type.Unknown(), {
                maxItems: TOPIC_LIMITS.library,
                description: 'Actions defined once, for topics to import (each import is a copy owned by its topic)',
              }),
            ),
            topics: Type.Optional(
              Type.Array(Type.Unknown(), {
                maxItems: TOPIC_LIMITS.topics,
                description:
                  'Topics: { name, description, instructions?, actions: [action | { import, config?, ...overrides }] }',
              }),
            ),
            force: Force,
          },
          { additionalProperties: false },
        ),
        // 400 (the app's) also lists every problem of the definition; nothing is saved then.
        // 422: instruction lint errors without `force`; nothing is saved then either.
        response: { 200: SavedAgent, ...errorResponses(422) },
      },
    },
    async (req, reply) => {
      const compiled = compileAgentDefinition(req.body);
      if (compiled.issues.length > 0) {
        throw new ValidationError(
          `agent '${req.params.name}' has ${compiled.issues.length} problem(s); nothing was saved`,
          compiled.issues,
        );
      }
      const publish = req.query.publish !== false && req.query.publish !== 'false';
      if (publish && req.body.force !== true) {
        const errors = lintErrors(
          compiled.lint,
          compiled.topics.map((t) => t.lint),
        );
        if (errors.length > 0) {
          throw new InstructionsLintError(`agent '${req.params.name}' was neither saved nor published`, errors);
        }
      }
      const saved = await withTransaction(app.deps.db as pg.Pool, (tx) =>
        saveAgentVersion(
          tx,
          req.principal.tenantId,
          req.params.name,
          req.body.instructions,
          compiled.actions.map(toStored),
          publish,
          {
            ...(req.body.llm ? { llm: llmSettingsFromBody(req.body.llm) } : {}),
            ...(compiled.topics.length > 0
              ? {
                  topics: compiled.topics.map((t) => ({
                    name: t.name,
                    declaration: t.declaration,
                    actions: t.actions.map(toStored),
                  })),
                }
              : {}),
            ...(req.body.library !== undefined && req.body.library.length > 0
              ? { library: req.body.library as JsonObject[] }
              : {}),
          },
        ),
      );
      const versions = new Map(saved.actions.map((a) => [a.name, a.version]));
      const statuses = await statusOfActions(
        app.deps.db,
        req.principal.tenantId,
        compiled.actions.map((a) => ({
          name: a.name,
          format: a.format,
          version: versions.get(a.name) ?? 1,
          source: a.source,
        })),
      );
      const topics = await Promise.all(
        compiled.topics.map(async (t) => {
          const topicVersions = new Map(
            saved.topics.find((s) => s.name === t.name)?.actions.map((a) => [a.name, a.version]),
          );
          const topicStatuses = await statusOfActions(
            app.deps.db,
            req.principal.tenantId,
            t.actions.map((a) => ({
              name: a.name,
              format: a.format,
              version: topicVersions.get(a.name) ?? 1,
              source: a.source,
            })),
          );
          return {
            name: t.name,
            actions: topicStatuses.map((st, i) => withImport(st, t.actions[i]?.imported)),
            lint: t.lint,
          };
        }),
      );
      return reply.status(200).send({
        name: req.params.name,
        version: saved.version,
        published: saved.published,
        actions: statuses,
        lint: compiled.lint,
        ...(topics.length > 0 ? { topics } : {}),
      });
    },
  );

  app.get(
    '/agents/:name',
    {
      schema: {
        summary: 'Read an agent: published instructions, actions with status, lint, versions',
        params: Type.Object({ name: AgentName }),
        // Query values are text (the service does not coerce types): a version number as digits.
        querystring: Type.Object({
          version: Type.Optional(
            Type.Union([Type.Integer({ minimum: 1 }), Type.String({ pattern: '^[1-9][0-9]{0,8}$' })]),
          ),
        }),
        // 404: the agent, or the version asked for.
        response: { 200: Agent, ...errorResponses(404) },
      },
    },
    async (req) => {
      const tenantId = req.principal.tenantId;
      const requested = req.query.version === undefined ? undefined : Number(req.query.version);
      const agent = await findAgentByName(app.deps.db, tenantId, req.params.name);
      if (!agent) throw new NotFoundError('agent', req.params.name);
      const [actions, versions, llm, stored, topicRows, versionInstructions] = await Promise.all([
        listAgentActions(app.deps.db, tenantId, agent.id, requested),
        listAgentVersions(app.deps.db, tenantId, agent.id),
        findAgentLlmSettings(app.deps.db, tenantId, agent.id, requested),
        findAgentTopics(app.deps.db, tenantId, agent.id, requested),
        listAgentTopicActions(app.deps.db, tenantId, agent.id, { version: requested }),
        findAgentVersionInstructions(app.deps.db, tenantId, agent.id, requested),
      ]);
      if (requested !== undefined && !versions.some((v) => v.version === requested)) {
        throw new NotFoundError('agent version', String(requested));
      }
      const instructions = versionInstructions ?? agent.instructions;
      const lint = lintOfVersion(instructions, actions, stored.topics, topicRows);
      return {
        name: agent.name,
        instructions,
        actions: await statusOfActions(app.deps.db, tenantId, actions),
        definitions: actions.map((a) => ({ name: a.name, version: a.version, format: a.format, source: a.source })),
        lint: lint.agent,
        versions: versions.map((v) => ({ ...v, createdAt: v.createdAt.toISOString() })),
        ...(llm ? { llm: llmSettingsToBody(llm) } : {}),
        ...(stored.topics.length > 0
          ? {
              topics: await Promise.all(
                stored.topics.map(async (topic, i) => {
                  const rows = topicRows.filter((r) => r.topic === topic.name);
                  const imports = importsOf(topic.actions);
                  const statuses = await statusOfActions(app.deps.db, tenantId, rows);
                  return {
                    name: topic.name,
                    description: topic.description,
                    ...(topic.instructions !== undefined ? { instructions: topic.instructions } : {}),
                    actions: statuses.map((st) => withImport(st, imports.get(st.name))),
                    definitions: rows.map((a) => ({
                      name: a.name,
                      version: a.version,
                      format: a.format,
                      source: a.source,
                      ...(imports.has(a.name) ? { imported: imports.get(a.name) } : {}),
                    })),
                    lint: lint.topics[i] ?? [],
                  };
                }),
              ),
            }
          : {}),
        ...(stored.library.length > 0 ? { library: stored.library } : {}),
      };
    },
  );

  app.post(
    '/agents/:name/publish',
    {
      schema: {
        summary: 'Publish a version (or roll back to an older one)',
        params: Type.Object({ name: AgentName }),
        // A version is a Postgres integer: a larger number names no version (and is no 500).
        body: Type.Object(
          { version: Type.Integer({ minimum: 1, maximum: 2_147_483_647 }), force: Force },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ name: Type.String(), published: Type.Integer() }), ...errorResponses(404, 422) },
      },
    },
    async (req) => {
      const tenantId = req.principal.tenantId;
      const agent = await findAgentByName(app.deps.db, tenantId, req.params.name);
      if (!agent) throw new NotFoundError('agent', req.params.name);
      if (req.body.force !== true) {
        const lint = await lintOfStoredVersion(app.deps.db, tenantId, agent.id, req.body.version);
        const errors = lint === undefined ? [] : lintErrors(lint.agent, lint.topics);
        if (errors.length > 0) {
          throw new InstructionsLintError(
            `version ${req.body.version} of agent '${agent.name}' was not published`,
            errors,
          );
        }
      }
      const ok = await publishAgentVersion(app.deps.db, tenantId, agent.id, req.body.version);
      if (!ok) throw new NotFoundError('agent version', String(req.body.version));
      return { name: agent.name, published: req.body.version };
    },
  );
};

/** The lint of a stored version: of the agent's instructions, and of each topic's in topic order. */
interface VersionLint {
  agent: LintIssue[];
  topics: LintIssue[][];
}

/** Lints a stored version's instructions against its actions, as a save of it would have. */
function lintOfVersion(
  instructions: string,
  actions: readonly Pick<ActionDefinitionRow, 'name' | 'canonical'>[],
  topics: readonly AgentTopic[],
  topicRows: readonly TopicActionRow[],
): VersionLint {
  const topLevel = actions.map(lintActionOfRow);
  return {
    agent:
      topics.length === 0
        ? lintInstructions(instructions, topLevel)
        : lintAgentInstructions(
            instructions,
            topLevel,
            topicRows.map((a) => a.name),
          ),
    topics: topics.map((topic) =>
      topic.instructions !== undefined && topic.instructions.trim() !== ''
        ? lintTopicInstructions(
            topic.instructions,
            topicRows.filter((r) => r.topic === topic.name).map(lintActionOfRow),
            topLevel,
          )
        : [],
    ),
  };
}

/** {@link lintOfVersion} of a version read from the database; undefined when there is no such version. */
async function lintOfStoredVersion(
  db: Queryable,
  tenantId: string,
  agentId: string,
  version: number,
): Promise<VersionLint | undefined> {
  const [instructions, actions, stored, topicRows] = await Promise.all([
    findAgentVersionInstructions(db, tenantId, agentId, version),
    listAgentActions(db, tenantId, agentId, version),
    findAgentTopics(db, tenantId, agentId, version),
    listAgentTopicActions(db, tenantId, agentId, { version }),
  ]);
  if (instructions === undefined) return undefined;
  return lintOfVersion(instructions, actions, stored.topics, topicRows);
}

/** A compiled action as `saveAgentVersion` stores it. */
function toStored(a: { name: string; format: ActionDefinitionRow['format']; source: JsonObject; canonical: unknown }) {
  return { name: a.name, format: a.format, source: a.source, canonical: a.canonical as JsonObject };
}

/** An action row as the instruction linter sees it. */
function lintActionOfRow(a: Pick<ActionDefinitionRow, 'name' | 'canonical'>): { name: string; label: string } {
  return { name: a.name, label: String((a.canonical as { label?: unknown }).label ?? a.name) };
}

/** A topic action's status, naming the library action it is a copy of. */
function withImport<T extends object>(status: T, imported: string | undefined): T & { imported?: string } {
  return imported === undefined ? status : { ...status, imported };
}

/**
 * Which library action each action of a topic (by name) was copied from, from the topic's
 * entries as written: an import is named by its `name` override, else by the library action's.
 */
function importsOf(entries: readonly JsonObject[]): Map<string, string> {
  const imports = new Map<string, string>();
  for (const entry of entries) {
    if (typeof entry.import !== 'string') continue;
    imports.set(typeof entry.name === 'string' ? entry.name : entry.import, entry.import);
  }
  return imports;
}
