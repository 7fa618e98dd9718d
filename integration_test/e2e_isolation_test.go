package integration_test

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/msp-psa/psa-host/integration_test/hostproc"
	"github.com/msp-psa/psa-host/provider/tacticalrmm/tacticalfake"
)

// TestE2ETenantIsolation gives tenant A a synced integration and checks
// that tenant B's key sees none of it: every route answers 404 for A's
// ids, B's lists are empty, and nothing B tries changes A's data.
func TestE2ETenantIsolation(t *testing.T) {
	fake := tacticalfake.NewT(t, tacticalfake.Options{Fleet: tacticalfake.FleetSpec{
		Clients: 2, SitesPerClient: 1, Agents: 10, SoftwarePerWindowsAgent: 3, Alerts: 15, Seed: 3,
	}})
	steadyStatuses(fake)
	env := startE2E(t)
	env.addSecret("the Tactical API key", tacticalfake.DefaultAPIKey)
	tenantA, apiA := env.tenant(t, "Tenant A")
	tenantB, apiB := env.tenant(t, "Tenant B")

	// Tenant A: a connected, mapped, synced integration.
	const integrationName = "Tactical of tenant A"
	clientA := createClient(t, apiA, "Client of A")
	in := createIntegration(t, apiA, integrationName, fake.URL(), "api_key", map[string]string{"api_key": tacticalfake.DefaultAPIKey})
	env.addSecret("the webhook secret", env.storedSecret(t, tenantA, in.ID, "webhook_secret"))
	if res := testConnection(t, apiA, in.ID, ""); !res.OK {
		t.Fatalf("test connection: %+v", res)
	}
	syncOK(t, apiA, in.ID, "orgs")
	org := fake.Clients()[0].ID
	mapping := mapOrg(t, apiA, in.ID, strconv.Itoa(org), clientA.ID)
	job := syncOK(t, apiA, in.ID, "devices")
	syncOK(t, apiA, in.ID, "alerts")
	syncOK(t, apiA, in.ID, "software")
	assets := storedAssets(t, env.db, tenantA, in.ID)
	if len(assets) == 0 {
		t.Fatal("tenant A has no asset to hide")
	}
	var assetID, deviceID string
	for d, a := range assets {
		assetID, deviceID = a.assetID, d
		break
	}
	tables := []string{"assets", "tenant_external_entity_mappings", "rmm_organization_mappings", "rmm_alerts", "asset_software", "sync_jobs", "tenant_secrets"}
	countsA := map[string]int{}
	for _, tb := range tables {
		countsA[tb] = countRows(t, env.db, tb, tenantA, "")
	}

	// Tenant B's lists are empty, even filtered by A's integration.
	clientB := createClient(t, apiB, "Client of B")
	for _, path := range []string{
		"/api/v1/integrations", "/api/v1/assets", "/api/v1/alerts", "/api/v1/webhooks/inbox",
		"/api/v1/assets?integration_id=" + in.ID, "/api/v1/alerts?integration_id=" + in.ID,
		"/api/v1/assets?client_id=" + clientA.ID,
	} {
		var page apiPage[map[string]any]
		if _, err := apiB.Do(t.Context(), http.MethodGet, path, nil, &page); err != nil {
			t.Errorf("B: GET %s: %v", path, err)
		} else if len(page.Items) != 0 {
			t.Errorf("B: GET %s lists %d items of tenant A", path, len(page.Items))
		}
	}
	var clients apiPage[apiClient]
	if _, err := apiB.Do(t.Context(), http.MethodGet, "/api/v1/clients", nil, &clients); err != nil {
		t.Fatal(err)
	}
	if len(clients.Items) != 1 || clients.Items[0].ID != clientB.ID {
		t.Errorf("B lists clients %+v, want only its own", clients.Items)
	}

	// Every route answers 404 for A's ids, without a word about them.
	integ := "/api/v1/integrations/" + in.ID
	for _, c := range []struct {
		method, path string
		body         any
	}{
		{http.MethodGet, "/api/v1/clients/" + clientA.ID, nil},
		{http.MethodGet, integ, nil},
		{http.MethodPatch, integ, map[string]any{"name": "stolen"}},
		{http.MethodPatch, integ, map[string]any{"credentials": map[string]string{"api_key": "ATTACKERKEY0000000000000000000001"}}},
		{http.MethodDelete, integ, nil},
		{http.MethodPost, integ + "/test", map[string]any{}},
		{http.MethodPost, integ + "/sync", map[string]string{"kind": "devices"}},
		{http.MethodPost, integ + "/devices/" + deviceID + "/sync", nil},
		{http.MethodGet, integ + "/mappings", nil},
		{http.MethodPatch, integ + "/mappings/" + mapping.ID, map[string]any{"client_id": nil}},
		{http.MethodPatch, integ + "/mappings/" + mapping.ID, map[string]any{"client_id": clientB.ID}},
		{http.MethodGet, integ + "/webhook", nil},
		{http.MethodPost, integ + "/webhook/rotate", nil},
		{http.MethodGet, "/api/v1/jobs/" + job.ID, nil},
		{http.MethodGet, "/api/v1/assets/" + assetID, nil},
		{http.MethodGet, "/api/v1/assets/" + assetID + "/software", nil},
	} {
		_, err := apiB.Do(t.Context(), c.method, c.path, c.body, nil)
		he, _ := errors.AsType[*hostproc.Error](err)
		switch {
		case he == nil:
			t.Errorf("B: %s %s: %v; want 404", c.method, c.path, err)
		case he.Status != http.StatusNotFound || !strings.Contains(he.Body, `"not_found"`):
			t.Errorf("B: %s %s answered %d %s; want 404 not_found", c.method, c.path, he.Status, he.Body)
		case strings.Contains(he.Body, integrationName) || strings.Contains(he.Body, deviceID):
			t.Errorf("B: %s %s: the 404 tells about A's data: %s", c.method, c.path, he.Body)
		}
	}

	// A cannot map its organisation to B's client either.
	_, err := apiA.Do(t.Context(), http.MethodPatch, integ+"/mappings/"+mapping.ID, map[string]any{"client_id": clientB.ID}, nil)
	if s := statusOf(err); s < 400 || s >= 500 {
		t.Errorf("A mapping to B's client: %v; want a 4xx", err)
	}

	// Names are per tenant: B may use A's integration name.
	inB := createIntegration(t, apiB, integrationName, fake.URL(), "api_key", map[string]string{"api_key": tacticalfake.DefaultAPIKey})
	if inB.ID == in.ID {
		t.Error("B's integration has A's id")
	}

	// Nothing B tried changed A's data.
	got := getIntegration(t, apiA, in.ID)
	if got.Connection != "connected" || !got.HasCredentials {
		t.Errorf("A's integration after B's attempts: connection %q, has_credentials %v", got.Connection, got.HasCredentials)
	}
	if key := env.storedSecret(t, tenantA, in.ID, "api_key"); key != tacticalfake.DefaultAPIKey {
		t.Error("A's API key changed")
	}
	mappings := listMappings(t, apiA, in.ID)
	if i := slices.IndexFunc(mappings, func(m apiMapping) bool { return m.ID == mapping.ID }); i < 0 ||
		mappings[i].ClientID == nil || *mappings[i].ClientID != clientA.ID {
		t.Errorf("A's mappings after B's attempts: %+v; want %s still mapped to %s", mappings, mapping.ID, clientA.ID)
	}
	for _, tb := range tables {
		if n := countRows(t, env.db, tb, tenantA, ""); n != countsA[tb] {
			t.Errorf("tenant A's %s: %d rows after B's attempts, had %d", tb, n, countsA[tb])
		}
	}
	for _, tb := range []string{"assets", "rmm_alerts", "asset_software", "sync_jobs", "rmm_organization_mappings"} {
		if n := countRows(t, env.db, tb, tenantB, ""); n != 0 {
			t.Errorf("tenant B has %d rows in %s", n, tb)
		}
	}
}
