package store

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/msp-psa/psa-host/host/secrets"
	"github.com/msp-psa/psa-host/shared/rmm"
)

const longAPIKey = "TACTICAL-API-KEY-0123456789-SECRET"

func ptr[T any](v T) *T { return &v }

func TestCreateAndReadIntegration(t *testing.T) {
	ts := newTestStore(t)
	ctx := t.Context()
	tn, _, _ := ts.CreateTenant(ctx, "a")
	in, err := ts.CreateIntegration(ctx, tn.ID, NewIntegration{
		Provider: "tacticalrmm", Name: " Main ", InstanceURL: "https://api.example.com", AuthMode: rmm.AuthAPIKey,
		Settings: json.RawMessage(`{"site_sync": true}`),
		Secrets:  map[string]string{"api_key": longAPIKey, "webhook_secret": "short", "unused": ""},
	})
	if err != nil {
		t.Fatal(err)
	}
	if in.Name != "Main" || in.Revision != 1 || in.IsActive || in.SyncStatus != "pending" || in.AuthMode != rmm.AuthAPIKey {
		t.Fatalf("CreateIntegration = %+v", in)
	}
	want := []SecretInfo{{Name: "api_key", Masked: "****CRET"}, {Name: "webhook_secret", Masked: "****"}}
	if len(in.Secrets) != len(want) {
		t.Fatalf("Secrets = %+v", in.Secrets)
	}
	for i, w := range want {
		if in.Secrets[i].Name != w.Name || in.Secrets[i].Masked != w.Masked {
			t.Fatalf("Secrets[%d] = %+v, want %+v", i, in.Secrets[i], w)
		}
	}
	raw, _ := json.Marshal(in)
	if strings.Contains(string(raw), "0123456789") {
		t.Fatalf("the API view leaks the key: %s", raw)
	}
	if n := ts.queryInt(t, `SELECT count(*) FROM tenant_secrets WHERE position($1::bytea in ciphertext) > 0`, []byte("0123456789")); n != 0 {
		t.Fatal("a secret is stored in clear")
	}

	pi, provider, err := ts.ProviderIntegration(ctx, tn.ID, in.ID)
	if err != nil {
		t.Fatal(err)
	}
	if provider != "tacticalrmm" || pi.ID != in.ID || pi.TenantID != tn.ID || pi.Revision != 1 ||
		pi.BaseURL != "https://api.example.com" || pi.AuthMode != rmm.AuthAPIKey ||
		pi.Secret("api_key") != longAPIKey || pi.Secret("webhook_secret") != "short" || len(pi.Secrets) != 2 {
		t.Fatalf("ProviderIntegration = %+v, %q", pi, provider)
	}
	var settings map[string]bool
	if err := json.Unmarshal(pi.Settings, &settings); err != nil || !settings["site_sync"] {
		t.Fatalf("settings = %s, %v", pi.Settings, err)
	}

	list, err := ts.ListIntegrations(ctx, tn.ID)
	if err != nil || len(list) != 1 || list[0].ID != in.ID {
		t.Fatalf("ListIntegrations = %+v, %v", list, err)
	}

	t.Run("a ciphertext moved to another row does not open", func(t *testing.T) {
		other, err := ts.CreateIntegration(ctx, tn.ID, NewIntegration{Provider: "tacticalrmm", Name: "Other", AuthMode: rmm.AuthAPIKey})
		if err != nil {
			t.Fatal(err)
		}
		_, err = ts.pool.Exec(ctx, `INSERT INTO tenant_secrets (tenant, integration_id, secret_name, ciphertext, nonce, key_id)
			SELECT tenant, $2, secret_name, ciphertext, nonce, key_id FROM tenant_secrets WHERE tenant = $1 AND integration_id = $3 AND secret_name = 'api_key'`,
			tn.ID, other.ID, in.ID)
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = ts.ProviderIntegration(ctx, tn.ID, other.ID)
		if !errors.Is(err, secrets.ErrCannotOpen) || strings.Contains(err.Error(), "0123456789") {
			t.Fatalf("ProviderIntegration with a moved secret = %v", err)
		}
	})

	t.Run("names are unique per tenant", func(t *testing.T) {
		_, err := ts.CreateIntegration(ctx, tn.ID, NewIntegration{Provider: "ninjaone", Name: "Main", AuthMode: rmm.AuthOAuth2})
		if !errors.Is(err, ErrConflict) {
			t.Fatalf("duplicate name = %v", err)
		}
		b, _, _ := ts.CreateTenant(ctx, "b")
		if _, err := ts.CreateIntegration(ctx, b.ID, NewIntegration{Provider: "tacticalrmm", Name: "Main", AuthMode: rmm.AuthAPIKey}); err != nil {
			t.Fatalf("same name in another tenant = %v", err)
		}
	})
}

