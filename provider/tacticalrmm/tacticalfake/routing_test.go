package tacticalfake

import (
	"net/http"
	"strings"
	"testing"
)

func TestHomeIsAHealthProbeWithoutAuth(t *testing.T) {
	s := newServer(t, Options{})
	r := do(t, s, req{path: "/"})
	if r.status != http.StatusOK || string(r.body) != `{"status":"ok"}` {
		t.Fatalf("GET / = %d %s", r.status, r.body)
	}
}

func TestAppendSlashRedirectsEveryMethod(t *testing.T) {
	s := newServer(t, Options{})
	for _, tc := range []struct {
		method, path, location string
	}{
		{http.MethodGet, "/agents", "/agents/"},
		{http.MethodGet, "/beta/v1/agent?page_size=3&page=2", "/beta/v1/agent/?page_size=3&page=2"},
		{http.MethodPost, "/v2/checkcreds", "/v2/checkcreds/"},
		{http.MethodPatch, "/alerts", "/alerts/"},
		{http.MethodDelete, "/clients/sites", "/clients/sites/"},
	} {
		t.Run(tc.method+tc.path, func(t *testing.T) {
			// No credentials needed: the middleware answers before DRF.
			r := do(t, s, req{method: tc.method, path: tc.path, body: "{}", ctype: "application/json"})
			if r.status != http.StatusMovedPermanently {
				t.Fatalf("status = %d, want 301", r.status)
			}
			if got := r.header.Get("Location"); got != tc.location {
				t.Fatalf("Location = %q, want %q", got, tc.location)
			}
		})
	}
	// A path whose slash form does not resolve either is a plain 404.
	wantHTML(t, do(t, s, req{path: "/nothing-here"}), http.StatusNotFound, "<h1>Not Found</h1>")
}

func TestUnknownRoutesAreDjangoHTML404(t *testing.T) {
	s := newServer(t, Options{})
	for _, p := range []string{"/api/agents/", "/checkcreds/", "/login/", "/agents/short-id/", "/software/tooShort/", "/beta/v2/agent/"} {
		t.Run(p, func(t *testing.T) {
			r := do(t, s, req{path: p, header: adminKey})
			wantHTML(t, r, http.StatusNotFound, "The requested resource was not found on this server.")
		})
	}
}

func TestWrongMethodIs405JSONAfterAuth(t *testing.T) {
	s := newServer(t, Options{})
	r := do(t, s, req{method: http.MethodGet, path: "/alerts/", header: adminKey})
	wantDetail(t, r, http.StatusMethodNotAllowed, `Method "GET" not allowed.`)
	r = do(t, s, req{method: http.MethodPost, path: "/core/version/", header: adminKey})
	wantDetail(t, r, http.StatusMethodNotAllowed, `Method "POST" not allowed.`)
	// The beta viewsets allow GET and PUT only: HEAD and OPTIONS are 405.
	r = do(t, s, req{method: http.MethodOptions, path: "/beta/v1/agent/", header: adminKey})
	wantDetail(t, r, http.StatusMethodNotAllowed, `Method "OPTIONS" not allowed.`)
	// Authentication runs first, so an anonymous wrong method is a 401.
	r = do(t, s, req{method: http.MethodGet, path: "/alerts/"})
	wantDetail(t, r, http.StatusUnauthorized, msgNotAuthenticated)
}

func TestUnhandledErrorIsDjangoHTML500(t *testing.T) {
	s := newServer(t, Options{})
	// ?agent_id= on the beta list is Tactical's KeyError bug.
	r := do(t, s, req{path: "/beta/v1/agent/?agent_id=" + s.Agent(0).AgentID, header: adminKey})
	if r.status != http.StatusInternalServerError || string(r.body) != "<h1>Server Error (500)</h1>" {
		t.Fatalf("got %d %q", r.status, r.body)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Fatalf("Content-Type = %q", ct)
	}
}

