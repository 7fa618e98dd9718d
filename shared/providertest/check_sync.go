package providertest

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"testing"

	"github.com/msp-psa/psa-host/shared/rmm"
)

func (l *leg) syncOrgs(t testing.TB, req rmm.SyncRequest) (streamResult[rmm.Org], error) {
	t.Helper()
	return bulk(t, l, "SyncOrgs", &collector[rmm.Org]{}, func(ctx context.Context, out rmm.Sink[rmm.Org]) (rmm.SyncSummary, error) {
		return l.p.SyncOrgs(ctx, req, out)
	})
}

func (l *leg) syncDevices(t testing.TB, req rmm.SyncRequest) (streamResult[rmm.Device], error) {
	t.Helper()
	return bulk(t, l, "SyncDevices", &collector[rmm.Device]{}, func(ctx context.Context, out rmm.Sink[rmm.Device]) (rmm.SyncSummary, error) {
		return l.p.SyncDevices(ctx, req, out)
	})
}

func full(in rmm.Integration) rmm.SyncRequest {
	return rmm.SyncRequest{Integration: in, Mode: rmm.SyncFull}
}

// checkSyncOrgs: every org arrives once, with an id, in well-formed batches.
func checkSyncOrgs(t testing.TB, l *leg) {
	l.require(t, rmm.CapSyncOrgs)
	u := l.upstream(t)
	res, err := l.syncOrgs(t, full(u.Valid))
	if err != nil {
		t.Fatalf("SyncOrgs: %s", describeErr(err))
	}
	if len(res.items) != u.Expect.Orgs {
		t.Errorf("SyncOrgs sent %d orgs, want %d", len(res.items), u.Expect.Orgs)
	}
	checkBatches(t, "SyncOrgs", res.batches, len(res.items), 0, res.sum)
	checkIDs(t, "org", res.items, func(o rmm.Org) string { return o.ExternalID })
	for _, o := range res.items {
		checkIDs(t, "site of org "+o.ExternalID, o.Sites, func(s rmm.Site) string { return s.ExternalID })
	}
}

// checkSyncDevices: every device arrives once, with an id, belonging to a
// synced org, in well-formed batches.
func checkSyncDevices(t testing.TB, l *leg) {
	l.require(t, rmm.CapSyncDevices)
	u := l.upstream(t)
	res, err := l.syncDevices(t, full(u.Valid))
	if err != nil {
		t.Fatalf("SyncDevices: %s", describeErr(err))
	}
	if len(res.items) != u.Expect.Devices {
		t.Errorf("SyncDevices sent %d devices, want %d", len(res.items), u.Expect.Devices)
	}
	checkBatches(t, "SyncDevices", res.batches, len(res.items), 0, res.sum)
	checkIDs(t, "device", res.items, func(d rmm.Device) string { return d.ExternalID })
	if l.supports(rmm.CapIncrementalDevices) && res.sum.Cursor == nil {
		t.Errorf("declares %q but a full SyncDevices returned no cursor to continue from", rmm.CapIncrementalDevices)
	}
	if !l.supports(rmm.CapSyncOrgs) {
		return
	}
	orgs, err := l.syncOrgs(t, full(u.Valid))
	if err != nil {
		t.Fatalf("SyncOrgs: %s", describeErr(err))
	}
	known := map[string]bool{}
	for _, o := range orgs.items {
		known[o.ExternalID] = true
	}
	for _, d := range res.items {
		if !known[d.OrgExternalID] {
			t.Errorf("device %q belongs to org %q, which SyncOrgs did not send", d.ExternalID, d.OrgExternalID)
		}
	}
}

// checkSyncIdempotent: two full syncs give the same records.
func checkSyncIdempotent(t testing.TB, l *leg) {
	if !l.supports(rmm.CapSyncOrgs) && !l.supports(rmm.CapSyncDevices) {
		t.Skip("the provider declares neither sync_orgs nor sync_devices")
	}
	u := l.upstream(t)
	if l.supports(rmm.CapSyncOrgs) {
		a, errA := l.syncOrgs(t, full(u.Valid))
		b, errB := l.syncOrgs(t, full(u.Valid))
		if errA != nil || errB != nil {
			t.Fatalf("SyncOrgs: %s; %s", describeErr(errA), describeErr(errB))
		}
		sameRecords(t, "SyncOrgs", a.items, b.items, func(o rmm.Org) (string, rmm.Org) { o.Raw = nil; return o.ExternalID, o })
	}
	if l.supports(rmm.CapSyncDevices) {
		a, errA := l.syncDevices(t, full(u.Valid))
		b, errB := l.syncDevices(t, full(u.Valid))
		if errA != nil || errB != nil {
			t.Fatalf("SyncDevices: %s; %s", describeErr(errA), describeErr(errB))
		}
		sameRecords(t, "SyncDevices", a.items, b.items, func(d rmm.Device) (string, rmm.Device) { d.Raw = nil; return d.ExternalID, d })
	}
}

