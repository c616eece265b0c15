-- Test calls clean up after themselves (issue 16, item 6): when a sandbox conversation ends (by
-- POST …/end or its session's idle timeout) its session undoes the recorded side effects, unless
-- the call or its agent says keep_effects. The call's own word wins (NULL: the agent decides);
-- `cleanup` is what the automatic clean-up did (NULL until it ran).
ALTER TABLE conversations ADD COLUMN keep_effects boolean;
ALTER TABLE conversations ADD COLUMN cleanup jsonb;
ALTER TABLE agents ADD COLUMN keep_effects boolean NOT NULL DEFAULT false;
-- Per-action messages (issue 16, item 11): the agent's locale picks the text of a message written
-- per locale, and the language of the default "still working" text (NULL: English).
ALTER TABLE agents ADD COLUMN locale text;
