package migrations_test

import (
	"context"
	"errors"
	"io/fs"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/msp-psa/psa-host/host/pgcluster/pgtest"
	"github.com/msp-psa/psa-host/migrations"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// SQLSTATEs the schema is expected to raise.
const (
	uniqueViolation     = "23505"
	foreignKeyViolation = "23503"
	checkViolation      = "23514"
)

// files returns the up or down files in the order they apply.
func files(t *testing.T, direction string) []string {
	t.Helper()
	names, err := fs.Glob(migrations.FS, "*."+direction+".sql")
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(names)
	if direction == "down" {
		slices.Reverse(names)
	}
	if len(names) == 0 {
		t.Fatalf("no %s migrations", direction)
	}
	return names
}

// apply runs one file the way golang-migrate does: one simple-protocol
// Exec, hence one transaction.
func apply(t *testing.T, conn *pgx.Conn, name string) {
	t.Helper()
	sql, err := fs.ReadFile(migrations.FS, name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(t.Context(), string(sql)); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

func connect(t *testing.T) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), pgtest.New(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.WithoutCancel(t.Context())) })
	return conn
}

func migrated(t *testing.T) *pgx.Conn {
	t.Helper()
	conn := connect(t)
	for _, f := range files(t, "up") {
		apply(t, conn, f)
	}
	return conn
}

// catalog describes every object in the public schema.
func catalog(t *testing.T, conn *pgx.Conn) []string {
	t.Helper()
	const q = `
SELECT 'column ' || table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '')
  FROM information_schema.columns WHERE table_schema = 'public'
UNION ALL SELECT 'index ' || indexdef FROM pg_indexes WHERE schemaname = 'public'
UNION ALL SELECT 'constraint ' || conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid)
  FROM pg_constraint WHERE connamespace = 'public'::regnamespace
UNION ALL SELECT 'relation ' || relkind::text || ' ' || relname FROM pg_class WHERE relnamespace = 'public'::regnamespace
UNION ALL SELECT 'type ' || typname FROM pg_type WHERE typnamespace = 'public'::regnamespace
UNION ALL SELECT 'function ' || proname FROM pg_proc WHERE pronamespace = 'public'::regnamespace
UNION ALL SELECT 'extension ' || extname FROM pg_extension
ORDER BY 1`
	rows, err := conn.Query(t.Context(), q)
	if err != nil {
		t.Fatal(err)
	}
	objects, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return objects
}

func TestEachDownUndoesItsUp(t *testing.T) {
	conn := connect(t)
	empty := catalog(t, conn)
	ups, downs := files(t, "up"), files(t, "down")
	if len(ups) != len(downs) {
		t.Fatalf("%d up files, %d down files", len(ups), len(downs))
	}
	for i, up := range ups {
		down := downs[len(downs)-1-i]
		before := catalog(t, conn)
		apply(t, conn, up)
		if after := catalog(t, conn); slices.Equal(after, before) {
			t.Errorf("%s changed nothing", up)
		}
		apply(t, conn, down)
		if after := catalog(t, conn); !slices.Equal(after, before) {
			t.Errorf("%s did not undo %s:\n%s", down, up, diff(before, after))
		}
		apply(t, conn, up) // leave it applied for the next one
	}
	for _, down := range downs {
		apply(t, conn, down)
	}
	if after := catalog(t, conn); !slices.Equal(after, empty) {
		t.Errorf("all downs did not restore an empty schema:\n%s", diff(empty, after))
	}
}

func diff(before, after []string) string {
	var b strings.Builder
	for _, s := range before {
		if !slices.Contains(after, s) {
			b.WriteString("  - " + s + "\n")
		}
	}
	for _, s := range after {
		if !slices.Contains(before, s) {
			b.WriteString("  + " + s + "\n")
		}
	}
	return b.String()
}