func TestCreateIntegrationValidation(t *testing.T) {
	ts := newTestStore(t)
	tn, _, _ := ts.CreateTenant(t.Context(), "a")
	good := NewIntegration{Provider: "tacticalrmm", Name: "x", InstanceURL: "https://api.example.com", AuthMode: rmm.AuthAPIKey}
	for _, tc := range []struct {
		name   string
		change func(*NewIntegration)
		field  string
	}{
		{"no provider", func(n *NewIntegration) { n.Provider = "" }, "provider"},
		{"blank name", func(n *NewIntegration) { n.Name = "  " }, "name"},
		{"long name", func(n *NewIntegration) { n.Name = strings.Repeat("n", 256) }, "name"},
		{"relative url", func(n *NewIntegration) { n.InstanceURL = "api.example.com" }, "instance_url"},
		{"ftp url", func(n *NewIntegration) { n.InstanceURL = "ftp://api.example.com" }, "instance_url"},
		{"no auth mode", func(n *NewIntegration) { n.AuthMode = "" }, "auth_mode"},
		{"settings not an object", func(n *NewIntegration) { n.Settings = json.RawMessage(`[1]`) }, "settings"},
		{"settings not JSON", func(n *NewIntegration) { n.Settings = json.RawMessage(`{`) }, "settings"},
		{"blank secret name", func(n *NewIntegration) { n.Secrets = map[string]string{"": "v"} }, "secrets"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := good
			tc.change(&in)
			_, err := ts.CreateIntegration(t.Context(), tn.ID, in)
			var inv *InvalidError
			if !errors.As(err, &inv) || inv.Field != tc.field {
				t.Fatalf("err = %v, want InvalidError{%s}", err, tc.field)
			}
		})
	}
	if n := ts.queryInt(t, `SELECT count(*) FROM rmm_integrations`); n != 0 {
		t.Fatalf("%d integrations written by invalid requests", n)
	}
}

func TestUpdateIntegrationRevision(t *testing.T) {
	ts := newTestStore(t)
	ctx := t.Context()
	f := ts.newFixture(t, "a")
	rev := int64(1)
	mode := rmm.AuthPassword
	for _, tc := range []struct {
		name  string
		patch IntegrationPatch
		bump  bool
	}{
		{"rename only", IntegrationPatch{Name: ptr("Renamed")}, false},
		{"same url", IntegrationPatch{InstanceURL: ptr("https://api.example.com")}, false},
		{"new url", IntegrationPatch{InstanceURL: ptr("https://api2.example.com")}, true},
		{"same settings, other spelling", IntegrationPatch{Settings: json.RawMessage(` { } `)}, false},
		{"new settings", IntegrationPatch{Settings: json.RawMessage(`{"a": 1}`)}, true},
		{"same secret", IntegrationPatch{Secrets: map[string]string{"api_key": "KEY-0123456789abcdef"}}, false},
		{"new secret", IntegrationPatch{Secrets: map[string]string{"api_key": "KEY-changed-0000000000"}}, true},
		{"add webhook secret", IntegrationPatch{Secrets: map[string]string{WebhookSecretName: "hook-secret-value-xyz"}}, true},
		{"delete absent secret", IntegrationPatch{Secrets: map[string]string{"token": ""}}, false},
		{"new auth mode, replacing credentials", IntegrationPatch{AuthMode: &mode, ReplaceSecrets: true,
			Secrets: map[string]string{"username": "u", "password": "p4ssw0rd-p4ssw0rd"}}, true},
		{"nothing", IntegrationPatch{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in, err := ts.UpdateIntegration(ctx, f.tenant, f.integration, tc.patch)
			if err != nil {
				t.Fatal(err)
			}
			if tc.bump {
				rev++
			}
			if in.Revision != rev {
				t.Fatalf("revision = %d, want %d", in.Revision, rev)
			}
		})
	}
	pi, _, err := ts.ProviderIntegration(ctx, f.tenant, f.integration)
	if err != nil {
		t.Fatal(err)
	}
	if pi.AuthMode != rmm.AuthPassword || pi.BaseURL != "https://api2.example.com" || len(pi.Secrets) != 3 ||
		pi.Secret("username") != "u" || pi.Secret(WebhookSecretName) != "hook-secret-value-xyz" || pi.Secret("api_key") != "" {
		t.Fatalf("after the patches: %+v", pi)
	}
	in, _ := ts.GetIntegration(ctx, f.tenant, f.integration)
	if in.Name != "Renamed" {
		t.Fatalf("name = %q", in.Name)
	}

	var inv *InvalidError
	if _, err := ts.UpdateIntegration(ctx, f.tenant, f.integration, IntegrationPatch{InstanceURL: ptr("nope")}); !errors.As(err, &inv) || inv.Field != "instance_url" {
		t.Fatalf("bad url = %v", err)
	}
	other, _ := ts.CreateIntegration(ctx, f.tenant, NewIntegration{Provider: "p", Name: "Taken", AuthMode: "api_key"})
	if _, err := ts.UpdateIntegration(ctx, f.tenant, other.ID, IntegrationPatch{Name: ptr("Renamed")}); !errors.Is(err, ErrConflict) {
		t.Fatalf("rename onto a taken name = %v", err)
	}

	if err := ts.SaveSecrets(ctx, f.tenant, f.integration, map[string]string{"token": "knox-token-123456789"}); err != nil {
		t.Fatal(err)
	}
	if err := ts.SaveSecrets(ctx, f.tenant, f.integration, map[string]string{"token": "knox-token-123456789"}); err != nil {
		t.Fatal(err)
	}
	pi, _, _ = ts.ProviderIntegration(ctx, f.tenant, f.integration)
	if pi.Secret("token") != "knox-token-123456789" || pi.Revision != rev+1 {
		t.Fatalf("SaveSecrets: token %q, revision %d, want %d", pi.Secret("token"), pi.Revision, rev+1)
	}
}

