-- Call status webhooks find their conversation by the provider call id (`call.sid`), per tenant.
CREATE INDEX conversations_call_sid_idx ON conversations (tenant_id, (call->>'sid'));
