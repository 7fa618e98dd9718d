package providertest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// streamsWithRecords runs f as a subtest for every declared stream whose
// upstream holds at least min records, and skips t when there is none.
func streamsWithRecords(t testing.TB, l *leg, u Upstream, atLeast int, f func(t testing.TB, b bulkCall, n int)) {
	t.Helper()
	ran := false
	for _, b := range bulkCalls() {
		n := b.count(u.Expect)
		if !l.supports(b.cap) || n < atLeast {
			continue
		}
		ran = true
		subtest(t, b.name, func(t testing.TB) { f(t, b, n) })
	}
	if !ran {
		t.Skipf("no stream is declared with %d records or more in Expect", atLeast)
	}
}

// checkSinkError: when the sink refuses a batch, the call stops and returns
// an error wrapping the sink's.
func checkSinkError(t testing.TB, l *leg) {
	u := l.upstream(t)
	streamsWithRecords(t, l, u, 1, func(t testing.TB, b bulkCall, n int) {
		refuseAt := min(2, n)
		sinkErr := fmt.Errorf("providertest: the sink refuses batch %d of %s", refuseAt, b.name)
		st, err := call(t, l, b.name, l.h.callTimeout(), func(ctx context.Context) (sinkStats, error) {
			_, st, err := b.run(ctx, l.p, u, u.Valid, 1, func(n int) error {
				if n == refuseAt {
					return sinkErr
				}
				return nil
			})
			return st, err
		})
		if len(st.batches) < refuseAt {
			t.Fatalf("%s with MaxBatch 1 sent %d batches of %d records, so the sink never refused one", b.name, len(st.batches), n)
		}
		if !errors.Is(err, sinkErr) {
			t.Errorf("the sink refused batch %d; want an error wrapping the sink's, got %s", refuseAt, describeErr(err))
		}
		if st.late > 0 {
			t.Errorf("%d more batches were sent after the sink refused one", st.late)
		}
	})
}

// checkSinkCancel: a ctx cancelled mid-stream stops the call promptly with
// context.Canceled.
func checkSinkCancel(t testing.TB, l *leg) {
	u := l.upstream(t)
	streamsWithRecords(t, l, u, 2, func(t testing.TB, b bulkCall, n int) {
		type res struct {
			st       sinkStats
			sinceEnd time.Duration // from the cancel to the return
		}
		r, err := call(t, l, b.name, l.h.callTimeout(), func(ctx context.Context) (res, error) {
			ctx, cancel := context.WithCancel(ctx)
			defer cancel()
			var mu sync.Mutex
			var cancelled time.Time
			_, st, err := b.run(ctx, l.p, u, u.Valid, 1, func(n int) error {
				if n == 1 {
					mu.Lock()
					cancelled = time.Now()
					mu.Unlock()
					cancel()
				}
				return nil
			})
			mu.Lock()
			defer mu.Unlock()
			if cancelled.IsZero() {
				return res{st: st}, err
			}
			return res{st: st, sinceEnd: time.Since(cancelled)}, err
		})
		if len(r.st.batches) == 0 {
			t.Fatalf("%s sent no batch, so its ctx was never cancelled; got %s", b.name, describeErr(err))
		}
		if !errors.Is(err, context.Canceled) {
			t.Errorf("ctx was cancelled after batch 1 of %d records; want context.Canceled, got %s", n, describeErr(err))
		}
		if r.sinceEnd > l.h.graceTime() {
			t.Errorf("returned %v after its ctx was cancelled", r.sinceEnd)
		}
	})
}
