DROP INDEX idx_webhook_inbox_tenant_status;
DROP INDEX idx_webhook_inbox_leases;
DROP INDEX idx_rmm_integrations_id;
