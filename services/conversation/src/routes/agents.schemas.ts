/** Request and response schemas of the agents routes: they validate requests and make the OpenAPI document. */
import { Type } from '@fastify/type-provider-typebox';
import { TOPIC_LIMITS, ToolFormats } from '@switchboard/agents';
import { CALL_RUNTIMES } from '@switchboard/operations';
import { LlmSettingsBody } from '../agent-loop/llm-settings.js';
import { errorResponses } from '../responses.js';
import { ResultWebhookBody } from '../result-webhook-settings.js';

export const AgentName = Type.String({ minLength: 1, maxLength: 200, pattern: '^[^/\\s][^/]*$' });

/** An action with its status (Configured / Incomplete / Error) and what is missing. */
export const ActionWithStatus = Type.Object({
  name: Type.String(),
  format: Type.String({ description: 'declarative, typed or builtin' }),
  version: Type.Integer(),
  status: Type.Union([Type.Literal('configured'), Type.Literal('incomplete'), Type.Literal('error')]),
  problems: Type.Array(Type.Object({ pointer: Type.String(), message: Type.String() })),
  imported: Type.Optional(Type.String({ description: 'The library action a topic action is a copy of' })),
});

/** Findings of the instruction linter. */
export const Lint = Type.Array(
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
export const Definition = Type.Object({
  name: Type.String(),
  version: Type.Integer(),
  format: Type.String(),
  source: Type.Record(Type.String(), Type.Unknown()),
  imported: Type.Optional(Type.String()),
});

export const SavedAgent = Type.Object({
  name: Type.String(),
  version: Type.Integer(),
  published: Type.Boolean(),
  actions: Type.Array(ActionWithStatus),
  lint: Lint,
  topics: Type.Optional(
    Type.Array(Type.Object({ name: Type.String(), actions: Type.Array(ActionWithStatus), lint: Lint })),
  ),
});

const LOCALE =
  'The agent\'s locale (BCP 47, e.g. fr-FR): which text of an action\'s per-locale delayed_message / failure_message its runs say, and the language of the default "still working" text. Absent: English. A setting of the agent, not of a version.';
const KEEP_EFFECTS =
  "Test calls (sandbox conversations) of this agent keep their side effects when they end; by default ending one (POST …/end, or its session's idle timeout) undoes them. A conversation's own keep_effects wins. A setting of the agent, not of a version.";

const RUNTIMES =
  "The voice runtimes this agent serves (twilio, vapi, retell, elevenlabs). When given, an action with a call-control step (transfer, end call, pause/resume the inactivity timer) that one of them cannot perform has status error, with the JSON pointer of the step in the canonical action (e.g. /steps/0) and the reason, and calling it answers 409 action_not_configured. Absent: every call is checked against its own conversation's channel instead (unsupported_by_runtime / no_call_control per call). A setting of the agent, not of a version.";
const Runtimes = Type.Array(Type.Union(CALL_RUNTIMES.map((r) => Type.Literal(r))), {
  minItems: 1,
  uniqueItems: true,
  description: RUNTIMES,
});

export const Agent = Type.Object({
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
  result_webhook: Type.Optional(Type.Required(ResultWebhookBody)),
  keep_effects: Type.Boolean({ description: KEEP_EFFECTS }),
  locale: Type.Optional(Type.String({ description: LOCALE })),
  runtimes: Type.Optional(Runtimes),
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

export const Force = Type.Optional(
  Type.Boolean({
    default: false,
    description:
      'Publish even when the instruction lint reports errors (unknown, case-mismatched or misspelt action references). Without it such an agent is refused with 422 instructions_lint_failed; warnings never block.',
  }),
);

/** `GET /v1/agents`. */
export const ListAgentsSchema = {
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
};

/** `PUT /v1/agents/:name`. */
export const PutAgentSchema = {
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
      result_webhook: Type.Optional(ResultWebhookBody),
      keep_effects: Type.Optional(Type.Boolean({ default: false, description: KEEP_EFFECTS })),
      locale: Type.Optional(
        Type.String({ pattern: '^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$', maxLength: 35, description: LOCALE }),
      ),
      runtimes: Type.Optional(Runtimes),
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
};

/** `GET /v1/agents/:name`. */
export const GetAgentSchema = {
  summary: 'Read an agent: published instructions, actions with status, lint, versions',
  params: Type.Object({ name: AgentName }),
  // Query values are text (the service does not coerce types): a version number as digits.
  querystring: Type.Object({
    version: Type.Optional(Type.Union([Type.Integer({ minimum: 1 }), Type.String({ pattern: '^[1-9][0-9]{0,8}$' })])),
  }),
  // 404: the agent, or the version asked for.
  response: { 200: Agent, ...errorResponses(404) },
};

/** `POST /v1/agents/:name/publish`. */
export const PublishAgentSchema = {
  summary: 'Publish a version (or roll back to an older one)',
  params: Type.Object({ name: AgentName }),
  // A version is a Postgres integer: a larger number names no version (and is no 500).
  body: Type.Object(
    { version: Type.Integer({ minimum: 1, maximum: 2_147_483_647 }), force: Force },
    { additionalProperties: false },
  ),
  response: { 200: Type.Object({ name: Type.String(), published: Type.Integer() }), ...errorResponses(404, 422) },
};

/** `GET /v1/agents/:name/export`. */
export const ExportAgentSchema = {
  summary: "Export the agent's published actions as tools: LLM formats, or voice runtimes' tools posting back here",
  description:
    "`vapi`, `retell` and `elevenlabs`: tools whose server URL is the agent's drop-in endpoint (`/v1/dropin/vapi|retell|elevenlabs/:name` under `PUBLIC_BASE_URL`, else the request's host) unless `url` is given; ElevenLabs webhook tools add `?tool=<name>` and the call's identity headers. Deterministic actions (`run: every_turn | after_turn`) are left out and listed in `omitted`.",
  params: Type.Object({ name: AgentName }),
  querystring: Type.Object(
    {
      format: Type.Union(
        Object.values(ToolFormats).map((f) => Type.Literal(f)),
        { description: 'openai, anthropic, mcp, vapi, retell or elevenlabs' },
      ),
      url: Type.Optional(
        Type.String({
          minLength: 1,
          maxLength: 2000,
          pattern: '^https?://[^\\s]+$',
          description: 'The URL the runtime tools post to (vapi, retell, elevenlabs: overrides the drop-in endpoint)',
        }),
      ),
    },
    { additionalProperties: false },
  ),
  response: {
    200: Type.Object({
      tools: Type.Array(Type.Record(Type.String(), Type.Unknown()), {
        description: 'The tools, in the format asked for',
      }),
      nameMap: Type.Record(Type.String(), Type.String(), { description: 'Tool name → exact action name' }),
      omitted: Type.Array(Type.String(), { description: 'Deterministic actions left out' }),
    }),
    // 404: the agent. 400: elevenlabs without url.
    ...errorResponses(404),
  },
};