func TestAgentIDBugForRestrictedRoles(t *testing.T) {
	s := newServer(t, Options{})
	p := ReadOnlyPerms()
	p.ViewClients = []int{s.Agent(0).ClientID}
	s.AddAPIKey("RESTRICTED", p, zeroTime)
	key := map[string]string{"X-API-KEY": "RESTRICTED"}
	unknown := strings.Repeat("a", 40)
	// AgentPerms looks the agent up first: unknown is a JSON 404.
	wantDetail(t, do(t, s, req{path: "/beta/v1/agent/?agent_id=" + unknown, header: key}), http.StatusNotFound, "No Agent matches the given query.")
	// A visible agent reaches the KeyError.
	if r := do(t, s, req{path: "/beta/v1/agent/?agent_id=" + s.Agent(0).AgentID, header: key}); r.status != http.StatusInternalServerError {
		t.Fatalf("status = %d, want 500", r.status)
	}
	// On the detail route the parameter is harmless for a visible agent.
	getJSONWith(t, s, "/beta/v1/agent/1/?agent_id="+s.Agent(0).AgentID, key)
}

func getJSONWith(t *testing.T, s *Server, path string, h map[string]string) resp {
	t.Helper()
	r := do(t, s, req{path: path, header: h})
	if r.status != http.StatusOK {
		t.Fatalf("GET %s = %d: %.300s", path, r.status, r.body)
	}
	return r
}

func TestSPAHostAnswersHTMLForEverything(t *testing.T) {
	s := newServer(t, Options{SPA: true})
	for _, tc := range []req{
		{path: "/"}, {path: "/beta/v1/agent/", header: adminKey}, {path: "/agents"},
		{method: http.MethodPost, path: "/v2/checkcreds/", body: `{"username":"x"}`, ctype: "application/json"},
		{method: http.MethodPatch, path: "/alerts/"}, {path: "/no/such/thing"},
	} {
		r := do(t, s, tc)
		wantHTML(t, r, http.StatusOK, `<div id=q-app>`)
	}
}

func TestBetaDisabledIsHTML404(t *testing.T) {
	s := newServer(t, Options{BetaDisabled: true})
	for _, p := range []string{"/beta/v1/", "/beta/v1/agent/", "/beta/v1/agent/1/", "/beta/v1/client/", "/beta/v1/site/", "/beta/v1"} {
		wantHTML(t, do(t, s, req{path: p, header: adminKey}), http.StatusNotFound, "<h1>Not Found</h1>")
	}
	// The rest of the API is still there.
	getJSON(t, s, "/agents/?detail=false")
}

func TestFormatSuffixAndNegotiation(t *testing.T) {
	s := newServer(t, Options{})
	r := getJSON(t, s, "/beta/v1/agent.json?page_size=1")
	if r.obj(t)["count"] == nil {
		t.Fatalf("agent.json is not the list: %.200s", r.body)
	}
	getJSON(t, s, "/beta/v1/agent/1.json")
	wantDetail(t, do(t, s, req{path: "/beta/v1/agent.api", header: adminKey}), http.StatusNotFound, "Not found.")
	wantDetail(t, do(t, s, req{path: "/agents/?format=api", header: adminKey}), http.StatusNotFound, "Not found.")
	h := map[string]string{"X-API-KEY": DefaultAPIKey, "Accept": "text/html"}
	wantDetail(t, do(t, s, req{path: "/agents/", header: h}), http.StatusNotAcceptable, "Could not satisfy the request Accept header.")
	h["Accept"] = "text/html, */*;q=0.8"
	getJSONWith(t, s, "/core/version/", h)
}

func TestTLSLinksAndCertPool(t *testing.T) {
	s := newServer(t, Options{TLS: true})
	if !strings.HasPrefix(s.URL(), "https://") || s.CertPool() == nil {
		t.Fatalf("URL %q, pool %v", s.URL(), s.CertPool())
	}
	r := getJSON(t, s, "/beta/v1/agent/?page_size=1")
	next, _ := r.obj(t)["next"].(string)
	if !strings.HasPrefix(next, s.URL()+"/beta/v1/agent/?") {
		t.Fatalf("next = %q, want an https link on %s", next, s.URL())
	}
	if plain := newServer(t, Options{}); plain.CertPool() != nil {
		t.Fatal("a plain-HTTP server has a cert pool")
	}
}
