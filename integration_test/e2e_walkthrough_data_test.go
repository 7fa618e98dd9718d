package integration_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// The walkthrough's later steps: software, alerts and the disconnect.

// softwareTwice ingests software twice: the second run adds no row and
// changes no count.
func (w *walk) softwareTwice(t *testing.T) {
	want := 0
	for org := range w.clientOf {
		for _, v := range agentsOf(w.fake, org) {
			want += v.SoftwareCount
		}
	}
	if want == 0 {
		t.Fatal("the mapped agents report no software: the check would check nothing")
	}
	counts := func() [3]int {
		return [3]int{
			countRows(t, w.env.db, "software_catalog", w.tenantID, ""),
			countRows(t, w.env.db, "asset_software", w.tenantID, ""),
			countRows(t, w.env.db, "asset_software", w.tenantID, "t.is_current"),
		}
	}
	syncOK(t, w.api, w.integration.ID, "software")
	first := counts()
	if first[1] != want || first[2] != want || first[0] == 0 {
		t.Errorf("after the first ingest: %d catalog rows, %d asset_software rows (%d current); want %d current rows",
			first[0], first[1], first[2], want)
	}
	w.checkSoftwarePerAgent(t)
	syncOK(t, w.api, w.integration.ID, "software")
	if second := counts(); second != first {
		t.Errorf("the second ingest changed the row counts (catalog, asset_software, current) from %v to %v", first, second)
	}
	w.checkSoftwarePerAgent(t)
}

