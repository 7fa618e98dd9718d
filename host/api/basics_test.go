package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestHealthz(t *testing.T) {
	cases := []struct {
		name   string
		setup  func(*fakeStore)
		status int
	}{
		{"database up", func(*fakeStore) {}, http.StatusOK},
		{"database down", func(f *fakeStore) { f.pingErr = errors.New("connection refused") }, http.StatusServiceUnavailable},
		{"database hangs", func(f *fakeStore) { f.hang = true }, http.StatusServiceUnavailable},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, func(c *Config) { c.HealthTimeout = 50 * time.Millisecond })
			e.store.mu.Lock()
			tc.setup(e.store)
			e.store.mu.Unlock()
			start := time.Now()
			r := e.do("GET", "/healthz", "", nil)
			if r.status != tc.status {
				t.Fatalf("status = %d, want %d: %s", r.status, tc.status, r.body)
			}
			if time.Since(start) > 10*time.Second {
				t.Fatalf("health check hung")
			}
			if tc.status == http.StatusOK {
				var b map[string]string
				if err := json.Unmarshal(r.body, &b); err != nil || b["status"] != "ok" {
					t.Fatalf("body = %s", r.body)
				}
			} else if r.errBody(t).Code != codeUnavailable {
				t.Fatalf("code = %s", r.body)
			}
		})
	}
}

func TestAuthentication(t *testing.T) {
	e := newEnv(t)
	cases := []struct {
		name   string
		header string
		status int
	}{
		{"no header", "", http.StatusUnauthorized},
		{"basic scheme", "Basic dXNlcjpwYXNz", http.StatusUnauthorized},
		{"bearer without key", "Bearer ", http.StatusUnauthorized},
		{"key of another shape", "Bearer not-a-psa-key", http.StatusUnauthorized},
		{"well-formed unknown key", "Bearer psa_0123456789ab_" + strings.Repeat("0", 64), http.StatusUnauthorized},
		{"valid key", "Bearer " + e.keyA, http.StatusOK},
		{"scheme is case-insensitive", "bearer " + e.keyA, http.StatusOK},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do("GET", "/api/v1/clients", "", nil, "Authorization", tc.header)
			if r.status != tc.status {
				t.Fatalf("status = %d, want %d: %s", r.status, tc.status, r.body)
			}
			if tc.status == http.StatusUnauthorized {
				if !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
					t.Fatalf("WWW-Authenticate = %q", r.header.Get("WWW-Authenticate"))
				}
				if r.errBody(t).Code != codeUnauthorized {
					t.Fatalf("body = %s", r.body)
				}
			}
		})
	}
}

func TestEveryAPIRouteNeedsAKey(t *testing.T) {
	e := newEnv(t)
	id := newID()
	routes := []struct{ method, path string }{
		{"GET", "/api/v1/providers"}, {"GET", "/api/v1/clients"}, {"POST", "/api/v1/clients"},
		{"GET", "/api/v1/clients/" + id},
		{"GET", "/api/v1/integrations"}, {"POST", "/api/v1/integrations"}, {"GET", "/api/v1/integrations/" + id},
		{"PATCH", "/api/v1/integrations/" + id}, {"DELETE", "/api/v1/integrations/" + id},
		{"POST", "/api/v1/integrations/" + id + "/test"}, {"POST", "/api/v1/integrations/" + id + "/sync"},
		{"POST", "/api/v1/integrations/" + id + "/devices/agent-1/sync"},
		{"GET", "/api/v1/integrations/" + id + "/mappings"}, {"PATCH", "/api/v1/integrations/" + id + "/mappings/" + id},
		{"GET", "/api/v1/jobs/" + id}, {"GET", "/api/v1/assets"}, {"GET", "/api/v1/assets/" + id},
		{"GET", "/api/v1/assets/" + id + "/software"}, {"GET", "/api/v1/alerts"},
	}
	for _, rt := range routes {
		if r := e.do(rt.method, rt.path, "", "{}"); r.status != http.StatusUnauthorized {
			t.Errorf("%s %s without a key = %d, want 401", rt.method, rt.path, r.status)
		}
	}
}

func TestUnmatchedRoutes(t *testing.T) {
	e := newEnv(t)
	id := newID()
	cases := []struct {
		method, path string
		status       int
		allow        []string
	}{
		{"PUT", "/api/v1/clients", http.StatusMethodNotAllowed, []string{"GET", "HEAD", "POST"}},
		{"DELETE", "/api/v1/jobs/" + id, http.StatusMethodNotAllowed, []string{"GET", "HEAD"}},
		{"POST", "/api/v1/integrations/" + id, http.StatusMethodNotAllowed, []string{"GET", "HEAD", "PATCH", "DELETE"}},
		{"GET", "/api/v1/integrations/" + id + "/sync", http.StatusMethodNotAllowed, []string{"POST"}},
		{"POST", "/healthz", http.StatusMethodNotAllowed, []string{"GET", "HEAD"}},
		{"GET", "/api/v1/nothing", http.StatusNotFound, nil},
		{"GET", "/", http.StatusNotFound, nil},
	}
	for _, tc := range cases {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			r := e.do(tc.method, tc.path, e.keyA, nil)
			if r.status != tc.status {
				t.Fatalf("status = %d, want %d: %s", r.status, tc.status, r.body)
			}
			want := codeNotFound
			if tc.allow != nil {
				want = codeMethodNotAllowed
				got := strings.Split(r.header.Get("Allow"), ", ")
				if !slices.Equal(got, tc.allow) {
					t.Fatalf("Allow = %q, want %v", r.header.Get("Allow"), tc.allow)
				}
			}
			if r.errBody(t).Code != want {
				t.Fatalf("body = %s", r.body)
			}
		})
	}
}

