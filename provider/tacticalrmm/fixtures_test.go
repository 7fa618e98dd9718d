package tacticalrmm

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/msp-psa/psa-host/shared/rmm"
)

// Made-up credentials; tests check they never leak.
const (
	testAPIKey   = "TESTKEY0TESTKEY0TESTKEY0TESTKEY0"
	testUser     = "psa-sync"
	testPassword = "correct horse battery"
	testTOTP     = "123456"
	freshToken   = "f51113bae9c36575f54912b9f4fa9ca8b3313c913fa224123467ccaadb27bd3e"
)

// Agent ids of the fixture agents.
const (
	agentWS    = "WOAoOHJCutJzhaYYRjBzNIiXQeudMSOxpMAORzpR" // pk 101, Windows workstation, site 7 → client 3
	agentDC    = "sbSBgLIsofsfqlLHmICFgGNSJhMTkyBvZzCcsbKS" // pk 102, Windows server, site 7 → client 3
	agentLinux = "mkQsFifxdeNmjLOxAiNiXNUVPJEcyoqnFEpCTQsJ" // pk 117, Linux server, site 9 → client 4
)

// fixtureNow is the clock of the fixture tests: 38 s after agent 101 was
// last seen.
var fixtureNow = time.Date(2026, 6, 16, 15, 0, 0, 0, time.UTC)

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type recorded struct {
	method, path string
	query        url.Values
	body         string
	apiKey, auth string
}

// fixtureServer serves the API.md fixtures with the behaviour the
// provider depends on, and records every request.
type fixtureServer struct {
	t   *testing.T
	srv *httptest.Server

	mu          sync.Mutex
	version     string // dashinfo trmm_version; "" answers 400 (installer user)
	betaOff     bool
	dashboard   bool            // the SPA answers every path with HTML 200
	forbidden   map[string]bool // paths answered with 403
	totp        bool
	tokens      map[string]bool
	agents      []json.RawMessage
	requests    []recorded
	throttleFor int // seconds; login views answer 429 when > 0
	alerts      []byte
	// The site list leaves out hiddenSites (as if created after it was
	// read; GET /beta/v1/site/{pk}/ still finds them) and adds extraSites.
	hiddenSites map[int]bool
	extraSites  []map[string]any
}

func newFixtureServer(t *testing.T) *fixtureServer {
	t.Helper()
	f := &fixtureServer{t: t, version: "1.5.1", forbidden: map[string]bool{}, tokens: map[string]bool{}}
	var page struct {
		Results []json.RawMessage `json:"results"`
	}
	if err := json.Unmarshal(fixture(t, "beta_agent_page.json"), &page); err != nil {
		t.Fatal(err)
	}
	f.agents = page.Results
	f.alerts = fixture(t, "alerts_patch_response.json")
	f.srv = httptest.NewServer(f)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fixtureServer) set(fn func(f *fixtureServer)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

func (f *fixtureServer) seen() []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.requests)
}

func (f *fixtureServer) integration() rmm.Integration {
	return rmm.Integration{ID: "int-1", TenantID: "t-1", Revision: 1, BaseURL: f.srv.URL,
		AuthMode: rmm.AuthAPIKey, Secrets: map[string]string{SecretAPIKey: testAPIKey}}
}

func (f *fixtureServer) passwordIntegration(token string) rmm.Integration {
	in := f.integration()
	in.AuthMode = rmm.AuthPassword
	in.Secrets = map[string]string{SecretUsername: testUser, SecretPassword: testPassword}
	if token != "" {
		in.Secrets[SecretToken] = token
	}
	return in
}

func jsonReply(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	switch b := body.(type) {
	case []byte:
		_, _ = w.Write(b)
	case string:
		_, _ = w.Write([]byte(b))
	default:
		_ = json.NewEncoder(w).Encode(b)
	}
}

func htmlReply(w http.ResponseWriter, status int) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte("<!DOCTYPE html><html><head><title>Tactical RMM</title></head><body></body></html>"))
}

