package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/msp-psa/psa-host/shared/rmm"
)

// pagedServer serves ids as a DRF page-number list. Its knobs break it in
// the ways Walk must notice.
type pagedServer struct {
	mu  sync.Mutex
	ids []int64
	// maxPageSize clamps page_size like DRF's max_page_size.
	maxPageSize int
	// nextBase replaces the scheme and host of next links (a proxy).
	nextBase string
	// ignorePage serves page 1 whatever is asked.
	ignorePage bool
	// truncate serves this page with its last row missing.
	truncate int
	// cutShort ends this page's body in the middle; cutOnce only the first
	// time it is served.
	cutShort int
	cutOnce  bool
	cutDone  atomic.Bool
	// delay holds a page back.
	delay map[int]time.Duration
	// before runs before a page is served (under no lock).
	before func(page int)

	inflight, maxInflight atomic.Int32
	requests              atomic.Int32
	queries               sync.Map // raw queries seen
}

type item struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

func (s *pagedServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	n := s.inflight.Add(1)
	defer s.inflight.Add(-1)
	for {
		m := s.maxInflight.Load()
		if n <= m || s.maxInflight.CompareAndSwap(m, n) {
			break
		}
	}
	s.queries.Store(r.URL.RawQuery, true)
	q := r.URL.Query()
	size, err := strconv.Atoi(q.Get("page_size"))
	if err != nil || size <= 0 {
		size = 100
	}
	if s.maxPageSize > 0 && size > s.maxPageSize {
		size = s.maxPageSize
	}
	page := 1
	if p := q.Get("page"); p != "" && !s.ignorePage {
		page, _ = strconv.Atoi(p)
	}
	if s.before != nil {
		s.before(page)
	}
	if d := s.delay[page]; d > 0 {
		time.Sleep(d)
	}
	s.mu.Lock()
	ids := slices.Clone(s.ids)
	s.mu.Unlock()
	lo, hi := (page-1)*size, page*size
	if lo >= len(ids) && page > 1 {
		writeJSON(w, 404, `{"detail":"Invalid page."}`)
		return
	}
	hi = min(hi, len(ids))
	rows := ids[lo:hi]
	if page == s.truncate {
		rows = rows[:len(rows)-1]
	}
	var next any
	if hi < len(ids) {
		nq := url.Values{}
		for k, v := range q {
			nq[k] = v
		}
		nq.Set("page", strconv.Itoa(page+1))
		base := "http://" + r.Host
		if s.nextBase != "" {
			base = s.nextBase
		}
		next = base + r.URL.Path + "?" + nq.Encode()
	}
	items := make([]item, len(rows))
	for i, id := range rows {
		items[i] = item{ID: id, Name: fmt.Sprintf("row-%d", id)}
	}
	body, _ := json.Marshal(map[string]any{"count": len(ids), "next": next, "previous": nil, "results": items})
	if page == s.cutShort && (!s.cutOnce || !s.cutDone.Swap(true)) {
		body = body[:len(body)/2]
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body)
}

func seq(n int) []int64 {
	ids := make([]int64, n)
	for i := range ids {
		ids[i] = int64(i + 1)
	}
	return ids
}

func walkIDs(t *testing.T, c *Client, spec WalkSpec) ([]int64, WalkStats, error) {
	t.Helper()
	var got []int64
	var mu sync.Mutex
	stats, err := Walk(t.Context(), c, spec, decodeAs[item](func(i item) int64 { return i.ID }), nil,
		func(_ context.Context, d Decoded[item]) error {
			mu.Lock()
			defer mu.Unlock()
			got = append(got, d.Value.ID)
			return nil
		})
	return got, stats, err
}

func agentSpec(pageSize, par int) WalkSpec {
	return WalkSpec{Path: "/beta/v1/agent/", Listing: "agents", PageSize: pageSize, Parallelism: par,
		OrderedByID: true, Query: url.Values{"ordering": {"id"}}}
}

