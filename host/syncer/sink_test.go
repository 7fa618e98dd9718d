package syncer

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/msp-psa/psa-host/host/store"
	"github.com/msp-psa/psa-host/shared/rmm"
)

// claimedProgress queues and claims a job for a writer to report on.
func claimedProgress(t *testing.T, h *harness) *progress {
	t.Helper()
	if _, _, err := h.r.Enqueue(t.Context(), h.tenant, h.integration, store.JobSoftware, "full"); err != nil {
		t.Fatal(err)
	}
	job, ok, err := h.st.ClaimJob(t.Context(), h.r.Owner(), h.r.opts.Lease)
	if err != nil || !ok {
		t.Fatalf("claim: %v %v", ok, err)
	}
	return &progress{r: h.r, job: job, cancel: func(error) {}}
}

// Several writers write every batch once, each with its own items even
// though the sender reuses its slice, retry a batch PostgreSQL aborted for
// a deadlock, and save a cursor only after every batch before it.
func TestBatchWriterWritesConcurrently(t *testing.T) {
	h := newHarness(t)
	p := claimedProgress(t, h)
	var mu sync.Mutex
	var written []int
	var inFlight, most, deadlocks atomic.Int32
	release := make(chan struct{})
	started := make(chan int, 16)
	w := newBatchWriter(t.Context(), p, 3, func(ctx context.Context, items []int) (store.Counts, error) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		if items[0] == 1 && deadlocks.Add(1) == 1 {
			return store.Counts{}, &pgconn.PgError{Code: "40P01", Message: "deadlock detected"}
		}
		if items[0] == 0 || items[0] == 2 {
			started <- items[0]
			select { // batches 0 and 2 stay in flight until both are
			case <-release:
			case <-time.After(10 * time.Second): // a serial writer never gets there
			}
		}
		mu.Lock()
		written = append(written, items...)
		mu.Unlock()
		return store.Counts{Created: int64(len(items))}, nil
	})
	buf := make([]int, 1)
	for i := range 6 {
		buf[0] = i
		b := rmm.Batch[int]{Items: buf, Total: 6}
		if i == 5 {
			b.Cursor = []byte(`"after-5"`)
		}
		if i == 3 {
			for range 2 {
				select {
				case <-started:
				case <-time.After(10 * time.Second):
					t.Fatal("batches 0 and 2 were never in flight together")
				}
			}
			close(release)
		}
		if err := w.Send(t.Context(), b); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.wait(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(written)
	if !slices.Equal(written, []int{0, 1, 2, 3, 4, 5}) {
		t.Errorf("written %v, want each of 0..5 once", written)
	}
	if most.Load() < 2 {
		t.Errorf("at most %d writes ran at once, want concurrent writes", most.Load())
	}
	if deadlocks.Load() != 2 {
		t.Errorf("batch 1 was tried %d times, want 2 (one deadlock, one retry)", deadlocks.Load())
	}
	cursor, err := h.st.Cursor(t.Context(), h.tenant, h.integration, store.JobSoftware)
	if err != nil || string(cursor) != `"after-5"` {
		t.Errorf("cursor = %s, %v", cursor, err)
	}
	if processed, _, c := p.snapshot(); processed != 6 || c.Created != 6 {
		t.Errorf("progress %d, %+v; want 6 created", processed, c)
	}
}

// A failed write fails the sends after it and the wait; other errors are
// not retried.
func TestBatchWriterReportsTheFirstFailure(t *testing.T) {
	h := newHarness(t)
	p := claimedProgress(t, h)
	boom := errors.New("disk full")
	var calls atomic.Int32
	w := newBatchWriter(t.Context(), p, 2, func(ctx context.Context, items []int) (store.Counts, error) {
		calls.Add(1)
		return store.Counts{}, boom
	})
	var sendErr error
	for i := range 20 {
		if sendErr = w.Send(t.Context(), rmm.Batch[int]{Items: []int{i}}); sendErr != nil {
			break
		}
	}
	if err := w.wait(); !errors.Is(err, boom) {
		t.Fatalf("wait = %v, want the write's error", err)
	}
	if !errors.Is(sendErr, boom) {
		t.Errorf("sends went on after the failure (last send error %v)", sendErr)
	}
	if n := calls.Load(); n > 3 {
		t.Errorf("%d writes attempted; a failure must stop the stream", n)
	}
}
