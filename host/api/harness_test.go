package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/msp-psa/psa-host/host/pluginmgr"
)

// lockedBuffer collects log output from concurrent handlers.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// env is one API over fakes, served on loopback, with two tenants.
type env struct {
	t         *testing.T
	srv       *httptest.Server
	store     *fakeStore
	syncer    *fakeSyncer
	providers *fakeProviders
	logs      *lockedBuffer

	tenantA, keyA string
	tenantB, keyB string

	// answers holds every answer's headers and body, for leak checks.
	answers []string
}

func newEnv(t *testing.T, opts ...func(*Config)) *env {
	t.Helper()
	st := newFakeStore()
	e := &env{
		t: t, store: st, syncer: &fakeSyncer{st: st}, logs: &lockedBuffer{},
		providers: &fakeProviders{
			running: map[string]*fakeProvider{
				"tacticalrmm": {meta: tacticalMeta()},
				"minimal":     {meta: minimalMeta()},
			},
			down: map[string]pluginmgr.PluginInfo{
				"ninjaone": {Name: "ninjaone", DisplayName: "NinjaOne", Version: "2.0.0", State: pluginmgr.StateRestarting,
					Reason: "exited; restarting in 1s"},
			},
		},
	}
	e.tenantA, e.keyA = st.addTenant()
	e.tenantB, e.keyB = st.addTenant()
	cfg := Config{
		Store: st, Syncer: e.syncer, Providers: e.providers,
		Logger: hclog.New(&hclog.LoggerOptions{Output: e.logs, Level: hclog.Trace}),
	}
	for _, o := range opts {
		o(&cfg)
	}
	e.srv = httptest.NewServer(New(cfg))
	t.Cleanup(e.srv.Close)
	return e
}

// resp is an answer read in full.
type resp struct {
	status int
	header http.Header
	body   []byte
}

// errBody decodes the error body, failing the test when it is not one.
func (r resp) errBody(t *testing.T) errorDetail {
	t.Helper()
	var b errorBody
	if err := json.Unmarshal(r.body, &b); err != nil || b.Error.Code == "" {
		t.Fatalf("not an error body (%d): %s", r.status, r.body)
	}
	return b.Error
}

// do sends a request with key as bearer (none when ""). body is sent as is
// when it is a string, else marshalled; JSON content type unless
// overridden in hdr.
func (e *env) do(method, path, key string, body any, hdr ...string) resp {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(e.t.Context(), method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i+1] == "" {
			req.Header.Del(hdr[i])
		} else {
			req.Header.Set(hdr[i], hdr[i+1])
		}
	}
	res, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	e.answers = append(e.answers, fmt.Sprint(res.Header)+"\n"+string(raw))
	return resp{status: res.StatusCode, header: res.Header, body: raw}
}

// must sends a request and fails unless it answers want; it decodes the
// body into out when out is not nil.
func (e *env) must(want int, method, path, key string, body, out any) resp {
	e.t.Helper()
	r := e.do(method, path, key, body)
	if r.status != want {
		e.t.Fatalf("%s %s = %d, want %d: %s", method, path, r.status, want, r.body)
	}
	if out != nil {
		if err := json.Unmarshal(r.body, out); err != nil {
			e.t.Fatalf("%s %s: decode: %v: %s", method, path, err, r.body)
		}
	}
	return r
}

// testAPIKey is long enough that masking keeps only its last 4 characters.
const testAPIKey = "TRMM-9f8e7d6c5b4a39281706f5e4d3c2b1a0-secretpart-XYZW"

// createIntegration makes a Tactical integration for key's tenant.
func (e *env) createIntegration(key, name string) integrationView {
	e.t.Helper()
	var v integrationView
	e.must(http.StatusCreated, "POST", "/api/v1/integrations", key, map[string]any{
		"provider": "tacticalrmm", "name": name, "instance_url": "https://api.rmm.example.com",
		"auth_mode": "api_key", "credentials": map[string]string{"api_key": testAPIKey},
	}, &v)
	return v
}

func (e *env) createClient(key, name string) string {
	e.t.Helper()
	var c struct {
		ID string `json:"client_id"`
	}
	e.must(http.StatusCreated, "POST", "/api/v1/clients", key, map[string]string{"name": name}, &c)
	return c.ID
}

// createIntegrationFor makes an api_key integration of another provider.
func (e *env) createIntegrationFor(key, provider, name string) integrationView {
	e.t.Helper()
	var v integrationView
	e.must(http.StatusCreated, "POST", "/api/v1/integrations", key, map[string]any{
		"provider": provider, "name": name, "instance_url": "rmm.example.net",
		"auth_mode": "api_key", "credentials": map[string]string{"api_key": testAPIKey},
	}, &v)
	return v
}

func decode(t *testing.T, body []byte, out any) {
	t.Helper()
	if err := json.Unmarshal(body, out); err != nil {
		t.Fatalf("decode: %v: %s", err, body)
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
