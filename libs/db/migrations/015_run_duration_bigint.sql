-- A run's duration in milliseconds overflowed a 32-bit integer once its outcome came more than
-- 24.8 days after it was accepted (a booking flow that waits for days, a confirmation answered
-- late): the outcome's UPDATE then failed on every attempt and the run could never end. bigint
-- holds any duration a run can have.
ALTER TABLE action_runs ALTER COLUMN duration_ms TYPE bigint;
