import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { sessionWorkflowId } from '@switchboard/contracts';
import { listRunsPage, outcomeSeries, type RunSummary, tenantStats } from '@switchboard/db';
import { encodeRunCursor, parseRunsQuery, parseStatsBuckets, STATS_WINDOWS, type StatsWindow } from '../runs-query.js';
import { Scopes } from '../scopes.js';
import { ListRunsSchema, StatsSchema } from './runs.schemas.js';

/** Runs across conversations and their statistics, for operators. */
export const runRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/runs',
    {
      config: { scope: Scopes.Read },
      schema: ListRunsSchema,
    },
    async (req) => {
      const query = parseRunsQuery(req.query);
      const page = await listRunsPage(app.deps.db, req.principal.tenantId, query.filter, {
        limit: query.limit,
        ...(query.cursor !== undefined ? { cursor: query.cursor } : {}),
      });
      return {
        runs: page.runs.map((run) => toListItem(req.principal.tenantId, run)),
        next: page.next === undefined ? null : encodeRunCursor(page.next),
      };
    },
  );

  app.get(
    '/stats',
    {
      config: { scope: Scopes.Read },
      schema: StatsSchema,
    },
    async (req) => {
      const window: StatsWindow = req.query.window ?? '15m';
      const buckets = parseStatsBuckets(req.query.buckets);
      const tenantId = req.principal.tenantId;
      const [stats, series] = await Promise.all([
        tenantStats(app.deps.db, tenantId, STATS_WINDOWS[window]),
        buckets === undefined ? undefined : outcomeSeries(app.deps.db, tenantId, STATS_WINDOWS[window], buckets),
      ]);
      if (series === undefined) return { window, ...stats };
      return {
        window,
        ...stats,
        series: series.map((b) => ({ ...b, start: b.start.toISOString(), end: b.end.toISOString() })),
      };
    },
  );
};

function toListItem(tenantId: string, run: RunSummary) {
  return {
    id: run.intentId,
    conversationId: run.conversationId,
    agent: run.agent,
    action: run.action,
    status: run.status,
    errorCode: run.errorCode,
    startedAt: run.acceptedAt.toISOString(),
    durationMs: run.durationMs,
    traceId: run.traceId,
    workflowId: sessionWorkflowId(tenantId, run.conversationId),
    providers: run.providers,
    deadlineAt: run.deadlineAt?.toISOString() ?? null,
  };
}
