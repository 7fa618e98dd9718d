package webhooks

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/msp-psa/psa-host/host/store"
)

// fakeInserts is an insert function for the writer alone: it holds each
// batch until released, names each row it stores by its batch and place
// ("b2r1" is the second row of the second batch) and fails the rows named
// in fail.
type fakeInserts struct {
	fail map[string]bool

	mu      sync.Mutex
	batches []int
	entered chan struct{}
	release chan struct{}
}

func newFakeInserts(fail ...string) *fakeInserts {
	f := &fakeInserts{fail: map[string]bool{}, entered: make(chan struct{}, 16), release: make(chan struct{}, 16)}
	for _, name := range fail {
		f.fail[name] = true
	}
	return f
}

func (f *fakeInserts) insert(ctx context.Context, rows []store.InboxRow) ([]store.InboxInsert, error) {
	f.mu.Lock()
	f.batches = append(f.batches, len(rows))
	batch := len(f.batches)
	f.mu.Unlock()
	f.entered <- struct{}{}
	<-f.release
	out := make([]store.InboxInsert, len(rows))
	for i := range rows {
		name := fmt.Sprintf("b%dr%d", batch, i)
		if f.fail[name] {
			out[i].Err = store.ErrNotFound
			continue
		}
		out[i].Item = store.InboxItem{ID: name}
	}
	return out, ctx.Err()
}

func (f *fakeInserts) sizes() []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]int(nil), f.batches...)
}

// row is a delivery for the writer; its content does not matter to it.
func row(t *testing.T) store.InboxRow {
	t.Helper()
	r, err := store.NewInboxRow(store.NewInboxDelivery{TenantID: "00000000-0000-4000-8000-000000000001",
		IntegrationID: "00000000-0000-4000-8000-000000000002", Provider: "fake", Body: []byte(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (w *inboxWriter) writersRunning() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.running
}

// waitQueued waits until n deliveries wait for a writer.
func waitQueued(t *testing.T, w *inboxWriter, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for w.queued() != n {
		if time.Now().After(deadline) {
			t.Fatalf("%d queued, want %d", w.queued(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestInboxWriterAnswersEachWithItsOwnOutcome(t *testing.T) {
	f := newFakeInserts("b2r1")
	var woken atomic.Int64
	w := newInboxWriter(f.insert, func() { woken.Add(1) }, 1)
	ctx := t.Context()

	type result struct {
		id  string
		err error
	}
	results := make([]result, 4)
	var wg sync.WaitGroup
	wg.Go(func() {
		it, err := w.store(ctx, row(t), 2)
		results[0] = result{it.ID, err}
	})
	<-f.entered // the first is being written; the others queue behind it, in order
	for i := 1; i < 4; i++ {
		wg.Go(func() {
			it, err := w.store(ctx, row(t), 2)
			results[i] = result{it.ID, err}
		})
		waitQueued(t, w, i)
	}
	f.release <- struct{}{}
	<-f.entered
	f.release <- struct{}{}
	wg.Wait()

	if got := fmt.Sprint(f.sizes()); got != "[1 3]" {
		t.Fatalf("batches = %s", got)
	}
	want := []result{{"b1r0", nil}, {"b2r0", nil}, {"", store.ErrNotFound}, {"b2r2", nil}}
	for i, r := range results {
		if r.id != want[i].id || !errors.Is(r.err, want[i].err) || (want[i].err == nil) != (r.err == nil) {
			t.Errorf("delivery %d = %+v, want %+v", i, r, want[i])
		}
	}
	if woken.Load() != 2 {
		t.Fatalf("woken %d times, want once per batch that stored something", woken.Load())
	}
	// The writer retires once the queue is empty.
	deadline := time.Now().Add(10 * time.Second)
	for w.writersRunning() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d writers still running with nothing queued", w.writersRunning())
		}
		time.Sleep(time.Millisecond)
	}
}

func TestInboxWriterWithdrawsWhatWaitedPastItsDeadline(t *testing.T) {
	f := newFakeInserts()
	w := newInboxWriter(f.insert, func() {}, 1)
	var wg sync.WaitGroup
	var firstErr error
	wg.Go(func() { _, firstErr = w.store(t.Context(), row(t), 2) })
	<-f.entered

	// Queued behind the first, it gives up before a writer takes it: it
	// is never written, and says so.
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		_, err := w.store(ctx, row(t), 2)
		done <- err
	}()
	waitQueued(t, w, 1)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("withdrawn delivery = %v", err)
	}
	if w.queued() != 0 {
		t.Fatal("the withdrawn delivery is still queued")
	}

	// Taken by a writer, a delivery waits for its outcome whatever its
	// context does: the answer must tell whether it was stored.
	ctx2, cancel2 := context.WithCancel(t.Context())
	taken := make(chan error, 1)
	go func() {
		_, err := w.store(ctx2, row(t), 2)
		taken <- err
	}()
	waitQueued(t, w, 1)
	f.release <- struct{}{} // the first is done; the third is taken next
	<-f.entered
	cancel2()
	f.release <- struct{}{}
	if err := <-taken; err != nil {
		t.Fatalf("a delivery taken then cancelled = %v, want its outcome (stored)", err)
	}
	wg.Wait()
	if firstErr != nil {
		t.Fatal(firstErr)
	}
	if got := fmt.Sprint(f.sizes()); got != "[1 1]" {
		t.Fatalf("batches = %s; the withdrawn delivery must not be written", got)
	}
}

func TestInboxWriterTurnsAPanicIntoAnError(t *testing.T) {
	w := newInboxWriter(func(context.Context, []store.InboxRow) ([]store.InboxInsert, error) {
		panic("driver bug")
	}, func() { t.Error("woken after a panic") }, 1)
	if _, err := w.store(t.Context(), row(t), 2); err == nil {
		t.Fatal("a panicking insert reported success")
	}
	// The writer survives: the next delivery is written (and fails) too.
	if _, err := w.store(t.Context(), row(t), 2); err == nil {
		t.Fatal("second delivery reported success")
	}
}

// queued is how many deliveries wait for a writer .
func (w *inboxWriter) queued() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for _, q := range w.queue {
		if !q.cancelled {
			n++
		}
	}
	return n
}