func TestWalkParallelKeepsIDOrder(t *testing.T) {
	for _, par := range []int{1, 3} {
		t.Run(fmt.Sprintf("parallelism %d", par), func(t *testing.T) {
			// Page 2 is the slowest, so pages 3 and 4 arrive first.
			s := &pagedServer{ids: seq(45), delay: map[int]time.Duration{2: 50 * time.Millisecond}}
			c, _ := newTestClient(t, s, Credentials{APIKey: testKey})
			got, stats, err := walkIDs(t, c, agentSpec(10, par))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, seq(45)) {
				t.Errorf("ids = %v, want 1..45 in order", got)
			}
			if stats.Count != 45 || stats.Pages != 5 {
				t.Errorf("stats = %+v", stats)
			}
			if m := s.maxInflight.Load(); int(m) > par {
				t.Errorf("%d requests in flight, parallelism is %d", m, par)
			}
		})
	}
}

func TestWalkFetchesPagesConcurrently(t *testing.T) {
	// Pages 2-4 wait until three requests are in flight at once (or give
	// up after a while, and the assertion below fails).
	var s *pagedServer
	s = &pagedServer{ids: seq(50), before: func(page int) {
		if page < 2 || page > 4 {
			return
		}
		deadline := time.Now().Add(3 * time.Second)
		for s.maxInflight.Load() < 3 && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
	}}
	c, _ := newTestClient(t, s, Credentials{APIKey: testKey})
	got, _, err := walkIDs(t, c, agentSpec(10, 3))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 50 {
		t.Errorf("got %d rows", len(got))
	}
	if m := s.maxInflight.Load(); m != 3 {
		t.Errorf("max in flight = %d, want 3", m)
	}
}

func TestWalkAsksForPageSizeAndOrdering(t *testing.T) {
	s := &pagedServer{ids: seq(3)}
	c, _ := newTestClient(t, s, Credentials{APIKey: testKey})
	if _, _, err := walkIDs(t, c, agentSpec(1000, 4)); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.queries.Load("ordering=id&page_size=1000"); !ok {
		var qs []string
		s.queries.Range(func(k, _ any) bool { qs = append(qs, k.(string)); return true })
		t.Errorf("queries = %v, want ordering=id&page_size=1000", qs)
	}
}

func TestWalkClampsPageSizeToTheServerMax(t *testing.T) {
	s := &pagedServer{ids: seq(5)}
	c, _ := newTestClient(t, s, Credentials{APIKey: testKey})
	if _, _, err := walkIDs(t, c, agentSpec(5000, 1)); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.queries.Load("ordering=id&page_size=1000"); !ok {
		t.Errorf("page_size above 1000 was sent as is")
	}
}

func TestWalkFollowsNextOntoTheConfiguredHost(t *testing.T) {
	// A proxy makes Django build links to its internal http host.
	s := &pagedServer{ids: seq(7), nextBase: "http://trmm-backend.internal:8000"}
	c, _ := newTestClient(t, s, Credentials{APIKey: testKey})
	got, _, err := walkIDs(t, c, agentSpec(3, 1))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, seq(7)) {
		t.Errorf("ids = %v", got)
	}
	if s.requests.Load() != 3 {
		t.Errorf("requests = %d, want 3", s.requests.Load())
	}
}

func TestWalkFallsBackToNextLinksWhenTheServerPagesSmaller(t *testing.T) {
	s := &pagedServer{ids: seq(23), maxPageSize: 5}
	c, _ := newTestClient(t, s, Credentials{APIKey: testKey})
	got, _, err := walkIDs(t, c, agentSpec(10, 4))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, seq(23)) {
		t.Errorf("ids = %v", got)
	}
}

