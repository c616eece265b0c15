import { type Static, Type } from '@fastify/type-provider-typebox';
import type { AgentLlmSettings } from '@switchboard/db';

/** `llm` of `PUT /v1/agents/:name`: the OpenAI-compatible endpoint the agent's own loop uses. */
export const LlmSettingsBody = Type.Object(
  {
    base_url: Type.String({
      format: 'uri',
      pattern: '^https?://[^\\s?#]+$',
      maxLength: 2048,
      description: 'Base URL of an OpenAI-compatible API, e.g. https://api.openai.com/v1 (no query string)',
    }),
    model: Type.String({ minLength: 1, maxLength: 200, description: 'Model name, e.g. gpt-4o-mini' }),
    credential: Type.String({
      minLength: 1,
      maxLength: 100,
      pattern: '^[A-Za-z0-9][A-Za-z0-9_.:-]*$',
      description: "Name of a tenant credential with provider 'openai' holding { apiKey }",
    }),
    allow_private: Type.Optional(
      Type.Boolean({ default: false, description: 'Allow a loopback/private address (a model served on-premise)' }),
    ),
  },
  { additionalProperties: false, description: 'The LLM for POST /v1/conversations/{id}/turns' },
);
export type LlmSettingsBody = Static<typeof LlmSettingsBody>;

/** The stored settings for an API body. */
export function llmSettingsFromBody(body: LlmSettingsBody): AgentLlmSettings {
  return {
    baseUrl: body.base_url,
    model: body.model,
    credential: body.credential,
    allowPrivate: body.allow_private ?? false,
  };
}

/** The API shape of stored settings. */
export function llmSettingsToBody(settings: AgentLlmSettings): Required<LlmSettingsBody> {
  return {
    base_url: settings.baseUrl,
    model: settings.model,
    credential: settings.credential,
    allow_private: settings.allowPrivate,
  };
}
