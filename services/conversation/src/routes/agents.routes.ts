import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { compileAgentDefinition, lintInstructions } from '@switchboard/agents';
import { type JsonObject, NotFoundError, ValidationError } from '@switchboard/common';
import {
  findAgentByName,
  findAgentLlmSettings,
  listAgentActions,
  listAgents,
  listAgentVersions,
  publishAgentVersion,
  saveAgentVersion,
  withTransaction,
} from '@switchboard/db';
import type pg from 'pg';
import { LlmSettingsBody, llmSettingsFromBody, llmSettingsToBody } from '../agent-loop/llm-settings.js';
import { statusOfActions } from '../agent-status.js';

const AgentName = Type.String({ minLength: 1, maxLength: 200, pattern: '^[^/\\s][^/]*$' });

/** Agents: save (validated, versioned), read with action status and lint, publish/rollback. */
export const agentRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/agents', { schema: { summary: 'List agents' } }, async (req) => ({
    agents: await listAgents(app.deps.db, req.principal.tenantId),
  }));

  app.put(
    '/agents/:name',
    {
      schema: {
        summary: 'Create or update an agent (a new version); validates every action first',
        params: Type.Object({ name: AgentName }),
        querystring: Type.Object({ publish: Type.Optional(Type.Boolean({ default: true })) }),
        body: Type.Object(
          {
            instructions: Type.String({ maxLength: 200_000, description: 'Liquid template with contact variables' }),
            actions: Type.Array(Type.Unknown(), {
              maxItems: 200,
              description: 'Declarative tools, typed actions or built-in actions, in any mix',
            }),
            llm: Type.Optional(LlmSettingsBody),
          },
          { additionalProperties: false },
        ),
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
      const saved = await withTransaction(app.deps.db as pg.Pool, (tx) =>
        saveAgentVersion(
          tx,
          req.principal.tenantId,
          req.params.name,
          req.body.instructions,
          compiled.actions.map((a) => ({
            name: a.name,
            format: a.format,
            source: a.source,
            canonical: a.canonical as unknown as JsonObject,
          })),
          req.query.publish ?? true,
          req.body.llm ? { llm: llmSettingsFromBody(req.body.llm) } : {},
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
      return reply.status(200).send({
        name: req.params.name,
        version: saved.version,
        published: saved.published,
        actions: statuses,
        lint: compiled.lint,
      });
    },
  );

  app.get(
    '/agents/:name',
    {
      schema: {
        summary: 'Read an agent: published instructions, actions with status, lint, versions',
        params: Type.Object({ name: AgentName }),
        querystring: Type.Object({ version: Type.Optional(Type.Integer({ minimum: 1 })) }),
      },
    },
    async (req) => {
      const tenantId = req.principal.tenantId;
      const agent = await findAgentByName(app.deps.db, tenantId, req.params.name);
      if (!agent) throw new NotFoundError('agent', req.params.name);
      const [actions, versions, llm] = await Promise.all([
        listAgentActions(app.deps.db, tenantId, agent.id, req.query.version),
        listAgentVersions(app.deps.db, tenantId, agent.id),
        findAgentLlmSettings(app.deps.db, tenantId, agent.id, req.query.version),
      ]);
      if (req.query.version !== undefined && !versions.some((v) => v.version === req.query.version)) {
        throw new NotFoundError('agent version', String(req.query.version));
      }
      return {
        name: agent.name,
        instructions: agent.instructions,
        actions: await statusOfActions(app.deps.db, tenantId, actions),
        definitions: actions.map((a) => ({ name: a.name, version: a.version, format: a.format, source: a.source })),
        lint: lintInstructions(
          agent.instructions,
          actions.map((a) => ({ name: a.name, label: String((a.canonical as { label?: unknown }).label ?? a.name) })),
        ),
        versions,
        ...(llm ? { llm: llmSettingsToBody(llm) } : {}),
      };
    },
  );

  app.post(
    '/agents/:name/publish',
    {
      schema: {
        summary: 'Publish a version (or roll back to an older one)',
        params: Type.Object({ name: AgentName }),
        body: Type.Object({ version: Type.Integer({ minimum: 1 }) }, { additionalProperties: false }),
      },
    },
    async (req) => {
      const agent = await findAgentByName(app.deps.db, req.principal.tenantId, req.params.name);
      if (!agent) throw new NotFoundError('agent', req.params.name);
      const ok = await publishAgentVersion(app.deps.db, req.principal.tenantId, agent.id, req.body.version);
      if (!ok) throw new NotFoundError('agent version', String(req.body.version));
      return { name: agent.name, published: req.body.version };
    },
  );
};
