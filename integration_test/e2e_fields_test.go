package integration_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/msp-psa/psa-host/provider/tacticalrmm/tacticalfake"
)

// Reading an integration's assets back from the database and comparing
// them with what the agents say (see e2e_oracle_test.go).

// assetColumns are the columns compared as text, by key.
func assetColumns() [][2]string {
	ts := func(expr string) string {
		return `to_char((` + expr + `) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`
	}
	return [][2]string{
		{"asset.name", "a.name"},
		{"asset.asset_tag", "a.asset_tag"},
		{"asset.asset_type", "a.asset_type"},
		{"asset.client_id", "a.client_id"},
		{"asset.status", "a.status"},
		{"asset.serial_number", "a.serial_number"},
		{"asset.rmm_provider", "a.rmm_provider"},
		{"asset.rmm_organization_id", "a.rmm_organization_id"},
		{"asset.rmm_site_id", "a.rmm_site_id"},
		{"asset.rmm_site_name", "a.rmm_site_name"},
		{"asset.agent_status", "a.agent_status"},
		{"asset.last_seen_at", ts("a.last_seen_at")},
		{"asset.missing_since", ts("a.missing_since")},
		{"detail.table", `CASE WHEN w.asset_id IS NOT NULL AND s.asset_id IS NULL THEN 'workstation_assets'
		                       WHEN s.asset_id IS NOT NULL AND w.asset_id IS NULL THEN 'server_assets'
		                       ELSE 'both or neither' END`},
		{"detail.os_type", "coalesce(w.os_type, s.os_type)"},
		{"detail.os_version", "coalesce(w.os_version, s.os_version)"},
		{"detail.cpu_model", "coalesce(w.cpu_model, s.cpu_model)"},
		{"detail.cpu_cores", "coalesce(w.cpu_cores, s.cpu_cores)"},
		{"detail.ram_gb", "coalesce(w.ram_gb, s.ram_gb)"},
		{"detail.agent_version", "coalesce(w.agent_version, s.agent_version)"},
		{"detail.last_reboot_at", ts("coalesce(w.last_reboot_at, s.last_reboot_at)")},
		{"detail.current_user", `coalesce(w."current_user", s."current_user")`},
		{"detail.last_user", "coalesce(w.last_user, s.last_user)"},
		{"detail.uptime_seconds", "coalesce(w.uptime_seconds, s.uptime_seconds)"},
		{"detail.lan_ip", "coalesce(w.lan_ip, s.lan_ip)"},
		{"detail.wan_ip", "coalesce(w.wan_ip, s.wan_ip)"},
		{"detail.primary_ip", "s.primary_ip"},
		{"detail.storage_capacity_gb", "w.storage_capacity_gb"},
		{"mapping.points_at_asset", "m.alga_entity_id = a.asset_id::text"},
		{"mapping.integration_type", "m.integration_type"},
		{"mapping.external_realm_id", "m.external_realm_id"},
		{"mapping.sync_status", "m.sync_status"},
	}
}

// storedAsset is one asset as the database holds it.
type storedAsset struct {
	assetID  string
	cols     map[string]string
	info     map[string]any
	disks    []storedDisk
	metadata map[string]any
}

type storedDisk struct {
	Name               string  `json:"name"`
	FSType             string  `json:"fs_type"`
	TotalGB            float64 `json:"total_gb"`
	FreeGB             float64 `json:"free_gb"`
	UtilizationPercent float64 `json:"utilization_percent"`
	TotalBytes         int64   `json:"total_bytes"`
	FreeBytes          int64   `json:"free_bytes"`
}

// storedAssets reads every asset of an integration with its detail and
// crosswalk rows, by device (agent_id).
func storedAssets(t *testing.T, db *pgx.Conn, tenantID, integrationID string) map[string]storedAsset {
	t.Helper()
	cols := assetColumns()
	exprs := make([]string, len(cols))
	for k, c := range cols {
		exprs[k] = `coalesce((` + c[1] + `)::text, '` + null + `')`
	}
	q := `
SELECT a.rmm_device_id, a.asset_id::text, coalesce(w.system_info, s.system_info, '{}')::text,
       coalesce(w.disk_usage, s.disk_usage, '[]')::text, coalesce(m.metadata, '{}')::text,
       ` + strings.Join(exprs, ",\n       ") + `
  FROM assets a
  LEFT JOIN workstation_assets w ON w.tenant = a.tenant AND w.asset_id = a.asset_id
  LEFT JOIN server_assets s ON s.tenant = a.tenant AND s.asset_id = a.asset_id
  LEFT JOIN tenant_external_entity_mappings m
         ON m.tenant = a.tenant AND m.integration_id = a.integration_id
        AND m.alga_entity_type = 'asset' AND m.external_entity_id = a.rmm_device_id
 WHERE a.tenant = $1 AND a.integration_id = $2`
	rows, err := db.Query(t.Context(), q, tenantID, integrationID)
	if err != nil {
		t.Fatalf("read assets: %v", err)
	}
	defer rows.Close()
	out := map[string]storedAsset{}
	for rows.Next() {
		var device, info, disks, meta string
		a := storedAsset{cols: map[string]string{}}
		vals := make([]string, len(cols))
		dest := []any{&device, &a.assetID, &info, &disks, &meta}
		for k := range vals {
			dest = append(dest, &vals[k])
		}
		if err := rows.Scan(dest...); err != nil {
			t.Fatalf("read assets: %v", err)
		}
		for k, c := range cols {
			a.cols[c[0]] = vals[k]
		}
		if err := json.Unmarshal([]byte(info), &a.info); err != nil {
			t.Fatalf("system_info of %s: %v", device, err)
		}
		if err := json.Unmarshal([]byte(disks), &a.disks); err != nil {
			t.Fatalf("disk_usage of %s: %v", device, err)
		}
		if err := json.Unmarshal([]byte(meta), &a.metadata); err != nil {
			t.Fatalf("crosswalk metadata of %s: %v", device, err)
		}
		if _, dup := out[device]; dup {
			t.Errorf("device %s has more than one asset", device)
		}
		out[device] = a
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("read assets: %v", err)
	}
	return out
}

