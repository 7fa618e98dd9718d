package store

import (
	"errors"
	"testing"

	"github.com/msp-psa/psa-host/shared/rmm"
)

func TestListAssets(t *testing.T) {
	ts := newTestStore(t)
	ctx := t.Context()
	f := ts.newFixture(t, "a")
	b := ts.newFixture(t, "b")
	second, _ := ts.CreateClient(ctx, f.tenant, "second")
	devs := testDevices(7, "org-1")
	for i := range devs {
		if i >= 5 {
			devs[i].OrgExternalID = "org-2"
		}
		if i%2 == 1 {
			devs[i].Status = rmm.StatusOffline
		}
	}
	if _, err := ts.UpsertDevices(ctx, f.tenant, f.integration, "tacticalrmm", map[string]string{"org-1": f.client, "org-2": second.ID}, devs); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.UpsertDevices(ctx, b.tenant, b.integration, "tacticalrmm", map[string]string{"org-1": b.client}, devs); err != nil {
		t.Fatal(err)
	}
	var names []string
	after := ""
	for {
		page, err := ts.ListAssets(ctx, f.tenant, AssetFilter{Limit: 3, After: after})
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		for _, a := range page {
			names = append(names, a.Name)
			if len(a.Details) == 0 {
				t.Fatalf("%s has no details", a.Name)
			}
		}
		after = page[len(page)-1].ID
	}
	if len(names) != 7 || names[0] != "host-0000" || names[6] != "host-0006" {
		t.Fatalf("pages = %v", names)
	}
	for _, tc := range []struct {
		name string
		f    AssetFilter
		want int
	}{
		{"client", AssetFilter{ClientID: second.ID}, 2},
		{"status", AssetFilter{AgentStatus: "offline"}, 3},
		{"integration and status", AssetFilter{IntegrationID: f.integration, AgentStatus: "online"}, 4},
		{"another tenant's integration", AssetFilter{IntegrationID: b.integration}, 0},
		{"another tenant's client", AssetFilter{ClientID: b.client}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			list, err := ts.ListAssets(ctx, f.tenant, tc.f)
			if err != nil || len(list) != tc.want {
				t.Fatalf("ListAssets = %d assets, %v; want %d", len(list), err, tc.want)
			}
		})
	}
	var inv *InvalidError
	if _, err := ts.ListAssets(ctx, f.tenant, AssetFilter{ClientID: "nope"}); !errors.As(err, &inv) || inv.Field != "client_id" {
		t.Fatalf("malformed client id = %v", err)
	}
}