func TestWalkDetectsARepeatingPage(t *testing.T) {
	for _, par := range []int{1, 4} {
		t.Run(fmt.Sprintf("parallelism %d", par), func(t *testing.T) {
			s := &pagedServer{ids: seq(30), ignorePage: true}
			c, _ := newTestClient(t, s, Credentials{APIKey: testKey})
			_, _, err := walkIDs(t, c, agentSpec(10, par))
			if !errors.Is(err, rmm.ErrUpstreamUnavailable) {
				t.Fatalf("error = %v, want ErrUpstreamUnavailable", err)
			}
			if !strings.Contains(err.Error(), "repeats") && !strings.Contains(err.Error(), "loops") {
				t.Errorf("error does not say the pages repeat: %v", err)
			}
		})
	}
}

func TestWalkDetectsANextLinkLoop(t *testing.T) {
	c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := 1
		if r.URL.Query().Get("page") == "2" {
			id = 2
		}
		writeJSON(w, 200, fmt.Sprintf(`{"count":2,"next":"http://%s/beta/v1/agent/?page=2","previous":null,"results":[{"id":%d}]}`, r.Host, id))
	}), Credentials{APIKey: testKey})
	_, _, err := walkIDs(t, c, agentSpec(1, 1))
	if !errors.Is(err, rmm.ErrUpstreamUnavailable) || !strings.Contains(err.Error(), "loops") {
		t.Fatalf("error = %v, want a pagination loop", err)
	}
}

func TestWalkDetectsATruncatedPage(t *testing.T) {
	for _, par := range []int{1, 3} {
		t.Run(fmt.Sprintf("parallelism %d", par), func(t *testing.T) {
			s := &pagedServer{ids: seq(30), truncate: 2}
			c, _ := newTestClient(t, s, Credentials{APIKey: testKey})
			_, _, err := walkIDs(t, c, agentSpec(10, par))
			if !errors.Is(err, rmm.ErrUpstreamUnavailable) || !strings.Contains(err.Error(), "truncated") {
				t.Fatalf("error = %v, want a truncated page", err)
			}
		})
	}
}

func TestWalkDetectsABodyCutShort(t *testing.T) {
	s := &pagedServer{ids: seq(30), cutShort: 2}
	c, _ := newTestClient(t, s, Credentials{APIKey: testKey})
	_, _, err := walkIDs(t, c, agentSpec(10, 3))
	if !errors.Is(err, rmm.ErrUpstreamUnavailable) || !strings.Contains(err.Error(), "cut short") {
		t.Fatalf("error = %v, want a cut-short answer", err)
	}
}

func TestWalkDropsRowsThatShiftedAcrossPages(t *testing.T) {
	// Row 0 appears before page 2 is read: every row moves one place
	// later, so page 2 starts with the last row of page 1 and a fourth
	// page appears that page 1's count did not announce.
	var s *pagedServer
	s = &pagedServer{ids: seq(30), before: func(page int) {
		if page == 2 {
			s.mu.Lock()
			if s.ids[0] != 0 {
				s.ids = append([]int64{0}, s.ids...)
			}
			s.mu.Unlock()
		}
	}}
	c, _ := newTestClient(t, s, Credentials{APIKey: testKey})
	got, stats, err := walkIDs(t, c, agentSpec(10, 1))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, seq(30)) {
		t.Errorf("ids = %v, want 1..30 once each", got)
	}
	if stats.Duplicates != 1 {
		t.Errorf("duplicates = %d, want 1", stats.Duplicates)
	}
}

func TestWalkFollowsNextWhenTheListGrows(t *testing.T) {
	var s *pagedServer
	s = &pagedServer{ids: seq(20), before: func(page int) {
		if page == 2 {
			s.mu.Lock()
			if len(s.ids) == 20 {
				s.ids = append(s.ids, 21, 22)
			}
			s.mu.Unlock()
		}
	}}
	c, _ := newTestClient(t, s, Credentials{APIKey: testKey})
	got, _, err := walkIDs(t, c, agentSpec(10, 3))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, seq(22)) {
		t.Errorf("ids = %v, want 1..22", got)
	}
}