// checkSoftwarePerAgent compares each asset's current software with what
// its agent reports, in the database and, for one asset, through the API.
func (w *walk) checkSoftwarePerAgent(t *testing.T) {
	rows, err := w.env.db.Query(t.Context(), `
SELECT a.rmm_device_id, a.asset_id::text, count(s.software_id) FILTER (WHERE s.is_current)
  FROM assets a LEFT JOIN asset_software s ON s.tenant = a.tenant AND s.asset_id = a.asset_id
 WHERE a.tenant = $1 AND a.integration_id = $2
 GROUP BY a.rmm_device_id, a.asset_id`, w.tenantID, w.integration.ID)
	if err != nil {
		t.Fatal(err)
	}
	type owned struct {
		assetID string
		n       int
	}
	byDevice := map[string]owned{}
	for rows.Next() {
		var device string
		var o owned
		if err := rows.Scan(&device, &o.assetID, &o.n); err != nil {
			t.Fatal(err)
		}
		byDevice[device] = o
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	checkedAPI := false
	for org := range w.clientOf {
		for _, v := range agentsOf(w.fake, org) {
			got := byDevice[v.AgentID]
			if got.n != v.SoftwareCount {
				t.Errorf("agent %s: %d current software rows, want %d", v.Hostname, got.n, v.SoftwareCount)
			}
			if checkedAPI || v.SoftwareCount == 0 {
				continue
			}
			checkedAPI = true
			var page apiPage[map[string]any]
			if _, err := w.api.Do(t.Context(), http.MethodGet, "/api/v1/assets/"+got.assetID+"/software?limit=1000", nil, &page); err != nil {
				t.Errorf("asset software: %v", err)
			} else if len(page.Items) != v.SoftwareCount {
				t.Errorf("GET /api/v1/assets/{id}/software of %s lists %d items, want %d", v.Hostname, len(page.Items), v.SoftwareCount)
			}
		}
	}
}

// alertsTwice backfills alerts twice: one row per alert in the window,
// the second run adds none and counts no new occurrence.
func (w *walk) alertsTwice(t *testing.T) {
	// The host backfills 30 days; alerts within a minute of that edge may
	// fall either side of it.
	now, window := time.Now(), 30*24*time.Hour
	lo, hi := 0, 0
	for _, a := range w.fake.Alerts() {
		in := func(at time.Time, m time.Duration) bool { return !at.IsZero() && at.After(now.Add(-window+m)) }
		switch {
		case in(a.Time, time.Minute) || (a.Resolved && in(a.ResolvedOn, time.Minute)):
			lo++
			hi++
		case in(a.Time, -time.Minute) || (a.Resolved && in(a.ResolvedOn, -time.Minute)):
			hi++
		}
	}
	if lo == 0 {
		t.Fatal("the fleet has no alert in the backfill window: the check would check nothing")
	}
	syncOK(t, w.api, w.integration.ID, "alerts")
	first := alertOccurrences(t, w.env.db, w.tenantID, w.integration.ID)
	if len(first) < lo || len(first) > hi {
		t.Errorf("%d alerts stored, want %d (up to %d counting those at the window's edge)", len(first), lo, hi)
	}
	for k, n := range first {
		if n != 1 {
			t.Errorf("alert %s has occurrence_count %d after one backfill, want 1", k, n)
		}
	}
	linked := countRows(t, w.env.db, "rmm_alerts", w.tenantID, "t.asset_id IS NOT NULL")
	if linked == 0 {
		t.Error("no alert is linked to an asset")
	}
	syncOK(t, w.api, w.integration.ID, "alerts")
	second := alertOccurrences(t, w.env.db, w.tenantID, w.integration.ID)
	if len(second) != len(first) {
		t.Errorf("the second backfill changed the number of alerts from %d to %d", len(first), len(second))
	}
	for k, n := range second {
		if first[k] != n {
			t.Errorf("alert %s: occurrence_count %d after the second backfill, was %d", k, n, first[k])
		}
	}
}

// disconnect removes the credentials and keeps the data; a sync then
// fails and says why.
func (w *walk) disconnect(t *testing.T) {
	id := w.integration.ID
	tables := []string{"assets", "workstation_assets", "server_assets", "tenant_external_entity_mappings",
		"rmm_organization_mappings", "asset_software", "software_catalog", "rmm_alerts"}
	before := map[string]int{}
	for _, tb := range tables {
		before[tb] = countRows(t, w.env.db, tb, w.tenantID, "")
		if before[tb] == 0 {
			t.Errorf("%s is empty before the disconnect: nothing to keep", tb)
		}
	}

	var in apiIntegration
	if _, err := w.api.Do(t.Context(), http.MethodDelete, "/api/v1/integrations/"+id, nil, &in); err != nil {
		t.Fatalf("disconnect: %v", err)
	}
	if in.Connection != "disconnected" || in.HasCredentials || in.IsActive || len(in.Secrets) != 0 {
		t.Errorf("after disconnect: connection %q, has_credentials %v, is_active %v, secrets %v; want disconnected and none",
			in.Connection, in.HasCredentials, in.IsActive, in.Secrets)
	}
	if names := secretNames(t, w.env.db, w.tenantID, id); !slices.Equal(names, []string{"webhook_secret"}) {
		t.Errorf("after disconnect tenant_secrets holds %v, want only webhook_secret", names)
	}
	for _, tb := range tables {
		if n := countRows(t, w.env.db, tb, w.tenantID, ""); n != before[tb] {
			t.Errorf("%s: %d rows after disconnect, had %d", tb, n, before[tb])
		}
	}

	// A sync can no longer reach Tactical: refused, or a failed job that
	// says the credentials are missing.
	j, err := w.api.Sync(t.Context(), id, "devices", "full")
	switch {
	case err == nil:
		t.Errorf("a device sync after disconnect succeeded: %+v", j)
	case statusOf(err) != 0:
		if statusOf(err) < 400 || statusOf(err) >= 500 {
			t.Errorf("a device sync after disconnect answered %v, want a 4xx", err)
		}
	case j.Status != "failed" || !mentionsCredentials(j.Error):
		t.Errorf("a device sync after disconnect: status %q, error %q; want failed, naming the missing credentials", j.Status, j.Error)
	}
	if n := countRows(t, w.env.db, "assets", w.tenantID, ""); n != before["assets"] {
		t.Errorf("%d assets after the failed sync, had %d", n, before["assets"])
	}
}

func mentionsCredentials(msg string) bool {
	msg = strings.ToLower(msg)
	for _, w := range []string{"credential", "api_key", "api key", "disconnected"} {
		if strings.Contains(msg, w) {
			return true
		}
	}
	return false
}
