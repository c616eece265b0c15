-- Shared rate-limit counters: every conversation-service replica adds the requests it let
-- through to its key's row about once a second and reads the total back, so a limit holds
-- across replicas rather than per process. A row is one key's current window: it starts with
-- the first request and, once a window has passed, the next addition starts a new one.
-- UNLOGGED: counters are worth nothing after a crash, and this keeps their writes cheap.
CREATE UNLOGGED TABLE rate_counters (
  key           text PRIMARY KEY,
  window_start  timestamptz NOT NULL,
  n             bigint NOT NULL
);
CREATE INDEX rate_counters_window ON rate_counters (window_start);
