package syncer

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/msp-psa/psa-host/host/store"
	"github.com/msp-psa/psa-host/shared/rmm"
)

// writeAttempts bounds how often a batch is written again after
// PostgreSQL aborted it for a deadlock with another batch.
const writeAttempts = 3

// batchWriter writes each batch in its own transaction and reports
// progress after the commit. With more than one writer, batches are
// written concurrently, so that the database works on one batch while the
// host receives and prepares the next (and, on more than one core, on two
// at once). Only kinds whose batches are independent may use several
// writers: software inventories of different devices, for instance, not
// alert events, whose order matters.
type batchWriter[T any] struct {
	p     *progress
	write func(context.Context, []T) (store.Counts, error)
	ctx   context.Context
	slots chan struct{}
	wg    sync.WaitGroup

	mu  sync.Mutex
	err error
}

// newBatchWriter returns a writer running up to writers writes at once
// in ctx. Call wait once the provider's call has returned.
func newBatchWriter[T any](ctx context.Context, p *progress, writers int, write func(context.Context, []T) (store.Counts, error)) *batchWriter[T] {
	return &batchWriter[T]{p: p, write: write, ctx: ctx, slots: make(chan struct{}, max(writers, 1))}
}

// batchSink is a writer that writes one batch at a time, as it arrives.
func batchSink[T any](p *progress, write func(context.Context, []T) (store.Counts, error)) rmm.Sink[T] {
	w := &batchWriter[T]{p: p, write: write}
	return rmm.SinkFunc[T](w.writeBatch)
}

// writeConcurrently runs a provider call whose batches are independent with
// a writer of the given number of writers, and waits for its writes; the
// call's error, else the first write's, is returned.
func writeConcurrently[T any](ctx context.Context, p *progress, writers int, write func(context.Context, []T) (store.Counts, error),
	call func(rmm.Sink[T]) (rmm.SyncSummary, error)) (rmm.SyncSummary, error) {
	w := newBatchWriter(ctx, p, writers, write)
	sum, err := call(w)
	if werr := w.wait(); err == nil {
		err = werr
	}
	return sum, err
}

// Send hands a batch over. It returns once the batch is being written,
// or with the error of a write that failed before it.
func (w *batchWriter[T]) Send(ctx context.Context, b rmm.Batch[T]) error {
	if err := w.failed(); err != nil {
		return err
	}
	if b.Cursor != nil {
		// A checkpoint: every batch before it must be written before the
		// cursor that covers them is saved.
		if err := w.wait(); err != nil {
			return err
		}
		return w.writeBatch(ctx, b)
	}
	select {
	case w.slots <- struct{}{}:
	case <-ctx.Done():
		return context.Cause(ctx)
	}
	// The provider may reuse the batch's slice once Send returns.
	b.Items = slices.Clone(b.Items)
	w.wg.Go(func() {
		defer func() { <-w.slots }()
		if err := w.writeBatch(w.ctx, b); err != nil {
			w.fail(err)
		}
	})
	return nil
}

// wait waits for the writes in flight and returns the first error.
func (w *batchWriter[T]) wait() error {
	w.wg.Wait()
	return w.failed()
}

func (w *batchWriter[T]) writeBatch(ctx context.Context, b rmm.Batch[T]) error {
	var c store.Counts
	var err error
	for attempt := 1; ; attempt++ {
		c, err = w.write(ctx, b.Items)
		if err == nil || !store.Retryable(err) || attempt == writeAttempts {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("write batch: %w", err)
	}
	if err := w.p.add(ctx, len(b.Items), b.Total, c); err != nil {
		return err
	}
	if b.Cursor != nil {
		return w.p.r.st.SaveCursor(ctx, w.p.job.TenantID, w.p.job.IntegrationID, w.p.job.Kind, b.Cursor)
	}
	return nil
}

func (w *batchWriter[T]) fail(err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err == nil {
		w.err = err
	}
}

func (w *batchWriter[T]) failed() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}
