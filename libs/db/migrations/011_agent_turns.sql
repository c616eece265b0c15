-- Agent turns requested with an Idempotency-Key. A retried request answers with the stored
-- outcome instead of calling the LLM again and keeping the user's text twice. A retry of a turn
-- that failed part-way runs it again under the same turn id (its deterministic actions and any
-- tool call the model repeats by id are not run again) and does not keep the user's text again:
-- `user_seq` is the transcript entry that already holds it.
CREATE TABLE agent_turns (
  conversation_id  text NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
  idempotency_key  text NOT NULL,
  tenant_id        text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  -- What the key was first used for (text, confirmation, topic): another request under the
  -- same key is refused, not answered with this turn's outcome.
  request_hash     text NOT NULL,
  turn_id          text NOT NULL,
  user_seq         integer,
  outcome          jsonb,
  created_at       timestamptz NOT NULL DEFAULT now(),
  finished_at      timestamptz,
  PRIMARY KEY (conversation_id, idempotency_key)
);