// TestTenantIsolation has tenant B ask for each of tenant A's things by id.
func TestTenantIsolation(t *testing.T) {
	ts := newTestStore(t)
	ctx := t.Context()
	a := ts.newFixture(t, "a")
	b := ts.newFixture(t, "b")
	if _, err := ts.UpsertOrgs(ctx, a.tenant, a.integration, []rmm.Org{{ExternalID: "org-1", Name: "One"}}); err != nil {
		t.Fatal(err)
	}
	ms, _ := ts.ListMappings(ctx, a.tenant, a.integration)
	if _, err := ts.UpsertDevices(ctx, a.tenant, a.integration, "tacticalrmm", map[string]string{"org-1": a.client}, []rmm.Device{testDevice(1, "org-1")}); err != nil {
		t.Fatal(err)
	}
	asset, _ := ts.AssetByDevice(ctx, a.tenant, a.integration, "agent-0001")
	job, _, _ := ts.EnqueueJob(ctx, a.tenant, a.integration, JobOrgs, "full")

	for _, tc := range []struct {
		name string
		call func() error
	}{
		{"GetClient", func() error { _, err := ts.GetClient(ctx, b.tenant, a.client); return err }},
		{"GetIntegration", func() error { _, err := ts.GetIntegration(ctx, b.tenant, a.integration); return err }},
		{"ProviderIntegration", func() error { _, _, err := ts.ProviderIntegration(ctx, b.tenant, a.integration); return err }},
		{"UpdateIntegration", func() error {
			_, err := ts.UpdateIntegration(ctx, b.tenant, a.integration, IntegrationPatch{Name: ptr("x")})
			return err
		}},
		{"DisconnectIntegration", func() error { _, err := ts.DisconnectIntegration(ctx, b.tenant, a.integration); return err }},
		{"RecordConnectionTest", func() error { return ts.RecordConnectionTest(ctx, b.tenant, a.integration, true, "") }},
		{"SaveSecrets", func() error { return ts.SaveSecrets(ctx, b.tenant, a.integration, map[string]string{"k": "v"}) }},
		{"ListMappings", func() error { _, err := ts.ListMappings(ctx, b.tenant, a.integration); return err }},
		{"UpdateMapping", func() error {
			_, err := ts.UpdateMapping(ctx, b.tenant, a.integration, ms[0].ID, MappingPatch{ClearClient: true})
			return err
		}},
		{"SyncTargets", func() error { _, err := ts.SyncTargets(ctx, b.tenant, a.integration); return err }},
		{"GetAsset", func() error { _, err := ts.GetAsset(ctx, b.tenant, asset.ID); return err }},
		{"AssetByDevice", func() error { _, err := ts.AssetByDevice(ctx, b.tenant, a.integration, "agent-0001"); return err }},
		{"AssetSoftware", func() error { _, err := ts.AssetSoftware(ctx, b.tenant, asset.ID); return err }},
		{"GetJob", func() error { _, err := ts.GetJob(ctx, b.tenant, job.ID); return err }},
		{"EnqueueJob", func() error { _, _, err := ts.EnqueueJob(ctx, b.tenant, a.integration, JobAlerts, "full"); return err }},
		{"Cursor", func() error { _, err := ts.Cursor(ctx, b.tenant, a.integration, JobOrgs); return err }},
		{"SaveCursor", func() error { return ts.SaveCursor(ctx, b.tenant, a.integration, JobOrgs, []byte("x")) }},
		{"BeginDeviceSync", func() error { _, err := ts.BeginDeviceSync(ctx, b.tenant, a.integration); return err }},
		{"UpsertOrgs", func() error {
			_, err := ts.UpsertOrgs(ctx, b.tenant, a.integration, []rmm.Org{{ExternalID: "x"}})
			return err
		}},
		{"UpsertDevices", func() error {
			_, err := ts.UpsertDevices(ctx, b.tenant, a.integration, "p", map[string]string{"org-1": b.client}, []rmm.Device{testDevice(2, "org-1")})
			return err
		}},
		{"UpsertSoftware", func() error {
			_, err := ts.UpsertSoftware(ctx, b.tenant, a.integration, []rmm.SoftwareBatch{{DeviceExternalID: "agent-0001"}})
			return err
		}},
		{"UpsertAlerts", func() error {
			_, err := ts.UpsertAlerts(ctx, b.tenant, a.integration, []rmm.Alert{{ExternalID: "x"}})
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.call(); !errors.Is(err, ErrNotFound) {
				t.Fatalf("err = %v, want ErrNotFound", err)
			}
		})
	}

	t.Run("lists", func(t *testing.T) {
		clients, _ := ts.ListClients(ctx, b.tenant)
		integrations, _ := ts.ListIntegrations(ctx, b.tenant)
		assets, _ := ts.ListAssets(ctx, b.tenant, AssetFilter{})
		alerts, _ := ts.ListAlerts(ctx, b.tenant, AlertFilter{})
		if len(clients) != 1 || clients[0].ID != b.client || len(integrations) != 1 || integrations[0].ID != b.integration ||
			len(assets) != 0 || len(alerts) != 0 {
			t.Fatalf("B sees %d clients, %d integrations, %d assets, %d alerts", len(clients), len(integrations), len(assets), len(alerts))
		}
	})

	// Nothing of A's changed.
	in, _ := ts.GetIntegration(ctx, a.tenant, a.integration)
	if in.Name != "a tactical" || in.Revision != 1 || in.IsActive {
		t.Fatalf("A's integration changed: %+v", in)
	}
	if got, _ := ts.ListMappings(ctx, a.tenant, a.integration); len(got) != 1 {
		t.Fatalf("A's mappings changed: %+v", got)
	}
}
