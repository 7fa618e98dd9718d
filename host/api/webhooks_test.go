package api

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/msp-psa/psa-host/host/pgcluster/pgtest"
	"github.com/msp-psa/psa-host/host/pluginmgr"
	"github.com/msp-psa/psa-host/host/secrets"
	"github.com/msp-psa/psa-host/host/store"
	"github.com/msp-psa/psa-host/host/webhooks"
	"github.com/msp-psa/psa-host/shared/rmm"
)

// withRecordedWebhooks is the plugin manager as it reports running
// providers: with the webhook spec their Describe gave at launch.
type withRecordedWebhooks struct{ *fakeProviders }

func (p withRecordedWebhooks) List() []pluginmgr.PluginInfo {
	infos := p.fakeProviders.List()
	for i, info := range infos {
		if fp, ok := p.running[info.Name]; ok {
			infos[i].Webhook = fp.meta.Webhook
		}
	}
	return infos
}

const publicURL = "https://psa.example.com/"

func tacticalWebhookMeta() rmm.Metadata {
	m := tacticalMeta()
	m.Webhook = &rmm.WebhookSpec{SecretHeader: "X-PSA-Webhook-Secret", Templates: []rmm.WebhookTemplate{{
		Name: "failure", URL: rmm.WebhookURLPlaceholder,
		Headers: `{"X-PSA-Webhook-Secret": "` + rmm.WebhookSecretPlaceholder + `"}`,
		Body:    `{"event": "failure", "agent_id": "{{agent.agent_id}}"}`,
		Notes:   "paste into " + rmm.WebhookURLPlaceholder,
	}}}
	return m
}

// webhookEnv is the API with the webhook ingress over PostgreSQL.
type webhookEnv struct {
	*env
	st *store.Store
}

func newWebhookEnv(t *testing.T) *webhookEnv {
	t.Helper()
	dsn := pgtest.New(t)
	if err := store.MigrateUp(t.Context(), dsn); err != nil {
		t.Fatal(err)
	}
	box, err := secrets.NewBox(bytes.Repeat([]byte{7}, secrets.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(t.Context(), dsn, box)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	e := &env{t: t, logs: &lockedBuffer{}, providers: &fakeProviders{running: map[string]*fakeProvider{
		"tacticalrmm": {meta: tacticalWebhookMeta()},
		"minimal":     {meta: minimalMeta()},
	}}}
	for _, tn := range []struct{ id, key *string }{{&e.tenantA, &e.keyA}, {&e.tenantB, &e.keyB}} {
		tenant, key, err := st.CreateTenant(t.Context(), "tenant "+newID())
		if err != nil {
			t.Fatal(err)
		}
		*tn.id, *tn.key = tenant.ID, key
	}
	log := hclog.New(&hclog.LoggerOptions{Output: e.logs, Level: hclog.Trace})
	providers := withRecordedWebhooks{e.providers}
	e.srv = httptest.NewServer(New(Config{
		Store: st, Syncer: &storeSyncer{st: st, result: rmm.TestConnectionResult{OK: true}},
		Providers: providers, Logger: log, PublicURL: publicURL,
		Webhooks: webhooks.NewIngress(st, providers, log, webhooks.IngressOptions{}),
	}))
	t.Cleanup(e.srv.Close)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("host log:\n%s", e.logs.String())
		}
	})
	return &webhookEnv{env: e, st: st}
}

