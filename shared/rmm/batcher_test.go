package rmm

import (
	"context"
	"errors"
	"slices"
	"testing"
)

func TestBatcherBoundsAndFlush(t *testing.T) {
	var got [][]int
	sink := SinkFunc[int](func(_ context.Context, b Batch[int]) error {
		got = append(got, slices.Clone(b.Items))
		if b.Total != 7 {
			t.Errorf("Total = %d, want 7", b.Total)
		}
		return nil
	})
	b := NewBatcher[int](sink, 3)
	b.SetTotal(7)
	for i := range 7 {
		if err := b.Add(t.Context(), i); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Flush(t.Context(), []byte("end")); err != nil {
		t.Fatal(err)
	}
	want := [][]int{{0, 1, 2}, {3, 4, 5}, {6}}
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("batches = %v, want %v", got, want)
	}
	if b.Sent() != 7 {
		t.Fatalf("Sent = %d", b.Sent())
	}
}

func TestBatcherStopsOnSinkError(t *testing.T) {
	boom := errors.New("disk full")
	b := NewBatcher[int](SinkFunc[int](func(context.Context, Batch[int]) error { return boom }), 2)
	if err := b.Add(t.Context(), 1); err != nil {
		t.Fatal(err)
	}
	if err := b.Add(t.Context(), 2); !errors.Is(err, boom) {
		t.Fatalf("Add = %v, want the sink's error", err)
	}
}

func TestBatcherHonoursCancellation(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	b := NewBatcher[int](SinkFunc[int](func(context.Context, Batch[int]) error { return nil }), 10)
	_ = b.Add(ctx, 1)
	if err := b.Flush(ctx, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("Flush = %v, want context.Canceled", err)
	}
}
