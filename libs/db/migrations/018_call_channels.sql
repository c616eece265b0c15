-- The call-control channel of a conversation: who owns its live call and so where transfer,
-- end call, say and pause-inactivity steps go. `twilio` (Switchboard controls the call over
-- Twilio), a voice runtime that owns it (`vapi`, `retell`, `elevenlabs`: the drop-in endpoint
-- the conversation came from), or `none` (chat, API: no call to control).
ALTER TABLE conversations ADD COLUMN channel text NOT NULL DEFAULT 'none'
  CHECK (channel IN ('twilio', 'vapi', 'retell', 'elevenlabs', 'none'));
-- Vapi's Live Call Control URL of the call (`call.monitor.controlUrl`). Kept out of `call`
-- (which chains and templates read): whoever has it can steer the call.
ALTER TABLE conversations ADD COLUMN control_url text;
-- Conversations made before channels existed: a drop-in call belongs to its runtime, a call sid
-- is a Twilio call, anything else has no call.
UPDATE conversations SET channel = CASE
    WHEN external_id LIKE 'vapi:%' THEN 'vapi'
    WHEN external_id LIKE 'retell:%' THEN 'retell'
    WHEN external_id LIKE 'elevenlabs:%' THEN 'elevenlabs'
    WHEN coalesce(call->>'sid', '') <> '' THEN 'twilio'
    ELSE 'none'
  END;
