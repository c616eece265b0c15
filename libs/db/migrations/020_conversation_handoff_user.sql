-- Handoff: the agent (and topic) a conversation is with now. `agent_id` stays the agent the
-- conversation started with (drop-in calls are found by it, with their external id); a
-- `handoff` step sets `active_agent_id` (NULL: still the first agent) and `active_topic`
-- (NULL: no topic) when its run ends, so later tool calls and turns use the target's actions.
ALTER TABLE conversations ADD COLUMN active_agent_id text REFERENCES agents(id) ON DELETE SET NULL;
ALTER TABLE conversations ADD COLUMN active_topic text;

-- User context: who the conversation is with, as the caller said on create (or a drop-in's
-- metadata): id, name, email, phone, locale, time_zone and free attributes. Chains read it as
-- `user.*`; validated and bounded by the API before it is stored.
ALTER TABLE conversations ADD COLUMN user_context jsonb NOT NULL DEFAULT '{}';