func TestWalkFailsWhenTheListShrinks(t *testing.T) {
	var s *pagedServer
	s = &pagedServer{ids: seq(30), before: func(page int) {
		if page == 2 {
			s.mu.Lock()
			if len(s.ids) == 30 {
				s.ids = s.ids[5:]
			}
			s.mu.Unlock()
		}
	}}
	c, _ := newTestClient(t, s, Credentials{APIKey: testKey})
	_, _, err := walkIDs(t, c, agentSpec(10, 1))
	if !errors.Is(err, rmm.ErrUpstreamUnavailable) || !strings.Contains(err.Error(), "shrank") {
		t.Fatalf("error = %v, want the list-shrank error", err)
	}
}

func TestWalkStopsOnEmitError(t *testing.T) {
	s := &pagedServer{ids: seq(100)}
	c, _ := newTestClient(t, s, Credentials{APIKey: testKey})
	stop := errors.New("sink full")
	n := 0
	_, err := Walk(t.Context(), c, agentSpec(10, 3), decodeAs[item](func(i item) int64 { return i.ID }), nil,
		func(context.Context, Decoded[item]) error {
			n++
			if n == 15 {
				return stop
			}
			return nil
		})
	if !errors.Is(err, stop) {
		t.Fatalf("error = %v, want the emit error", err)
	}
	if n != 15 {
		t.Errorf("emit called %d times after failing", n)
	}
	if r := s.requests.Load(); r > 5 {
		t.Errorf("%d pages requested after the sink failed on page 2", r)
	}
}

