package api

import (
	"net/http"
	"strings"
	"testing"

	"github.com/msp-psa/psa-host/shared/rmm"
)

// leaks returns the first 8-character piece of secret found in text.
func leaks(text, secret string) (string, bool) {
	for i := 0; i+8 <= len(secret); i++ {
		if strings.Contains(text, secret[i:i+8]) {
			return secret[i : i+8], true
		}
	}
	return "", false
}

// TestSecretsNeverLeave drives every route that touches an integration and
// checks that no answer and no log line holds any 8 characters in a row of
// a credential or of the webhook secret.
func TestSecretsNeverLeave(t *testing.T) {
	e := newEnv(t)
	const rotated = "Rotated-Key-5c4b3a2918f7e6d5c4b3a2910ffeeddccbbaa-QRST"
	const password = "P@ssw0rd-correct-horse-battery-staple-2b7e151628aed2a6"
	v := e.createIntegration(e.keyA, "Secretive")
	id := v.ID
	webhook := e.store.secretsOf(id)[webhookSecretName]
	i := "/api/v1/integrations/" + id

	e.must(http.StatusOK, "GET", i, e.keyA, nil, nil)
	e.must(http.StatusOK, "GET", "/api/v1/integrations", e.keyA, nil, nil)
	e.must(http.StatusOK, "PATCH", i, e.keyA, map[string]any{"name": "Renamed"}, nil)
	e.must(http.StatusOK, "PATCH", i, e.keyA, map[string]any{"credentials": map[string]string{"api_key": rotated}}, nil)
	e.do("PATCH", i, e.keyA, map[string]any{"credentials": map[string]string{"api_key": testAPIKey, "nonsense": password}})
	e.do("PATCH", i, e.keyA, map[string]any{"credentials": map[string]any{"api_key": 7}, "x": testAPIKey})
	e.do("PATCH", i, e.keyA, `{"credentials": {"api_key": "`+testAPIKey+`"`)
	e.syncer.set(func(s *fakeSyncer) { s.result = rmm.TestConnectionResult{OK: true, Message: "connected"} })
	e.must(http.StatusOK, "POST", i+"/test", e.keyA, map[string]string{"twofactor": "123456"}, nil)
	e.syncer.set(func(s *fakeSyncer) { s.err = rmm.Errorf(rmm.ErrUnauthorized, "the API key ****QRST was rejected") })
	e.do("POST", i+"/test", e.keyA, nil)
	e.must(http.StatusAccepted, "POST", i+"/sync", e.keyA, map[string]string{"kind": "orgs"}, nil)
	e.must(http.StatusOK, "GET", i+"/mappings", e.keyA, nil, nil)
	e.must(http.StatusOK, "PATCH", i, e.keyA, map[string]any{
		"auth_mode": "password", "credentials": map[string]string{"username": "admin", "password": password},
	}, nil)
	e.must(http.StatusOK, "GET", i, e.keyA, nil, nil)
	e.must(http.StatusOK, "DELETE", i, e.keyA, nil, nil)
	e.must(http.StatusOK, "GET", "/api/v1/integrations", e.keyA, nil, nil)
	e.must(http.StatusOK, "GET", "/api/v1/providers", e.keyA, nil, nil)
	e.do("POST", "/api/v1/integrations", e.keyA, map[string]any{
		"provider": "tacticalrmm", "name": "Bad", "instance_url": "https://user:" + password + "@rmm.example.com",
		"auth_mode": "api_key", "credentials": map[string]string{"api_key": testAPIKey},
	})
	e.do("POST", "/api/v1/integrations", e.keyA, map[string]any{
		"provider": "tacticalrmm", "name": "Bad", "instance_url": "rmm.example.com",
		"auth_mode": "api_key", "credentials": map[string]string{"api_key": testAPIKey, "webhook_secret": password},
	})

	if len(e.answers) < 15 {
		t.Fatalf("only %d answers recorded", len(e.answers))
	}
	logs := e.logs.String()
	for name, secret := range map[string]string{"api key": testAPIKey, "rotated key": rotated, "password": password, "webhook secret": webhook, "tenant key": e.keyA} {
		for n, a := range e.answers {
			if piece, ok := leaks(a, secret); ok {
				t.Errorf("answer %d holds %q of the %s:\n%s", n, piece, name, a)
			}
		}
		if piece, ok := leaks(logs, secret); ok {
			t.Errorf("logs hold %q of the %s", piece, name)
		}
	}
	// The masked form is still shown, so a user can tell keys apart.
	if !strings.Contains(strings.Join(e.answers, "\n"), "****XYZW") {
		t.Fatalf("no answer shows the masked key")
	}
}
