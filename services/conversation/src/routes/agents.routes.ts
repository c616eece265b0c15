import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { CanonicalAction } from '@switchboard/actions';
import {
  compileAgentDefinition,
  dropinUrl,
  exportTools,
  type LintIssue,
  lintAgentInstructions,
  lintErrors,
  lintInstructions,
  lintTopicInstructions,
} from '@switchboard/agents';
import { type JsonObject, NotFoundError, ValidationError } from '@switchboard/common';
import {
  type ActionDefinitionRow,
  type AgentTopic,
  findAgentByName,
  findAgentKeepEffects,
  findAgentLlmSettings,
  findAgentLocale,
  findAgentResultWebhook,
  findAgentTopics,
  findAgentVersionInstructions,
  listAgentActions,
  listAgents,
  listAgentTopicActions,
  listAgentVersions,
  publishAgentVersion,
  type Queryable,
  saveAgentVersion,
  setAgentKeepEffects,
  setAgentLocale,
  setAgentRuntimes,
  type TopicActionRow,
  withTransaction,
} from '@switchboard/db';
import type pg from 'pg';
import { llmSettingsFromBody, llmSettingsToBody } from '../agent-loop/llm-settings.js';
import { agentRuntimes, statusOfActions } from '../agent-status.js';
import { InstructionsLintError } from '../errors.js';
import { handoffTargetIssues, storedVersionHandoffIssues } from '../handoff-targets.js';
import { resultWebhookFromBody, resultWebhookToBody } from '../result-webhook-settings.js';
import {
  ExportAgentSchema,
  GetAgentSchema,
  ListAgentsSchema,
  PublishAgentSchema,
  PutAgentSchema,
} from './agents.schemas.js';

