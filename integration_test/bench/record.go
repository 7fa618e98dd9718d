package main

import (
	"bufio"
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/msp-psa/psa-host/shared/rmm"
)

// recording is a file of record batches as a provider sent them, so that
// the floor and the correctness check see exactly the records a measured
// run saw, without holding a whole fleet in memory.
type recording[T any] struct {
	path  string
	f     *os.File
	w     *bufio.Writer
	enc   *gob.Encoder
	strip func(T) T // copies a record, dropping what no store writes
	n     int64
}

func newRecording[T any](e *env, name string, strip func(T) T) (*recording[T], error) {
	f, err := e.tempFile(name + "-*.gob")
	if err != nil {
		return nil, err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	return &recording[T]{path: f.Name(), f: f, w: w, enc: gob.NewEncoder(w), strip: strip}, nil
}

// Send records a batch. The provider may reuse the batch's slices once
// Send returns, so records are copied.
func (r *recording[T]) Send(_ context.Context, b rmm.Batch[T]) error {
	items := make([]T, len(b.Items))
	for i, it := range b.Items {
		items[i] = r.strip(it)
	}
	r.n += int64(len(items))
	return r.enc.Encode(items)
}

// finish flushes and closes the file; the recording can then be read.
func (r *recording[T]) finish() error {
	err := r.w.Flush()
	if cerr := r.f.Close(); err == nil {
		err = cerr
	}
	return err
}

func (r *recording[T]) remove() { _ = os.Remove(r.path) }

// each calls fn with every recorded batch, in order.
func (r *recording[T]) each(fn func([]T) error) error {
	f, err := os.Open(r.path)
	if err != nil {
		return err
	}
	defer f.Close()
	dec := gob.NewDecoder(bufio.NewReaderSize(f, 1<<20))
	for {
		var items []T
		err := dec.Decode(&items)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read recording: %w", err)
		}
		if err := fn(items); err != nil {
			return err
		}
	}
}

// stripDevice keeps what the stores write: Raw is not stored.
func stripDevice(d rmm.Device) rmm.Device {
	d.Raw = nil
	d.LANIPs = slices.Clone(d.LANIPs)
	d.Disks = slices.Clone(d.Disks)
	return d
}

func copySoftware(b rmm.SoftwareBatch) rmm.SoftwareBatch {
	b.Items = slices.Clone(b.Items)
	return b
}

// tee sends every batch to each sink in turn.
type tee[T any] []rmm.Sink[T]

func (t tee[T]) Send(ctx context.Context, b rmm.Batch[T]) error {
	for _, s := range t {
		if err := s.Send(ctx, b); err != nil {
			return err
		}
	}
	return nil
}

// recordStream runs one provider call with a freshly launched plugin,
// untimed, and records what it streams (name names the file and errors).
func recordStream[T any](ctx context.Context, e *env, fx fixture, name string, strip func(T) T,
	call func(context.Context, rmm.Provider, rmm.Integration, rmm.Sink[T]) error) (*recording[T], error) {
	in, err := e.integration(ctx, fx)
	if err != nil {
		return nil, err
	}
	ps, err := startProviders(ctx, e.cfg, e.pluginDir, e.log)
	if err != nil {
		return nil, err
	}
	defer ps.close(ctx)
	prov, err := ps.Provider(providerName)
	if err != nil {
		return nil, err
	}
	rec, err := newRecording(e, name, strip)
	if err != nil {
		return nil, err
	}
	err = call(ctx, prov, in, rec)
	if ferr := rec.finish(); err == nil {
		err = ferr
	}
	if err != nil {
		rec.remove()
		return nil, fmt.Errorf("record %s: %w", name, err)
	}
	return rec, nil
}
