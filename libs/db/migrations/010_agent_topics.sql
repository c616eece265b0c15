-- Topics: an agent version may group actions into topics. Each topic owns its actions — an
-- action imported from the agent's library is copied into the topic when the version is saved
-- — so an action row belongs to one topic (NULL: the agent's top-level actions), and names and
-- version numbers are per (agent, topic). Topic names start with a letter, so '' never collides.
ALTER TABLE action_definitions ADD COLUMN topic text;
ALTER TABLE action_definitions DROP CONSTRAINT action_definitions_agent_id_name_version_key;
CREATE UNIQUE INDEX action_definitions_agent_topic_name_version
  ON action_definitions (agent_id, COALESCE(topic, ''), name, version);

-- The topics (name, description, instructions, actions as written, imports included) and the
-- library of importable actions, as saved with the version; NULL for agents without topics.
ALTER TABLE agent_versions ADD COLUMN topics jsonb;
ALTER TABLE agent_versions ADD COLUMN library jsonb;
