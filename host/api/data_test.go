package api

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/msp-psa/psa-host/host/store"
)

func TestClients(t *testing.T) {
	e := newEnv(t)
	var c store.Client
	e.must(http.StatusCreated, "POST", "/api/v1/clients", e.keyA, map[string]string{"name": " Acme Ltd "}, &c)
	if c.Name != "Acme Ltd" || !isUUID(c.ID) {
		t.Fatalf("client = %+v", c)
	}
	var got store.Client
	e.must(http.StatusOK, "GET", "/api/v1/clients/"+c.ID, e.keyA, nil, &got)
	if got.ID != c.ID || got.Name != "Acme Ltd" {
		t.Fatalf("get = %+v", got)
	}
	r := e.do("POST", "/api/v1/clients", e.keyA, map[string]string{"name": "Acme Ltd"})
	if r.status != http.StatusConflict || r.errBody(t).Code != codeConflict {
		t.Fatalf("duplicate = %d: %s", r.status, r.body)
	}
	e.createClient(e.keyA, "Beta Inc")
	var page listPage[store.Client]
	e.must(http.StatusOK, "GET", "/api/v1/clients", e.keyA, nil, &page)
	if len(page.Items) != 2 || page.NextAfter != nil {
		t.Fatalf("list = %+v", page)
	}
	e.must(http.StatusNotFound, "GET", "/api/v1/clients/"+newID(), e.keyA, nil, nil)
}

func TestPaginationParameters(t *testing.T) {
	e := newEnv(t)
	for _, q := range []string{"limit=0", "limit=1001", "limit=ten", "limit=-1", "after=xyz"} {
		for _, path := range []string{"/api/v1/clients", "/api/v1/assets", "/api/v1/alerts", "/api/v1/integrations"} {
			r := e.do("GET", path+"?"+q, e.keyA, nil)
			if r.status != http.StatusBadRequest || r.errBody(t).Field == "" {
				t.Errorf("%s?%s = %d: %s", path, q, r.status, r.body)
			}
		}
	}
	e.must(http.StatusOK, "GET", "/api/v1/assets?limit=1000", e.keyA, nil, nil)
}

func TestMappings(t *testing.T) {
	e := newEnv(t)
	v := e.createIntegration(e.keyA, "M")
	m1 := e.store.addMapping(e.tenantA, v.ID, "Org One")
	m2 := e.store.addMapping(e.tenantA, v.ID, "Org Two")
	other := e.createIntegration(e.keyA, "Other")
	e.store.addMapping(e.tenantA, other.ID, "Elsewhere")
	clientID := e.createClient(e.keyA, "Acme")

	var page listPage[store.Mapping]
	e.must(http.StatusOK, "GET", "/api/v1/integrations/"+v.ID+"/mappings", e.keyA, nil, &page)
	if len(page.Items) != 2 {
		t.Fatalf("mappings = %+v", page.Items)
	}
	for _, m := range page.Items {
		if m.ID != m1.ID && m.ID != m2.ID {
			t.Fatalf("foreign mapping %s listed", m.ID)
		}
	}

	path := "/api/v1/integrations/" + v.ID + "/mappings/" + m1.ID
	var got store.Mapping
	e.must(http.StatusOK, "PATCH", path, e.keyA, map[string]any{"client_id": clientID, "auto_sync_assets": true}, &got)
	if got.ClientID == nil || *got.ClientID != clientID || !got.AutoSyncAssets {
		t.Fatalf("mapped = %+v", got)
	}
	e.must(http.StatusOK, "PATCH", path, e.keyA, map[string]any{"auto_sync_assets": false}, &got)
	if got.ClientID == nil || got.AutoSyncAssets {
		t.Fatalf("toggle lost the client or did not toggle: %+v", got)
	}
	e.must(http.StatusOK, "PATCH", path, e.keyA, map[string]any{"client_id": nil}, &got)
	if got.ClientID != nil {
		t.Fatalf("unmap left client %v", *got.ClientID)
	}

	cases := []struct {
		name   string
		path   string
		body   any
		status int
		field  string
	}{
		{"unknown client", path, map[string]any{"client_id": newID()}, 422, "client_id"},
		{"client id not an id", path, map[string]any{"client_id": "acme"}, 422, "client_id"},
		{"client id wrong type", path, map[string]any{"client_id": 7}, 400, "client_id"},
		{"auto sync wrong type", path, map[string]any{"auto_sync_assets": "yes"}, 400, "auto_sync_assets"},
		{"unknown field", path, map[string]any{"default_contact_id": newID()}, 400, "default_contact_id"},
		{"unknown mapping", "/api/v1/integrations/" + v.ID + "/mappings/" + newID(), map[string]any{"auto_sync_assets": true}, 404, ""},
		{"mapping of another integration", "/api/v1/integrations/" + other.ID + "/mappings/" + m1.ID, map[string]any{"auto_sync_assets": true}, 404, ""},
		{"unknown integration", "/api/v1/integrations/" + newID() + "/mappings/" + m1.ID, map[string]any{"auto_sync_assets": true}, 404, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := e.store.writeCount()
			r := e.do("PATCH", tc.path, e.keyA, tc.body)
			if r.status != tc.status || r.errBody(t).Field != tc.field {
				t.Fatalf("status = %d, want %d field %q: %s", r.status, tc.status, tc.field, r.body)
			}
			if e.store.writeCount() != before {
				t.Fatalf("a refused patch wrote")
			}
		})
	}
	e.must(http.StatusNotFound, "GET", "/api/v1/integrations/"+newID()+"/mappings", e.keyA, nil, nil)
}

