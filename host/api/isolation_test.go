package api

import (
	"encoding/json"
	"net/http"
	"testing"
)

// TestTenantIsolation checks that tenant B sees nothing of tenant A: every
// id of A answers 404 to B, and B's lists never hold A's rows.
func TestTenantIsolation(t *testing.T) {
	e := newEnv(t)
	integ := e.createIntegration(e.keyA, "A's RMM")
	clientA := e.createClient(e.keyA, "A's client")
	mapping := e.store.addMapping(e.tenantA, integ.ID, "A org")
	asset := e.store.addAsset(e.tenantA, integ.ID, "a-pc", "online", &clientA)
	e.store.addSoftware(asset.ID, "Office")
	e.store.addAlert(e.tenantA, integ.ID, "active")
	var job syncResponse
	e.must(http.StatusAccepted, "POST", "/api/v1/integrations/"+integ.ID+"/sync", e.keyA, map[string]string{"kind": "orgs"}, &job)
	e.syncer.set(func(s *fakeSyncer) { s.calls = 0 })

	i := "/api/v1/integrations/" + integ.ID
	forbidden := []struct {
		method, path string
		body         any
	}{
		{"GET", i, nil},
		{"PATCH", i, map[string]string{"name": "mine now"}},
		{"PATCH", i, map[string]any{"credentials": map[string]string{"api_key": "stolen-0000000000000"}}},
		{"DELETE", i, nil},
		{"POST", i + "/test", nil},
		{"POST", i + "/sync", map[string]string{"kind": "devices"}},
		{"POST", i + "/devices/agent-a-pc/sync", nil},
		{"GET", i + "/mappings", nil},
		{"PATCH", i + "/mappings/" + mapping.ID, map[string]any{"client_id": nil}},
		{"GET", "/api/v1/jobs/" + job.JobID, nil},
		{"GET", "/api/v1/assets/" + asset.ID, nil},
		{"GET", "/api/v1/assets/" + asset.ID + "/software", nil},
		{"GET", "/api/v1/clients/" + clientA, nil},
	}
	before := e.store.writeCount()
	for _, f := range forbidden {
		r := e.do(f.method, f.path, e.keyB, f.body)
		if r.status != http.StatusNotFound || r.errBody(t).Code != codeNotFound {
			t.Errorf("B: %s %s = %d, want 404: %s", f.method, f.path, r.status, r.body)
		}
	}
	if e.store.writeCount() != before || e.syncer.calls != 0 {
		t.Fatalf("B's requests reached A's data: %d writes, %d syncer calls", e.store.writeCount()-before, e.syncer.calls)
	}

	// B may not map its own organisation to A's client.
	integB := e.createIntegration(e.keyB, "B's RMM")
	mapB := e.store.addMapping(e.tenantB, integB.ID, "B org")
	r := e.do("PATCH", "/api/v1/integrations/"+integB.ID+"/mappings/"+mapB.ID, e.keyB, map[string]any{"client_id": clientA})
	if r.status != http.StatusUnprocessableEntity || r.errBody(t).Field != "client_id" {
		t.Fatalf("B mapping to A's client = %d: %s", r.status, r.body)
	}

	lists := []string{
		"/api/v1/integrations", "/api/v1/clients", "/api/v1/assets", "/api/v1/alerts",
		"/api/v1/assets?integration_id=" + integ.ID, "/api/v1/alerts?integration_id=" + integ.ID,
		"/api/v1/assets?client_id=" + clientA,
	}
	for _, path := range lists {
		var page listPage[json.RawMessage]
		e.must(http.StatusOK, "GET", path, e.keyB, nil, &page)
		for _, it := range page.Items {
			var ids map[string]any
			_ = json.Unmarshal(it, &ids)
			if ids["integration_id"] == integ.ID || ids["client_id"] == clientA || ids["asset_id"] == asset.ID {
				t.Errorf("B's %s lists A's row: %s", path, it)
			}
		}
		if path == "/api/v1/integrations" && len(page.Items) != 1 {
			t.Errorf("B sees %d integrations, want its own 1", len(page.Items))
		}
		if path != "/api/v1/integrations" && len(page.Items) != 0 {
			t.Errorf("B's %s has %d rows, want 0", path, len(page.Items))
		}
	}

	// A's data is as it was.
	var still integrationView
	e.must(http.StatusOK, "GET", i, e.keyA, nil, &still)
	if still.Name != "A's RMM" || !still.HasCredentials || e.store.secretsOf(integ.ID)["api_key"] != testAPIKey {
		t.Fatalf("A's integration changed: %+v", still.Integration)
	}
}
