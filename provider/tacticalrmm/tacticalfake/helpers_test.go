package tacticalfake

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// resp is a finished response.
type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r resp) json(t testing.TB) any {
	t.Helper()
	var v any
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("body is not JSON (%v): %.300s", err, r.body)
	}
	return v
}

func (r resp) obj(t testing.TB) map[string]any {
	t.Helper()
	m, ok := r.json(t).(map[string]any)
	if !ok {
		t.Fatalf("body is not a JSON object: %.300s", r.body)
	}
	return m
}

func (r resp) arr(t testing.TB) []any {
	t.Helper()
	a, ok := r.json(t).([]any)
	if !ok {
		t.Fatalf("body is not a JSON array: %.300s", r.body)
	}
	return a
}

// req describes one request; the zero value is an anonymous GET.
type req struct {
	method string
	path   string
	header map[string]string
	body   string
	ctype  string // Content-Type for body; "" with a body means none
}

// adminKey is the default superuser's credentials.
var adminKey = map[string]string{"X-API-KEY": DefaultAPIKey}

// do sends r without following redirects.
func do(t testing.TB, s *Server, r req) resp {
	t.Helper()
	method := r.method
	if method == "" {
		method = http.MethodGet
	}
	var body io.Reader
	if r.body != "" {
		body = strings.NewReader(r.body)
	}
	hr, err := http.NewRequestWithContext(t.Context(), method, s.URL()+r.path, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range r.header {
		hr.Header.Set(k, v)
	}
	if r.ctype != "" {
		hr.Header.Set("Content-Type", r.ctype)
	}
	c := *s.Client() // a copy: the server's client is shared
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c.Timeout = 30 * time.Second
	res, err := c.Do(hr)
	if err != nil {
		t.Fatalf("%s %s: %v", method, r.path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", method, r.path, err)
	}
	return resp{status: res.StatusCode, header: res.Header, body: b}
}

// getJSON is an authenticated GET that must answer 200.
func getJSON(t testing.TB, s *Server, path string) resp {
	t.Helper()
	r := do(t, s, req{path: path, header: adminKey})
	if r.status != http.StatusOK {
		t.Fatalf("GET %s = %d: %.300s", path, r.status, r.body)
	}
	return r
}

func wantDetail(t testing.TB, r resp, status int, detail string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status = %d, want %d: %.300s", r.status, status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type = %q, want application/json", ct)
	}
	if got := r.obj(t)["detail"]; got != detail {
		t.Fatalf("detail = %q, want %q", got, detail)
	}
}

func wantHTML(t testing.TB, r resp, status int, contains string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status = %d, want %d: %.300s", r.status, status, r.body)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Fatalf("Content-Type = %q, want text/html", ct)
	}
	if !strings.Contains(string(r.body), contains) {
		t.Fatalf("body %.300q does not contain %q", r.body, contains)
	}
}

// noPanics fails the test if the fake hid a bug of its own behind a 500.
func noPanics(t testing.TB, s *Server) {
	t.Helper()
	t.Cleanup(func() {
		if p := s.Panics(); len(p) > 0 {
			t.Errorf("the fake panicked: %s", p[0])
		}
	})
}

func newServer(t testing.TB, opts Options) *Server {
	t.Helper()
	s := NewT(t, opts)
	noPanics(t, s)
	return s
}

var refTime = time.Date(2026, 6, 16, 15, 0, 0, 0, time.UTC)

var zeroTime time.Time

func jsonInt(n int) any { return json.Number(strconv.Itoa(n)) }

func mustInt(t testing.TB, v any) int {
	t.Helper()
	n, ok := v.(json.Number)
	if !ok {
		t.Fatalf("%v (%T) is not a JSON number", v, v)
	}
	i, err := strconv.Atoi(n.String())
	if err != nil {
		t.Fatalf("%v is not an integer", v)
	}
	return i
}

// keysOf returns the keys of a JSON object in document order.
func keysOf(t testing.TB, raw []byte) []string {
	t.Helper()
	var keys []string
	for _, kv := range orderedObject(t, raw) {
		keys = append(keys, kv.key)
	}
	return keys
}

type rawKV struct {
	key string
	val json.RawMessage
}

// orderedObject splits a JSON object into its members, in order.
func orderedObject(t testing.TB, raw []byte) rawKVs {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not a JSON object: %.200s", raw)
	}
	var out rawKVs
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
		out = append(out, rawKV{tok.(string), v})
	}
	return out
}

func itoa(n int) string { return strconv.Itoa(n) }

func containsInt(xs []int, v int) bool {
	for _, x := range xs {
		if x == v {
			return true
		}
	}
	return false
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// firstRow returns the first element of a JSON array body, raw.
func firstRow(t testing.TB, arr []byte) []byte {
	t.Helper()
	var rows []json.RawMessage
	if err := json.Unmarshal(arr, &rows); err != nil || len(rows) == 0 {
		t.Fatalf("not a non-empty array: %.200s", arr)
	}
	return rows[0]
}

type rawKVs []rawKV

func (o rawKVs) keys() []string {
	var out []string
	for _, kv := range o {
		out = append(out, kv.key)
	}
	return out
}

func rawArray(t testing.TB, raw []byte) []json.RawMessage {
	t.Helper()
	var rows []json.RawMessage
	if err := json.Unmarshal(raw, &rows); err != nil {
		t.Fatalf("not an array: %.200s", raw)
	}
	return rows
}

func jsonNumber(t testing.TB, raw json.RawMessage) json.Number {
	t.Helper()
	return json.Number(string(raw))
}
