-- Tenants and their API keys. Keys are stored as a SHA-256 of the secret part only: the
-- secret has 256 bits of entropy, so a slow hash adds nothing but latency to every request.
CREATE TABLE tenants (
  id          text PRIMARY KEY,
  name        text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api_keys (
  id           text PRIMARY KEY,
  tenant_id    text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  secret_hash  bytea NOT NULL,
  label        text NOT NULL DEFAULT '',
  scopes       text[] NOT NULL DEFAULT '{}',
  created_at   timestamptz NOT NULL DEFAULT now(),
  revoked_at   timestamptz
);
CREATE INDEX api_keys_tenant ON api_keys (tenant_id);

CREATE TABLE agents (
  id            text PRIMARY KEY,
  tenant_id     text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  name          text NOT NULL,
  instructions  text NOT NULL DEFAULT '',
  created_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, name)
);

-- Versioned action definitions: a new save is a new version; runs pin the version they used.
CREATE TABLE action_definitions (
  id          text PRIMARY KEY,
  tenant_id   text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  agent_id    text NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
  name        text NOT NULL,
  version     integer NOT NULL,
  format      text NOT NULL CHECK (format IN ('tool', 'typed', 'builtin')),
  source      jsonb NOT NULL,
  canonical   jsonb NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (agent_id, name, version)
);

-- Webhook endpoints by name, per tenant, so that tools stay portable across environments.
CREATE TABLE endpoints (
  tenant_id      text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  name           text NOT NULL,
  url            text NOT NULL,
  method         text NOT NULL DEFAULT 'POST',
  headers        jsonb NOT NULL DEFAULT '{}',
  timeout_ms     integer NOT NULL DEFAULT 10000,
  allow_private  boolean NOT NULL DEFAULT false,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, name)
);

CREATE TABLE conversations (
  id          text PRIMARY KEY,
  tenant_id   text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  agent_id    text NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
  status      text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'ended')),
  contact     jsonb NOT NULL DEFAULT '{}',
  created_at  timestamptz NOT NULL DEFAULT now(),
  ended_at    timestamptz
);
CREATE INDEX conversations_tenant ON conversations (tenant_id, created_at DESC);

-- One audit row per intent: written 'accepted' by the conversation service before the intent
-- is published, finished by the chain when it ends. The intent id makes retries idempotent.
CREATE TABLE action_runs (
  intent_id        text PRIMARY KEY,
  tenant_id        text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  conversation_id  text NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
  action_name      text NOT NULL,
  status           text NOT NULL CHECK (status IN ('accepted', 'running', 'succeeded', 'failed', 'cancelled')),
  arguments        jsonb NOT NULL DEFAULT '{}',
  accepted_at      timestamptz NOT NULL DEFAULT now(),
  started_at       timestamptz,
  finished_at      timestamptz,
  duration_ms      integer,
  error_code       text,
  error_message    text,
  trace_id         text,
  result           jsonb
);
CREATE INDEX action_runs_conversation ON action_runs (conversation_id, accepted_at);
CREATE INDEX action_runs_tenant_time ON action_runs (tenant_id, accepted_at DESC);
