-- Agent versions: every save of an agent (instructions + its set of action definitions) is a
-- new immutable version; conversations use the published one, so publishing and rolling back
-- are a pointer move, and what a running conversation uses never changes under it.
CREATE TABLE agent_versions (
  agent_id      text NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
  version       integer NOT NULL,
  instructions  text NOT NULL,
  action_ids    text[] NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (agent_id, version)
);
ALTER TABLE agents ADD COLUMN published_version integer;
