package api

import (
	"encoding/hex"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/msp-psa/psa-host/host/pluginmgr"
)

func TestCreateIntegration(t *testing.T) {
	e := newEnv(t)
	var v integrationView
	r := e.must(http.StatusCreated, "POST", "/api/v1/integrations", e.keyA, map[string]any{
		"provider": "tacticalrmm", "name": "  Main RMM ", "instance_url": "API.rmm.example.com/",
		"auth_mode": "api_key", "credentials": map[string]string{"api_key": testAPIKey},
		"settings": map[string]any{"sync_interval_minutes": 15},
	}, &v)
	if r.header.Get("Location") != "/api/v1/integrations/"+v.ID || !isUUID(v.ID) {
		t.Fatalf("Location = %q, id = %q", r.header.Get("Location"), v.ID)
	}
	if v.Name != "Main RMM" || v.InstanceURL != "https://api.rmm.example.com" || v.Provider != "tacticalrmm" || v.AuthMode != "api_key" {
		t.Fatalf("integration = %+v", v.Integration)
	}
	if string(v.Settings) != `{"sync_interval_minutes":15}` {
		t.Fatalf("settings = %s", v.Settings)
	}
	if len(v.Secrets) != 1 || v.Secrets[0].Name != "api_key" || v.Secrets[0].Masked != "****XYZW" {
		t.Fatalf("secrets = %+v, want only api_key masked", v.Secrets)
	}
	if !v.HasCredentials || v.Connection != "not_connected" || v.IsActive {
		t.Fatalf("status = has %v, %q, active %v", v.HasCredentials, v.Connection, v.IsActive)
	}
	stored := e.store.secretsOf(v.ID)
	if stored["api_key"] != testAPIKey {
		t.Fatalf("api_key not stored")
	}
	ws := stored[webhookSecretName]
	if b, err := hex.DecodeString(ws); err != nil || len(b) != 32 {
		t.Fatalf("webhook secret = %d hex chars, want 64", len(ws))
	}
	if strings.Contains(string(r.body), ws) || strings.Contains(string(r.body), webhookSecretName) {
		t.Fatalf("the webhook secret appears in the answer: %s", r.body)
	}

	// A second integration gets its own webhook secret.
	v2 := e.createIntegration(e.keyA, "Second")
	if e.store.secretsOf(v2.ID)[webhookSecretName] == ws {
		t.Fatalf("two integrations share a webhook secret")
	}
}

