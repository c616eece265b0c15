-- The operations side of runs: `GET /v1/runs` (filters, cursor pages), `GET /v1/stats`, and
-- stuck runs.
--
-- A run records, at accept time, what the runs API filters on and cannot derive cheaply later:
-- the agent's name, the providers its action can call (calcom / twilio / hubspot / webhook,
-- from the canonical action's steps), and its deadline: acceptance + the action's own budget
-- (every effect's attempts × timeout + retry waits, the confirmation wait where one is asked)
-- + a grace margin. A run still `accepted` or `running` after its deadline is *stuck*; the API
-- derives that status, nothing stores it.
ALTER TABLE action_runs
  ADD COLUMN agent_name text,
  ADD COLUMN providers text[] NOT NULL DEFAULT '{}',
  ADD COLUMN deadline_at timestamptz;

-- Runs made before: their agent from the conversation. Their action version was not recorded,
-- so they list no providers. Unfinished ones get an hour from acceptance, so a run left behind
-- by an earlier release surfaces as stuck instead of staying unseen.
UPDATE action_runs r SET agent_name = a.name
  FROM conversations c JOIN agents a ON a.id = c.agent_id
 WHERE c.id = r.conversation_id;
UPDATE action_runs SET deadline_at = accepted_at + interval '1 hour'
 WHERE status IN ('accepted', 'running');

-- Pages are newest first with the intent id as tie-breaker (a keyset cursor on both), so every
-- index a page can walk ends in (accepted_at DESC, intent_id DESC). The filters that select
-- few rows get their own prefix; agent and provider filters walk the tenant's time order.
-- The time-order index also carries what `GET /v1/stats` aggregates, so a window's statistics
-- are an index-only scan instead of a visit to every wide run row in it.
DROP INDEX action_runs_tenant_time;
CREATE INDEX action_runs_tenant_page ON action_runs (tenant_id, accepted_at DESC, intent_id DESC)
  INCLUDE (agent_name, action_name, status, duration_ms, error_code);
CREATE INDEX action_runs_tenant_status ON action_runs (tenant_id, status, accepted_at DESC, intent_id DESC);
CREATE INDEX action_runs_tenant_action ON action_runs (tenant_id, action_name, accepted_at DESC, intent_id DESC);
CREATE INDEX action_runs_tenant_error ON action_runs (tenant_id, error_code, accepted_at DESC, intent_id DESC)
  WHERE error_code IS NOT NULL;
-- Unfinished runs by deadline: stuck runs across tenants for the orchestrator's sweeper. Small:
-- only rows not yet terminal.
CREATE INDEX action_runs_unfinished ON action_runs (deadline_at) WHERE status IN ('accepted', 'running');

-- One row per attempt of a provider operation (an activity run on a provider worker): what
-- `GET /v1/stats` reports per provider and operation. Written in batches by every provider
-- worker (`libs/providers`, one place for all four), pruned by the same workers after
-- PROVIDER_CALLS_RETENTION_HOURS (default 48 h: the widest stats window is 24 h). A log, not
-- a record: no key, no foreign key (a batch never fails on a tenant deleted meanwhile; its rows
-- age out).
CREATE TABLE provider_calls (
  tenant_id    text NOT NULL,
  -- calcom | twilio | hubspot | webhook
  provider     text NOT NULL,
  -- The activity's operation: calcom.book, sms.send, crm.lookup, http.request, webhook, …
  operation    text NOT NULL,
  -- When the attempt started, and how long it took.
  at           timestamptz NOT NULL,
  duration_ms  integer NOT NULL,
  -- Temporal's attempt number (1 = first try; more are retries).
  attempt      integer NOT NULL,
  ok           boolean NOT NULL,
  -- The stable error code of a failed attempt (provider_unavailable, provider_timeout, …).
  error_code   text,
  -- The provider's HTTP status, when the failure carried one.
  http_status  smallint
);
-- With what the statistics read, so a window is an index-only scan (the table is append-only:
-- autovacuum keeps its visibility map current).
CREATE INDEX provider_calls_tenant_at ON provider_calls (tenant_id, at)
  INCLUDE (provider, operation, ok, duration_ms, error_code);
-- Pruning deletes by age across tenants; rows arrive in time order, so a block range index
-- finds old ones at almost no cost.
CREATE INDEX provider_calls_at ON provider_calls USING brin (at);
