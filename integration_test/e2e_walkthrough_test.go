package integration_test

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/msp-psa/psa-host/integration_test/hostproc"
	"github.com/msp-psa/psa-host/provider/tacticalrmm/tacticalfake"
)

// walk is the state the walkthrough's steps share.
type walk struct {
	env         *e2eEnv
	fake        *tacticalfake.Server
	api         *hostproc.Client
	tenantID    string
	integration apiIntegration
	clientOf    map[int]string // Tactical client id -> PSA client id, as mapped
	orgID       int            // the first Tactical client mapped
}

// TestE2EWalkthrough is issue #4's story with an API key, through the real
// psa-host, the real Tactical plugin, the fake Tactical and PostgreSQL:
// connect, sync organisations, map one, sync its devices and check every
// asset field, re-sync without rewriting a row, follow an agent that moved
// to another client, ingest software and backfill alerts twice without
// duplicates, then disconnect and keep the data.
func TestE2EWalkthrough(t *testing.T) {
	fake := tacticalfake.NewT(t, tacticalfake.Options{Fleet: tacticalfake.FleetSpec{
		Clients: 3, SitesPerClient: 2, Agents: 30, SoftwarePerWindowsAgent: 8, Alerts: 60, Seed: 11,
	}})
	steadyStatuses(fake)
	env := startE2E(t)
	env.addSecret("the Tactical API key", tacticalfake.DefaultAPIKey)
	tenantID, api := env.tenant(t, "Walkthrough MSP")
	w := &walk{env: env, fake: fake, api: api, tenantID: tenantID, clientOf: map[int]string{}}

	w.connect(t)
	w.syncAndMapOrg(t)
	w.syncDevices(t)
	w.resyncRewritesNothing(t)
	w.followMovedAgent(t)
	w.softwareTwice(t)
	w.alertsTwice(t)
	w.disconnect(t)
}

// connect creates the integration with an API key and tests it.
func (w *walk) connect(t *testing.T) {
	in := createIntegration(t, w.api, "Tactical (API key)", w.fake.URL(), "api_key",
		map[string]string{"api_key": tacticalfake.DefaultAPIKey})
	w.integration = in
	if in.Connection != "not_connected" || !in.HasCredentials || in.IsActive {
		t.Errorf("new integration: connection %q, has_credentials %v, is_active %v; want not_connected, true, false",
			in.Connection, in.HasCredentials, in.IsActive)
	}
	wantMasked := []apiSecret{{Name: "api_key", Masked: "****" + tacticalfake.DefaultAPIKey[len(tacticalfake.DefaultAPIKey)-4:]}}
	if !slices.Equal(in.Secrets, wantMasked) {
		t.Errorf("new integration shows secrets %+v, want only %+v (masked; the webhook secret left out)", in.Secrets, wantMasked)
	}
	if names := secretNames(t, w.env.db, w.tenantID, in.ID); !slices.Equal(names, []string{"api_key", "webhook_secret"}) {
		t.Errorf("tenant_secrets holds %v, want [api_key webhook_secret]", names)
	}
	if got := w.env.storedSecret(t, w.tenantID, in.ID, "api_key"); got != tacticalfake.DefaultAPIKey {
		t.Error("the stored api_key does not decrypt to the key given")
	}
	hookSecret := w.env.storedSecret(t, w.tenantID, in.ID, "webhook_secret")
	w.env.addSecret("the webhook secret", hookSecret)
	var hook struct {
		SecretMasked string `json:"secret_masked"`
	}
	if _, err := w.api.Do(t.Context(), http.MethodGet, "/api/v1/integrations/"+in.ID+"/webhook", nil, &hook); err != nil {
		t.Fatalf("webhook settings: %v", err)
	}
	if want := "****" + hookSecret[len(hookSecret)-4:]; hook.SecretMasked != want {
		t.Errorf("webhook settings show the secret as %q, want %q", hook.SecretMasked, want)
	}

	// A wrong key fails the test as a result, and is no more shown or
	// logged than a right one.
	const wrongKey = "WRONGTACTICALAPIKEY0000000000042"
	w.env.addSecret("a wrong Tactical API key", wrongKey)
	bad := createIntegration(t, w.api, "Tactical (wrong key)", w.fake.URL(), "api_key", map[string]string{"api_key": wrongKey})
	if res := testConnection(t, w.api, bad.ID, ""); res.OK || res.Reason != "bad_api_key" {
		t.Errorf("test with a wrong key: %+v; want not ok, reason bad_api_key", res)
	}
	var list apiPage[apiIntegration]
	if _, err := w.api.Do(t.Context(), http.MethodGet, "/api/v1/integrations", nil, &list); err != nil || len(list.Items) != 2 {
		t.Errorf("list integrations: %d items, %v; want 2", len(list.Items), err)
	}

	res := testConnection(t, w.api, in.ID, "")
	if !res.OK || !strings.Contains(res.ServerVersion, tacticalfake.DefaultVersion) {
		t.Fatalf("test connection: %+v; want ok with server version %s", res, tacticalfake.DefaultVersion)
	}
	if got := getIntegration(t, w.api, in.ID); got.Connection != "connected" || !got.IsActive {
		t.Errorf("after a passing test: connection %q, is_active %v; want connected, true", got.Connection, got.IsActive)
	}
}

