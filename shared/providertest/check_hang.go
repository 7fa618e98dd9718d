package providertest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/msp-psa/psa-host/shared/rmm"
)

// checkHangSafety: against an upstream that never answers, every call but
// webhooks returns by its deadline with context.DeadlineExceeded. The calls
// run at once, so the rule takes one HangTimeout, not one per call.
func checkHangSafety(t testing.TB, l *leg) {
	u := l.upstream(t)
	in := u.Hanging
	calls := map[string]func(ctx context.Context) error{}
	if l.supports(rmm.CapSyncAgent) {
		calls["SyncAgent"] = func(ctx context.Context) error {
			_, err := l.p.SyncAgent(ctx, rmm.SyncAgentRequest{Integration: in, DeviceExternalID: u.KnownDeviceID})
			return err
		}
	}
	for _, b := range bulkCalls() {
		if l.supports(b.cap) {
			calls[b.name] = func(ctx context.Context) error {
				_, _, err := b.run(ctx, l.p, u, in, 0, nil)
				return err
			}
		}
	}
	if len(calls) == 0 {
		t.Skip("the provider declares no call that reaches the upstream besides TestConnection")
	}
	type result struct {
		name    string
		err     error
		elapsed time.Duration
	}
	results := make(chan result, len(calls))
	var wg sync.WaitGroup
	for name, f := range calls {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(t.Context(), l.h.hangTimeout())
			defer cancel()
			start := time.Now()
			err := f(ctx)
			results <- result{name, err, time.Since(start)}
		})
	}
	limit := l.h.hangTimeout() + l.h.graceTime()
	if !waitFor(&wg, limit) {
		t.Fatalf("calls against a hanging upstream have not all returned after %v: the provider does not honour its ctx", limit)
	}
	close(results)
	for r := range results {
		l.scanErr(t, r.name, r.err)
		if !timedOut(r.err) {
			t.Errorf("%s against a hanging upstream: want context.DeadlineExceeded (or ErrUpstreamUnavailable), got %s", r.name, describeErr(r.err))
		}
	}
}
