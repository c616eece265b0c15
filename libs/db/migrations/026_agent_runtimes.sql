-- The voice runtimes an agent serves (issue 15, item 2): when set, an action with a call-control
-- step one of them cannot perform is an `error` at save time instead of a refusal on every call.
-- NULL: not told (each call is checked against its conversation's channel, as before).
ALTER TABLE agents ADD COLUMN runtimes text[];
