package api

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/msp-psa/psa-host/host/pgcluster/pgtest"
	"github.com/msp-psa/psa-host/host/secrets"
	"github.com/msp-psa/psa-host/host/store"
	"github.com/msp-psa/psa-host/shared/rmm"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// storeSyncer does what the API asks of host/syncer directly on the real
// store, without plugins: enough to drive every route end to end.
type storeSyncer struct {
	st     *store.Store
	result rmm.TestConnectionResult
}

func (s *storeSyncer) Enqueue(ctx context.Context, tenantID, integrationID, kind, mode string) (store.Job, bool, error) {
	return s.st.EnqueueJob(ctx, tenantID, integrationID, kind, mode)
}

func (s *storeSyncer) TestConnection(ctx context.Context, tenantID, integrationID, _ string) (rmm.TestConnectionResult, error) {
	if err := s.st.RecordConnectionTest(ctx, tenantID, integrationID, s.result.OK, s.result.Message); err != nil {
		return rmm.TestConnectionResult{}, err
	}
	return s.result, nil
}

func (s *storeSyncer) SyncAgent(ctx context.Context, tenantID, integrationID, externalID string) (store.Asset, error) {
	targets, err := s.st.SyncTargets(ctx, tenantID, integrationID)
	if err != nil {
		return store.Asset{}, err
	}
	dev := rmm.Device{ExternalID: externalID, OrgExternalID: "org-1", Hostname: externalID,
		Kind: rmm.KindWorkstation, Status: rmm.StatusOnline, LastSeen: time.Now()}
	if _, err := s.st.UpsertDevices(ctx, tenantID, integrationID, "tacticalrmm", targets, []rmm.Device{dev}); err != nil {
		return store.Asset{}, err
	}
	return s.st.AssetByDevice(ctx, tenantID, integrationID, externalID)
}

