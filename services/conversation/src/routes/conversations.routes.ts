import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { CallChannels, type JsonObject, NotFoundError, ValidationError } from '@switchboard/common';
import {
  createConversation,
  findAgentByName,
  findConversation,
  findRun,
  listRuns,
  setConversationKeepEffects,
} from '@switchboard/db';
import { inRequestContext } from '../request-context.js';
import { fromStoredResult } from '../results.js';
import { runCall } from '../run-call.js';
import { streamConversationEvents } from '../sse.js';
import { StageTimes } from '../stage-timing.js';
import { userContextIssues } from '../user-context.js';
import {
  ConversationEventsSchema,
  CreateConversationSchema,
  CreateToolCallSchema,
  GetRunSchema,
  ListConversationRunsSchema,
} from './conversations.schemas.js';

/** Conversations, tool calls, runs and the event stream. */
export const conversationRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/conversations',
    {
      schema: CreateConversationSchema,
    },
    async (req, reply) => {
      const { channel, control_url: controlUrl } = req.body;
      if (controlUrl !== undefined && channel !== CallChannels.Vapi) {
        throw new ValidationError('control_url is a Vapi call’s control URL: it needs channel vapi', [
          { pointer: '/control_url', message: `only with channel 'vapi' (channel is '${channel ?? 'not set'}')` },
        ]);
      }
      const user = (req.body.user ?? {}) as JsonObject;
      const issues = userContextIssues(user, '/user');
      if (issues.length > 0) throw new ValidationError('the user context is not valid; nothing was created', issues);
      const agent = await findAgentByName(app.deps.db, req.principal.tenantId, req.body.agent);
      if (!agent) throw new NotFoundError('agent', req.body.agent);
      const conversation = await createConversation(
        app.deps.db,
        req.principal.tenantId,
        agent.id,
        (req.body.contact ?? {}) as JsonObject,
        (req.body.call ?? {}) as JsonObject,
        {
          sandbox: req.body.sandbox === true,
          user,
          ...(channel !== undefined ? { channel } : {}),
          ...(controlUrl !== undefined ? { controlUrl } : {}),
        },
      );
      if (req.body.keep_effects !== undefined) {
        await setConversationKeepEffects(app.deps.db, req.principal.tenantId, conversation.id, req.body.keep_effects);
      }
      return reply.status(201).send({
        id: conversation.id,
        agent: agent.name,
        sandbox: conversation.sandbox,
        channel: conversation.channel,
        user: conversation.user,
      });
    },
  );

  app.post(
    '/conversations/:id/tool-calls',
    {
      schema: CreateToolCallSchema,
    },
    async (req, reply) => {
      const key = req.headers['idempotency-key'];
      const times = new StageTimes();
      // Since the request arrived: body parsing and validation, the API key's lookup, access checks.
      times.add('request', reply.elapsedTime);
      const result = await inRequestContext(req.otel.context, () =>
        app.toolCalls.call(
          {
            tenantId: req.principal.tenantId,
            conversationId: req.params.id,
            name: req.body.name,
            arguments: (req.body.arguments ?? {}) as JsonObject,
            ...(key !== undefined ? { idempotencyKey: key } : {}),
            ...(req.body.topic !== undefined ? { topic: req.body.topic } : {}),
          },
          times,
        ),
      );
      reply.header('server-timing', times.header());
      const pending =
        result.status === 'running' || result.status === 'accepted' || result.status === 'awaiting_confirmation';
      if (pending) reply.header('location', `/v1/runs/${result.id}`);
      return reply.status(pending ? 202 : 200).send(result);
    },
  );

  app.get(
    '/conversations/:id/runs',
    {
      schema: ListConversationRunsSchema,
    },
    async (req) => {
      const conversation = await findConversation(app.deps.db, req.principal.tenantId, req.params.id);
      if (!conversation) throw new NotFoundError('conversation', req.params.id);
      const runs = await listRuns(app.deps.db, req.principal.tenantId, req.params.id);
      return {
        runs: runs.map((r) => ({
          id: r.intentId,
          action: r.actionName,
          agent: r.agentName,
          status: r.status,
          acceptedAt: r.acceptedAt.toISOString(),
          startedAt: r.startedAt?.toISOString() ?? null,
          finishedAt: r.finishedAt?.toISOString() ?? null,
          durationMs: r.durationMs,
          error: r.errorCode ? { code: r.errorCode, message: r.errorMessage } : null,
          traceId: r.traceId,
        })),
      };
    },
  );

  app.get(
    '/runs/:id',
    {
      schema: GetRunSchema,
    },
    async (req) => {
      const run = await findRun(app.deps.db, req.principal.tenantId, req.params.id);
      if (!run) throw new NotFoundError('run', req.params.id);
      const conversation = await findConversation(app.deps.db, req.principal.tenantId, run.conversationId);
      return {
        ...fromStoredResult(run.intentId, run.status, run.result),
        action: run.actionName,
        agent: run.agentName,
        conversationId: run.conversationId,
        ...(conversation ? { call: runCall(conversation) } : {}),
        durationMs: run.durationMs,
        traceId: run.traceId,
        // Derived, as in GET /v1/runs: still unfinished after its deadline.
        stuck:
          (run.status === 'accepted' || run.status === 'running') &&
          run.deadlineAt !== null &&
          run.deadlineAt.getTime() < Date.now(),
        deadlineAt: run.deadlineAt?.toISOString() ?? null,
        ...(run.answeredEarlyAt ? { answeredEarlyAt: run.answeredEarlyAt.toISOString() } : {}),
        ...(Object.keys(run.deliveries).length > 0 ? { deliveries: run.deliveries } : {}),
      };
    },
  );

  app.get(
    '/conversations/:id/events',
    {
      schema: ConversationEventsSchema,
    },
    async (req, reply) => {
      const conversation = await findConversation(app.deps.db, req.principal.tenantId, req.params.id);
      if (!conversation) throw new NotFoundError('conversation', req.params.id);
      const last = req.headers['last-event-id'];
      await streamConversationEvents(
        { bus: app.deps.bus, revocations: app.keyRevocations },
        req,
        reply,
        req.params.id,
        last === undefined ? undefined : Number(last),
      );
    },
  );
};