/** Agents: save (validated, versioned), read with action status and lint, publish/rollback. */
export const agentRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/agents',
    {
      schema: ListAgentsSchema,
    },
    async (req) => ({
      agents: await listAgents(app.deps.db, req.principal.tenantId),
    }),
  );

  app.put(
    '/agents/:name',
    {
      schema: PutAgentSchema,
    },
    async (req, reply) => {
      const compiled = compileAgentDefinition(req.body);
      if (compiled.issues.length > 0) {
        throw new ValidationError(
          `agent '${req.params.name}' has ${compiled.issues.length} problem(s); nothing was saved`,
          compiled.issues,
        );
      }
      // Seed: "handoff | Transfer to another agent": the target must be an agent of the tenant.
      const handoffIssues = await handoffTargetIssues(app.deps.db, req.principal.tenantId, req.params.name, req.body);
      if (handoffIssues.length > 0) {
        throw new ValidationError(
          `agent '${req.params.name}' hands over to ${handoffIssues.length} agent(s) or topic(s) that do not exist; nothing was saved`,
          handoffIssues,
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
            ...(req.body.result_webhook ? { resultWebhook: resultWebhookFromBody(req.body.result_webhook) } : {}),
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
      // PUT replaces the agent: without keep_effects its test calls clean up again.
      await setAgentKeepEffects(app.deps.db, req.principal.tenantId, req.params.name, req.body.keep_effects === true);
      await setAgentLocale(app.deps.db, req.principal.tenantId, req.params.name, req.body.locale);
      // Unset (absent) when not given: PUT replaces the agent, settings included.
      const runtimes = req.body.runtimes ?? [];
      await setAgentRuntimes(app.deps.db, req.principal.tenantId, req.params.name, req.body.runtimes);
      const versions = new Map(saved.actions.map((a) => [a.name, a.version]));
      const statuses = await statusOfActions(
        app.deps.db,
        req.principal.tenantId,
        compiled.actions.map((a) => ({
          name: a.name,
          format: a.format,
          version: versions.get(a.name) ?? 1,
          source: a.source,
          canonical: a.canonical,
        })),
        runtimes,
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
              canonical: a.canonical,
            })),
            runtimes,
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
      schema: GetAgentSchema,
    },
    async (req) => {
      const tenantId = req.principal.tenantId;
      const requested = req.query.version === undefined ? undefined : Number(req.query.version);
      const agent = await findAgentByName(app.deps.db, tenantId, req.params.name);
      if (!agent) throw new NotFoundError('agent', req.params.name);
      const [
        actions,
        versions,
        llm,
        stored,
        topicRows,
        versionInstructions,
        resultWebhook,
        keepEffects,
        locale,
        runtimes,
      ] = await Promise.all([
        listAgentActions(app.deps.db, tenantId, agent.id, requested),
        listAgentVersions(app.deps.db, tenantId, agent.id),
        findAgentLlmSettings(app.deps.db, tenantId, agent.id, requested),
        findAgentTopics(app.deps.db, tenantId, agent.id, requested),
        listAgentTopicActions(app.deps.db, tenantId, agent.id, { version: requested }),
        findAgentVersionInstructions(app.deps.db, tenantId, agent.id, requested),
        findAgentResultWebhook(app.deps.db, tenantId, agent.id, requested),
        findAgentKeepEffects(app.deps.db, tenantId, agent.id),
        findAgentLocale(app.deps.db, tenantId, agent.id),
        agentRuntimes(app.deps.db, tenantId, agent.id),
      ]);
      if (requested !== undefined && !versions.some((v) => v.version === requested)) {
        throw new NotFoundError('agent version', String(requested));
      }
      const instructions = versionInstructions ?? agent.instructions;
      const lint = lintOfVersion(instructions, actions, stored.topics, topicRows);
      return {
        name: agent.name,
        instructions,
        actions: await statusOfActions(app.deps.db, tenantId, actions, runtimes),
        definitions: actions.map((a) => ({ name: a.name, version: a.version, format: a.format, source: a.source })),
        lint: lint.agent,
        versions: versions.map((v) => ({ ...v, createdAt: v.createdAt.toISOString() })),
        ...(llm ? { llm: llmSettingsToBody(llm) } : {}),
        ...(resultWebhook ? { result_webhook: resultWebhookToBody(resultWebhook) } : {}),
        keep_effects: keepEffects,
        ...(locale !== undefined ? { locale } : {}),
        ...(runtimes.length > 0 ? { runtimes } : {}),
        ...(stored.topics.length > 0
          ? {
              topics: await Promise.all(
                stored.topics.map(async (topic, i) => {
                  const rows = topicRows.filter((r) => r.topic === topic.name);
                  const imports = importsOf(topic.actions);
                  const statuses = await statusOfActions(app.deps.db, tenantId, rows, runtimes);
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

  app.get(
    '/agents/:name/export',
    {
      schema: ExportAgentSchema,
    },
    async (req) => {
      const { format, url } = req.query;
      const agent = await findAgentByName(app.deps.db, req.principal.tenantId, req.params.name);
      if (!agent) throw new NotFoundError('agent', req.params.name);
      let target = url;
      if (target === undefined && (format === 'vapi' || format === 'retell' || format === 'elevenlabs')) {
        // The drop-in endpoint under the public base URL, as inbound webhooks compute theirs.
        target = dropinUrl(app.deps.publicBaseUrl ?? `http://${req.headers.host ?? 'localhost'}`, format, agent.name);
      }
      const rows = await listAgentActions(app.deps.db, req.principal.tenantId, agent.id);
      const actions = rows.map((row) => row.canonical as unknown as CanonicalAction);
      const locale = await findAgentLocale(app.deps.db, req.principal.tenantId, agent.id);
      const exported = exportTools(actions, format, {
        ...(target === undefined ? {} : { url: target }),
        ...(locale === undefined ? {} : { locale }),
      });
      // The tools are plain JSON; their interfaces just carry no index signature.
      return { ...exported, tools: exported.tools as unknown as Record<string, unknown>[] };
    },
  );

  app.post(
    '/agents/:name/publish',
    {
      schema: PublishAgentSchema,
    },
    async (req) => {
      const tenantId = req.principal.tenantId;
      const agent = await findAgentByName(app.deps.db, tenantId, req.params.name);
      if (!agent) throw new NotFoundError('agent', req.params.name);
      // Not lint: a handoff to an agent that does not exist cannot run, forced or not.
      const handoffIssues = await storedVersionHandoffIssues(app.deps.db, tenantId, agent, req.body.version);
      if (handoffIssues.length > 0) {
        throw new ValidationError(
          `version ${req.body.version} of agent '${agent.name}' hands over to agents or topics that do not exist; it was not published`,
          handoffIssues,
        );
      }
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
