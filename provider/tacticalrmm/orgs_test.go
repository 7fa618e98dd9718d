package tacticalrmm

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/msp-psa/psa-host/shared/rmm"
)

// TestSyncOrgsReadsThePlainArrayClientList: /beta/v1/client/ is not
// paginated (API.md §10.3); sites are, and attach to their client.
func TestSyncOrgsReadsThePlainArrayClientList(t *testing.T) {
	f := newFixtureServer(t)
	p, _ := newTestProvider(t)
	out := &collector[rmm.Org]{}
	sum, err := p.SyncOrgs(t.Context(), rmm.SyncRequest{Integration: f.integration()}, out)
	if err != nil {
		t.Fatal(err)
	}
	want := []rmm.Org{
		{ExternalID: "3", Name: "Acme Dental", Sites: []rmm.Site{{ExternalID: "7", Name: "Main Office"}, {ExternalID: "8", Name: "Westside Clinic"}}},
		{ExternalID: "4", Name: "Brightline Logistics", Sites: []rmm.Site{{ExternalID: "9", Name: "Warehouse DC"}}},
		{ExternalID: "6", Name: "Harbor View Legal"},
	}
	if len(out.items) != len(want) {
		t.Fatalf("got %d orgs, want %d", len(out.items), len(want))
	}
	for i, w := range want {
		g := out.items[i]
		var raw map[string]any
		if err := json.Unmarshal(g.Raw, &raw); err != nil || raw["name"] != w.Name {
			t.Errorf("org %s Raw = %s", w.ExternalID, g.Raw)
		}
		g.Raw = nil
		if !reflect.DeepEqual(g, w) {
			t.Errorf("org %d:\n got %+v\nwant %+v", i, g, w)
		}
	}
	if sum.Sent != 3 || sum.Cursor == nil {
		t.Errorf("summary = %+v", sum)
	}
	if out.batches[0].Total != 3 {
		t.Errorf("Total = %d, want 3", out.batches[0].Total)
	}
}

func TestSyncOrgsAcceptsAPagedClientList(t *testing.T) {
	f := newFixtureServer(t)
	p, _ := newTestProvider(t)
	// Swap the client list for an envelope, as a future version might send.
	srv := wrapHandler(t, f, "/beta/v1/client/", `{"count":1,"next":null,"previous":null,"results":[{"id":4,"name":"Brightline Logistics"}]}`)
	in := f.integration()
	in.BaseURL = srv.URL
	out := &collector[rmm.Org]{}
	if _, err := p.SyncOrgs(t.Context(), rmm.SyncRequest{Integration: in}, out); err != nil {
		t.Fatal(err)
	}
	if len(out.items) != 1 || out.items[0].ExternalID != "4" || len(out.items[0].Sites) != 1 {
		t.Errorf("orgs = %+v", out.items)
	}
}
