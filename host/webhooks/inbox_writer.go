package webhooks

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/msp-psa/psa-host/host/store"
)

// Group commit limits: a batch takes what is queued, up to these.
const (
	maxBatchRows  = 256
	maxBatchBytes = 8 << 20
)

// inboxWriter is ingress's group commit. Every commit waits for a WAL
// flush, so one transaction per delivery caps ingress at the disk's flush
// rate; instead, deliveries that arrive while a batch is being written
// queue up and the next batch stores them all with one statement and one
// commit. There is no linger: a writer takes what is queued now, so an
// idle host stores a lone delivery at once. Writers run only while there
// is work, so there is nothing to start or stop.
type inboxWriter struct {
	insert  func(ctx context.Context, rows []store.InboxRow) ([]store.InboxInsert, error)
	wake    func()
	writers int

	mu      sync.Mutex
	queue   []*queuedDelivery
	running int // writers running
}

// queuedDelivery is one delivery waiting for its batch.
type queuedDelivery struct {
	row      store.InboxRow
	size     int // body bytes
	deadline time.Time
	// taken is set, under inboxWriter.mu, when a writer takes it; until
	// then the request may withdraw it (cancelled), and then no writer
	// stores it.
	taken, cancelled bool
	done             chan store.InboxInsert // buffered: the writer never waits
}

func newInboxWriter(insert func(context.Context, []store.InboxRow) ([]store.InboxInsert, error), wake func(), writers int) *inboxWriter {
	return &inboxWriter{insert: insert, wake: wake, writers: max(writers, 1)}
}

// store queues row (of size body bytes) for the next batch and waits for
// its outcome. If ctx ends while it still waits in the queue, it is
// withdrawn and not stored.
// Once a writer took it, the outcome is awaited whatever ctx does, so the
// answer says truly whether d was stored; the batch is bounded by the
// latest deadline of its deliveries.
func (w *inboxWriter) store(ctx context.Context, row store.InboxRow, size int) (store.InboxItem, error) {
	q := &queuedDelivery{row: row, size: size, done: make(chan store.InboxInsert, 1)}
	q.deadline, _ = ctx.Deadline()
	w.mu.Lock()
	w.queue = append(w.queue, q)
	start := w.running < w.writers
	if start {
		w.running++
	}
	w.mu.Unlock()
	if start {
		go w.run()
	}
	select {
	case r := <-q.done:
		return r.Item, r.Err
	case <-ctx.Done():
	}
	w.mu.Lock()
	if !q.taken {
		q.cancelled = true
		w.mu.Unlock()
		return store.InboxItem{}, fmt.Errorf("store webhook: not stored before the deadline: %w", ctx.Err())
	}
	w.mu.Unlock()
	r := <-q.done
	return r.Item, r.Err
}

// run writes batches until the queue is empty.
func (w *inboxWriter) run() {
	for {
		batch := w.take()
		if len(batch) == 0 {
			return
		}
		w.write(batch)
	}
}

// take removes what is queued, up to the batch limits, and marks it
// taken; with nothing queued it retires the writer.
func (w *inboxWriter) take() []*queuedDelivery {
	w.mu.Lock()
	defer w.mu.Unlock()
	var batch []*queuedDelivery
	bytes, n := 0, 0
	for _, q := range w.queue {
		if len(batch) > 0 && (len(batch) >= maxBatchRows || bytes+q.size > maxBatchBytes) {
			break
		}
		n++
		if q.cancelled {
			continue
		}
		q.taken = true
		bytes += q.size
		batch = append(batch, q)
	}
	clear(w.queue[:n]) // let the taken ones be collected
	w.queue = w.queue[n:]
	if len(w.queue) == 0 {
		w.queue = nil
	}
	if len(batch) == 0 {
		w.running--
		return nil
	}
	return batch
}

// write stores a batch and answers each of its deliveries.
func (w *inboxWriter) write(batch []*queuedDelivery) {
	var deadline time.Time
	rows := make([]store.InboxRow, len(batch))
	for i, q := range batch {
		rows[i] = q.row
		if q.deadline.IsZero() {
			q.deadline = time.Now().Add(DefaultStoreTimeout)
		}
		if q.deadline.After(deadline) {
			deadline = q.deadline
		}
	}
	out, err := w.insertSafely(deadline, rows)
	if err == nil && len(out) != len(batch) {
		err = fmt.Errorf("store webhooks: %d outcomes for %d deliveries", len(out), len(batch))
	}
	if err != nil {
		for _, q := range batch {
			q.done <- store.InboxInsert{Err: err}
		}
		return
	}
	for _, r := range out {
		if r.Err == nil {
			// Before any answer: whoever got a 202 may count on the
			// wake-up having been sent.
			w.wake()
			break
		}
	}
	for i, q := range batch {
		q.done <- out[i]
	}
}

// insertSafely runs the insert by deadline; a panic becomes the batch's
// error, so that it neither stops the host (this goroutine is not a
// request's) nor leaves the waiters without an answer.
func (w *inboxWriter) insertSafely(deadline time.Time, rows []store.InboxRow) (out []store.InboxInsert, err error) {
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	defer func() {
		if p := recover(); p != nil {
			out, err = nil, fmt.Errorf("store webhooks: panic: %v", p)
		}
	}()
	return w.insert(ctx, rows)
}
