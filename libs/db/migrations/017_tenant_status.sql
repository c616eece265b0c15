-- Platform administration: a tenant can be disabled (its API keys are refused; its data and runs
-- are kept). Names are looked up by platform admins, so they are indexed; not unique, since
-- tenants made before this may share one (creating through the API refuses a duplicate).
ALTER TABLE tenants ADD COLUMN disabled_at timestamptz;
CREATE INDEX tenants_name ON tenants (name);
