package store

import (
	"encoding/json"
	"errors"
	"maps"
	"testing"

	"github.com/msp-psa/psa-host/shared/rmm"
)

func TestUpsertOrgs(t *testing.T) {
	ts := newTestStore(t)
	ctx := t.Context()
	f := ts.newFixture(t, "a")
	orgs := []rmm.Org{
		{ExternalID: "1", Name: "One", Sites: []rmm.Site{{ExternalID: "s1", Name: "HQ"}}, Raw: json.RawMessage(`{"id": 1}`)},
		{ExternalID: "2", Name: "Two", Description: "second"},
		{ExternalID: "", Name: "no id"},
	}
	c, err := ts.UpsertOrgs(ctx, f.tenant, f.integration, orgs)
	if err != nil {
		t.Fatal(err)
	}
	if c != (Counts{Created: 2, Failed: 1}) {
		t.Fatalf("first sync = %+v", c)
	}
	before := ts.rowVersions(t, "rmm_organization_mappings")
	c, err = ts.UpsertOrgs(ctx, f.tenant, f.integration, orgs)
	if err != nil {
		t.Fatal(err)
	}
	if c != (Counts{Unchanged: 2, Failed: 1}) {
		t.Fatalf("unchanged sync = %+v", c)
	}
	if after := ts.rowVersions(t, "rmm_organization_mappings"); !maps.Equal(before, after) {
		t.Fatalf("an unchanged sync touched rows:\n%v\n%v", before, after)
	}

	ms, err := ts.ListMappings(ctx, f.tenant, f.integration)
	if err != nil || len(ms) != 2 {
		t.Fatalf("ListMappings = %+v, %v", ms, err)
	}
	one := ms[0]
	if one.ExternalOrganizationID != "1" || one.ClientID != nil || !one.AutoSyncAssets || one.LastSyncedAt == nil {
		t.Fatalf("mapping = %+v", one)
	}
	var meta struct {
		Raw map[string]int `json:"raw"`
	}
	if err := json.Unmarshal(one.Metadata, &meta); err != nil || meta.Raw["id"] != 1 {
		t.Fatalf("metadata = %s, %v", one.Metadata, err)
	}
	if _, err := ts.UpdateMapping(ctx, f.tenant, f.integration, one.ID, MappingPatch{ClientID: &f.client}); err != nil {
		t.Fatal(err)
	}

	// A rename updates the name and keeps the mapping's client; the last
	// occurrence of an org in a batch wins.
	c, err = ts.UpsertOrgs(ctx, f.tenant, f.integration, []rmm.Org{
		{ExternalID: "1", Name: "Old name"}, {ExternalID: "1", Name: "One Renamed", Sites: orgs[0].Sites, Raw: orgs[0].Raw},
		orgs[1],
	})
	if err != nil {
		t.Fatal(err)
	}
	if c != (Counts{Updated: 1, Unchanged: 1}) {
		t.Fatalf("rename = %+v", c)
	}
	ms, _ = ts.ListMappings(ctx, f.tenant, f.integration)
	if ms[0].ExternalOrganizationName != "One Renamed" || ms[0].ClientID == nil || *ms[0].ClientID != f.client {
		t.Fatalf("after rename: %+v", ms[0])
	}

	b := ts.newFixture(t, "b")
	if _, err := ts.UpsertOrgs(ctx, b.tenant, f.integration, orgs); !errors.Is(err, ErrNotFound) {
		t.Fatalf("UpsertOrgs into another tenant's integration = %v", err)
	}
	if _, err := ts.ListMappings(ctx, b.tenant, f.integration); !errors.Is(err, ErrNotFound) {
		t.Fatalf("ListMappings of another tenant's integration = %v", err)
	}
}

func TestUpdateMappingAndSyncTargets(t *testing.T) {
	ts := newTestStore(t)
	ctx := t.Context()
	f := ts.newFixture(t, "a")
	b := ts.newFixture(t, "b")
	if _, err := ts.UpsertOrgs(ctx, f.tenant, f.integration, []rmm.Org{{ExternalID: "1", Name: "One"}, {ExternalID: "2", Name: "Two"}}); err != nil {
		t.Fatal(err)
	}
	ms, _ := ts.ListMappings(ctx, f.tenant, f.integration)
	one, two := ms[0], ms[1]
	targets := func() map[string]string {
		t.Helper()
		m, err := ts.SyncTargets(ctx, f.tenant, f.integration)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	if len(targets()) != 0 {
		t.Fatal("unmapped organisations are sync targets")
	}
	if _, err := ts.UpdateMapping(ctx, f.tenant, f.integration, one.ID, MappingPatch{ClientID: &f.client}); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.UpdateMapping(ctx, f.tenant, f.integration, two.ID, MappingPatch{ClientID: &f.client, AutoSyncAssets: ptr(false)}); err != nil {
		t.Fatal(err)
	}
	if got := targets(); !maps.Equal(got, map[string]string{"1": f.client}) {
		t.Fatalf("targets = %v", got)
	}

	// Remapping moves the organisation's assets to the new client.
	if _, err := ts.UpsertDevices(ctx, f.tenant, f.integration, "tacticalrmm", targets(), []rmm.Device{testDevice(1, "1")}); err != nil {
		t.Fatal(err)
	}
	second, _ := ts.CreateClient(ctx, f.tenant, "Second")
	m, err := ts.UpdateMapping(ctx, f.tenant, f.integration, one.ID, MappingPatch{ClientID: &second.ID})
	if err != nil || m.ClientID == nil || *m.ClientID != second.ID {
		t.Fatalf("remap = %+v, %v", m, err)
	}
	assets, _ := ts.ListAssets(ctx, f.tenant, AssetFilter{})
	if len(assets) != 1 || *assets[0].ClientID != second.ID {
		t.Fatalf("assets after remap: %+v", assets)
	}

	m, err = ts.UpdateMapping(ctx, f.tenant, f.integration, one.ID, MappingPatch{ClearClient: true})
	if err != nil || m.ClientID != nil {
		t.Fatalf("unmap = %+v, %v", m, err)
	}
	if len(targets()) != 0 {
		t.Fatal("an unmapped organisation is still a sync target")
	}

	var inv *InvalidError
	for _, tc := range []struct {
		name   string
		client string
	}{{"another tenant's client", b.client}, {"malformed", "x"}, {"unknown", "00000000-0000-0000-0000-000000000000"}} {
		if _, err := ts.UpdateMapping(ctx, f.tenant, f.integration, one.ID, MappingPatch{ClientID: &tc.client}); !errors.As(err, &inv) || inv.Field != "client_id" {
			t.Fatalf("%s: %v", tc.name, err)
		}
	}
	for _, tc := range []struct{ name, tenant, integration, mapping string }{
		{"other tenant", b.tenant, f.integration, one.ID},
		{"other integration", f.tenant, b.integration, one.ID},
		{"malformed", f.tenant, f.integration, "nope"},
	} {
		if _, err := ts.UpdateMapping(ctx, tc.tenant, tc.integration, tc.mapping, MappingPatch{ClientID: &b.client}); !errors.Is(err, ErrNotFound) {
			t.Fatalf("%s: %v", tc.name, err)
		}
	}
	if _, err := ts.SyncTargets(ctx, b.tenant, f.integration); !errors.Is(err, ErrNotFound) {
		t.Fatalf("SyncTargets of another tenant's integration = %v", err)
	}
}