func (f *fixtureServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, recorded{method: r.Method, path: r.URL.Path, query: r.URL.Query(),
		body: string(body), apiKey: r.Header.Get("X-API-KEY"), auth: r.Header.Get("Authorization")})
	p := r.URL.Path
	if f.dashboard {
		htmlReply(w, 200)
		return
	}
	if !strings.HasSuffix(p, "/") {
		http.Redirect(w, r, p+"/", http.StatusMovedPermanently)
		return
	}
	switch p {
	case "/":
		jsonReply(w, 200, `{"status":"ok"}`)
		return
	case "/v2/checkcreds/", "/v2/login/":
		f.serveLogin(w, p, body)
		return
	}
	if !f.authorised(r) {
		jsonReply(w, 401, `{"detail":"Invalid token."}`)
		return
	}
	if strings.HasPrefix(p, "/beta/") && f.betaOff {
		htmlReply(w, 404)
		return
	}
	if f.forbidden[p] {
		jsonReply(w, 403, `{"detail":"You do not have permission to perform this action."}`)
		return
	}
	switch {
	case p == "/core/dashinfo/":
		if f.version == "" {
			jsonReply(w, 400, `""`)
			return
		}
		jsonReply(w, 200, fmt.Sprintf(`{"trmm_version":%q,"latest_trmm_ver":"1.5.1","dark_mode":true}`, f.version))
	case p == "/core/version/":
		jsonReply(w, 200, `"0.0.203"`)
	case p == "/beta/v1/":
		jsonReply(w, 200, `{"agent":"x","client":"y","site":"z"}`)
	case p == "/beta/v1/client/":
		jsonReply(w, 200, fixture(f.t, "beta_client_page.json"))
	case p == "/beta/v1/site/":
		f.serveSiteList(w)
	case strings.HasPrefix(p, "/beta/v1/site/"):
		f.serveSite(w, strings.TrimSuffix(strings.TrimPrefix(p, "/beta/v1/site/"), "/"))
	case p == "/beta/v1/agent/":
		f.serveAgentPage(w, r)
	case strings.HasPrefix(p, "/beta/v1/agent/"):
		// Beta detail is by integer pk only (API.md §4).
		jsonReply(w, 404, `{"detail":"Not found."}`)
	case p == "/agents/" && r.URL.Query().Get("detail") == "false":
		jsonReply(w, 200, `[{"id":101,"hostname":"ACME-WS-014","agent_id":"`+agentWS+`","client":"Acme Dental","site":"Main Office"},`+
			`{"id":102,"hostname":"ACME-DC01","agent_id":"`+agentDC+`","client":"Acme Dental","site":"Main Office"},`+
			`{"id":117,"hostname":"brightline-web-02","agent_id":"`+agentLinux+`","client":"Brightline Logistics","site":"Warehouse DC"}]`)
	case strings.HasPrefix(p, "/agents/"):
		f.serveAgentDetail(w, strings.TrimSuffix(strings.TrimPrefix(p, "/agents/"), "/"))
	case p == "/alerts/" && r.Method == http.MethodPatch:
		if f.forbidden["PATCH /alerts/"] {
			jsonReply(w, 403, `{"detail":"You do not have permission to perform this action."}`)
			return
		}
		if strings.Contains(string(body), `"top"`) {
			jsonReply(w, 200, fixture(f.t, "alerts_patch_top_response.json"))
			return
		}
		jsonReply(w, 200, f.alerts)
	case p == "/software/" && r.Method == http.MethodGet:
		jsonReply(w, 200, fixture(f.t, "software_bulk.json"))
	default:
		htmlReply(w, 404)
	}
}

func (f *fixtureServer) authorised(r *http.Request) bool {
	if k := r.Header.Get("X-API-KEY"); k != "" {
		return k == testAPIKey
	}
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Token ")
	return ok && f.tokens[tok]
}

func (f *fixtureServer) serveLogin(w http.ResponseWriter, path string, body []byte) {
	if f.throttleFor > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(f.throttleFor))
		jsonReply(w, 429, fmt.Sprintf(`{"detail":"Request was throttled. Expected available in %d seconds."}`, f.throttleFor))
		return
	}
	var req map[string]string
	_ = json.Unmarshal(body, &req)
	if path == "/v2/checkcreds/" {
		if req["username"] != testUser || req["password"] != testPassword {
			jsonReply(w, 400, `"Bad credentials"`)
			return
		}
		if f.totp {
			jsonReply(w, 200, fixture(f.t, "checkcreds_response.json"))
			return
		}
		var cc struct {
			Token string `json:"token"`
		}
		b := fixture(f.t, "checkcreds_response_no_totp.json")
		_ = json.Unmarshal(b, &cc)
		f.tokens[cc.Token] = true
		jsonReply(w, 200, b)
		return
	}
	if _, ok := req["twofactor"]; !ok {
		htmlReply(w, 500)
		return
	}
	if req["username"] != testUser || req["password"] != testPassword {
		jsonReply(w, 400, `{"non_field_errors":["Unable to log in with provided credentials."]}`)
		return
	}
	if req["twofactor"] != testTOTP {
		jsonReply(w, 400, `"Bad credentials"`)
		return
	}
	f.tokens[freshToken] = true
	jsonReply(w, 200, fixture(f.t, "login_response.json"))
}

func (f *fixtureServer) serveSiteList(w http.ResponseWriter) {
	var page struct {
		Count   int              `json:"count"`
		Next    any              `json:"next"`
		Prev    any              `json:"previous"`
		Results []map[string]any `json:"results"`
	}
	if err := json.Unmarshal(fixture(f.t, "beta_site_page.json"), &page); err != nil {
		f.t.Error(err)
	}
	sites := page.Results[:0]
	for _, s := range page.Results {
		if id, _ := s["id"].(float64); !f.hiddenSites[int(id)] {
			sites = append(sites, s)
		}
	}
	page.Results = append(sites, f.extraSites...)
	page.Count = len(page.Results)
	jsonReply(w, 200, page)
}

