package rmm

import "context"

// DefaultMaxBatch is the batch size providers use when the request sets
// none. The gRPC layer further splits batches by encoded size.
const DefaultMaxBatch = 500

// Batcher collects records and hands them to a Sink in batches of at most
// Max records. A provider Adds records as it decodes them and Flushes at
// the end; Add flushes by itself when a batch is full.
type Batcher[T any] struct {
	out   Sink[T]
	max   int
	buf   []T
	total int64
	sent  int64
}

// NewBatcher returns a Batcher writing to out; max <= 0 means
// DefaultMaxBatch.
func NewBatcher[T any](out Sink[T], max int) *Batcher[T] {
	if max <= 0 {
		max = DefaultMaxBatch
	}
	return &Batcher[T]{out: out, max: max, buf: make([]T, 0, max)}
}

// SetTotal records how many records the whole call will send, for progress.
func (b *Batcher[T]) SetTotal(n int64) { b.total = n }

// Add appends one record, flushing first when the batch is full.
func (b *Batcher[T]) Add(ctx context.Context, item T) error {
	b.buf = append(b.buf, item)
	if len(b.buf) >= b.max {
		return b.Flush(ctx, nil)
	}
	return nil
}

// Flush sends what is buffered, if anything, with an optional cursor
// checkpoint.
func (b *Batcher[T]) Flush(ctx context.Context, cursor []byte) error {
	if len(b.buf) == 0 {
		return ctx.Err()
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := b.out.Send(ctx, Batch[T]{Items: b.buf, Total: b.total, Cursor: cursor}); err != nil {
		return err
	}
	b.sent += int64(len(b.buf))
	b.buf = b.buf[:0]
	return nil
}

// Sent returns how many records were sent so far.
func (b *Batcher[T]) Sent() int64 { return b.sent }
