-- The LLM an agent's own loop talks to (POST /v1/conversations/{id}/turns): an
-- OpenAI-compatible chat-completions endpoint, a model and the name of the tenant credential
-- holding its API key. Stored with the version, so publishing and rolling back move it too.
ALTER TABLE agent_versions ADD COLUMN llm jsonb;

-- That credential's provider: 'openai' (any OpenAI-compatible endpoint, `{ apiKey }`).
ALTER TABLE credentials DROP CONSTRAINT credentials_provider_check;
ALTER TABLE credentials ADD CONSTRAINT credentials_provider_check
  CHECK (provider IN ('calcom', 'twilio', 'hubspot', 'http', 'openai'));

-- The confirmation an agent turn ended on ("Shall I place the order?"): the next turn's user
-- text answers it. NULL when the last turn asked nothing.
ALTER TABLE conversations ADD COLUMN turn_pending_confirmation jsonb;