// checkMaxBatch: every stream honours a small MaxBatch.
func checkMaxBatch(t testing.TB, l *leg) {
	u := l.upstream(t)
	ran := false
	for _, b := range bulkCalls() {
		n := b.count(u.Expect)
		if !l.supports(b.cap) || n < 2 {
			continue
		}
		ran = true
		subtest(t, b.name, func(t testing.TB) {
			maxBatch := min(7, n-1) // small enough to need two batches
			type res struct {
				sum rmm.SyncSummary
				st  sinkStats
			}
			r, err := call(t, l, b.name, l.h.callTimeout(), func(ctx context.Context) (res, error) {
				sum, st, err := b.run(ctx, l.p, u, u.Valid, maxBatch, nil)
				return res{sum, st}, err
			})
			if err != nil {
				t.Fatalf("%s with MaxBatch %d: %s", b.name, maxBatch, describeErr(err))
			}
			if r.st.records != n {
				t.Errorf("%s with MaxBatch %d sent %d records, want %d", b.name, maxBatch, r.st.records, n)
			}
			checkBatches(t, b.name, r.st.batches, r.st.records, maxBatch, r.sum)
		})
	}
	if !ran {
		t.Skip("no stream is declared with two records or more in Expect")
	}
}

// checkOrgFilter: SyncDevices limited to one org sends exactly its devices.
func checkOrgFilter(t testing.TB, l *leg) {
	l.require(t, rmm.CapSyncDevices)
	u := l.upstream(t)
	all, err := l.syncDevices(t, full(u.Valid))
	if err != nil {
		t.Fatalf("SyncDevices: %s", describeErr(err))
	}
	byOrg := map[string][]string{}
	for _, d := range all.items {
		byOrg[d.OrgExternalID] = append(byOrg[d.OrgExternalID], d.ExternalID)
	}
	if len(byOrg) < 2 {
		t.Skip("the upstream's devices belong to fewer than two orgs")
	}
	org := slices.Sorted(maps.Keys(byOrg))[0]
	req := full(u.Valid)
	req.OrgExternalIDs = []string{org}
	some, err := l.syncDevices(t, req)
	if err != nil {
		t.Fatalf("SyncDevices for org %q: %s", org, describeErr(err))
	}
	var got []string
	for _, d := range some.items {
		got = append(got, d.ExternalID)
		if d.OrgExternalID != org {
			t.Errorf("SyncDevices for org %q sent device %q of org %q", org, d.ExternalID, d.OrgExternalID)
		}
	}
	if want := byOrg[org]; !slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want))) {
		t.Errorf("SyncDevices for org %q sent %d devices %v, want %d %v", org, len(got), got, len(want), want)
	}
}

// checkIncremental: after one device changes, an incremental sync from the
// last cursor sends that device and not the whole fleet.
func checkIncremental(t testing.TB, l *leg) {
	l.require(t, rmm.CapSyncDevices, rmm.CapIncrementalDevices)
	u := l.upstream(t)
	if u.Mutate == nil {
		t.Skip("the harness gives no Upstream.Mutate")
	}
	first, err := l.syncDevices(t, full(u.Valid))
	if err != nil {
		t.Fatalf("SyncDevices: %s", describeErr(err))
	}
	if first.sum.Cursor == nil {
		t.Fatal("a full SyncDevices returned no cursor")
	}
	changed := u.Mutate(t)
	req := rmm.SyncRequest{Integration: u.Valid, Mode: rmm.SyncIncremental, Cursor: first.sum.Cursor}
	next, err := l.syncDevices(t, req)
	if err != nil {
		t.Fatalf("incremental SyncDevices: %s", describeErr(err))
	}
	checkBatches(t, "incremental SyncDevices", next.batches, len(next.items), 0, next.sum)
	checkIDs(t, "device", next.items, func(d rmm.Device) string { return d.ExternalID })
	if !slices.ContainsFunc(next.items, func(d rmm.Device) bool { return d.ExternalID == changed }) {
		t.Errorf("incremental SyncDevices did not send the changed device %q", changed)
	}
	if len(first.items) > 1 && len(next.items) >= len(first.items) {
		t.Errorf("incremental SyncDevices sent %d devices after one changed: the whole fleet, not the changes", len(next.items))
	}
	if next.sum.Cursor == nil {
		t.Error("incremental SyncDevices returned no cursor")
	}
}

// checkIDs fails t for empty or duplicate ids.
func checkIDs[T any](t testing.TB, what string, items []T, id func(T) string) {
	t.Helper()
	seen := map[string]bool{}
	for i, it := range items {
		k := id(it)
		switch {
		case k == "":
			t.Errorf("%s %d has no ExternalID", what, i+1)
		case seen[k]:
			t.Errorf("%s %q was sent twice", what, k)
		}
		seen[k] = true
	}
}

// sameRecords fails t unless a and b hold the same records by key, compared
// as JSON (so that equal times in different locations compare equal).
func sameRecords[T any](t testing.TB, what string, a, b []T, norm func(T) (string, T)) {
	t.Helper()
	index := func(items []T) map[string]string {
		m := map[string]string{}
		for _, it := range items {
			k, v := norm(it)
			js, err := json.Marshal(v)
			if err != nil {
				t.Fatalf("%s: encode record %q: %v", what, k, err)
			}
			m[k] = string(js)
		}
		return m
	}
	ma, mb := index(a), index(b)
	if len(ma) != len(mb) {
		t.Errorf("%s: first run sent %d records, second %d", what, len(ma), len(mb))
	}
	for k, va := range ma {
		vb, ok := mb[k]
		switch {
		case !ok:
			t.Errorf("%s: record %q of the first run is missing from the second (ids are not stable)", what, k)
		case va != vb:
			t.Errorf("%s: record %q differs between two runs:\n first:  %s\n second: %s", what, k, va, vb)
		}
	}
}
