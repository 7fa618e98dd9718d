package webhooks

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/msp-psa/psa-host/host/store"
	"github.com/msp-psa/psa-host/shared/providertest/fakeprovider"
	"github.com/msp-psa/psa-host/shared/rmm"
)

func TestIngressRefusals(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	good := alertBody("acme:dev-1-1", "body-marker-7Q", rmm.AlertTriggered)

	// An integration that was disconnected, and one without a secret.
	discTenant, disconnected, discSecret := e.newIntegration("disconnected")
	if _, err := e.st.DisconnectIntegration(ctx, discTenant, disconnected); err != nil {
		t.Fatal(err)
	}
	tn, _, err := e.st.CreateTenant(ctx, "no secret")
	if err != nil {
		t.Fatal(err)
	}
	noSecret, err := e.st.CreateIntegration(ctx, tn.ID, store.NewIntegration{Provider: "fake", Name: "no secret",
		InstanceURL: "http://fake.invalid", AuthMode: rmm.AuthAPIKey, Secrets: map[string]string{"api_key": "k"}})
	if err != nil {
		t.Fatal(err)
	}

	big := `{"pad": "` + strings.Repeat("x", DefaultMaxBodyBytes) + `"}`
	for _, c := range []struct {
		name       string
		method     string
		path       string
		secret     string
		body       string
		hdr        []string
		wantStatus int
		wantCode   string
	}{
		{"GET", "GET", "/api/webhooks/fake/" + e.integration, e.secret, "", nil, 405, "method_not_allowed"},
		{"PUT", "PUT", "/api/webhooks/fake/" + e.integration, e.secret, good, nil, 405, "method_not_allowed"},
		{"unknown integration", "POST", "/api/webhooks/fake/0b0c6a52-8f0f-4c1e-9d55-2a6f4d7b9e01", e.secret, good, nil, 404, "not_found"},
		{"id that is not a uuid", "POST", "/api/webhooks/fake/acme", e.secret, good, nil, 404, "not_found"},
		{"another provider's path", "POST", "/api/webhooks/tacticalrmm/" + e.integration, e.secret, good,
			[]string{DefaultSecretHeader, e.secret}, 404, "not_found"},
		{"provider without webhooks", "POST", "/api/webhooks/nowebhooks/" + e.integration, e.secret, good, nil, 404, "not_found"},
		{"disconnected", "POST", "/api/webhooks/fake/" + disconnected, discSecret, good, nil, 404, "not_found"},
		{"no webhook secret", "POST", "/api/webhooks/fake/" + noSecret.ID, "", good, nil, 404, "not_found"},
		{"wrong secret", "POST", "/api/webhooks/fake/" + e.integration, strings.Repeat("0", 64), good, nil, 401, "unauthorized"},
		{"missing secret", "POST", "/api/webhooks/fake/" + e.integration, "", good, nil, 401, "unauthorized"},
		{"secret in the default header", "POST", "/api/webhooks/fake/" + e.integration, "", good,
			[]string{DefaultSecretHeader, e.secret}, 401, "unauthorized"},
		{"empty body", "POST", "/api/webhooks/fake/" + e.integration, e.secret, "", nil, 400, "invalid_json"},
		{"blank body", "POST", "/api/webhooks/fake/" + e.integration, e.secret, " \r\n ", nil, 400, "invalid_json"},
		{"form body", "POST", "/api/webhooks/fake/" + e.integration, e.secret, "device_id=x&state=triggered",
			[]string{"Content-Type", "application/x-www-form-urlencoded"}, 400, "invalid_json"},
		{"truncated JSON", "POST", "/api/webhooks/fake/" + e.integration, e.secret, `{"device_id": "x"`, nil, 400, "invalid_json"},
		{"compressed", "POST", "/api/webhooks/fake/" + e.integration, e.secret, good,
			[]string{"Content-Encoding", "gzip"}, 415, "unsupported_media_type"},
		{"over 1 MiB", "POST", "/api/webhooks/fake/" + e.integration, e.secret, big, nil, 413, "payload_too_large"},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := e.send(c.method, c.path, c.secret, c.body, c.hdr...)
			if a.status != c.wantStatus {
				t.Fatalf("status = %d, want %d: %s", a.status, c.wantStatus, a.body)
			}
			var b errorBody
			if err := json.Unmarshal([]byte(a.body), &b); err != nil || b.Error.Code != c.wantCode || b.Error.Message == "" {
				t.Fatalf("body = %s, want error code %q", a.body, c.wantCode)
			}
			if c.wantStatus == http.StatusMethodNotAllowed && a.header.Get("Allow") != "POST" {
				t.Fatalf("Allow = %q", a.header.Get("Allow"))
			}
			if strings.Contains(a.body, e.secret) {
				t.Fatal("the answer holds the secret")
			}
		})
	}

	if n := e.count(`SELECT count(*) FROM webhook_inbox`); n != 0 {
		t.Fatalf("%d deliveries stored by refused requests", n)
	}
	if n := e.count(`SELECT coalesce(sum(failure_count), 0)::int FROM webhook_auth_failures WHERE integration_id = $1`, e.integration); n != 3 {
		t.Fatalf("auth failures counted = %d, want 3", n)
	}
	if n := e.count(`SELECT count(*) FROM webhook_auth_failures WHERE integration_id <> $1`, e.integration); n != 0 {
		t.Fatalf("%d failures counted on other integrations", n)
	}
	if e.woken.Load() != 0 {
		t.Fatal("a refused request woke the processor")
	}
	if logs := e.logs.String(); strings.Contains(logs, e.secret) || strings.Contains(logs, "body-marker-7Q") {
		t.Fatalf("the log holds the secret or the body:\n%s", logs)
	}
}

