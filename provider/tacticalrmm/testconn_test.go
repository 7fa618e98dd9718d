package tacticalrmm

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/msp-psa/psa-host/shared/rmm"
)

func testConn(t *testing.T, in rmm.Integration, code string, opts ...Option) (rmm.TestConnectionResult, *testLog) {
	t.Helper()
	p, logs := newTestProvider(t, opts...)
	res, err := p.TestConnection(t.Context(), rmm.TestConnectionRequest{Integration: in, OneTimeCode: code})
	if err != nil {
		t.Fatalf("TestConnection returned an error (user problems must be results): %v", err)
	}
	for _, secret := range []string{testAPIKey, testPassword} {
		if strings.Contains(res.Message, secret) || strings.Contains(logs.String(), secret) {
			t.Errorf("a secret leaked into the message or the logs")
		}
		for _, v := range res.Details {
			if strings.Contains(v, secret) {
				t.Errorf("a secret leaked into the details")
			}
		}
	}
	return res, logs
}

func TestConnectionOK(t *testing.T) {
	f := newFixtureServer(t)
	res, _ := testConn(t, f.integration(), "")
	if !res.OK || res.Reason != "" {
		t.Fatalf("result = %+v", res)
	}
	if res.ServerVersion != "1.5.1" || len(res.Warnings) != 0 {
		t.Errorf("version %q warnings %v", res.ServerVersion, res.Warnings)
	}
	wantDetails := map[string]string{"agents": "3", "clients": "3", "sites": "3", "alerts": "ok", "software": "ok",
		"trmm_version": "1.5.1", "app_version": "0.0.203"}
	for k, v := range wantDetails {
		if res.Details[k] != v {
			t.Errorf("Details[%s] = %q, want %q", k, res.Details[k], v)
		}
	}
	if !strings.Contains(res.Message, "1.5.1") || res.NewSecrets != nil {
		t.Errorf("message %q, NewSecrets %v", res.Message, res.NewSecrets)
	}
}

func TestConnectionFailures(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(f *fixtureServer, in *rmm.Integration)
		reason  string
		mention []string
	}{
		{"dashboard host answers HTML 200", func(f *fixtureServer, _ *rmm.Integration) { f.dashboard = true },
			ReasonDashboardHost, []string{"api.", "dashboard"}},
		{"beta API off", func(f *fixtureServer, _ *rmm.Integration) { f.betaOff = true },
			ReasonBetaAPIDisabled, []string{"BETA_API_ENABLED = True", "local_settings.py", "restart"}},
		{"bad API key", func(_ *fixtureServer, in *rmm.Integration) { in.Secrets[SecretAPIKey] = "WRONGKEY" },
			ReasonBadAPIKey, []string{"API key"}},
		{"agents listing forbidden", func(f *fixtureServer, _ *rmm.Integration) {
			f.forbidden["/beta/v1/agent/"] = true
			f.forbidden["/software/"] = true
		}, ReasonForbidden, []string{"agents", "List Agents", "software", "List Software"}},
		{"sites listing forbidden", func(f *fixtureServer, _ *rmm.Integration) { f.forbidden["/beta/v1/site/"] = true },
			ReasonForbidden, []string{"sites", "List Sites"}},
		{"alerts listing forbidden", func(f *fixtureServer, _ *rmm.Integration) { f.forbidden["PATCH /alerts/"] = true },
			ReasonForbidden, []string{"alerts", "List Alerts"}},
		{"clients listing forbidden", func(f *fixtureServer, _ *rmm.Integration) { f.forbidden["/beta/v1/client/"] = true },
			ReasonForbidden, []string{"clients", "List Clients"}},
		{"missing API key", func(_ *fixtureServer, in *rmm.Integration) { delete(in.Secrets, SecretAPIKey) },
			ReasonInvalidConfig, []string{"API key"}},
		{"bad URL", func(_ *fixtureServer, in *rmm.Integration) { in.BaseURL = "ftp://x" },
			ReasonInvalidConfig, []string{"https"}},
		{"unknown auth mode", func(_ *fixtureServer, in *rmm.Integration) { in.AuthMode = rmm.AuthOAuth2 },
			ReasonInvalidConfig, []string{"api_key"}},
		{"bad settings", func(_ *fixtureServer, in *rmm.Integration) { in.Settings = json.RawMessage(`{"ca_cert_pem": "nope"}`) },
			ReasonInvalidConfig, []string{"ca_cert_pem"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixtureServer(t)
			in := f.integration()
			f.set(func(f *fixtureServer) { tt.setup(f, &in) })
			res, _ := testConn(t, in, "")
			if res.OK || res.Reason != tt.reason {
				t.Fatalf("OK=%v Reason=%q, want %q (message %q)", res.OK, res.Reason, tt.reason, res.Message)
			}
			if tt.reason == ReasonBetaAPIDisabled && res.ServerVersion != "1.5.1" {
				t.Errorf("the version read before the failure was lost: %q", res.ServerVersion)
			}
			for _, m := range tt.mention {
				if !strings.Contains(res.Message, m) {
					t.Errorf("message %q does not mention %q", res.Message, m)
				}
			}
		})
	}
}

