package integration_test

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/msp-psa/psa-host/provider/tacticalrmm/tacticalfake"
)

// TestE2EPasswordWithTOTP connects with a username, a password and a
// one-time code: the test without a code asks for one, the test with a
// code passes and leaves a session token in the host, and the syncs after
// it run on that token without logging in again. Neither the password,
// the TOTP secret nor the token ever shows in an answer or a log.
func TestE2EPasswordWithTOTP(t *testing.T) {
	const (
		username   = "tech-with-totp"
		password   = "Corr3ct-Horse-Battery-Staple!"
		totpSecret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
	)
	fake := tacticalfake.NewT(t, tacticalfake.Options{Fleet: tacticalfake.FleetSpec{
		Clients: 2, SitesPerClient: 1, Agents: 12, Seed: 5,
	}})
	steadyStatuses(fake)
	fake.AddUser(tacticalfake.User{Username: username, Password: password, TOTPSecret: totpSecret,
		Perms: tacticalfake.SuperuserPerms()})
	env := startE2E(t)
	env.addSecret("the Tactical password", password)
	env.addSecret("the TOTP secret", totpSecret)
	tenantID, api := env.tenant(t, "TOTP MSP")

	in := createIntegration(t, api, "Tactical (password)", fake.URL(), "password",
		map[string]string{"username": username, "password": password})
	for _, s := range in.Secrets {
		if !strings.HasPrefix(s.Masked, "****") || len(s.Masked) > len("****")+4 {
			t.Errorf("secret %s is shown as %q, want masked", s.Name, s.Masked)
		}
	}
	env.addSecret("the webhook secret", env.storedSecret(t, tenantID, in.ID, "webhook_secret"))

	res := testConnection(t, api, in.ID, "")
	if res.OK || !res.TOTPRequired {
		t.Fatalf("test without a code: %+v; want not ok, totp_required", res)
	}
	if slices.Contains(secretNames(t, env.db, tenantID, in.ID), "token") {
		t.Error("a token was stored although the login needed a code")
	}

	res = testConnection(t, api, in.ID, tacticalfake.TOTP(totpSecret, fake.Now()))
	if !res.OK {
		t.Fatalf("test with a code: %+v; want ok", res)
	}
	token := env.storedSecret(t, tenantID, in.ID, "token")
	env.addSecret("the session token", token)
	if _, ok := fake.TokenExpiry(token); !ok {
		t.Error("the stored token is not one the fake issued")
	}
	if got := getIntegration(t, api, in.ID); got.Connection != "connected" {
		t.Errorf("after a passing test the integration is %q, want connected", got.Connection)
	}

	// The syncs run on the stored token: no login, no code.
	logins := fake.Requests("/v2/login/") + fake.Requests("/v2/checkcreds/")
	syncOK(t, api, in.ID, "orgs")
	org := fake.Clients()[0].ID
	client := createClient(t, api, "TOTP customer")
	mapOrg(t, api, in.ID, strconv.Itoa(org), client.ID)
	n := len(agentsOf(fake, org))
	j := syncOK(t, api, in.ID, "devices")
	if j.Counts.Created != int64(n) || n == 0 {
		t.Errorf("device sync counts %+v, want %d created", j.Counts, n)
	}
	checkAssets(t, env.db, fake, tenantID, in.ID, map[int]string{org: client.ID})
	if after := fake.Requests("/v2/login/") + fake.Requests("/v2/checkcreds/"); after != logins {
		t.Errorf("the syncs logged in %d more times; want them to use the stored token", after-logins)
	}
	if exp, ok := fake.TokenExpiry(token); !ok || !exp.After(fake.Now()) {
		t.Errorf("after the syncs the stored token is no longer valid (exists %v, expires %v)", ok, exp)
	}
}
