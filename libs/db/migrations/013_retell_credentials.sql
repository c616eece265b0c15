-- Retell credentials: the API key Retell signs its webhooks with, so the Retell drop-in
-- endpoint can check X-Retell-Signature.
ALTER TABLE credentials DROP CONSTRAINT credentials_provider_check;
ALTER TABLE credentials ADD CONSTRAINT credentials_provider_check
  CHECK (provider IN ('calcom', 'twilio', 'hubspot', 'http', 'openai', 'retell'));