// unauthorizedServer answers every authenticated request with a 401.
func unauthorizedServer(t *testing.T, detail string) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/" {
			jsonReply(w, 200, `{"status":"ok"}`)
			return
		}
		jsonReply(w, 401, `{"detail":"`+detail+`"}`)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestConnectionAPIKeyProblems(t *testing.T) {
	tests := []struct{ detail, reason string }{
		{"The token has expired.", ReasonAPIKeyExpired},
		{"User inactive or deleted.", ReasonUserInactive},
		{"Invalid token.", ReasonBadAPIKey},
	}
	for _, tt := range tests {
		t.Run(tt.reason, func(t *testing.T) {
			srv := unauthorizedServer(t, tt.detail)
			in := rmm.Integration{ID: "x", BaseURL: srv.URL, AuthMode: rmm.AuthAPIKey, Secrets: map[string]string{SecretAPIKey: testAPIKey}}
			res, _ := testConn(t, in, "")
			if res.OK || res.Reason != tt.reason || res.Message == "" {
				t.Errorf("result = %+v, want reason %s", res, tt.reason)
			}
		})
	}
}

func TestConnectionPassword(t *testing.T) {
	tests := []struct {
		name      string
		totp      bool
		password  string
		token     string
		code      string
		ok        bool
		reason    string
		otp       bool
		wantToken string
	}{
		{"no TOTP: the checkcreds token is kept", false, testPassword, "", "", true, "", false,
			"746e33502baec75ce30f8bc2f0b2ded1365cffc0cc5cc135e69af7244e33167c"},
		{"TOTP needed", true, testPassword, "", "", false, ReasonOneTimeCodeRequired, true, ""},
		{"TOTP wrong", true, testPassword, "", "999999", false, ReasonOneTimeCodeInvalid, true, ""},
		{"TOTP right", true, testPassword, "", testTOTP, true, "", false, freshToken},
		{"bad password", true, "wrong", "", testTOTP, false, ReasonBadCredentials, false, ""},
		{"TOTP account with a valid stored token needs no code", true, testPassword, "stored-token", "", true, "", false, ""},
		{"TOTP account with a stale stored token asks for a code", true, testPassword, "stale-token", "", false, ReasonOneTimeCodeRequired, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixtureServer(t)
			f.set(func(f *fixtureServer) {
				f.totp = tt.totp
				f.tokens["stored-token"] = true
			})
			in := f.passwordIntegration(tt.token)
			in.Secrets[SecretPassword] = tt.password
			res, _ := testConn(t, in, tt.code)
			if res.OK != tt.ok || res.Reason != tt.reason || res.OneTimeCodeRequired != tt.otp {
				t.Fatalf("OK=%v Reason=%q OTP=%v (message %q); want %v %q %v", res.OK, res.Reason, res.OneTimeCodeRequired,
					res.Message, tt.ok, tt.reason, tt.otp)
			}
			if got := res.NewSecrets[SecretToken]; got != tt.wantToken {
				t.Errorf("NewSecrets token = %q, want %q", got, tt.wantToken)
			}
			for _, r := range f.seen() {
				if r.path == "/v2/login/" && !strings.Contains(r.body, `"twofactor":"`+tt.code+`"`) {
					t.Errorf("login body %s lacks twofactor", r.body)
				}
			}
		})
	}
}

