-- Test calls (sandbox conversations): their side effects are recorded so that one request can
-- undo them all, newest first. A conversation is a test call from its creation on.
ALTER TABLE conversations ADD COLUMN sandbox boolean NOT NULL DEFAULT false;

-- One row per side effect a sandbox conversation's step made, written by the provider worker
-- where the effect happened. (intent, step) is unique: a retried activity records nothing new.
-- `id` orders effects by creation; compensation undoes them in reverse `id` order.
-- No foreign key to conversations: a recording must never fail an effect that already happened.
CREATE TABLE sandbox_effects (
  id               bigserial PRIMARY KEY,
  tenant_id        text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  conversation_id  text NOT NULL,
  intent_id        text NOT NULL,
  step_pointer     text NOT NULL,
  operation        text NOT NULL,
  provider         text NOT NULL,
  provider_ref     text,
  description      text NOT NULL DEFAULT '',
  -- The provider operation (activity type) that undoes the effect, and its payload.
  undo_operation   text,
  undo_payload     jsonb,
  state            text NOT NULL CHECK (state IN ('pending', 'undone', 'failed', 'irreversible')),
  -- Why it is irreversible, why its undo failed, or how it was undone.
  reason           text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, intent_id, step_pointer),
  CHECK (state = 'irreversible' OR undo_operation IS NOT NULL)
);
CREATE INDEX sandbox_effects_conversation ON sandbox_effects (tenant_id, conversation_id, id);
