-- Tenant credentials, encrypted at rest with AES-256-GCM. The key id names the key in the
-- keyring (CREDENTIALS_KEYS) so keys can rotate; the additional authenticated data binds each
-- ciphertext to its (tenant, name), so a ciphertext copied to another row does not decrypt.
CREATE TABLE credentials (
  tenant_id      text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  name           text NOT NULL,
  provider       text NOT NULL CHECK (provider IN ('calcom', 'twilio', 'hubspot', 'http')),
  key_id         text NOT NULL,
  nonce          bytea NOT NULL,
  ciphertext     bytea NOT NULL,
  auth_tag       bytea NOT NULL,
  -- What the workers last learned about it: an authentication failure turns the actions
  -- that use it into status Error, with the reason.
  status         text NOT NULL DEFAULT 'unchecked' CHECK (status IN ('unchecked', 'ok', 'auth_failed')),
  status_reason  text,
  status_at      timestamptz,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, name)
);

-- One row per side effect that has no provider-side idempotency (SMS, call transfers): a
-- retried activity finds the row and returns the recorded outcome instead of acting again.
CREATE TABLE effect_records (
  tenant_id        text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  idempotency_key  text NOT NULL,
  operation        text NOT NULL,
  state            text NOT NULL CHECK (state IN ('started', 'done')),
  provider_ref     text,
  result           jsonb,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, idempotency_key)
);
