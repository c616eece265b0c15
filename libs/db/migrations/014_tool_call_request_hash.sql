-- What a tool call's Idempotency-Key was first used for: a SHA-256 of the canonical request
-- (action name, arguments with object keys sorted, topic). A later request under the same key
-- that hashes differently is refused (422 `idempotency_key_reused`) rather than answered with
-- this run's result while its own arguments never run. Rows written before this migration, and
-- rows the orchestrator recreates for an outcome whose accepted row was withdrawn, have none:
-- they are compared by what they store (action name, and arguments when any were stored).
ALTER TABLE action_runs ADD COLUMN request_hash text;