func TestCreateIntegrationRefusals(t *testing.T) {
	valid := func() map[string]any {
		return map[string]any{
			"provider": "tacticalrmm", "name": "RMM", "instance_url": "https://api.rmm.example.com",
			"auth_mode": "api_key", "credentials": map[string]string{"api_key": testAPIKey},
		}
	}
	with := func(k string, v any) map[string]any {
		m := valid()
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	cases := []struct {
		name   string
		body   any
		status int
		code   string
		field  string
	}{
		{"missing provider", with("provider", nil), 400, codeMissingField, "provider"},
		{"missing name", with("name", nil), 400, codeMissingField, "name"},
		{"missing instance_url", with("instance_url", nil), 400, codeMissingField, "instance_url"},
		{"missing auth_mode", with("auth_mode", nil), 400, codeMissingField, "auth_mode"},
		{"credentials of the wrong type", with("credentials", []string{"x"}), 400, codeWrongType, "credentials"},
		{"credential value not a string", with("credentials", map[string]any{"api_key": 12}), 400, codeWrongType, "credentials"},
		{"settings not an object", with("settings", "fast"), 400, codeWrongType, "settings"},
		{"unknown field", with("region", "eu"), 400, codeUnknownField, "region"},
		{"unknown provider", with("provider", "kaseya"), 422, codeInvalidValue, "provider"},
		{"ftp URL", with("instance_url", "ftp://rmm.example.com"), 422, codeInvalidValue, "instance_url"},
		{"URL without host", with("instance_url", "https://"), 422, codeInvalidValue, "instance_url"},
		{"URL with user info", with("instance_url", "https://admin:hunter2@rmm.example.com"), 422, codeInvalidValue, "instance_url"},
		{"URL with query", with("instance_url", "https://rmm.example.com/?x=1"), 422, codeInvalidValue, "instance_url"},
		{"URL with bad port", with("instance_url", "rmm.example.com:99999"), 422, codeInvalidValue, "instance_url"},
		{"unparseable URL", with("instance_url", "https://rmm example.com/%zz"), 422, codeInvalidValue, "instance_url"},
		{"auth mode not offered", with("auth_mode", "oauth2"), 422, codeInvalidValue, "auth_mode"},
		{"required secret missing", with("credentials", map[string]string{}), 422, codeInvalidValue, "credentials.api_key"},
		{"required secret empty", with("credentials", map[string]string{"api_key": ""}), 422, codeInvalidValue, "credentials.api_key"},
		{"no credentials at all", with("credentials", nil), 422, codeInvalidValue, "credentials.api_key"},
		{"password mode lacks password", func() any {
			m := with("auth_mode", "password")
			m["credentials"] = map[string]string{"username": "admin"}
			return m
		}(), 422, codeInvalidValue, "credentials.password"},
		{"credential the mode does not use", with("credentials", map[string]string{"api_key": testAPIKey, "password": "x"}), 422, codeInvalidValue, "credentials.password"},
		{"webhook secret set by the client", with("credentials", map[string]string{"api_key": testAPIKey, "webhook_secret": "mine"}), 422, codeInvalidValue, "credentials.webhook_secret"},
		{"provider plugin down", with("provider", "ninjaone"), 503, codePluginDown, ""},
	}
	e := newEnv(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := e.store.writeCount()
			r := e.do("POST", "/api/v1/integrations", e.keyA, tc.body)
			if r.status != tc.status {
				t.Fatalf("status = %d, want %d: %s", r.status, tc.status, r.body)
			}
			if got := r.errBody(t); got.Code != tc.code || got.Field != tc.field {
				t.Fatalf("error = %+v, want code %q field %q", got, tc.code, tc.field)
			}
			if e.store.writeCount() != before {
				t.Fatalf("a refused create wrote to the store")
			}
			if strings.Contains(string(r.body), "hunter2") || strings.Contains(string(r.body), testAPIKey[:8]) {
				t.Fatalf("the refusal echoes a credential: %s", r.body)
			}
		})
	}
	t.Run("duplicate name is a conflict", func(t *testing.T) {
		e.createIntegration(e.keyA, "Taken")
		r := e.do("POST", "/api/v1/integrations", e.keyA, with("name", "Taken"))
		if r.status != http.StatusConflict || r.errBody(t).Code != codeConflict {
			t.Fatalf("status = %d: %s", r.status, r.body)
		}
	})
}