func TestWalkAcceptsAPlainArray(t *testing.T) {
	c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, `[{"id":4,"name":"b"},{"id":3,"name":"a"}]`)
	}), Credentials{APIKey: testKey})
	var names []string
	err := c.Orgs(t.Context(), func(_ context.Context, o Org) error { names = append(names, o.Name); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(names, []string{"b", "a"}) {
		t.Errorf("names = %v (name order must be kept, ids are not checked)", names)
	}
}

func TestDecodeListEnvelopeKeyOrderDoesNotMatter(t *testing.T) {
	body := `{"results":[{"id":1},{"id":2}],"previous":null,"next":"http://x/?page=2","count":9,"extra":{"a":[1]}}`
	var n int
	var info PageInfo
	err := decodeList(jsontext.NewDecoder(strings.NewReader(body), DecodeOptions()), &info, func(*Item) error { n++; return nil })
	if err != nil {
		t.Fatal(err)
	}
	if !info.Enveloped || info.Count != 9 || info.Next != "http://x/?page=2" || info.Items != 2 || n != 2 {
		t.Errorf("info = %+v, n = %d", info, n)
	}
}

// A repeated key or an invalid byte in one row must not make the page
// unreadable (encoding/json accepted both); the last repeat wins, and an
// invalid byte becomes U+FFFD, as protobuf strings must be valid UTF-8.
func TestDecodeListIsLenientLikeEncodingJSON(t *testing.T) {
	body := "{\"count\":2,\"next\":null,\"results\":[{\"id\":1,\"name\":\"a\",\"name\":\"b\"},{\"id\":2,\"name\":\"caf\xe9\"}]}"
	var got []item
	var info PageInfo
	err := decodeList(jsontext.NewDecoder(strings.NewReader(body), DecodeOptions()), &info, func(it *Item) error {
		var v item
		if err := it.Decode(&v); err != nil {
			return err
		}
		got = append(got, v)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Name != "b" || got[1].ID != 2 || got[1].Name != "caf\uFFFD" {
		t.Errorf("rows = %+v", got)
	}
}

// An element that does not fit its type is an error for that element
// only: the stream moves past it, whatever was read of it, and the next
// elements decode. Elements left alone are skipped; raw ones come whole.
func TestItemsDecodeOneByOne(t *testing.T) {
	body := `{"count":5,"next":null,"results":[` +
		`{"id":1,"name":"a"},` +
		`{"id":2,"name":{"deep":[1,{"x":[2]}]},"tail":[3]},` +
		`{"id":"three","name":"c"},` +
		`{"id":4,"name":"d","skipped":true},` +
		`{"id":5, "name":"e"}]}`
	var got []string
	var failed int
	var info PageInfo
	err := decodeList(jsontext.NewDecoder(strings.NewReader(body), DecodeOptions()), &info, func(it *Item) error {
		switch info.Items {
		case 4:
			return nil // left alone
		case 5:
			raw, err := it.Raw()
			got = append(got, string(raw))
			return err
		}
		var v item
		if err := it.Decode(&v); err != nil {
			failed++
			return nil
		}
		got = append(got, v.Name)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"a", `{"id":5, "name":"e"}`}
	if !slices.Equal(got, want) || failed != 2 || info.Items != 5 {
		t.Errorf("got %q with %d failed of %d, want %q with 2 failed of 5", got, failed, info.Items, want)
	}
}

// A body that breaks off inside an element fails the page, even when the
// callback ignores the element's error.
func TestItemsReportABrokenStream(t *testing.T) {
	body := `{"count":2,"next":null,"results":[{"id":1,"name":"a"},{"id":2,"na`
	var info PageInfo
	err := decodeList(jsontext.NewDecoder(strings.NewReader(body), DecodeOptions()), &info, func(it *Item) error {
		var v item
		_ = it.Decode(&v)
		return nil
	})
	if err == nil || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("error = %v, want an unexpected EOF", err)
	}
}

func TestDecodeListRejectsWhatIsNotAList(t *testing.T) {
	for _, body := range []string{`"x"`, `{"count":"many","results":[]}`, `{"count":1,"results":{"id":1}}`, `{"count":1}`, `[{"id":1}`, `{"results":[{"id":1},]}`} {
		var info PageInfo
		err := decodeList(jsontext.NewDecoder(strings.NewReader(body), DecodeOptions()), &info, func(*Item) error { return nil })
		if err == nil {
			t.Errorf("decodeList(%s) accepted it", body)
		}
	}
}

func TestWalkEmitsTheFirstPageWhileItStreams(t *testing.T) {
	emitted := make(chan struct{})
	var once sync.Once
	c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"count":2,"next":null,"previous":null,"results":[{"id":1,"name":"a"},`))
		w.(http.Flusher).Flush()
		select { // the rest only once the first row was emitted
		case <-emitted:
		case <-time.After(3 * time.Second):
		}
		_, _ = w.Write([]byte(`{"id":2,"name":"b"}]}`))
	}), Credentials{APIKey: testKey})
	var total int64
	var firstAt time.Duration
	start := time.Now()
	_, err := Walk(t.Context(), c, agentSpec(10, 4), decodeAs[item](func(i item) int64 { return i.ID }),
		func(n int64) { total = n },
		func(_ context.Context, d Decoded[item]) error {
			if d.ID == 1 {
				if total != 2 {
					t.Errorf("onCount had not run before the first emit (total %d)", total)
				}
				firstAt = time.Since(start)
				once.Do(func() { close(emitted) })
			}
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	if firstAt > 2*time.Second {
		t.Errorf("the first row was emitted after %v: the page was buffered, not streamed", firstAt)
	}
}

func TestWalkReadsAPageAgainAfterItBrokeOff(t *testing.T) {
	for _, tt := range []struct {
		name      string
		page, par int
	}{
		{"streamed first page", 1, 3},
		{"buffered parallel page", 3, 3},
		{"streamed page via next links", 2, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := &pagedServer{ids: seq(45), cutShort: tt.page, cutOnce: true}
			c, _ := newTestClient(t, s, Credentials{APIKey: testKey})
			got, _, err := walkIDs(t, c, agentSpec(10, tt.par))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, seq(45)) {
				t.Errorf("ids = %v, want 1..45 once each", got)
			}
			if r := s.requests.Load(); r != 6 {
				t.Errorf("%d requests, want 6 (5 pages, one read twice)", r)
			}
		})
	}
}
