-- Conversations a voice runtime started through a drop-in endpoint (Vapi tool-calls webhook,
-- Retell custom function) are found again by the runtime's call id, namespaced by runtime
-- (`vapi:<call id>`, `retell:<call id>`): the first tool call of a call creates the
-- conversation, later ones reuse it. Unique per (tenant, agent), so two tool calls of one call
-- that arrive at once still share one conversation; NULL (every other conversation) never clashes.
ALTER TABLE conversations ADD COLUMN external_id text;
CREATE UNIQUE INDEX conversations_external_id ON conversations (tenant_id, agent_id, external_id);
