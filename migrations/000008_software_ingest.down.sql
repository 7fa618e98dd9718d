ALTER TABLE rmm_alerts ADD CONSTRAINT rmm_alerts_tenant_fkey
    FOREIGN KEY (tenant) REFERENCES tenants (tenant) ON DELETE CASCADE;
CREATE INDEX idx_asset_software_current ON asset_software (tenant, asset_id, is_current);
ALTER TABLE asset_software ADD CONSTRAINT asset_software_tenant_fkey
    FOREIGN KEY (tenant) REFERENCES tenants (tenant) ON DELETE CASCADE;
