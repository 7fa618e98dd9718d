package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"sync"

	"github.com/msp-psa/psa-host/shared/rmm"
)

// MaxPageSize is the beta API's page size cap; larger values are clamped
// silently by the server (API.md §4.1), which would break page arithmetic.
const MaxPageSize = 1000

// WalkSpec describes a paged beta list to read in full.
type WalkSpec struct {
	Path        string     // e.g. "/beta/v1/agent/"
	Query       url.Values // filters and ordering; page and page_size are Walk's
	PageSize    int        // 1..MaxPageSize
	Parallelism int        // pages fetched at once after the first; 1 = sequential
	Listing     string     // what is listed, for messages ("agents")
	// OrderedByID makes Walk check that ids rise strictly across pages
	// (the list must be ordered by id), drop repeats that appear when rows
	// shift between pages, and fail on a page that only repeats.
	OrderedByID bool
}

// Decoded is one list element after the caller's decode function ran.
type Decoded[T any] struct {
	ID    int64 // the element's primary key; 0 when unknown
	Value T
	Skip  bool // the element could not be translated; Value is unset
}

// WalkStats summarises a walk.
type WalkStats struct {
	Count      int64 // the total the first page reported (0 for a plain array)
	Pages      int
	Duplicates int64 // repeats dropped because rows shifted between pages
}

// Walk reads every page of spec in order and calls emit for each element,
// in id order when spec.OrderedByID. decode runs while a page streams in,
// one element at a time, so a raw page is never held in memory. onCount,
// when not nil, gets the total as soon as the first page tells it, before
// the first emit.
//
// The first page, and every page read by following "next" links, is
// emitted while it streams in. Once the first page gives the count, the
// remaining pages are fetched up to spec.Parallelism at a time; those are
// decoded into memory and emitted in page order, so at most Parallelism
// decoded pages wait at any time. Should the server not honour page_size,
// or should the list grow during the walk, Walk follows the "next" links
// instead, keeping only their query: they are absolute and built from the
// host and scheme the server saw, which behind a proxy are not the
// configured ones.
func Walk[T any](ctx context.Context, c *Client, spec WalkSpec,
	decode func(*Item) (Decoded[T], error),
	onCount func(int64),
	emit func(context.Context, Decoded[T]) error,
) (WalkStats, error) {
	w := &walker[T]{c: c, spec: spec, decode: decode, emit: emit, lastID: -1}
	if w.spec.PageSize <= 0 || w.spec.PageSize > MaxPageSize {
		w.spec.PageSize = MaxPageSize
	}
	if w.spec.Parallelism <= 0 {
		w.spec.Parallelism = 1
	}
	counted := false
	first, err := w.stream(ctx, 1, w.pageQuery(1), func(info *PageInfo) {
		if !counted && onCount != nil {
			onCount(info.Count)
		}
		counted = true
	})
	if err != nil {
		return w.stats, err
	}
	if !counted && onCount != nil {
		onCount(first.Count)
	}
	w.stats.Count = first.Count
	if !first.Enveloped || first.Next == "" {
		return w.stats, nil
	}
	// Page arithmetic is only safe when the server honoured page_size.
	if first.Items < w.spec.PageSize {
		w.spec.PageSize = first.Items
		return w.stats, w.follow(ctx, 1, first)
	}
	pages := int((first.Count + int64(w.spec.PageSize) - 1) / int64(w.spec.PageSize))
	if pages < 2 || w.spec.Parallelism == 1 {
		return w.stats, w.follow(ctx, 1, first)
	}
	last, err := w.parallel(ctx, 2, pages)
	if err != nil {
		return w.stats, err
	}
	return w.stats, w.follow(ctx, pages, last)
}

type walker[T any] struct {
	c      *Client
	spec   WalkSpec
	decode func(*Item) (Decoded[T], error)
	emit   func(context.Context, Decoded[T]) error
	stats  WalkStats
	lastID int64
}

func (w *walker[T]) pageQuery(n int) url.Values {
	q := url.Values{}
	for k, v := range w.spec.Query {
		q[k] = append([]string(nil), v...)
	}
	q.Set("page_size", strconv.Itoa(w.spec.PageSize))
	if n > 1 {
		q.Set("page", strconv.Itoa(n))
	}
	return q
}

// fetch reads page n and hands each decoded element to each as it
// arrives. A page whose answer breaks off is read again (with backoff, up
// to the client's attempts): restart, when not nil, runs first, to drop
// what was kept of the broken read. Without restart, elements already
// handed over come again; in an id-ordered walk deliver drops them.
func (w *walker[T]) fetch(ctx context.Context, n int, q url.Values, info *PageInfo, each func(Decoded[T]) error, restart func()) error {
	cl := call{method: http.MethodGet, path: w.spec.Path, query: q, idempotent: true, listing: w.spec.Listing}
	for attempt := 1; ; attempt++ {
		*info = PageInfo{}
		handed := 0
		err := w.c.listInto(ctx, cl, info, func(it *Item) error {
			d, err := w.decode(it)
			if err != nil {
				return err
			}
			handed++
			return each(d)
		})
		var ie *interruptedError
		if errors.As(err, &ie) && attempt < w.c.attempts && (restart != nil || w.spec.OrderedByID || handed == 0) {
			w.c.log.Debug("reading a page again after it broke off", "listing", w.spec.Listing, "page", n, "attempt", attempt)
			if werr := w.c.backoff(ctx, attempt, 0); werr != nil {
				return werr
			}
			if restart != nil {
				restart()
			}
			continue
		}
		var he *HTTPError
		if errors.As(err, &he) && he.Status == http.StatusNotFound && !he.HTML && n > 1 {
			return w.shrank(n) // "Invalid page": the list shrank under us
		}
		return err
	}
}