// syncAndMapOrg syncs the Tactical clients and maps one to a PSA client.
func (w *walk) syncAndMapOrg(t *testing.T) {
	j := syncOK(t, w.api, w.integration.ID, "orgs")
	clients := w.fake.Clients()
	if j.Counts.Created != int64(len(clients)) || j.Counts.Failed != 0 {
		t.Errorf("orgs sync counts %+v, want %d created", j.Counts, len(clients))
	}
	mappings := listMappings(t, w.api, w.integration.ID)
	if len(mappings) != len(clients) {
		t.Fatalf("%d mappings, want one per Tactical client (%d)", len(mappings), len(clients))
	}
	for _, c := range clients {
		i := slices.IndexFunc(mappings, func(m apiMapping) bool { return m.ExternalOrgID == strconv.Itoa(c.ID) })
		if i < 0 {
			t.Errorf("no mapping for Tactical client %d %q", c.ID, c.Name)
			continue
		}
		if m := mappings[i]; m.ExternalName != c.Name || m.ClientID != nil {
			t.Errorf("mapping of Tactical client %d: %+v, want name %q and no PSA client yet", c.ID, m, c.Name)
		}
	}
	w.orgID = variedClient(t, w.fake)
	client := createClient(t, w.api, "Customer "+strconv.Itoa(w.orgID))
	mapOrg(t, w.api, w.integration.ID, strconv.Itoa(w.orgID), client.ID)
	w.clientOf[w.orgID] = client.ID
}

// syncDevices syncs the mapped client's agents and checks every field.
func (w *walk) syncDevices(t *testing.T) {
	n := len(agentsOf(w.fake, w.orgID))
	j := syncOK(t, w.api, w.integration.ID, "devices")
	if j.Counts.Created != int64(n) || j.Counts.Updated != 0 || j.Counts.Failed != 0 {
		t.Errorf("first device sync counts %+v, want %d created and nothing else", j.Counts, n)
	}
	stored := checkAssets(t, w.env.db, w.fake, w.tenantID, w.integration.ID, w.clientOf)

	// The API shows the same assets.
	listed := listAllAssets(t, w.api, url.Values{"integration_id": {w.integration.ID}})
	if len(listed) != n {
		t.Errorf("GET /api/v1/assets lists %d assets, want %d", len(listed), n)
	}
	for _, a := range listed {
		s, ok := stored[a.RMMDeviceID]
		if !ok || s.assetID != a.ID || a.ClientID == nil || *a.ClientID != w.clientOf[w.orgID] ||
			a.Name != s.cols["asset.name"] || a.AgentStatus != s.cols["asset.agent_status"] {
			t.Errorf("API asset %+v does not match the stored one", a)
		}
	}
}

// resyncRewritesNothing syncs the unchanged fleet again: every device is
// counted unchanged and no row of the device tables is written.
func (w *walk) resyncRewritesNothing(t *testing.T) {
	n := len(agentsOf(w.fake, w.orgID))
	before := rowVersions(t, w.env.db, w.tenantID)
	if len(before) < 3*n {
		t.Fatalf("only %d device-table rows for %d devices before the re-sync", len(before), n)
	}
	j := syncOK(t, w.api, w.integration.ID, "devices")
	if j.Counts.Unchanged != int64(n) || j.Counts.Created != 0 || j.Counts.Updated != 0 || j.Counts.Failed != 0 {
		t.Errorf("re-sync counts %+v, want %d unchanged and nothing else", j.Counts, n)
	}
	if diff := diffVersions(before, rowVersions(t, w.env.db, w.tenantID)); len(diff) > 0 {
		t.Errorf("the re-sync of an unchanged fleet wrote %d rows:\n%s", len(diff), strings.Join(diff, "\n"))
	}
}

// followMovedAgent moves an agent to a site of another Tactical client,
// maps that client too and syncs: the same asset follows the agent.
func (w *walk) followMovedAgent(t *testing.T) {
	var moved tacticalfake.AgentView
	for _, v := range agentsOf(w.fake, w.orgID) {
		if v.Platform == "windows" && v.MonitoringType == "workstation" {
			moved = v
			break
		}
	}
	var target tacticalfake.ClientInfo
	for _, c := range w.fake.Clients() {
		if c.ID != w.orgID && len(c.SiteIDs) > 0 {
			target = c
			break
		}
	}
	if moved.AgentID == "" || target.ID == 0 {
		t.Fatal("the fleet has no agent to move or no other client to move it to")
	}
	before := storedAssets(t, w.env.db, w.tenantID, w.integration.ID)[moved.AgentID]
	if err := w.fake.MoveAgent(moved.Index, target.SiteIDs[0]); err != nil {
		t.Fatal(err)
	}
	client := createClient(t, w.api, "Customer "+strconv.Itoa(target.ID))
	mapOrg(t, w.api, w.integration.ID, strconv.Itoa(target.ID), client.ID)
	w.clientOf[target.ID] = client.ID

	stayed := len(agentsOf(w.fake, w.orgID))
	arrived := len(agentsOf(w.fake, target.ID)) - 1 // the moved agent is not new
	j := syncOK(t, w.api, w.integration.ID, "devices")
	if j.Counts.Created != int64(arrived) || j.Counts.Updated != 1 || j.Counts.Unchanged != int64(stayed) || j.Counts.Failed != 0 {
		t.Errorf("sync after the move: counts %+v, want %d created, 1 updated, %d unchanged", j.Counts, arrived, stayed)
	}
	stored := checkAssets(t, w.env.db, w.fake, w.tenantID, w.integration.ID, w.clientOf)
	after := stored[moved.AgentID]
	if after.assetID != before.assetID {
		t.Errorf("the moved agent's asset is %s, was %s: it must be the same asset", after.assetID, before.assetID)
	}
	if after.cols["asset.client_id"] != client.ID {
		t.Errorf("the moved agent's asset belongs to client %s, want %s", after.cols["asset.client_id"], client.ID)
	}
	if n := countRows(t, w.env.db, "assets", w.tenantID, "t.rmm_device_id = $2", moved.AgentID); n != 1 {
		t.Errorf("%d assets for the moved agent, want 1", n)
	}
}
