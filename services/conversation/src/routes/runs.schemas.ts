/** Request and response schemas of the runs routes: they validate requests and make the OpenAPI document. */
import { Type } from '@fastify/type-provider-typebox';
import {
  RUN_FILTER_PROVIDERS,
  RUN_FILTER_STATUSES,
  RUN_PAGE,
  STATS_BUCKETS,
  STATS_WINDOW_NAMES,
} from '../runs-query.js';

/** One of `values`, as a plain `enum` (one validation issue for a wrong value, not one per value). */
export const oneOf = <T extends string>(values: readonly T[], options: { description?: string; default?: T } = {}) =>
  Type.Unsafe<T>({ type: 'string', enum: [...values], ...options });

export const RunsQuerystring = Type.Object(
  {
    status: Type.Optional(
      oneOf(RUN_FILTER_STATUSES, {
        description:
          'As listed: `accepted` and `running` leave out stuck runs; `stuck` selects runs still accepted or running after their deadline',
      }),
    ),
    agent: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Agent name, exact' })),
    action: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Action name, exact' })),
    provider: Type.Optional(oneOf(RUN_FILTER_PROVIDERS, { description: "A provider the run's action can call" })),
    error_code: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Stable error code, exact' })),
    since: Type.Optional(
      Type.String({ format: 'date-time', description: 'Runs accepted at or after (RFC 3339, with a time zone)' }),
    ),
    until: Type.Optional(Type.String({ format: 'date-time', description: 'Runs accepted before (RFC 3339)' })),
    limit: Type.Optional(
      Type.String({
        pattern: '^[0-9]+$',
        maxLength: 9,
        description: `Runs per page, 1 to ${RUN_PAGE.max} (default ${RUN_PAGE.default})`,
      }),
    ),
    cursor: Type.Optional(
      Type.String({ minLength: 1, maxLength: 200, description: "The previous page's `next`, unchanged" }),
    ),
  },
  { additionalProperties: false },
);

export const RunListItem = Type.Object({
  id: Type.String({ description: 'The run (intent) id; `GET /v1/runs/{id}` has its outcome' }),
  conversationId: Type.String(),
  agent: Type.Union([Type.String(), Type.Null()], { description: 'Null for runs recorded before runs kept it' }),
  action: Type.String(),
  status: oneOf(RUN_FILTER_STATUSES, { description: '`stuck` is derived: accepted or running, and past `deadlineAt`' }),
  errorCode: Type.Union([Type.String(), Type.Null()]),
  startedAt: Type.String({
    format: 'date-time',
    description: 'When the call was accepted: the run’s clock starts here',
  }),
  durationMs: Type.Union([Type.Integer(), Type.Null()], { description: 'Acceptance to result; null until finished' }),
  traceId: Type.Union([Type.String(), Type.Null()], { description: 'OpenTelemetry trace id (32 hex digits)' }),
  workflowId: Type.String({ description: 'The Temporal workflow that runs the conversation’s calls' }),
  providers: Type.Array(Type.String(), { description: "Providers the run's action can call" }),
  deadlineAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
    description: 'Unfinished after this, the run is stuck (its action’s timeouts and retries plus a grace margin)',
  }),
});

export const ErrorCounts = Type.Array(Type.Object({ code: Type.String(), count: Type.Integer() }), {
  description: 'The most frequent error codes of the failures (at most 5), most frequent first',
});

export const Ms = (description: string) => Type.Union([Type.Integer(), Type.Null()], { description });

export const StatsBody = Type.Object({
  window: oneOf(STATS_WINDOW_NAMES),
  actions: Type.Array(
    Type.Object({
      agent: Type.Union([Type.String(), Type.Null()]),
      action: Type.String(),
      calls: Type.Integer({ description: 'Runs accepted in the window, finished or not' }),
      failures: Type.Integer({ description: 'Of those, runs that ended failed' }),
      p50Ms: Ms('Median duration of the finished runs (nearest rank); null when none finished'),
      p95Ms: Ms('95th percentile'),
      p99Ms: Ms('99th percentile'),
      topErrors: ErrorCounts,
    }),
    { description: 'Per agent and action, highest failure rate first, then most calls' },
  ),
  providers: Type.Array(
    Type.Object({
      provider: Type.String(),
      operation: Type.String({ description: 'e.g. calcom.book, sms.send, crm.lookup, webhook, http.request' }),
      calls: Type.Integer({ description: 'Attempts started in the window (each retry is one)' }),
      failures: Type.Integer(),
      p50Ms: Ms('Median attempt duration (nearest rank)'),
      p95Ms: Ms('95th percentile'),
      p99Ms: Ms('99th percentile'),
      topErrors: ErrorCounts,
    }),
    { description: 'Per provider operation, highest failure rate first, then most calls' },
  ),
  series: Type.Optional(
    Type.Array(
      Type.Object({
        start: Type.String({ format: 'date-time', description: 'Start of the slice (inclusive)' }),
        end: Type.String({ format: 'date-time', description: 'End of the slice (exclusive); the last one ends now' }),
        succeeded: Type.Integer(),
        failed: Type.Integer(),
        cancelled: Type.Integer(),
        running: Type.Integer({ description: 'Accepted or running, before their deadline' }),
        stuck: Type.Integer({ description: 'Accepted or running, past their deadline' }),
      }),
      {
        description:
          'Only with `buckets`: the window cut into that many equal slices, oldest first, each with the runs accepted in it by their status now (empty slices included)',
      },
    ),
  ),
});

/** `GET /v1/runs`. */
export const ListRunsSchema = {
  summary: 'Runs of the tenant, newest first, filtered, a page at a time',
  description:
    'Cursor pages: pass `next` as `cursor` for the following page (stable while runs are added). A run is `stuck` when it is still accepted or running after its `deadlineAt` (derived, never stored).',
  querystring: RunsQuerystring,
  response: {
    200: Type.Object({
      runs: Type.Array(RunListItem),
      next: Type.Union([Type.String(), Type.Null()], {
        description: 'Cursor of the next page; null on the last',
      }),
    }),
  },
};

/** `GET /v1/stats`. */
export const StatsSchema = {
  summary: 'Outcomes and latency per action and per provider operation over a recent window',
  querystring: Type.Object(
    {
      window: Type.Optional(oneOf(STATS_WINDOW_NAMES, { description: 'Default 15m' })),
      buckets: Type.Optional(
        Type.String({
          pattern: '^[0-9]+$',
          maxLength: 9,
          description: `Also answer \`series\`: outcomes over time in this many slices of the window, ${STATS_BUCKETS.min} to ${STATS_BUCKETS.max}`,
        }),
      ),
    },
    { additionalProperties: false },
  ),
  response: { 200: StatsBody },
};