// newRealEnv serves the API over a freshly migrated PostgreSQL database.
func newRealEnv(t *testing.T) (*env, *store.Store) {
	t.Helper()
	dsn := pgtest.New(t)
	if err := store.MigrateUp(t.Context(), dsn); err != nil {
		t.Fatal(err)
	}
	box, err := secrets.NewBox(bytes.Repeat([]byte{7}, secrets.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(t.Context(), dsn, box)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	e := &env{t: t, logs: &lockedBuffer{}, providers: &fakeProviders{running: map[string]*fakeProvider{
		"tacticalrmm": {meta: tacticalMeta()},
	}}}
	for _, tn := range []struct{ id, key *string }{{&e.tenantA, &e.keyA}, {&e.tenantB, &e.keyB}} {
		tenant, key, err := st.CreateTenant(t.Context(), "tenant "+newID())
		if err != nil {
			t.Fatal(err)
		}
		*tn.id, *tn.key = tenant.ID, key
	}
	srv := httptest.NewServer(New(Config{
		Store: st, Syncer: &storeSyncer{st: st, result: rmm.TestConnectionResult{OK: true, Message: "connected"}},
		Providers: e.providers, Logger: hclog.New(&hclog.LoggerOptions{Output: e.logs, Level: hclog.Trace}),
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("host log:\n%s", e.logs.String())
		}
	})
	e.srv = srv
	return e, st
}

// TestWithRealStore drives every route against PostgreSQL: the store's
// tenant scoping, masking and paging as the API exposes them.
func TestWithRealStore(t *testing.T) {
	e, st := newRealEnv(t)
	ctx := t.Context()
	const password = "P@ssw0rd-correct-horse-battery-staple-2b7e151628aed2a6"

	e.must(http.StatusOK, "GET", "/healthz", "", nil, nil)

	clientID := e.createClient(e.keyA, "Acme")

	v := e.createIntegration(e.keyA, "Main")
	i := "/api/v1/integrations/" + v.ID
	if len(v.Secrets) != 1 || v.Secrets[0].Masked != "****XYZW" {
		t.Fatalf("secrets = %+v", v.Secrets)
	}
	pi, _, err := st.ProviderIntegration(ctx, e.tenantA, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	webhook := pi.Secret(webhookSecretName)
	if b, err := hex.DecodeString(webhook); err != nil || len(b) != 32 || pi.Secret("api_key") != testAPIKey {
		t.Fatalf("stored secrets: webhook %d chars, api key stored %v", len(webhook), pi.Secret("api_key") == testAPIKey)
	}

	var tested testConnectionResponse
	e.must(http.StatusOK, "POST", i+"/test", e.keyA, nil, &tested)
	var got integrationView
	e.must(http.StatusOK, "GET", i, e.keyA, nil, &got)
	if !tested.OK || got.Connection != "connected" || !got.IsActive {
		t.Fatalf("after a passing test: %+v / %+v", tested, got)
	}

	e.must(http.StatusOK, "PATCH", i, e.keyA, map[string]any{
		"auth_mode": "password", "credentials": map[string]string{"username": "admin", "password": password},
	}, &got)
	pi, _, _ = st.ProviderIntegration(ctx, e.tenantA, v.ID)
	if pi.Secret("api_key") != "" || pi.Secret("password") != password || pi.Secret(webhookSecretName) != webhook {
		t.Fatalf("auth mode switch: api key left %v, webhook kept %v", pi.Secret("api_key") != "", pi.Secret(webhookSecretName) == webhook)
	}

	// Mappings.
	if _, err := st.UpsertOrgs(ctx, e.tenantA, v.ID, []rmm.Org{{ExternalID: "org-1", Name: "One"}, {ExternalID: "org-2", Name: "Two"}}); err != nil {
		t.Fatal(err)
	}
	var maps listPage[store.Mapping]
	e.must(http.StatusOK, "GET", i+"/mappings", e.keyA, nil, &maps)
	if len(maps.Items) != 2 {
		t.Fatalf("mappings = %+v", maps.Items)
	}
	org1 := maps.Items[slices.IndexFunc(maps.Items, func(m store.Mapping) bool { return m.ExternalOrganizationID == "org-1" })]
	var m store.Mapping
	e.must(http.StatusOK, "PATCH", i+"/mappings/"+org1.ID, e.keyA, map[string]any{"client_id": clientID, "auto_sync_assets": true}, &m)
	if m.ClientID == nil || *m.ClientID != clientID || !m.AutoSyncAssets {
		t.Fatalf("mapping = %+v", m)
	}

	// One device now, then a fleet.
	var dev syncDeviceResponse
	e.must(http.StatusOK, "POST", i+"/devices/agent-1/sync", e.keyA, nil, &dev)
	if dev.Asset.RMMDeviceID != "agent-1" || dev.Asset.ClientID == nil || *dev.Asset.ClientID != clientID {
		t.Fatalf("synced asset = %+v", dev.Asset)
	}
	var fleet []rmm.Device
	for n := 2; n <= 5; n++ {
		fleet = append(fleet, rmm.Device{ExternalID: fmt.Sprintf("agent-%d", n), OrgExternalID: "org-1",
			Hostname: fmt.Sprintf("pc-%d", n), Kind: rmm.KindWorkstation, Status: rmm.StatusOffline})
	}
	if _, err := st.UpsertDevices(ctx, e.tenantA, v.ID, "tacticalrmm", map[string]string{"org-1": clientID}, fleet); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	after := ""
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatalf("asset paging does not end")
		}
		var page listPage[store.Asset]
		e.must(http.StatusOK, "GET", "/api/v1/assets?limit=2&client_id="+clientID+"&after="+after, e.keyA, nil, &page)
		for _, a := range page.Items {
			if seen[a.ID] {
				t.Fatalf("asset %s on two pages", a.ID)
			}
			seen[a.ID] = true
		}
		if page.NextAfter == nil {
			break
		}
		after = *page.NextAfter
	}
	if len(seen) != 5 {
		t.Fatalf("paged through %d assets, want 5", len(seen))
	}
	var offline listPage[store.Asset]
	e.must(http.StatusOK, "GET", "/api/v1/assets?agent_status=offline", e.keyA, nil, &offline)
	if len(offline.Items) != 4 {
		t.Fatalf("offline assets = %d, want 4", len(offline.Items))
	}
	assetPath := "/api/v1/assets/" + dev.Asset.ID
	e.must(http.StatusOK, "GET", assetPath, e.keyA, nil, nil)
	if _, err := st.UpsertSoftware(ctx, e.tenantA, v.ID, []rmm.SoftwareBatch{{DeviceExternalID: "agent-1",
		Items: []rmm.SoftwareItem{{Name: "7-Zip", Version: "23.01"}, {Name: "Firefox", Version: "128"}}}}); err != nil {
		t.Fatal(err)
	}
	var sw listPage[store.AssetSoftware]
	e.must(http.StatusOK, "GET", assetPath+"/software", e.keyA, nil, &sw)
	if len(sw.Items) != 2 {
		t.Fatalf("software = %+v", sw.Items)
	}

	// Alerts, newest first, paged.
	var alerts []rmm.Alert
	for n := range 3 {
		alerts = append(alerts, rmm.Alert{ExternalID: fmt.Sprintf("a-%d", n), DedupKey: fmt.Sprintf("k-%d", n),
			DeviceExternalID: "agent-1", Severity: rmm.SeverityMajor, State: rmm.AlertTriggered, Message: "disk full",
			TriggeredAt: time.Now().Add(-time.Duration(n) * time.Minute)})
	}
	if _, err := st.UpsertAlerts(ctx, e.tenantA, v.ID, alerts); err != nil {
		t.Fatal(err)
	}
	var a1, a2 listPage[store.Alert]
	e.must(http.StatusOK, "GET", "/api/v1/alerts?limit=2&status=active", e.keyA, nil, &a1)
	if len(a1.Items) != 2 || a1.NextAfter == nil {
		t.Fatalf("alerts page 1 = %+v", a1)
	}
	e.must(http.StatusOK, "GET", "/api/v1/alerts?limit=2&status=active&after="+*a1.NextAfter, e.keyA, nil, &a2)
	if len(a2.Items) != 1 || a2.NextAfter != nil || a2.Items[0].ID == a1.Items[0].ID || a2.Items[0].ID == a1.Items[1].ID {
		t.Fatalf("alerts page 2 = %+v", a2)
	}

	// Jobs.
	var job, again syncResponse
	e.must(http.StatusAccepted, "POST", i+"/sync", e.keyA, map[string]string{"kind": "devices"}, &job)
	e.must(http.StatusAccepted, "POST", i+"/sync", e.keyA, map[string]string{"kind": "devices"}, &again)
	if job.Existing || !again.Existing || again.JobID != job.JobID || job.Status != store.JobQueued {
		t.Fatalf("jobs = %+v then %+v", job, again)
	}
	e.must(http.StatusOK, "GET", "/api/v1/jobs/"+job.JobID, e.keyA, nil, nil)

	// Tenant B sees none of it.
	for _, f := range []struct{ method, path string }{
		{"GET", i}, {"PATCH", i}, {"DELETE", i}, {"POST", i + "/test"}, {"POST", i + "/sync"},
		{"POST", i + "/devices/agent-1/sync"}, {"GET", i + "/mappings"}, {"PATCH", i + "/mappings/" + org1.ID},
		{"GET", "/api/v1/jobs/" + job.JobID}, {"GET", assetPath}, {"GET", assetPath + "/software"},
		{"GET", "/api/v1/clients/" + clientID},
	} {
		body := map[string]any{}
		if strings.HasSuffix(f.path, "/sync") && !strings.Contains(f.path, "devices") {
			body["kind"] = "orgs"
		}
		if r := e.do(f.method, f.path, e.keyB, body); r.status != http.StatusNotFound {
			t.Errorf("B: %s %s = %d, want 404: %s", f.method, f.path, r.status, r.body)
		}
	}
	for _, path := range []string{"/api/v1/integrations", "/api/v1/clients", "/api/v1/assets", "/api/v1/alerts",
		"/api/v1/assets?client_id=" + clientID, "/api/v1/alerts?integration_id=" + v.ID} {
		var page listPage[map[string]any]
		e.must(http.StatusOK, "GET", path, e.keyB, nil, &page)
		if len(page.Items) != 0 {
			t.Errorf("B's %s lists %d of A's rows", path, len(page.Items))
		}
	}
	vb := e.createIntegration(e.keyB, "B's")
	if _, err := st.UpsertOrgs(ctx, e.tenantB, vb.ID, []rmm.Org{{ExternalID: "org-b", Name: "B org"}}); err != nil {
		t.Fatal(err)
	}
	var bm listPage[store.Mapping]
	e.must(http.StatusOK, "GET", "/api/v1/integrations/"+vb.ID+"/mappings", e.keyB, nil, &bm)
	r := e.do("PATCH", "/api/v1/integrations/"+vb.ID+"/mappings/"+bm.Items[0].ID, e.keyB, map[string]any{"client_id": clientID})
	if r.status != http.StatusUnprocessableEntity || r.errBody(t).Field != "client_id" {
		t.Fatalf("B mapping to A's client = %d: %s", r.status, r.body)
	}

	// Disconnect keeps only the webhook secret.
	e.must(http.StatusOK, "DELETE", i, e.keyA, nil, &got)
	pi, _, _ = st.ProviderIntegration(ctx, e.tenantA, v.ID)
	if got.HasCredentials || got.IsActive || len(pi.Secrets) != 1 || pi.Secret(webhookSecretName) != webhook {
		t.Fatalf("after disconnect: %+v, %d secrets stored", got, len(pi.Secrets))
	}

	logs := e.logs.String()
	for name, secret := range map[string]string{"api key": testAPIKey, "password": password, "webhook secret": webhook, "tenant key": e.keyA} {
		for n, a := range e.answers {
			if piece, ok := leaks(a, secret); ok {
				t.Errorf("answer %d holds %q of the %s", n, piece, name)
			}
		}
		if piece, ok := leaks(logs, secret); ok {
			t.Errorf("logs hold %q of the %s", piece, name)
		}
	}
}
