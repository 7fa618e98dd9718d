package providertest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/msp-psa/psa-host/shared/rmm"
)

// isolationRounds is how many times each upstream is synced concurrently.
const isolationRounds = 3

// checkIsolation: one provider instance serving two upstreams at once never
// hands one upstream's devices to the other.
func checkIsolation(t testing.TB, l *leg) {
	l.require(t, rmm.CapSyncDevices)
	a, b := l.upstream(t), l.upstream(t)
	if a.Valid.ID == b.Valid.ID && a.Valid.Revision == b.Valid.Revision {
		t.Fatalf("harness: two upstreams share the integration ID %q and Revision %d", a.Valid.ID, a.Valid.Revision)
	}
	if a.KnownDeviceID == "" || a.KnownDeviceID == b.KnownDeviceID {
		t.Fatalf("harness: two upstreams must hold different devices, each named by its KnownDeviceID (got %q and %q)", a.KnownDeviceID, b.KnownDeviceID)
	}
	ups := []Upstream{a, b}
	check := func(when string, i int, ids []string) {
		own, other := ups[i].KnownDeviceID, ups[1-i].KnownDeviceID
		if !slices.Contains(ids, own) {
			t.Errorf("%s: upstream %c's devices lack its own device %q", when, 'A'+i, own)
		}
		if slices.Contains(ids, other) {
			t.Errorf("%s: upstream %c's devices include %q of upstream %c", when, 'A'+i, other, 'B'-i)
		}
	}
	// First one after the other, to know what each holds.
	alone := make([][]string, 2)
	for i, u := range ups {
		res, err := l.syncDevices(t, full(u.Valid))
		if err != nil {
			t.Fatalf("SyncDevices of upstream %c: %s", 'A'+i, describeErr(err))
		}
		alone[i] = deviceIDs(res.items)
		check("one after the other", i, alone[i])
	}
	if mixed := intersect(alone[0], alone[1]); len(mixed) > 0 {
		t.Fatalf("upstreams A and B share devices %q: the provider mixes them up (or the harness seeded both alike)", mixed)
	}
	// Then all at once.
	type result struct {
		upstream int
		ids      []string
		err      error
	}
	results := make(chan result, 2*isolationRounds)
	var wg sync.WaitGroup
	for range isolationRounds {
		for i, u := range ups {
			wg.Go(func() {
				ctx, cancel := context.WithTimeout(t.Context(), l.h.callTimeout())
				defer cancel()
				c := &collector[rmm.Device]{}
				_, err := l.p.SyncDevices(ctx, full(u.Valid), c)
				items, _ := c.result()
				results <- result{i, deviceIDs(items), err}
			})
		}
	}
	if !waitFor(&wg, l.h.callTimeout()+l.h.graceTime()) {
		t.Fatalf("concurrent SyncDevices calls have not returned after %v", l.h.callTimeout()+l.h.graceTime())
	}
	close(results)
	for r := range results {
		when := fmt.Sprintf("concurrently (upstream %c)", 'A'+r.upstream)
		if r.err != nil {
			l.scanErr(t, when, r.err)
			t.Errorf("%s: SyncDevices: %s", when, describeErr(r.err))
			continue
		}
		check(when, r.upstream, r.ids)
		if !slices.Equal(r.ids, alone[r.upstream]) {
			t.Errorf("%s: got devices %q, alone it sent %q", when, r.ids, alone[r.upstream])
		}
	}
}

func deviceIDs(ds []rmm.Device) []string {
	ids := make([]string, len(ds))
	for i, d := range ds {
		ids[i] = d.ExternalID
	}
	slices.Sort(ids)
	return ids
}

func intersect(a, b []string) []string {
	var out []string
	for _, s := range a {
		if slices.Contains(b, s) {
			out = append(out, s)
		}
	}
	return out
}

// waitFor waits for wg for at most d and reports whether it finished.
func waitFor(wg *sync.WaitGroup, d time.Duration) bool {
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return true
	case <-time.After(d):
		return false
	}
}
