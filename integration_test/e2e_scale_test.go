package integration_test

import (
	"context"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/msp-psa/psa-host/provider/tacticalrmm/tacticalfake"
)

// TestE2EDeviceSync10000Agents runs a full device sync of a 10,000-agent
// Tactical fleet through the API and finds every agent as an asset, in
// the database and in the API's asset list.
func TestE2EDeviceSync10000Agents(t *testing.T) {
	const agents = 10_000
	fake := tacticalfake.NewT(t, tacticalfake.Options{Fleet: tacticalfake.FleetSpec{
		Clients: 2, SitesPerClient: 3, Agents: agents, Seed: 10,
		// A Windows row lists every service (about 20 kB, ten times a
		// Linux or macOS row); fewer of them keep the fake, which runs in
		// this process under the race detector, from dominating the time.
		WindowsShare: 0.1, LinuxShare: 0.45,
	}})
	env := startE2E(t)
	env.addSecret("the Tactical API key", tacticalfake.DefaultAPIKey)
	tenantID, api := env.tenant(t, "Large MSP")

	in := createIntegration(t, api, "Large Tactical", fake.URL(), "api_key", map[string]string{"api_key": tacticalfake.DefaultAPIKey})
	if res := testConnection(t, api, in.ID, ""); !res.OK {
		t.Fatalf("test connection: %+v", res)
	}
	syncOK(t, api, in.ID, "orgs")
	for _, c := range fake.Clients() {
		client := createClient(t, api, "Customer "+strconv.Itoa(c.ID))
		mapOrg(t, api, in.ID, strconv.Itoa(c.ID), client.ID)
	}

	// Generous: this bounds a hang, it is not a performance check.
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	j, err := api.Sync(ctx, in.ID, "devices", "full")
	if err != nil {
		t.Fatalf("device sync of %d agents: %v", agents, err)
	}
	if j.Counts.Created != agents || j.Counts.Failed != 0 || j.Processed != agents {
		t.Errorf("device sync: processed %d, counts %+v; want %d processed and created", j.Processed, j.Counts, agents)
	}
	if n := countRows(t, env.db, "assets", tenantID, "t.integration_id = $2", in.ID); n != agents {
		t.Errorf("%d assets stored, want %d", n, agents)
	}
	if n := countRows(t, env.db, "tenant_external_entity_mappings", tenantID, "t.integration_id = $2", in.ID); n != agents {
		t.Errorf("%d crosswalk rows stored, want %d", n, agents)
	}
	detail := countRows(t, env.db, "workstation_assets", tenantID, "") + countRows(t, env.db, "server_assets", tenantID, "")
	if detail != agents {
		t.Errorf("%d workstation or server rows stored, want %d", detail, agents)
	}

	listed := listAllAssets(t, api, url.Values{"integration_id": {in.ID}})
	devices := map[string]bool{}
	for _, a := range listed {
		devices[a.RMMDeviceID] = true
	}
	if len(listed) != agents || len(devices) != agents {
		t.Errorf("the API lists %d assets for %d devices, want %d", len(listed), len(devices), agents)
	}
	for _, i := range []int{0, agents / 2, agents - 1} {
		if v := fake.Agent(i); !devices[v.AgentID] {
			t.Errorf("agent %d (%s) is not listed", i, v.Hostname)
		}
	}
}