func TestConnectionLoginThrottled(t *testing.T) {
	f := newFixtureServer(t)
	f.set(func(f *fixtureServer) { f.throttleFor = 42 })
	res, _ := testConn(t, f.passwordIntegration(""), "")
	if res.OK || res.Reason != ReasonRateLimited || res.Details["retry_after_seconds"] != "42" {
		t.Errorf("result = %+v", res)
	}
	if !strings.Contains(res.Message, "42") {
		t.Errorf("message %q does not say when to retry", res.Message)
	}
}

func TestConnectionVersionWarnings(t *testing.T) {
	tests := []struct {
		version     string
		wantVersion string
		warn        string // "" means no warning
	}{
		{"1.5.1", "1.5.1", ""},
		{"1.5.0", "1.5.0", "script action"},
		{"1.4.0", "1.4.0", "resolved webhook"},
		{"0.20.1", "0.20.1", "resolved webhook"},
		{"0.18.2", "0.18.2", "predates webhooks"},
		{"", "0.0.203", "v1.5.0"}, // dashinfo refused: only APP_VER, shared by 1.5.0 and 1.5.1
	}
	for _, tt := range tests {
		t.Run(tt.wantVersion, func(t *testing.T) {
			f := newFixtureServer(t)
			f.set(func(f *fixtureServer) { f.version = tt.version })
			res, _ := testConn(t, f.integration(), "")
			if !res.OK || res.ServerVersion != tt.wantVersion {
				t.Fatalf("OK=%v version=%q, want %q (%s)", res.OK, res.ServerVersion, tt.wantVersion, res.Message)
			}
			if tt.warn == "" && len(res.Warnings) != 0 {
				t.Errorf("unexpected warnings %v", res.Warnings)
			}
			if tt.warn != "" && (len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], tt.warn)) {
				t.Errorf("warnings %v, want one mentioning %q", res.Warnings, tt.warn)
			}
		})
	}
}

func TestConnectionNetworkFailures(t *testing.T) {
	// A port nobody listens on.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedURL := "http://" + ln.Addr().String()
	_ = ln.Close()

	tlsSrv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	tlsSrv.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshake failure is the point
	tlsSrv.StartTLS()
	t.Cleanup(tlsSrv.Close)

	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	stall := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(stall.Close)

	tests := []struct {
		name, url, reason, mention string
	}{
		{"unreachable", closedURL, ReasonUnreachable, "Cannot connect"},
		{"untrusted certificate", tlsSrv.URL, ReasonTLS, "ca_cert_pem"},
		{"timeout", stall.URL, ReasonTimeout, "in time"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := rmm.Integration{ID: tt.name, BaseURL: tt.url, AuthMode: rmm.AuthAPIKey, Secrets: map[string]string{SecretAPIKey: testAPIKey}}
			start := time.Now()
			res, _ := testConn(t, in, "", WithTimeout(200*time.Millisecond))
			if res.OK || res.Reason != tt.reason || !strings.Contains(res.Message, tt.mention) {
				t.Errorf("result = %+v, want reason %s mentioning %q", res, tt.reason, tt.mention)
			}
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
}

func TestConnectionTrustsTheConfiguredCA(t *testing.T) {
	f := newFixtureServer(t)
	tlsSrv := httptest.NewTLSServer(f)
	t.Cleanup(tlsSrv.Close)
	in := f.integration()
	in.BaseURL = tlsSrv.URL
	in.Settings, _ = json.Marshal(Settings{CACertPEM: certPEM(tlsSrv)})
	res, _ := testConn(t, in, "")
	if !res.OK {
		t.Fatalf("result = %+v", res)
	}
}

func TestConnectionCancelledIsAnError(t *testing.T) {
	f := newFixtureServer(t)
	p, _ := newTestProvider(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := p.TestConnection(ctx, rmm.TestConnectionRequest{Integration: f.integration()})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error = %v, want context.Canceled", err)
	}
}
