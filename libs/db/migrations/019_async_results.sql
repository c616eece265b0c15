-- Async results (issue 15, item 3): a tool call may be answered before its chain ends (an
-- `async` action, or one past its `respond_within_ms`); the final result is delivered later.
--
-- `answered_early_at`: set (only while the run is unfinished) when its tool call was answered
-- with `running`; the chain's delivery step delivers only then. A run that finished first is
-- answered with its result instead, so a result is never both returned and delivered.
-- `deliveries`: the outcome of each delivery target (`webhook`, `vapi`), shown on the run.
ALTER TABLE action_runs
  ADD COLUMN answered_early_at timestamptz,
  ADD COLUMN deliveries jsonb NOT NULL DEFAULT '{}';

-- The agent's `result_webhook` ({ url, credential, allow_private }): where async results are
-- POSTed, signed with the `secret` of the named `http` credential. Versioned like `llm`.
ALTER TABLE agent_versions ADD COLUMN result_webhook jsonb;