func TestDisconnectAndConnectionTest(t *testing.T) {
	ts := newTestStore(t)
	ctx := t.Context()
	f := ts.newFixture(t, "a")
	if err := ts.SaveSecrets(ctx, f.tenant, f.integration, map[string]string{WebhookSecretName: "hook-secret-value-xyz"}); err != nil {
		t.Fatal(err)
	}
	if err := ts.RecordConnectionTest(ctx, f.tenant, f.integration, true, "ok"); err != nil {
		t.Fatal(err)
	}
	in, _ := ts.GetIntegration(ctx, f.tenant, f.integration)
	if !in.IsActive || in.ConnectedAt == nil {
		t.Fatalf("after a good test: %+v", in)
	}
	if _, err := ts.UpsertOrgs(ctx, f.tenant, f.integration, []rmm.Org{{ExternalID: "1", Name: "One"}}); err != nil {
		t.Fatal(err)
	}
	job, _, err := ts.EnqueueJob(ctx, f.tenant, f.integration, JobDevices, "full")
	if err != nil {
		t.Fatal(err)
	}

	in, err = ts.DisconnectIntegration(ctx, f.tenant, f.integration)
	if err != nil {
		t.Fatal(err)
	}
	if in.IsActive || in.DisconnectedAt == nil || len(in.Secrets) != 1 || in.Secrets[0].Name != WebhookSecretName || in.Revision != 3 {
		t.Fatalf("after disconnect: %+v", in)
	}
	if ms, _ := ts.ListMappings(ctx, f.tenant, f.integration); len(ms) != 1 {
		t.Fatal("disconnect dropped synced data")
	}
	if j, _ := ts.GetJob(ctx, f.tenant, job.ID); j.Status != JobCancelled {
		t.Fatalf("queued job after disconnect: %s", j.Status)
	}

	if err := ts.RecordConnectionTest(ctx, f.tenant, f.integration, false, "401 from the API"); err != nil {
		t.Fatal(err)
	}
	in, _ = ts.GetIntegration(ctx, f.tenant, f.integration)
	if in.IsActive || !strings.Contains(in.SyncError, "401 from the API") {
		t.Fatalf("after a failed test: %+v", in)
	}
	if err := ts.RecordConnectionTest(ctx, f.tenant, f.integration, true, ""); err != nil {
		t.Fatal(err)
	}
	in, _ = ts.GetIntegration(ctx, f.tenant, f.integration)
	if !in.IsActive || in.DisconnectedAt != nil || in.SyncError != "" {
		t.Fatalf("after reconnecting: %+v", in)
	}
}