func (f *fixtureServer) serveSite(w http.ResponseWriter, pk string) {
	var page struct {
		Results []map[string]any `json:"results"`
	}
	_ = json.Unmarshal(fixture(f.t, "beta_site_page.json"), &page)
	for _, s := range page.Results {
		if fmt.Sprint(s["id"]) == pk {
			jsonReply(w, 200, s)
			return
		}
	}
	jsonReply(w, 404, `{"detail":"Not found."}`)
}

// siteClient is the fixture's site → client mapping.
func siteClient(site int) int {
	if site == 9 {
		return 4
	}
	return 3
}

func (f *fixtureServer) serveAgentPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Has("agent_id") {
		htmlReply(w, 500) // KeyError in get_serializer_class (API.md §4.2)
		return
	}
	var rows []json.RawMessage
	for _, raw := range f.agents {
		var a struct {
			Site     int       `json:"site"`
			LastSeen time.Time `json:"last_seen"`
		}
		_ = json.Unmarshal(raw, &a)
		if c := q.Get("client_id"); c != "" && c != strconv.Itoa(siteClient(a.Site)) {
			continue
		}
		if after := q.Get("last_seen_range_after"); after != "" {
			t, err := time.Parse(time.RFC3339, after)
			if err != nil {
				jsonReply(w, 400, `{"last_seen_range":["Enter a valid date/time."]}`)
				return
			}
			if a.LastSeen.Before(t) {
				continue
			}
		}
		rows = append(rows, raw)
	}
	size, err := strconv.Atoi(q.Get("page_size"))
	if err != nil || size <= 0 {
		size = 100
	}
	size = min(size, 1000)
	page := 1
	if v := q.Get("page"); v != "" {
		page, _ = strconv.Atoi(v)
	}
	lo, hi := (page-1)*size, min(page*size, len(rows))
	if lo > len(rows) || (lo == len(rows) && page > 1) {
		jsonReply(w, 404, `{"detail":"Invalid page."}`)
		return
	}
	var next any
	if hi < len(rows) {
		nq := url.Values{}
		for k, v := range q {
			nq[k] = v
		}
		nq.Set("page", strconv.Itoa(page+1))
		next = "https://" + r.Host + r.URL.Path + "?" + nq.Encode()
	}
	var buf bytes.Buffer
	fmt.Fprintf(&buf, `{"count":%d,"next":%s,"previous":null,"results":[`, len(rows), mustJSON(next))
	for i, raw := range rows[lo:hi] {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(raw)
	}
	buf.WriteString("]}")
	jsonReply(w, 200, buf.Bytes())
}

func (f *fixtureServer) serveAgentDetail(w http.ResponseWriter, id string) {
	if len(id) < 21 {
		htmlReply(w, 404)
		return
	}
	if id == agentWS {
		jsonReply(w, 200, fixture(f.t, "agent_detail.json"))
		return
	}
	jsonReply(w, 404, `{"detail":"No Agent matches the given query."}`)
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// collector is a Sink that keeps copies of what it receives.
type collector[T any] struct {
	mu      sync.Mutex
	batches []rmm.Batch[T]
	items   []T
	failAt  int // fail the n-th Send (1-based) when > 0
	err     error
}

func (c *collector[T]) Send(_ context.Context, b rmm.Batch[T]) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.failAt > 0 && len(c.batches)+1 == c.failAt {
		return c.err
	}
	cp := rmm.Batch[T]{Items: slices.Clone(b.Items), Total: b.Total, Cursor: b.Cursor}
	c.batches = append(c.batches, cp)
	c.items = append(c.items, cp.Items...)
	return nil
}

// testLog captures provider logs at trace level.
type testLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *testLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *testLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func newTestProvider(t *testing.T, opts ...Option) (*Provider, *testLog) {
	t.Helper()
	logs := &testLog{}
	base := []Option{
		WithClock(func() time.Time { return fixtureNow }),
		WithRetry(2, time.Millisecond),
		WithTimeout(5 * time.Second),
		WithLogger(hclog.New(&hclog.LoggerOptions{Level: hclog.Trace, Output: logs})),
	}
	return New(append(base, opts...)...), logs
}

// wrapHandler serves body on path and defers everything else to f.
func wrapHandler(t *testing.T, f *fixtureServer, path, body string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == path {
			jsonReply(w, 200, body)
			return
		}
		f.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func containsKey(raw []byte, key string) bool {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return false
	}
	_, ok := m[key]
	return ok
}

func certPEM(srv *httptest.Server) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}))
}