func TestBodyErrors(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.MaxBodyBytes = 256 })
	cases := []struct {
		name   string
		body   string
		ctype  string
		status int
		code   string
		field  string
	}{
		{"bad JSON", `{"name": `, "", http.StatusBadRequest, codeInvalidJSON, ""},
		{"not JSON at all", `name=x`, "", http.StatusBadRequest, codeInvalidJSON, ""},
		{"empty body", ``, "", http.StatusBadRequest, codeInvalidJSON, ""},
		{"array instead of object", `["x"]`, "", http.StatusBadRequest, codeWrongType, ""},
		{"wrong type", `{"name": 42}`, "", http.StatusBadRequest, codeWrongType, "name"},
		{"unknown field", `{"name": "Acme", "colour": "red"}`, "", http.StatusBadRequest, codeUnknownField, "colour"},
		{"two values", `{"name": "Acme"} {"name": "Other"}`, "", http.StatusBadRequest, codeInvalidJSON, ""},
		{"missing name", `{}`, "", http.StatusBadRequest, codeMissingField, "name"},
		{"blank name", `{"name": "   "}`, "", http.StatusBadRequest, codeMissingField, "name"},
		{"too long name", `{"name": "` + strings.Repeat("n", 201) + `"}`, "", http.StatusUnprocessableEntity, codeInvalidValue, "name"},
		{"oversized", `{"name": "` + strings.Repeat("x", 300) + `"}`, "", http.StatusRequestEntityTooLarge, codeTooLarge, ""},
		{"text/plain", `{"name": "Acme"}`, "text/plain", http.StatusUnsupportedMediaType, codeMediaType, ""},
		{"form", `name=Acme`, "application/x-www-form-urlencoded", http.StatusUnsupportedMediaType, codeMediaType, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var hdr []string
			if tc.ctype != "" {
				hdr = []string{"Content-Type", tc.ctype}
			}
			before := e.store.writeCount()
			r := e.do("POST", "/api/v1/clients", e.keyA, tc.body, hdr...)
			if r.status != tc.status {
				t.Fatalf("status = %d, want %d: %s", r.status, tc.status, r.body)
			}
			got := r.errBody(t)
			if got.Code != tc.code || got.Field != tc.field {
				t.Fatalf("error = %+v, want code %q field %q", got, tc.code, tc.field)
			}
			if e.store.writeCount() != before {
				t.Fatalf("a refused request wrote to the store")
			}
		})
	}
	t.Run("charset and +json are JSON", func(t *testing.T) {
		for i, ct := range []string{"application/json; charset=utf-8", "application/merge-patch+json"} {
			r := e.do("POST", "/api/v1/clients", e.keyA, `{"name":"ct`+string(rune('a'+i))+`"}`, "Content-Type", ct)
			if r.status != http.StatusCreated {
				t.Fatalf("%s: status = %d: %s", ct, r.status, r.body)
			}
		}
	})
	t.Run("missing content type", func(t *testing.T) {
		r := e.do("POST", "/api/v1/clients", e.keyA, `{"name":"x"}`, "Content-Type", "")
		if r.status != http.StatusUnsupportedMediaType {
			t.Fatalf("status = %d", r.status)
		}
	})
}

func TestPanicIsA500AndTheServerLives(t *testing.T) {
	e := newEnv(t)
	e.store.mu.Lock()
	e.store.panicIn = "ListClients"
	e.store.mu.Unlock()
	r := e.do("GET", "/api/v1/clients", e.keyA, nil)
	if r.status != http.StatusInternalServerError || r.errBody(t).Code != codeInternal {
		t.Fatalf("status = %d: %s", r.status, r.body)
	}
	if strings.Contains(string(r.body), "exploded") {
		t.Fatalf("the panic's text reached the client: %s", r.body)
	}
	if !strings.Contains(e.logs.String(), "handler panic") {
		t.Fatalf("the panic was not logged")
	}
	e.store.mu.Lock()
	e.store.panicIn = ""
	e.store.mu.Unlock()
	e.must(http.StatusOK, "GET", "/api/v1/clients", e.keyA, nil, nil)
}

func TestOneLogLinePerRequest(t *testing.T) {
	e := newEnv(t)
	id := e.createClient(e.keyA, "Logged Co")
	before := strings.Count(e.logs.String(), "request:")
	e.must(http.StatusOK, "GET", "/api/v1/clients/"+id, e.keyA, nil, nil)
	e.do("GET", "/api/v1/clients", "", nil)
	logs := e.logs.String()
	if n := strings.Count(logs, "request:") - before; n != 2 {
		t.Fatalf("%d request lines for 2 requests:\n%s", n, logs)
	}
	var line string
	for l := range strings.Lines(logs) {
		if strings.Contains(l, "route=\"GET /api/v1/clients/{id}\"") {
			line = l
		}
	}
	for _, want := range []string{"[INFO]", "method=GET", "status=200", "duration=", "tenant_id=" + e.tenantA} {
		if !strings.Contains(line, want) {
			t.Fatalf("log line lacks %q: %q", want, line)
		}
	}
	if strings.Contains(logs, id) || strings.Contains(logs, e.keyA) {
		t.Fatalf("logs hold a raw path or the API key:\n%s", logs)
	}
	if !strings.Contains(logs, "status=401") {
		t.Fatalf("the unauthenticated request was not logged:\n%s", logs)
	}
}