// deliver posts a webhook with secret in Tactical's header.
func (e *webhookEnv) deliver(integrationID, secret, body string) resp {
	e.t.Helper()
	req, err := http.NewRequestWithContext(e.t.Context(), http.MethodPost,
		e.srv.URL+"/api/webhooks/tacticalrmm/"+integrationID, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("X-PSA-Webhook-Secret", secret)
	res, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	e.answers = append(e.answers, string(raw))
	return resp{status: res.StatusCode, header: res.Header, body: raw}
}

func (e *webhookEnv) storedSecret(tenant, id string) string {
	e.t.Helper()
	pi, _, err := e.st.ProviderIntegration(e.t.Context(), tenant, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return pi.Secret(webhookSecretName)
}

func TestWebhookSettingsAndRotation(t *testing.T) {
	e := newWebhookEnv(t)
	v := e.createIntegration(e.keyA, "Main")
	path := "/api/v1/integrations/" + v.ID + "/webhook"
	old := e.storedSecret(e.tenantA, v.ID)
	wantURL := "https://psa.example.com/api/webhooks/tacticalrmm/" + v.ID

	var got webhookSettingsView
	r := e.must(http.StatusOK, "GET", path, e.keyA, nil, &got)
	if got.URL != wantURL || got.Method != "POST" || got.HeaderName != "X-PSA-Webhook-Secret" ||
		got.SecretMasked != "****"+old[len(old)-4:] || got.AuthFailures.Count != 0 {
		t.Fatalf("settings = %+v", got)
	}
	if len(got.Templates) != 1 {
		t.Fatalf("templates = %+v", got.Templates)
	}
	tpl := got.Templates[0]
	if tpl.URL != wantURL || tpl.Method != "POST" || tpl.Notes != "paste into "+wantURL ||
		!strings.Contains(tpl.Headers, rmm.WebhookSecretPlaceholder) || !strings.Contains(tpl.Body, "{{agent.agent_id}}") {
		t.Fatalf("template = %+v", tpl)
	}
	if strings.Contains(string(r.body), old) {
		t.Fatal("the settings show the secret")
	}

	// The stored secret opens the ingress; a wrong one is counted.
	if a := e.deliver(v.ID, old, `{"agent_id": "a"}`); a.status != http.StatusAccepted {
		t.Fatalf("delivery with the secret = %d: %s", a.status, a.body)
	}
	if a := e.deliver(v.ID, "wrong", `{"agent_id": "a"}`); a.status != http.StatusUnauthorized {
		t.Fatalf("delivery with a wrong secret = %d", a.status)
	}
	e.must(http.StatusOK, "GET", path, e.keyA, nil, &got)
	if got.AuthFailures.Count != 1 || got.AuthFailures.LastFailureAt == nil {
		t.Fatalf("auth failures = %+v", got.AuthFailures)
	}

	// Rotation shows the new secret once, in the templates too.
	var rot rotatedWebhookView
	e.must(http.StatusOK, "POST", path+"/rotate", e.keyA, nil, &rot)
	if b, err := hex.DecodeString(rot.Secret); err != nil || len(b) != 32 || rot.Secret == old {
		t.Fatalf("rotated secret of %d chars, same as before %v", len(rot.Secret), rot.Secret == old)
	}
	if rot.Secret != e.storedSecret(e.tenantA, v.ID) || rot.URL != wantURL || rot.HeaderName != "X-PSA-Webhook-Secret" ||
		len(rot.Templates) != 1 || rot.Templates[0].Headers != `{"X-PSA-Webhook-Secret": "`+rot.Secret+`"}` {
		t.Fatalf("rotate answer = %+v", rot)
	}
	r = e.must(http.StatusOK, "GET", path, e.keyA, nil, &got)
	if strings.Contains(string(r.body), rot.Secret) || got.SecretMasked != "****"+rot.Secret[60:] {
		t.Fatalf("settings after rotation = %+v", got)
	}
	if a := e.deliver(v.ID, old, `{"agent_id": "a"}`); a.status != http.StatusUnauthorized {
		t.Fatalf("the old secret still works: %d", a.status)
	}
	if a := e.deliver(v.ID, rot.Secret, `{"agent_id": "a"}`); a.status != http.StatusAccepted {
		t.Fatalf("the new secret does not work: %d: %s", a.status, a.body)
	}

	// Another tenant can neither read nor rotate it.
	for _, m := range []struct{ method, path string }{{"GET", path}, {"POST", path + "/rotate"}} {
		if r := e.do(m.method, m.path, e.keyB, nil); r.status != http.StatusNotFound {
			t.Errorf("B: %s %s = %d", m.method, m.path, r.status)
		}
	}
	if e.storedSecret(e.tenantA, v.ID) != rot.Secret {
		t.Fatal("the secret changed after B's attempt")
	}
	// A provider that takes no webhooks has no settings.
	mv := e.createIntegrationFor(e.keyA, "minimal", "Minimal")
	if r := e.do("GET", "/api/v1/integrations/"+mv.ID+"/webhook", e.keyA, nil); r.status != http.StatusUnprocessableEntity {
		t.Fatalf("webhook settings of a provider without webhooks = %d: %s", r.status, r.body)
	}

	// The secrets appear in no answer but the rotation's, and in no log.
	logs := e.logs.String()
	for name, secret := range map[string]string{"old": old, "new": rot.Secret} {
		if strings.Contains(logs, secret) {
			t.Errorf("the log holds the %s secret", name)
		}
		for n, a := range e.answers {
			if strings.Contains(a, secret) && !strings.Contains(a, `"secret":`) {
				t.Errorf("answer %d holds the %s secret", n, name)
			}
		}
	}
}

func TestWebhookSettingsWhileThePluginIsDown(t *testing.T) {
	e := newWebhookEnv(t)
	v := e.createIntegration(e.keyA, "Main")
	secret := e.storedSecret(e.tenantA, v.ID)
	// The plugin stops; the manager still knows what it said at launch.
	spec := tacticalWebhookMeta().Webhook
	spec.SecretHeader = "X-Recorded-Secret"
	down := &fakeProviders{running: map[string]*fakeProvider{}, down: map[string]pluginmgr.PluginInfo{
		"tacticalrmm": {Name: "tacticalrmm", State: pluginmgr.StateRestarting, Webhook: spec},
	}}
	srv := httptest.NewServer(New(Config{Store: e.st, Syncer: &storeSyncer{st: e.st}, Providers: down,
		Webhooks: webhooks.NewIngress(e.st, down, nil, webhooks.IngressOptions{})}))
	t.Cleanup(srv.Close)
	e.srv = srv

	var got webhookSettingsView
	e.must(http.StatusOK, "GET", "/api/v1/integrations/"+v.ID+"/webhook", e.keyA, nil, &got)
	if got.HeaderName != "X-Recorded-Secret" || len(got.Templates) != 1 ||
		got.URL != srv.URL+"/api/webhooks/tacticalrmm/"+v.ID {
		t.Fatalf("settings while down = %+v", got)
	}
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, got.URL, strings.NewReader(`{"agent_id": "a"}`))
	req.Header.Set("X-Recorded-Secret", secret)
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusAccepted {
		t.Fatalf("ingress while the plugin is down = %d", res.StatusCode)
	}
}

func TestWebhookInbox(t *testing.T) {
	e := newWebhookEnv(t)
	ctx := t.Context()
	va, vb := e.createIntegration(e.keyA, "A"), e.createIntegration(e.keyB, "B")
	secretA, secretB := e.storedSecret(e.tenantA, va.ID), e.storedSecret(e.tenantB, vb.ID)
	var ids []string
	for _, body := range []string{`{"agent_id": "one"}`, `{"agent_id": "two"}`} {
		var acc struct {
			InboxID string `json:"inbox_id"`
		}
		r := e.deliver(va.ID, secretA, body)
		decode(t, r.body, &acc)
		ids = append(ids, acc.InboxID)
	}
	if r := e.deliver(vb.ID, secretB, `{"agent_id": "b"}`); r.status != http.StatusAccepted {
		t.Fatalf("B's delivery = %d", r.status)
	}

	var page listPage[map[string]any]
	e.must(http.StatusOK, "GET", "/api/v1/webhooks/inbox", e.keyA, nil, &page)
	if len(page.Items) != 2 || page.Items[0]["inbox_id"] != ids[1] || page.Items[0]["status"] != "pending" {
		t.Fatalf("A's inbox = %+v", page.Items)
	}
	if _, hasBody := page.Items[0]["body"]; hasBody || page.Items[0]["body_size"] != float64(len(`{"agent_id": "two"}`)) {
		t.Fatalf("a list item = %+v; want the size, not the body", page.Items[0])
	}
	e.must(http.StatusOK, "GET", "/api/v1/webhooks/inbox?limit=1", e.keyA, nil, &page)
	if len(page.Items) != 1 || page.NextAfter == nil || *page.NextAfter != ids[1] {
		t.Fatalf("first page of one = %+v", page)
	}
	e.must(http.StatusOK, "GET", "/api/v1/webhooks/inbox?integration_id="+va.ID, e.keyB, nil, &page)
	if len(page.Items) != 0 {
		t.Fatalf("B lists A's deliveries: %+v", page.Items)
	}
	e.must(http.StatusOK, "GET", "/api/v1/webhooks/inbox", e.keyB, nil, &page)
	if len(page.Items) != 1 {
		t.Fatalf("B's inbox = %+v", page.Items)
	}

	// One delivery is parked by a worker.
	d, ok, err := e.st.ClaimInbox(ctx, "worker", time.Minute)
	if err != nil || !ok {
		t.Fatalf("claim = %v, %v", ok, err)
	}
	if d.TenantID != e.tenantA {
		// B's came last; the oldest due is A's first.
		t.Fatalf("claimed %s of tenant %s", d.ID, d.TenantID)
	}
	if err := e.st.ParkInbox(ctx, d.TenantID, d.ID, "worker", "invalid input: no alert_id"); err != nil {
		t.Fatal(err)
	}
	e.must(http.StatusOK, "GET", "/api/v1/webhooks/inbox?status=parked", e.keyA, nil, &page)
	if len(page.Items) != 1 || page.Items[0]["inbox_id"] != d.ID || page.Items[0]["last_error"] != "invalid input: no alert_id" {
		t.Fatalf("parked = %+v", page.Items)
	}

	var detail struct {
		ID     string          `json:"inbox_id"`
		Status string          `json:"status"`
		Body   json.RawMessage `json:"body"`
	}
	e.must(http.StatusOK, "GET", "/api/v1/webhooks/inbox/"+d.ID, e.keyA, nil, &detail)
	if detail.ID != d.ID || detail.Status != "parked" || string(detail.Body) != `{"agent_id":"one"}` {
		t.Fatalf("detail = %+v (%s)", detail, detail.Body)
	}

	// Replay: parked is queued again; pending is refused.
	var replayed store.InboxItem
	e.must(http.StatusOK, "POST", "/api/v1/webhooks/inbox/"+d.ID+"/replay", e.keyA, nil, &replayed)
	if replayed.Status != "pending" || replayed.Attempts != 0 {
		t.Fatalf("replayed = %+v", replayed)
	}
	if r := e.do("POST", "/api/v1/webhooks/inbox/"+d.ID+"/replay", e.keyA, nil); r.status != http.StatusConflict || r.errBody(t).Code != codeConflict {
		t.Fatalf("replay of a pending delivery = %d: %s", r.status, r.body)
	}

	// Another tenant sees none of it.
	for _, m := range []struct{ method, path string }{
		{"GET", "/api/v1/webhooks/inbox/" + d.ID}, {"POST", "/api/v1/webhooks/inbox/" + d.ID + "/replay"},
	} {
		if r := e.do(m.method, m.path, e.keyB, nil); r.status != http.StatusNotFound {
			t.Errorf("B: %s %s = %d", m.method, m.path, r.status)
		}
	}
	for _, c := range []struct {
		path   string
		status int
	}{
		{"/api/v1/webhooks/inbox?status=lost", 400},
		{"/api/v1/webhooks/inbox?integration_id=nope", 400},
		{"/api/v1/webhooks/inbox?limit=0", 400},
		{"/api/v1/webhooks/inbox/nope", 404},
		{"/api/v1/webhooks/inbox/0b0c6a52-8f0f-4c1e-9d55-2a6f4d7b9e01", 404},
	} {
		if r := e.do("GET", c.path, e.keyA, nil); r.status != c.status {
			t.Errorf("GET %s = %d, want %d", c.path, r.status, c.status)
		}
	}
	if r := e.do("GET", "/api/v1/webhooks/inbox", "", nil); r.status != http.StatusUnauthorized {
		t.Errorf("inbox without a key = %d", r.status)
	}
}

func TestWebhookRoutesWithoutWebhookStore(t *testing.T) {
	e := newEnv(t) // over the fake store, which keeps no webhooks
	v := e.createIntegration(e.keyA, "Main")
	for _, c := range []struct{ method, path string }{
		{"GET", "/api/v1/webhooks/inbox"},
		{"GET", "/api/v1/integrations/" + v.ID + "/webhook"},
		{"POST", "/api/v1/integrations/" + v.ID + "/webhook/rotate"},
	} {
		if r := e.do(c.method, c.path, e.keyA, nil); r.status != http.StatusServiceUnavailable {
			t.Errorf("%s %s = %d, want 503", c.method, c.path, r.status)
		}
	}
	// No ingress configured: the route does not exist.
	if r := e.do("POST", "/api/webhooks/tacticalrmm/"+v.ID, "", `{}`); r.status != http.StatusNotFound {
		t.Errorf("ingress without a handler = %d", r.status)
	}
}