// stream reads page n and emits its elements while it streams in. header,
// when not nil, runs before the first element with what is known so far.
func (w *walker[T]) stream(ctx context.Context, n int, q url.Values, header func(*PageInfo)) (PageInfo, error) {
	var info PageInfo
	fresh := 0
	err := w.fetch(ctx, n, q, &info, func(d Decoded[T]) error {
		if header != nil {
			header(&info)
			header = nil
		}
		ok, err := w.deliver(ctx, d)
		if ok {
			fresh++
		}
		return err
	}, nil)
	if err != nil {
		return info, err
	}
	return info, w.checkPage(n, info, fresh)
}

// deliver emits one element unless it repeats one already emitted.
func (w *walker[T]) deliver(ctx context.Context, d Decoded[T]) (bool, error) {
	if w.spec.OrderedByID && d.ID != 0 {
		if d.ID <= w.lastID {
			w.stats.Duplicates++
			return false, nil
		}
		w.lastID = d.ID
	}
	return true, w.emit(ctx, d)
}

// checkPage checks a page, once read, against the ones before it.
func (w *walker[T]) checkPage(n int, info PageInfo, fresh int) error {
	w.stats.Pages++
	if n == 1 {
		return nil
	}
	if info.Count < w.stats.Count {
		return w.shrank(n)
	}
	if info.Enveloped && info.Next != "" && info.Items < w.spec.PageSize {
		return rmm.Errorf(rmm.ErrUpstreamUnavailable,
			"page %d of %s was truncated: %d of %d rows, yet more pages follow", n, w.spec.Listing, info.Items, w.spec.PageSize)
	}
	if w.spec.OrderedByID && info.Items > 0 && fresh == 0 {
		return rmm.Errorf(rmm.ErrUpstreamUnavailable,
			"page %d of %s only repeats rows already read: the server or a proxy in front of it ignores the page parameter", n, w.spec.Listing)
	}
	return nil
}

func (w *walker[T]) shrank(n int) error {
	return rmm.Errorf(rmm.ErrUpstreamUnavailable,
		"the %s list shrank while it was read (at page %d), so rows may have been skipped: run the sync again", w.spec.Listing, n)
}

// buffered is a page read ahead of its turn.
type buffered[T any] struct {
	info  PageInfo
	items []Decoded[T]
	err   error
}

// parallel fetches pages from..to with at most Parallelism pages in flight
// or waiting, and emits them in page order. It returns the last page's
// information.
func (w *walker[T]) parallel(ctx context.Context, from, to int) (PageInfo, error) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() {
		cancel() // first, so that the dispatcher and fetches stop
		wg.Wait()
	}()

	slots := make(chan struct{}, w.spec.Parallelism)
	futures := make(chan chan buffered[T], w.spec.Parallelism)
	wg.Go(func() {
		defer close(futures)
		for n := from; n <= to; n++ {
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				return
			}
			f := make(chan buffered[T], 1)
			futures <- f // never blocks: at most Parallelism futures exist
			q := w.pageQuery(n)
			wg.Go(func() {
				var b buffered[T]
				b.err = w.fetch(ctx, n, q, &b.info, func(d Decoded[T]) error {
					b.items = append(b.items, d)
					return nil
				}, func() { b.items = b.items[:0] })
				f <- b
			})
		}
	})

	var last PageInfo
	n := from
	for f := range futures {
		b := <-f
		if b.err != nil {
			return last, b.err
		}
		fresh := 0
		for _, d := range b.items {
			ok, err := w.deliver(ctx, d)
			if err != nil {
				return last, err
			}
			if ok {
				fresh++
			}
		}
		if err := w.checkPage(n, b.info, fresh); err != nil {
			return last, err
		}
		last = b.info
		n++
		<-slots
	}
	if n <= to {
		return last, fmt.Errorf("reading %s: %w", w.spec.Listing, context.Cause(ctx))
	}
	return last, nil
}

// follow reads the pages after page n, whose information is info, one by
// one through their "next" links, emitting while they stream in.
func (w *walker[T]) follow(ctx context.Context, n int, info PageInfo) error {
	seen := map[string]bool{}
	for info.Next != "" {
		q, err := w.nextQuery(info.Next)
		if err != nil {
			return err
		}
		key := q.Encode()
		if seen[key] {
			return rmm.Errorf(rmm.ErrUpstreamUnavailable,
				"the %s list links back to a page already read (%s): the pagination loops", w.spec.Listing, key)
		}
		seen[key] = true
		n++
		if v, err := strconv.Atoi(q.Get("page")); err == nil {
			n = v
		}
		if info, err = w.stream(ctx, n, q, nil); err != nil {
			return err
		}
	}
	return nil
}

// nextQuery keeps only the query of a "next" link; the path is the
// list's own.
func (w *walker[T]) nextQuery(next string) (url.Values, error) {
	u, err := url.Parse(next)
	if err != nil {
		return nil, rmm.Errorf(rmm.ErrUpstreamUnavailable, "the %s list gave an invalid next link", w.spec.Listing)
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return nil, rmm.Errorf(rmm.ErrUpstreamUnavailable, "the %s list gave an invalid next link query", w.spec.Listing)
	}
	if u.Host != "" && u.Host != w.c.base.Host {
		w.c.log.Debug("rewrote a next link onto the configured base URL", "listing", w.spec.Listing)
	}
	return q, nil
}