func TestAssets(t *testing.T) {
	e := newEnv(t)
	v := e.createIntegration(e.keyA, "A")
	w := e.createIntegration(e.keyA, "W")
	clientID := e.createClient(e.keyA, "Acme")
	want := map[string]bool{}
	for i := range 5 {
		status := "online"
		if i%2 == 1 {
			status = "offline"
		}
		want[e.store.addAsset(e.tenantA, v.ID, fmt.Sprintf("pc-%d", i), status, &clientID).ID] = true
	}
	elsewhere := e.store.addAsset(e.tenantA, w.ID, "srv", "overdue", nil)

	// Walk every page of two.
	seen := map[string]bool{}
	after := ""
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatalf("paging does not end")
		}
		var page listPage[store.Asset]
		e.must(http.StatusOK, "GET", "/api/v1/assets?limit=2&integration_id="+v.ID+"&after="+after, e.keyA, nil, &page)
		for _, a := range page.Items {
			if seen[a.ID] || !want[a.ID] {
				t.Fatalf("asset %s repeated or foreign", a.ID)
			}
			seen[a.ID] = true
		}
		if page.NextAfter == nil {
			break
		}
		if len(page.Items) != 2 || *page.NextAfter != page.Items[1].ID {
			t.Fatalf("page = %d items, next %v", len(page.Items), *page.NextAfter)
		}
		after = *page.NextAfter
	}
	if len(seen) != 5 {
		t.Fatalf("saw %d of 5 assets", len(seen))
	}

	filters := []struct {
		query string
		n     int
	}{
		{"agent_status=offline", 2},
		{"agent_status=overdue", 1},
		{"client_id=" + clientID, 5},
		{"integration_id=" + w.ID, 1},
		{"integration_id=" + newID(), 0},
		{"", 6},
	}
	for _, f := range filters {
		var page listPage[store.Asset]
		e.must(http.StatusOK, "GET", "/api/v1/assets?"+f.query, e.keyA, nil, &page)
		if len(page.Items) != f.n || page.Items == nil {
			t.Errorf("%s: %d assets, want %d", f.query, len(page.Items), f.n)
		}
	}
	for _, q := range []string{"agent_status=asleep", "client_id=acme", "integration_id=1"} {
		if r := e.do("GET", "/api/v1/assets?"+q, e.keyA, nil); r.status != http.StatusBadRequest {
			t.Errorf("%s = %d", q, r.status)
		}
	}

	var a store.Asset
	e.must(http.StatusOK, "GET", "/api/v1/assets/"+elsewhere.ID, e.keyA, nil, &a)
	if a.ID != elsewhere.ID || a.AgentStatus != "overdue" {
		t.Fatalf("asset = %+v", a)
	}
	e.must(http.StatusNotFound, "GET", "/api/v1/assets/"+newID(), e.keyA, nil, nil)

	e.store.addSoftware(elsewhere.ID, "7-Zip", "Firefox", "Git")
	var sw listPage[store.AssetSoftware]
	e.must(http.StatusOK, "GET", "/api/v1/assets/"+elsewhere.ID+"/software?limit=2", e.keyA, nil, &sw)
	if len(sw.Items) != 2 || sw.NextAfter == nil {
		t.Fatalf("software page 1 = %+v", sw)
	}
	var sw2 listPage[store.AssetSoftware]
	e.must(http.StatusOK, "GET", "/api/v1/assets/"+elsewhere.ID+"/software?limit=2&after="+*sw.NextAfter, e.keyA, nil, &sw2)
	if len(sw2.Items) != 1 || sw2.NextAfter != nil {
		t.Fatalf("software page 2 = %+v", sw2)
	}
	e.must(http.StatusNotFound, "GET", "/api/v1/assets/"+newID()+"/software", e.keyA, nil, nil)
}

func TestAlerts(t *testing.T) {
	e := newEnv(t)
	v := e.createIntegration(e.keyA, "Al")
	for range 3 {
		e.store.addAlert(e.tenantA, v.ID, "active")
	}
	e.store.addAlert(e.tenantA, v.ID, "resolved")
	cases := []struct {
		query string
		n     int
		more  bool
	}{
		{"", 4, false},
		{"status=active", 3, false},
		{"status=resolved&integration_id=" + v.ID, 1, false},
		{"limit=3", 3, true},
		{"integration_id=" + newID(), 0, false},
	}
	for _, tc := range cases {
		var page listPage[store.Alert]
		e.must(http.StatusOK, "GET", "/api/v1/alerts?"+tc.query, e.keyA, nil, &page)
		if len(page.Items) != tc.n || (page.NextAfter != nil) != tc.more {
			t.Errorf("%q: %d alerts, next %v; want %d, more %v", tc.query, len(page.Items), page.NextAfter, tc.n, tc.more)
		}
	}
	if r := e.do("GET", "/api/v1/alerts?status=open", e.keyA, nil); r.status != http.StatusBadRequest || r.errBody(t).Field != "status" {
		t.Fatalf("bad status = %d: %s", r.status, r.body)
	}
}