// compareAsset lists every difference between what the database holds
// and what the agent says.
func compareAsset(got storedAsset, want expectedAsset) []string {
	var diffs []string
	for _, k := range slices.Sorted(maps.Keys(want.cols)) {
		if got.cols[k] != want.cols[k] {
			diffs = append(diffs, fmt.Sprintf("%s = %q, want %q", k, got.cols[k], want.cols[k]))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(want.info)) {
		w := want.info[k]
		g, present := got.info[k]
		if isZero(w) {
			if present && !isZero(g) {
				diffs = append(diffs, fmt.Sprintf("system_info.%s = %v, want it absent", k, g))
			}
			continue
		}
		if !reflect.DeepEqual(g, w) {
			diffs = append(diffs, fmt.Sprintf("system_info.%s = %#v, want %#v", k, g, w))
		}
	}
	if !reflect.DeepEqual(got.metadata, want.metadata) {
		diffs = append(diffs, fmt.Sprintf("crosswalk metadata = %v, want %v", got.metadata, want.metadata))
	}
	if len(got.disks) != len(want.disks) {
		return append(diffs, fmt.Sprintf("%d disks, want %d", len(got.disks), len(want.disks)))
	}
	for k, w := range want.disks {
		g := got.disks[k]
		util := 0.0
		if w.totalBytes > 0 {
			util = 100 * float64(w.totalBytes-w.freeBytes) / float64(w.totalBytes)
		}
		if g.Name != w.name || g.FSType != w.fsType || absInt(g.TotalBytes-w.totalBytes) > 1 || absInt(g.FreeBytes-w.freeBytes) > 1 ||
			math.Abs(g.TotalGB-float64(w.totalBytes)/gibibyte) > 0.006 || math.Abs(g.FreeGB-float64(w.freeBytes)/gibibyte) > 0.006 ||
			math.Abs(g.UtilizationPercent-util) > 0.006 {
			diffs = append(diffs, fmt.Sprintf("disk %d = %+v, want %+v (utilisation %.2f%%)", k, g, w, util))
		}
	}
	return diffs
}

func isZero(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case float64:
		return x == 0
	case bool:
		return !x
	case []any:
		return len(x) == 0
	}
	return false
}

func absInt(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

// checkAssets compares the stored assets of an integration with every
// agent of the mapped Tactical clients (clientOf: Tactical client id ->
// PSA client id): one asset per agent, every field as the agent says,
// and no asset for an agent of an unmapped client. It returns the assets.
func checkAssets(t *testing.T, db *pgx.Conn, fake *tacticalfake.Server, tenantID, integrationID string, clientOf map[int]string) map[string]storedAsset {
	t.Helper()
	stored := storedAssets(t, db, tenantID, integrationID)
	want := 0
	for i := range fake.NumAgents() {
		v := fake.Agent(i)
		psaClient, mapped := clientOf[v.ClientID]
		got, present := stored[v.AgentID]
		switch {
		case v.Removed || !mapped:
			if present {
				t.Errorf("agent %s (Tactical client %d, not mapped) has an asset", v.Hostname, v.ClientID)
			}
			continue
		case !present:
			t.Errorf("agent %s (Tactical client %d) has no asset", v.Hostname, v.ClientID)
			continue
		}
		want++
		for _, d := range compareAsset(got, expectAsset(t, fake, i, psaClient)) {
			t.Errorf("agent %s (%s %s): %s", v.Hostname, v.Platform, v.MonitoringType, d)
		}
	}
	if len(stored) != want {
		t.Errorf("%d assets stored, want %d", len(stored), want)
	}
	return stored
}