// rowCheckingWriter records, when the status is written, whether the
// delivery is already in the database.
type rowCheckingWriter struct {
	*httptest.ResponseRecorder
	e         *env
	rowsAtAck int
}

func (w *rowCheckingWriter) WriteHeader(code int) {
	w.rowsAtAck = w.e.count(`SELECT count(*) FROM webhook_inbox WHERE status = 'pending'`)
	w.ResponseRecorder.WriteHeader(code)
}

func TestIngressStoresTheDeliveryBeforeAnswering(t *testing.T) {
	e := newEnv(t)
	body := "\xef\xbb\xbf" + alertBody("acme:dev-1-1", "a1", rmm.AlertTriggered)
	req := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/api/webhooks/fake/"+e.integration+"?source=test", strings.NewReader(body))
	req.SetPathValue("provider", "fake")
	req.SetPathValue("integration_id", strings.ToUpper(e.integration))
	req.Header.Set(fakeprovider.WebhookSecretHeader, e.secret)
	req.Header.Set("Authorization", "Bearer other-credential")
	req.Header.Set("X-Request-Id", "r-1")
	w := &rowCheckingWriter{ResponseRecorder: httptest.NewRecorder(), e: e}
	e.ingress.ServeHTTP(w, req)

	if w.Code != http.StatusAccepted || w.rowsAtAck != 1 {
		t.Fatalf("status %d with %d rows stored when it was written; want 202 after the row", w.Code, w.rowsAtAck)
	}
	var got accepted
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil || got.Status != "accepted" {
		t.Fatalf("body = %s", w.Body)
	}
	// No processor runs: the delivery waits in the inbox as sent.
	d := e.delivery(got.InboxID)
	if d.Status != "pending" || string(d.Body) != body || d.Query != "source=test" || d.Method != "POST" ||
		d.Provider != "fake" || d.IntegrationID != e.integration {
		t.Fatalf("stored = %+v, body %q", d.InboxItem, d.Body)
	}
	if d.Headers.Get("X-Request-Id") != "r-1" || d.Headers.Get(fakeprovider.WebhookSecretHeader) != "" || d.Headers.Get("Authorization") != "" {
		t.Fatalf("stored headers = %v; want all but the credentials", d.Headers)
	}
	if e.woken.Load() != 1 {
		t.Fatalf("processor woken %d times, want 1", e.woken.Load())
	}
}

func TestIngressAcceptsTacticalShapes(t *testing.T) {
	e := newEnv(t)
	// Tactical sends no Content-Type unless its headers set one, and sends
	// a template that is not valid JSON as one JSON string.
	for _, body := range []string{
		`"{\"device_id\": \"acme:dev-1-1\", \"message\": \"quote \" inside\"}"`,
		`{"device_id": "acme:dev-1-1"}`,
		"[1, 2]",
	} {
		a := e.post(e.integration, e.secret, body)
		if a.status != http.StatusAccepted {
			t.Errorf("%s = %d: %s", body, a.status, a.body)
		}
	}
	if n := e.count(`SELECT count(*) FROM webhook_inbox`); n != 3 {
		t.Fatalf("%d stored, want 3", n)
	}
}

func TestStoredHeaders(t *testing.T) {
	in := http.Header{
		"X-Fake-Secret":       {"s"},
		"Authorization":       {"Bearer x"},
		"Proxy-Authorization": {"Basic y"},
		"Cookie":              {"c=1"},
		"Content-Type":        {"application/json"},
		"X-Trace":             {"a", "b"},
	}
	for _, c := range []struct {
		header string
		want   []string
	}{
		{"X-Fake-Secret", []string{"Content-Type", "X-Trace"}},
		{"x-fake-secret", []string{"Content-Type", "X-Trace"}},
		{"X-PSA-Webhook-Secret", []string{"Content-Type", "X-Fake-Secret", "X-Trace"}},
	} {
		got := storedHeaders(in, c.header)
		if len(got) != len(c.want) {
			t.Errorf("%s: kept %v, want %v", c.header, got, c.want)
		}
		for _, name := range c.want {
			if len(got[name]) != len(in[name]) {
				t.Errorf("%s: %s = %v", c.header, name, got[name])
			}
		}
	}
	out := storedHeaders(in, "X-Fake-Secret")
	out["X-Trace"][0] = "changed"
	if in["X-Trace"][0] != "a" {
		t.Fatal("storedHeaders shares slices with its input")
	}
}

func TestSecretHeaderLookup(t *testing.T) {
	p := &testProviders{webhook: &rmm.WebhookSpec{SecretHeader: "X-Fake-Secret"}}
	for _, c := range []struct {
		provider string
		header   string
		ok       bool
	}{
		{"fake", "X-Fake-Secret", true},
		{"nowebhooks", "", false},
		{"never-described", DefaultSecretHeader, true},
	} {
		h, ok := SecretHeader(p, c.provider)
		if h != c.header || ok != c.ok {
			t.Errorf("SecretHeader(%q) = %q, %v; want %q, %v", c.provider, h, ok, c.header, c.ok)
		}
	}
	p.webhook = &rmm.WebhookSpec{}
	if h, ok := SecretHeader(p, "fake"); h != DefaultSecretHeader || !ok {
		t.Errorf("a spec without a header = %q, %v", h, ok)
	}
}
