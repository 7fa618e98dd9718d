-- Webhook ingress and the inbox workers.
--
-- A delivery names its integration by id alone (the RMM cannot know the
-- tenant), so ingress finds the integration without its tenant. The index
-- is plain, not unique: keys still lead with tenant.
CREATE INDEX idx_rmm_integrations_id ON rmm_integrations (integration_id);

-- Workers take over deliveries whose lease ran out (their host stopped).
CREATE INDEX idx_webhook_inbox_leases ON webhook_inbox (lease_expires_at) WHERE status = 'processing';

-- The inbox API lists a tenant's deliveries newest first, by status.
CREATE INDEX idx_webhook_inbox_tenant_status ON webhook_inbox (tenant, status, received_at);
