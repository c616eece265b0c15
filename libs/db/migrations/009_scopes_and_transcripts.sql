-- API key scopes are enforced from now on. Keys made before could do everything (the dev
-- seed's among them): they keep that, as the all-scopes grant '*'. New keys list their scopes.
UPDATE api_keys SET scopes = '{*}' WHERE cardinality(scopes) = 0;
-- Revocation and the "last admin key" check look at a tenant's active keys.
CREATE INDEX api_keys_tenant_active ON api_keys (tenant_id) WHERE revoked_at IS NULL;

-- The transcript: what was said (user / assistant messages, appended through the API) and the
-- tool calls made and finished, in one order per conversation (`seq`, increasing, with gaps
-- when a tool call is withdrawn). The conversation row holds the last seq handed out, so that
-- appending is one statement that also refuses an ended conversation.
ALTER TABLE conversations ADD COLUMN last_message_seq integer NOT NULL DEFAULT 0;

CREATE TABLE conversation_messages (
  conversation_id  text NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
  seq              integer NOT NULL,
  tenant_id        text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  role             text NOT NULL CHECK (role IN ('user', 'assistant', 'tool_call', 'tool_result')),
  text             text NOT NULL DEFAULT '',
  -- The run a tool entry stands for; its name, arguments, status and messages are read from it.
  -- A run withdrawn before its intent was published (deleted) takes its entry with it.
  intent_id        text REFERENCES action_runs(intent_id) ON DELETE CASCADE,
  created_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (conversation_id, seq),
  CHECK ((role IN ('tool_call', 'tool_result')) = (intent_id IS NOT NULL))
);
CREATE INDEX conversation_messages_intent ON conversation_messages (intent_id) WHERE intent_id IS NOT NULL;

-- Tool calls enter the transcript where their audit row is written: when it is inserted
-- (accepted) and when it turns terminal. A trigger keeps that in the same transaction as the
-- run's own write, whichever service writes it, so the transcript never misses or invents one.
CREATE FUNCTION record_tool_call_transcript_entry() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  entry_role text := CASE WHEN TG_OP = 'INSERT' THEN 'tool_call' ELSE 'tool_result' END;
  next_seq integer;
BEGIN
  UPDATE conversations SET last_message_seq = last_message_seq + 1
   WHERE id = NEW.conversation_id
   RETURNING last_message_seq INTO next_seq;
  INSERT INTO conversation_messages (conversation_id, seq, tenant_id, role, intent_id)
  VALUES (NEW.conversation_id, next_seq, NEW.tenant_id, entry_role, NEW.intent_id);
  RETURN NULL;
END
$$;

CREATE TRIGGER action_runs_transcript_accepted
  AFTER INSERT ON action_runs
  FOR EACH ROW EXECUTE FUNCTION record_tool_call_transcript_entry();

CREATE TRIGGER action_runs_transcript_finished
  AFTER UPDATE OF status ON action_runs
  FOR EACH ROW
  WHEN (NEW.status IN ('succeeded', 'failed', 'cancelled') AND OLD.status NOT IN ('succeeded', 'failed', 'cancelled'))
  EXECUTE FUNCTION record_tool_call_transcript_entry();

-- Runs made before this migration: their entries, in the order they happened.
INSERT INTO conversation_messages (conversation_id, seq, tenant_id, role, intent_id, created_at)
SELECT conversation_id,
       row_number() OVER (PARTITION BY conversation_id ORDER BY at, ord, intent_id),
       tenant_id, role, intent_id, at
  FROM (
    SELECT conversation_id, tenant_id, intent_id, 'tool_call' AS role, accepted_at AS at, 0 AS ord
      FROM action_runs
    UNION ALL
    SELECT conversation_id, tenant_id, intent_id, 'tool_result', finished_at, 1
      FROM action_runs
     WHERE status IN ('succeeded', 'failed', 'cancelled') AND finished_at IS NOT NULL
  ) AS entries;
UPDATE conversations c SET last_message_seq = m.last_seq
  FROM (SELECT conversation_id, max(seq) AS last_seq FROM conversation_messages GROUP BY conversation_id) AS m
 WHERE c.id = m.conversation_id;
