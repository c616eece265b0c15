-- The call a conversation belongs to (voice): provider call id, caller and callee numbers.
-- Chains read it as `call.*` (e.g. transfers need the live call's sid, SMS defaults to call.from).
ALTER TABLE conversations ADD COLUMN call jsonb NOT NULL DEFAULT '{}';