func TestNormalizeInstanceURL(t *testing.T) {
	cases := []struct{ in, want string }{
		{"api.rmm.example.com", "https://api.rmm.example.com"},
		{"localhost:8443", "https://localhost:8443"},
		{"http://10.0.0.5:8000/", "http://10.0.0.5:8000"},
		{"HTTPS://API.Example.COM/rmm//", "https://api.example.com/rmm"},
		{" https://[::1]:9000 ", "https://[::1]:9000"},
	}
	for _, tc := range cases {
		got, err := normalizeInstanceURL(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("normalizeInstanceURL(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestGetAndListIntegrations(t *testing.T) {
	e := newEnv(t)
	a := e.createIntegration(e.keyA, "Alpha")
	b := e.createIntegration(e.keyA, "Beta")
	var got integrationView
	e.must(http.StatusOK, "GET", "/api/v1/integrations/"+a.ID, e.keyA, nil, &got)
	if got.ID != a.ID || got.Name != "Alpha" || len(got.Secrets) != 1 {
		t.Fatalf("get = %+v", got)
	}
	// Upper-case ids name the same row.
	e.must(http.StatusOK, "GET", "/api/v1/integrations/"+strings.ToUpper(a.ID), e.keyA, nil, nil)
	e.must(http.StatusNotFound, "GET", "/api/v1/integrations/"+newID(), e.keyA, nil, nil)
	e.must(http.StatusNotFound, "GET", "/api/v1/integrations/not-an-id", e.keyA, nil, nil)

	var page listPage[integrationView]
	e.must(http.StatusOK, "GET", "/api/v1/integrations", e.keyA, nil, &page)
	if len(page.Items) != 2 || page.NextAfter != nil {
		t.Fatalf("list = %d items, next %v", len(page.Items), page.NextAfter)
	}
	ids := map[string]bool{a.ID: true, b.ID: true}
	for _, it := range page.Items {
		if !ids[it.ID] {
			t.Fatalf("unexpected integration %s", it.ID)
		}
	}
	// Paged one at a time, the two pages cover both.
	var p1, p2 listPage[integrationView]
	e.must(http.StatusOK, "GET", "/api/v1/integrations?limit=1", e.keyA, nil, &p1)
	if len(p1.Items) != 1 || p1.NextAfter == nil || *p1.NextAfter != p1.Items[0].ID {
		t.Fatalf("page 1 = %+v", p1)
	}
	e.must(http.StatusOK, "GET", "/api/v1/integrations?limit=1&after="+*p1.NextAfter, e.keyA, nil, &p2)
	if len(p2.Items) != 1 || p2.NextAfter != nil || p2.Items[0].ID == p1.Items[0].ID {
		t.Fatalf("page 2 = %+v", p2)
	}
}

func TestPatchIntegration(t *testing.T) {
	e := newEnv(t)

	t.Run("rename and move", func(t *testing.T) {
		v := e.createIntegration(e.keyA, "Old")
		var got integrationView
		e.must(http.StatusOK, "PATCH", "/api/v1/integrations/"+v.ID, e.keyA,
			map[string]any{"name": "New", "instance_url": "rmm2.example.com", "settings": map[string]int{"x": 1}}, &got)
		if got.Name != "New" || got.InstanceURL != "https://rmm2.example.com" || string(got.Settings) != `{"x":1}` || got.Revision <= v.Revision {
			t.Fatalf("patched = %+v", got.Integration)
		}
		if e.store.secretsOf(v.ID)["api_key"] != testAPIKey {
			t.Fatalf("a rename touched the credentials")
		}
	})

	t.Run("new key in the same mode merges", func(t *testing.T) {
		v := e.createIntegration(e.keyA, "Merge")
		ws := e.store.secretsOf(v.ID)[webhookSecretName]
		e.must(http.StatusOK, "PATCH", "/api/v1/integrations/"+v.ID, e.keyA,
			map[string]any{"credentials": map[string]string{"api_key": "rotated-key-0000000000-ABCD"}}, nil)
		got := e.store.secretsOf(v.ID)
		if got["api_key"] != "rotated-key-0000000000-ABCD" || got[webhookSecretName] != ws {
			t.Fatalf("secrets after merge: %v", slices.Sorted(maps.Keys(got)))
		}
	})

	t.Run("auth mode change replaces credentials but keeps the webhook secret", func(t *testing.T) {
		v := e.createIntegration(e.keyA, "Switch")
		ws := e.store.secretsOf(v.ID)[webhookSecretName]
		var got integrationView
		e.must(http.StatusOK, "PATCH", "/api/v1/integrations/"+v.ID, e.keyA, map[string]any{
			"auth_mode": "password", "credentials": map[string]string{"username": "admin", "password": "correct-horse-battery"},
		}, &got)
		if got.AuthMode != "password" {
			t.Fatalf("auth mode = %q", got.AuthMode)
		}
		sec := e.store.secretsOf(v.ID)
		if _, ok := sec["api_key"]; ok {
			t.Fatalf("the old mode's api_key lingers")
		}
		if sec["username"] != "admin" || sec["password"] != "correct-horse-battery" || sec[webhookSecretName] != ws {
			t.Fatalf("secrets after switch: %v", slices.Sorted(maps.Keys(sec)))
		}
		names := []string{}
		for _, s := range got.Secrets {
			names = append(names, s.Name)
		}
		if strings.Join(names, ",") != "password,username" {
			t.Fatalf("answer shows secrets %v", names)
		}
	})

	t.Run("empty patch changes nothing", func(t *testing.T) {
		v := e.createIntegration(e.keyA, "Same")
		var got integrationView
		e.must(http.StatusOK, "PATCH", "/api/v1/integrations/"+v.ID, e.keyA, map[string]any{}, &got)
		if got.Revision != v.Revision {
			t.Fatalf("revision %d -> %d", v.Revision, got.Revision)
		}
	})

	v := e.createIntegration(e.keyA, "Target")
	path := "/api/v1/integrations/" + v.ID
	cases := []struct {
		name   string
		path   string
		body   any
		status int
		field  string
	}{
		{"blank name", path, map[string]any{"name": ""}, 400, "name"},
		{"name wrong type", path, map[string]any{"name": true}, 400, "name"},
		{"unknown field", path, map[string]any{"provider": "minimal"}, 400, "provider"},
		{"bad URL", path, map[string]any{"instance_url": "gopher://x"}, 422, "instance_url"},
		{"mode not offered", path, map[string]any{"auth_mode": "oauth2"}, 422, "auth_mode"},
		{"new mode without its secrets", path, map[string]any{"auth_mode": "password", "credentials": map[string]string{"username": "a"}}, 422, "credentials.password"},
		{"deleting a required secret", path, map[string]any{"credentials": map[string]string{"api_key": ""}}, 422, "credentials.api_key"},
		{"setting the webhook secret", path, map[string]any{"credentials": map[string]string{"webhook_secret": "x"}}, 422, "credentials.webhook_secret"},
		{"unknown integration", "/api/v1/integrations/" + newID(), map[string]any{"name": "x"}, 404, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := e.store.writeCount()
			r := e.do("PATCH", tc.path, e.keyA, tc.body)
			if r.status != tc.status || r.errBody(t).Field != tc.field {
				t.Fatalf("status = %d field %q, want %d %q: %s", r.status, r.errBody(t).Field, tc.status, tc.field, r.body)
			}
			if e.store.writeCount() != before {
				t.Fatalf("a refused patch wrote to the store")
			}
		})
	}
	if e.store.secretsOf(v.ID)["api_key"] != testAPIKey {
		t.Fatalf("refused patches changed the credentials")
	}
}

func TestDisconnectClearsCredentials(t *testing.T) {
	e := newEnv(t)
	v := e.createIntegration(e.keyA, "Gone")
	e.store.setActive(v.ID)
	ws := e.store.secretsOf(v.ID)[webhookSecretName]
	var got integrationView
	e.must(http.StatusOK, "DELETE", "/api/v1/integrations/"+v.ID, e.keyA, nil, &got)
	if got.IsActive || got.HasCredentials || len(got.Secrets) != 0 || got.Connection != "disconnected" || got.DisconnectedAt == nil {
		t.Fatalf("after disconnect = %+v", got)
	}
	sec := e.store.secretsOf(v.ID)
	if len(sec) != 1 || sec[webhookSecretName] != ws {
		t.Fatalf("secrets after disconnect: %v", slices.Sorted(maps.Keys(sec)))
	}
	// The integration, its data and its id stay.
	e.must(http.StatusOK, "GET", "/api/v1/integrations/"+v.ID, e.keyA, nil, nil)
	e.must(http.StatusNotFound, "DELETE", "/api/v1/integrations/"+newID(), e.keyA, nil, nil)

	// Reconnecting in the same mode needs the required secret again.
	r := e.do("PATCH", "/api/v1/integrations/"+v.ID, e.keyA, map[string]any{"credentials": map[string]string{}})
	if r.status != http.StatusUnprocessableEntity || r.errBody(t).Field != "credentials.api_key" {
		t.Fatalf("reconnect without a key = %d: %s", r.status, r.body)
	}
	e.must(http.StatusOK, "PATCH", "/api/v1/integrations/"+v.ID, e.keyA,
		map[string]any{"credentials": map[string]string{"api_key": testAPIKey}}, &got)
	if !got.HasCredentials {
		t.Fatalf("reconnect did not store the key")
	}
}

func TestProviders(t *testing.T) {
	e := newEnv(t)
	e.providers.running["minimal"].describeErr = errorf(500, "x", "", "boom")
	var page listPage[providerView]
	r := e.must(http.StatusOK, "GET", "/api/v1/providers", e.keyA, nil, &page)
	byName := map[string]providerView{}
	for _, p := range page.Items {
		byName[p.Name] = p
	}
	tac := byName["tacticalrmm"]
	if tac.State != pluginmgr.StateRunning || tac.DisplayName != "Tactical RMM" || tac.Version != "1.2.3" || !tac.Webhooks {
		t.Fatalf("tacticalrmm = %+v", tac)
	}
	if len(tac.AuthModes) != 2 || tac.AuthModes[1].Mode != "password" ||
		strings.Join(tac.AuthModes[1].RequiredSecrets, ",") != "username,password" {
		t.Fatalf("auth modes = %+v", tac.AuthModes)
	}
	// Describe failed: the listing keeps what the manager knew.
	if m := byName["minimal"]; m.State != pluginmgr.StateRunning || len(m.AuthModes) != 0 || len(m.Capabilities) != 2 {
		t.Fatalf("minimal = %+v", m)
	}
	if n := byName["ninjaone"]; n.State != pluginmgr.StateRestarting || n.Reason == "" {
		t.Fatalf("ninjaone = %+v", n)
	}
	if strings.Contains(string(r.body), "/plugins/") || strings.Contains(string(r.body), "4242") {
		t.Fatalf("host details leak to tenants: %s", r.body)
	}
}