// tablesNotHangingFromTenants lists the tables that do not hang from
// tenants by a chain of cascading foreign keys over NOT NULL columns:
// directly, or through a tenant-led key to a parent that hangs from
// tenants (asset_software -> assets -> tenants). Either way a row cannot
// belong to another tenant nor outlive its own. A direct key to tenants
// beside such a chain would only add a check to every insert, which
// high-volume children (asset_software, migration 000008) cannot afford.
const tablesNotHangingFromTenants = `
WITH RECURSIVE hangs(oid) AS (
    SELECT 'tenants'::regclass::oid
    UNION
    SELECT f.conrelid FROM pg_constraint f JOIN hangs h ON f.confrelid = h.oid
     WHERE f.contype = 'f' AND f.confdeltype = 'c'
       AND NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = f.conrelid AND a.attnum = ANY (f.conkey)
                          AND NOT a.attnotnull)
)
SELECT c.relname FROM pg_class c
 WHERE c.relkind = 'r' AND c.relnamespace = 'public'::regnamespace
   AND c.oid NOT IN (SELECT oid FROM hangs)
 ORDER BY 1`

// The schema must be distributable by tenant: every table has a tenant,
// every key and unique index and every foreign key leads with it.
func TestEveryKeyStartsWithTenant(t *testing.T) {
	conn := migrated(t)
	checks := []struct {
		name  string
		query string
	}{
		{"tables without tenant uuid NOT NULL", `
SELECT c.relname FROM pg_class c
 WHERE c.relkind IN ('r', 'p') AND c.relnamespace = 'public'::regnamespace
   AND NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'tenant'
                      AND a.attnotnull AND a.atttypid = 'uuid'::regtype)`},
		{"primary keys and unique indexes not led by tenant", `
SELECT i.indexrelid::regclass::text FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
 WHERE c.relnamespace = 'public'::regnamespace AND (i.indisunique OR i.indisprimary)
   AND coalesce((SELECT attname FROM pg_attribute WHERE attrelid = i.indrelid AND attnum = i.indkey[0]), '') <> 'tenant'`},
		{"foreign keys not led by tenant on both sides", `
SELECT conrelid::regclass || '.' || conname FROM pg_constraint
 WHERE contype = 'f' AND connamespace = 'public'::regnamespace
   AND ((SELECT attname FROM pg_attribute WHERE attrelid = conrelid AND attnum = conkey[1]) <> 'tenant'
     OR (SELECT attname FROM pg_attribute WHERE attrelid = confrelid AND attnum = confkey[1]) <> 'tenant')`},
		{"tables without a primary key", `
SELECT c.relname FROM pg_class c
 WHERE c.relkind = 'r' AND c.relnamespace = 'public'::regnamespace
   AND NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary)`},
		{"tables not hanging from tenants by cascading foreign keys", tablesNotHangingFromTenants},
	}
	for _, c := range checks {
		rows, err := conn.Query(t.Context(), c.query)
		if err != nil {
			t.Fatal(err)
		}
		bad, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		if len(bad) > 0 {
			t.Errorf("%s: %v", c.name, bad)
		}
	}
}

// TestTenantChainRule shows that the rule above accepts a chain and
// catches the tables whose rows could outlive their tenant.
func TestTenantChainRule(t *testing.T) {
	conn := migrated(t)
	d := db{t, conn}
	d.exec(`
CREATE TABLE chained (tenant uuid NOT NULL, asset_id uuid NOT NULL, PRIMARY KEY (tenant, asset_id),
    FOREIGN KEY (tenant, asset_id) REFERENCES assets (tenant, asset_id) ON DELETE CASCADE);
CREATE TABLE chained_twice (tenant uuid NOT NULL, asset_id uuid NOT NULL, PRIMARY KEY (tenant, asset_id),
    FOREIGN KEY (tenant, asset_id) REFERENCES chained (tenant, asset_id) ON DELETE CASCADE);
CREATE TABLE loose_no_key (tenant uuid NOT NULL PRIMARY KEY);
CREATE TABLE loose_set_null (tenant uuid NOT NULL, asset_id uuid NOT NULL, PRIMARY KEY (tenant, asset_id),
    FOREIGN KEY (tenant, asset_id) REFERENCES assets (tenant, asset_id) ON DELETE NO ACTION);
CREATE TABLE loose_nullable (tenant uuid NOT NULL, id uuid NOT NULL, asset_id uuid, PRIMARY KEY (tenant, id),
    FOREIGN KEY (tenant, asset_id) REFERENCES assets (tenant, asset_id) ON DELETE CASCADE);
CREATE TABLE loose_via_loose (tenant uuid NOT NULL, PRIMARY KEY (tenant),
    FOREIGN KEY (tenant) REFERENCES loose_no_key (tenant) ON DELETE CASCADE)`)
	rows, err := conn.Query(t.Context(), tablesNotHangingFromTenants)
	if err != nil {
		t.Fatal(err)
	}
	got, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"loose_no_key", "loose_nullable", "loose_set_null", "loose_via_loose"}; !slices.Equal(got, want) {
		t.Fatalf("tables not hanging from tenants = %v, want %v", got, want)
	}
}

