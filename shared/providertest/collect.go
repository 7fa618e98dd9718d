package providertest

import (
	"context"
	"slices"
	"sync"

	"github.com/msp-psa/psa-host/shared/rmm"
)

// batchInfo is what the suite keeps of one batch besides its items.
type batchInfo struct {
	size   int
	total  int64
	cursor []byte
}

// collector is a Sink that copies every batch it receives (providers may
// reuse a batch's slice) and can be told to fail or cancel.
type collector[T any] struct {
	mu      sync.Mutex
	items   []T
	batches []batchInfo
	// afterSend, when set, runs after batch n (1-based) was recorded; its
	// error is the sink's answer.
	afterSend func(n int) error
	// late counts batches received after afterSend returned an error.
	late   int
	failed bool
}

func (c *collector[T]) Send(_ context.Context, b rmm.Batch[T]) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.failed {
		c.late++
		return context.Canceled
	}
	c.items = append(c.items, slices.Clone(b.Items)...)
	c.batches = append(c.batches, batchInfo{size: len(b.Items), total: b.Total, cursor: slices.Clone(b.Cursor)})
	if c.afterSend == nil {
		return nil
	}
	err := c.afterSend(len(c.batches))
	c.failed = err != nil
	return err
}

// result returns what was received so far.
func (c *collector[T]) result() ([]T, []batchInfo) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.items), slices.Clone(c.batches)
}

// streamResult is one bulk call's outcome as received by a collector.
type streamResult[T any] struct {
	items   []T
	batches []batchInfo
	sum     rmm.SyncSummary
}