// db wraps a connection with the helpers the constraint tests need.
type db struct {
	t    *testing.T
	conn *pgx.Conn
}

// id runs an INSERT ... RETURNING of one value.
func (d db) id(sql string, args ...any) string {
	d.t.Helper()
	var v string
	if err := d.conn.QueryRow(d.t.Context(), sql, args...).Scan(&v); err != nil {
		d.t.Fatalf("%s: %v", sql, err)
	}
	return v
}

func (d db) exec(sql string, args ...any) pgconn.CommandTag {
	d.t.Helper()
	tag, err := d.conn.Exec(d.t.Context(), sql, args...)
	if err != nil {
		d.t.Fatalf("%s: %v", sql, err)
	}
	return tag
}

// fails asserts that sql is refused with SQLSTATE code.
func (d db) fails(code, sql string, args ...any) {
	d.t.Helper()
	_, err := d.conn.Exec(d.t.Context(), sql, args...)
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != code {
		d.t.Errorf("%s: err = %v, want SQLSTATE %s", sql, err, code)
	}
}

func (d db) count(sql string, args ...any) int {
	d.t.Helper()
	var n int
	if err := d.conn.QueryRow(d.t.Context(), sql, args...).Scan(&n); err != nil {
		d.t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// tenantFixture is a tenant with one client and one Tactical integration.
type tenantFixture struct {
	tenant, client, integration string
}

func (d db) newTenant() tenantFixture {
	d.t.Helper()
	var f tenantFixture
	f.tenant = d.id(`INSERT INTO tenants (tenant_name) VALUES ('msp') RETURNING tenant`)
	f.client = d.id(`INSERT INTO clients (tenant, client_name) VALUES ($1, 'Acme') RETURNING client_id`, f.tenant)
	f.integration = d.id(`INSERT INTO rmm_integrations (tenant, provider, name, auth_mode)
		VALUES ($1, 'tacticalrmm', 'Tactical', 'api_key') RETURNING integration_id`, f.tenant)
	return f
}

func (d db) newDevice(f tenantFixture, deviceID string) string {
	d.t.Helper()
	return d.id(`INSERT INTO assets (tenant, asset_type, client_id, asset_tag, name, integration_id, rmm_provider, rmm_device_id)
		VALUES ($1, 'workstation', $2, $3::text, $3::text, $4, 'tacticalrmm', $3::text) RETURNING asset_id`,
		f.tenant, f.client, deviceID, f.integration)
}

func TestSchemaConstraints(t *testing.T) {
	conn := migrated(t)

	t.Run("several integrations of one provider, names unique per tenant", func(t *testing.T) {
		d := db{t, conn}
		a, b := d.newTenant(), d.newTenant()
		d.exec(`INSERT INTO rmm_integrations (tenant, provider, name, auth_mode) VALUES ($1, 'tacticalrmm', 'Second', 'api_key')`, a.tenant)
		d.fails(uniqueViolation, `INSERT INTO rmm_integrations (tenant, provider, name, auth_mode) VALUES ($1, 'ninjaone', 'Second', 'oauth2')`, a.tenant)
		d.exec(`INSERT INTO rmm_integrations (tenant, provider, name, auth_mode) VALUES ($1, 'tacticalrmm', 'Second', 'api_key')`, b.tenant)
	})

	t.Run("a row cannot point into another tenant", func(t *testing.T) {
		d := db{t, conn}
		a, b := d.newTenant(), d.newTenant()
		d.fails(foreignKeyViolation, `INSERT INTO assets (tenant, asset_type, client_id, asset_tag, name) VALUES ($1, 'server', $2, 't', 'n')`,
			b.tenant, a.client)
		d.fails(foreignKeyViolation, `INSERT INTO rmm_organization_mappings (tenant, integration_id, external_organization_id) VALUES ($1, $2, '1')`,
			b.tenant, a.integration)
		// asset_software has no key to tenants of its own (000008): the
		// tenant-led key to assets keeps it in its tenant.
		asset := d.newDevice(a, "agent-1")
		product := d.id(`INSERT INTO software_catalog (tenant, name, normalized_name) VALUES ($1, 'Tool', 'tool') RETURNING software_id`, b.tenant)
		d.fails(foreignKeyViolation, `INSERT INTO asset_software (tenant, asset_id, software_id) VALUES ($1, $2, $3)`, b.tenant, asset, product)
		d.fails(foreignKeyViolation, `INSERT INTO asset_software (tenant, asset_id, software_id) VALUES ($1, $2, $3)`,
			b.tenant, "00000000-0000-0000-0000-000000000001", product)
		// Nor have the device tables (000009): their tenant-led keys to
		// assets or rmm_integrations keep them in their tenant.
		for _, table := range []string{"workstation_assets", "server_assets"} {
			d.fails(foreignKeyViolation, `INSERT INTO `+table+` (tenant, asset_id) VALUES ($1, $2)`, b.tenant, asset)
		}
		d.fails(foreignKeyViolation, `INSERT INTO tenant_external_entity_mappings
			(tenant, integration_id, integration_type, alga_entity_type, alga_entity_id, external_entity_id)
			VALUES ($1, $2, 'tacticalrmm', 'asset', $3, 'agent-1')`, b.tenant, a.integration, asset)
		d.fails(foreignKeyViolation, `INSERT INTO rmm_device_sync_seen (tenant, integration_id, generation, asset_ids)
			VALUES ($1, $2, 1, ARRAY[$3::uuid])`, b.tenant, a.integration, asset)
		d.fails(foreignKeyViolation, `INSERT INTO webhook_inbox (tenant, integration_id, provider, body)
			VALUES ($1, $2, 'tacticalrmm', '\x7b7d')`, b.tenant, a.integration)
	})

	t.Run("a device is unique per integration", func(t *testing.T) {
		d := db{t, conn}
		f := d.newTenant()
		d.newDevice(f, "agent-1")
		d.fails(uniqueViolation, `INSERT INTO assets (tenant, asset_type, asset_tag, name, integration_id, rmm_device_id)
			VALUES ($1, 'server', 'x', 'x', $2, 'agent-1')`, f.tenant, f.integration)
		other := d.id(`INSERT INTO rmm_integrations (tenant, provider, name, auth_mode)
			VALUES ($1, 'tacticalrmm', 'Other', 'api_key') RETURNING integration_id`, f.tenant)
		d.exec(`INSERT INTO assets (tenant, asset_type, asset_tag, name, integration_id, rmm_device_id)
			VALUES ($1, 'server', 'x', 'x', $2, 'agent-1')`, f.tenant, other)
		for range 2 { // assets that are not RMM devices are not constrained
			d.exec(`INSERT INTO assets (tenant, asset_type, asset_tag, name) VALUES ($1, 'printer', 'p', 'p')`, f.tenant)
		}
		upsert := `INSERT INTO assets (tenant, asset_type, asset_tag, name, integration_id, rmm_device_id)
			VALUES ($1, 'workstation', 'agent-1', 'renamed', $2, 'agent-1')
			ON CONFLICT (tenant, integration_id, rmm_device_id) WHERE rmm_device_id IS NOT NULL
			DO UPDATE SET name = excluded.name`
		d.exec(upsert, f.tenant, f.integration)
		if n := d.count(`SELECT count(*) FROM assets WHERE tenant = $1 AND rmm_device_id = 'agent-1' AND name = 'renamed'`, f.tenant); n != 1 {
			t.Errorf("upsert on the device key: %d renamed rows, want 1", n)
		}
	})

	t.Run("a device that moves organisation keeps its mapping", func(t *testing.T) {
		d := db{t, conn}
		f := d.newTenant()
		asset := d.newDevice(f, "agent-1")
		upsert := `INSERT INTO tenant_external_entity_mappings
			(tenant, integration_id, integration_type, alga_entity_type, alga_entity_id, external_entity_id, external_realm_id)
			VALUES ($1, $2, 'tacticalrmm', 'asset', $3, 'agent-1', $4)
			ON CONFLICT (tenant, integration_id, alga_entity_type, external_entity_id)
			DO UPDATE SET external_realm_id = excluded.external_realm_id`
		d.exec(upsert, f.tenant, f.integration, asset, "org-1")
		d.exec(upsert, f.tenant, f.integration, asset, "org-2")
		if n := d.count(`SELECT count(*) FROM tenant_external_entity_mappings WHERE tenant = $1 AND external_realm_id = 'org-2'`, f.tenant); n != 1 {
			t.Errorf("mappings in the new organisation: %d, want 1", n)
		}
		if n := d.count(`SELECT count(*) FROM tenant_external_entity_mappings WHERE tenant = $1`, f.tenant); n != 1 {
			t.Errorf("mappings: %d, want 1 (moved, not duplicated)", n)
		}
	})

	t.Run("software with no publisher is deduplicated", func(t *testing.T) {
		d := db{t, conn}
		f := d.newTenant()
		insert := `INSERT INTO software_catalog (tenant, name, normalized_name, publisher) VALUES ($1, 'Tool', 'tool', $2)`
		d.exec(insert, f.tenant, nil)
		d.fails(uniqueViolation, insert, f.tenant, nil)
		if tag := d.exec(insert+` ON CONFLICT (tenant, normalized_name, publisher) DO NOTHING`, f.tenant, nil); tag.RowsAffected() != 0 {
			t.Errorf("ON CONFLICT with a NULL publisher inserted %d rows", tag.RowsAffected())
		}
		d.exec(insert, f.tenant, "Vendor")
	})

	t.Run("alerts upsert on their dedup key", func(t *testing.T) {
		d := db{t, conn}
		f := d.newTenant()
		upsert := `INSERT INTO rmm_alerts (tenant, integration_id, dedup_key, external_alert_id, severity)
			VALUES ($1, $2, 'agent-1:check-7', $3, 'major')
			ON CONFLICT (tenant, integration_id, dedup_key)
			DO UPDATE SET occurrence_count = rmm_alerts.occurrence_count + 1, external_alert_id = excluded.external_alert_id`
		d.exec(upsert, f.tenant, f.integration, "a-1")
		d.exec(upsert, f.tenant, f.integration, "a-2")
		if n := d.count(`SELECT occurrence_count FROM rmm_alerts WHERE tenant = $1 AND external_alert_id = 'a-2'`, f.tenant); n != 2 {
			t.Errorf("occurrence_count = %d, want 2", n)
		}
	})

	t.Run("one queued or running job per integration, kind and target", func(t *testing.T) {
		d := db{t, conn}
		f := d.newTenant()
		queue := `INSERT INTO sync_jobs (tenant, integration_id, kind, target) VALUES ($1, $2, $3, $4) RETURNING job_id`
		first := d.id(queue, f.tenant, f.integration, "devices", "")
		d.fails(uniqueViolation, `INSERT INTO sync_jobs (tenant, integration_id, kind) VALUES ($1, $2, 'devices')`, f.tenant, f.integration)
		d.exec(`UPDATE sync_jobs SET status = 'running' WHERE tenant = $1 AND job_id = $2`, f.tenant, first)
		d.fails(uniqueViolation, `INSERT INTO sync_jobs (tenant, integration_id, kind) VALUES ($1, $2, 'devices')`, f.tenant, f.integration)
		d.id(queue, f.tenant, f.integration, "orgs", "")
		d.id(queue, f.tenant, f.integration, "agent", "agent-1")
		d.id(queue, f.tenant, f.integration, "agent", "agent-2")
		d.fails(checkViolation, `UPDATE sync_jobs SET status = 'succeeded' WHERE tenant = $1 AND job_id = $2`, f.tenant, first)
		d.exec(`UPDATE sync_jobs SET status = 'succeeded', finished_at = now() WHERE tenant = $1 AND job_id = $2`, f.tenant, first)
		d.id(queue, f.tenant, f.integration, "devices", "")
		d.fails(checkViolation, `INSERT INTO sync_jobs (tenant, integration_id, kind) VALUES ($1, $2, 'everything')`, f.tenant, f.integration)
	})

	t.Run("deleting a client or an integration keeps the assets", func(t *testing.T) {
		d := db{t, conn}
		f := d.newTenant()
		asset := d.newDevice(f, "agent-1")
		d.exec(`INSERT INTO rmm_organization_mappings (tenant, integration_id, external_organization_id, client_id) VALUES ($1, $2, '1', $3)`,
			f.tenant, f.integration, f.client)
		d.exec(`INSERT INTO rmm_alerts (tenant, integration_id, dedup_key, external_alert_id, severity, asset_id)
			VALUES ($1, $2, 'k', 'a', 'minor', $3)`, f.tenant, f.integration, asset)
		d.exec(`INSERT INTO tenant_secrets (tenant, integration_id, secret_name, ciphertext, nonce, key_id)
			VALUES ($1, $2, 'api_key', '\x00', '\x00', 'k1')`, f.tenant, f.integration)

		d.exec(`DELETE FROM clients WHERE tenant = $1 AND client_id = $2`, f.tenant, f.client)
		if n := d.count(`SELECT count(*) FROM assets WHERE tenant = $1 AND asset_id = $2 AND client_id IS NULL`, f.tenant, asset); n != 1 {
			t.Error("deleting the client did not just unlink the asset")
		}
		if n := d.count(`SELECT count(*) FROM rmm_organization_mappings WHERE tenant = $1 AND client_id IS NULL`, f.tenant); n != 1 {
			t.Error("deleting the client did not just unmap the organisation")
		}

		d.exec(`DELETE FROM rmm_integrations WHERE tenant = $1 AND integration_id = $2`, f.tenant, f.integration)
		if n := d.count(`SELECT count(*) FROM assets WHERE tenant = $1 AND asset_id = $2 AND integration_id IS NULL`, f.tenant, asset); n != 1 {
			t.Error("deleting the integration did not keep the asset")
		}
		for _, table := range []string{"rmm_organization_mappings", "rmm_alerts", "tenant_secrets"} {
			if n := d.count(`SELECT count(*) FROM `+table+` WHERE tenant = $1`, f.tenant); n != 0 {
				t.Errorf("%s: %d rows left after deleting the integration", table, n)
			}
		}
	})

	t.Run("deleting a tenant removes all its rows", func(t *testing.T) {
		filledTables := []string{"assets", "workstation_assets", "server_assets", "tenant_external_entity_mappings",
			"rmm_device_sync_seen", "event_outbox", "webhook_inbox", "software_catalog", "asset_software"}
		d := db{t, conn}
		f, other := d.newTenant(), d.newTenant()
		for _, x := range []tenantFixture{f, other} {
			asset := d.newDevice(x, "agent-1")
			d.exec(`INSERT INTO workstation_assets (tenant, asset_id, "current_user") VALUES ($1, $2, 'alice')`, x.tenant, asset)
			server := d.newDevice(x, "agent-2")
			d.exec(`INSERT INTO server_assets (tenant, asset_id) VALUES ($1, $2)`, x.tenant, server)
			d.exec(`INSERT INTO tenant_external_entity_mappings
				(tenant, integration_id, integration_type, alga_entity_type, alga_entity_id, external_entity_id)
				VALUES ($1, $2, 'tacticalrmm', 'asset', $3, 'agent-1')`, x.tenant, x.integration, asset)
			d.exec(`INSERT INTO rmm_device_sync_seen (tenant, integration_id, generation, asset_ids)
				VALUES ($1, $2, 1, ARRAY[$3::uuid, $4::uuid])`, x.tenant, x.integration, asset, server)
			d.exec(`INSERT INTO event_outbox (tenant, event_type, payload) VALUES ($1, 'RMM_DEVICE_CREATED', '{}')`, x.tenant)
			d.exec(`INSERT INTO webhook_inbox (tenant, integration_id, provider, body) VALUES ($1, $2, 'tacticalrmm', '\x7b7d')`, x.tenant, x.integration)
			product := d.id(`INSERT INTO software_catalog (tenant, name, normalized_name) VALUES ($1, 'Tool', 'tool') RETURNING software_id`, x.tenant)
			d.exec(`INSERT INTO asset_software (tenant, asset_id, software_id) VALUES ($1, $2, $3)`, x.tenant, asset, product)
		}
		if n := d.count(`SELECT count(*) FROM workstation_assets WHERE tenant = $1 AND "current_user" = 'alice'`, f.tenant); n != 1 {
			t.Errorf(`"current_user" column: %d rows, want 1`, n)
		}
		d.exec(`DELETE FROM tenants WHERE tenant = $1`, f.tenant)
		rows, err := conn.Query(t.Context(), `SELECT tablename FROM pg_tables WHERE schemaname = 'public'`)
		if err != nil {
			t.Fatal(err)
		}
		tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		for _, table := range tables {
			q := `SELECT count(*) FROM ` + pgx.Identifier{table}.Sanitize() + ` WHERE tenant = $1`
			if n := d.count(q, f.tenant); n != 0 {
				t.Errorf("%s: %d rows of the deleted tenant", table, n)
			}
		}
		for _, table := range tables {
			q := `SELECT count(*) FROM ` + pgx.Identifier{table}.Sanitize() + ` WHERE tenant = $1`
			if n := d.count(q, other.tenant); n == 0 && slices.Contains(filledTables, table) {
				t.Errorf("%s: the other tenant lost its rows", table)
			}
		}
	})

	t.Run("the outbox is readable up to the oldest open transaction", func(t *testing.T) {
		d := db{t, conn}
		f := d.newTenant()
		first := d.id(`INSERT INTO event_outbox (tenant, event_type, payload) VALUES ($1, 'A', '{}') RETURNING event_id::text`, f.tenant)
		second := d.id(`INSERT INTO event_outbox (tenant, event_type, payload) VALUES ($1, 'B', '{}') RETURNING event_id::text`, f.tenant)
		if n := d.count(`SELECT count(*) FROM event_outbox WHERE tenant = $1 AND event_id IN ($2::bigint, $3::bigint)
			AND tx_id < pg_snapshot_xmin(pg_current_snapshot())`, f.tenant, first, second); n != 2 {
			t.Errorf("committed events visible to a reader: %d, want 2", n)
		}
		if d.count(`SELECT ($1::bigint < $2::bigint)::int`, first, second) != 1 {
			t.Errorf("event ids %s, %s: want increasing", first, second)
		}
	})
}

// TestMigration9KeepsSeenSets shows that full syncs in progress keep what
// they have seen across 000009 (a row per device becomes a row per sync)
// and back.
func TestMigration9KeepsSeenSets(t *testing.T) {
	const up, down = "000009_device_sync.up.sql", "000009_device_sync.down.sql"
	conn := connect(t)
	d := db{t, conn}
	for _, f := range files(t, "up") {
		if f == up {
			break
		}
		apply(t, conn, f)
	}
	f := d.newTenant()
	a1, a2, a3 := d.newDevice(f, "agent-1"), d.newDevice(f, "agent-2"), d.newDevice(f, "agent-3")
	d.exec(`INSERT INTO rmm_device_sync_seen (tenant, integration_id, generation, asset_id)
		VALUES ($1, $2, 1, $3), ($1, $2, 1, $4), ($1, $2, 2, $5)`, f.tenant, f.integration, a1, a2, a3)

	apply(t, conn, up)
	if n := d.count(`SELECT count(*) FROM rmm_device_sync_seen`); n != 2 {
		t.Fatalf("%d seen rows after %s, want one per sync (2)", n, up)
	}
	if n := d.count(`SELECT count(*) FROM rmm_device_sync_seen WHERE tenant = $1 AND integration_id = $2
		AND ((generation = 1 AND asset_ids @> ARRAY[$3::uuid, $4::uuid] AND cardinality(asset_ids) = 2)
		  OR (generation = 2 AND asset_ids = ARRAY[$5::uuid]))`, f.tenant, f.integration, a1, a2, a3); n != 2 {
		t.Fatalf("%s did not keep each sync's assets", up)
	}

	apply(t, conn, down)
	if n := d.count(`SELECT count(*) FROM rmm_device_sync_seen`); n != 3 {
		t.Fatalf("%d seen rows after %s, want one per device (3)", n, down)
	}
	if n := d.count(`SELECT count(*) FROM rmm_device_sync_seen WHERE tenant = $1 AND integration_id = $2
		AND (generation, asset_id) IN ((1, $3::uuid), (1, $4::uuid), (2, $5::uuid))`, f.tenant, f.integration, a1, a2, a3); n != 3 {
		t.Fatalf("%s did not restore each sync's assets", down)
	}
}
