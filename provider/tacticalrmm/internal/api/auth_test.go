package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/msp-psa/psa-host/shared/rmm"
)

const (
	checkcredsToken = "746e33502baec75ce30f8bc2f0b2ded1365cffc0cc5cc135e69af7244e33167c"
	loginToken      = "f51113bae9c36575f54912b9f4fa9ca8b3313c913fa224123467ccaadb27bd3e"
	staleToken      = "0000000000000000000000000000000000000000000000000000000000000000"
)

// knoxServer imitates the login views and one authenticated list.
type knoxServer struct {
	totp       bool
	password   string
	code       string
	valid      sync.Map // tokens accepted
	checkcreds atomic.Int32
	logins     atomic.Int32
	lastLogin  atomic.Value // map[string]string
}

func (k *knoxServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body map[string]string
	if r.Method == http.MethodPost {
		_ = json.NewDecoder(r.Body).Decode(&body)
	}
	switch r.URL.Path {
	case "/v2/checkcreds/":
		k.checkcreds.Add(1)
		if body["password"] != k.password {
			writeJSON(w, 400, `"Bad credentials"`)
			return
		}
		if k.totp {
			writeJSON(w, 200, `{"totp": true}`)
			return
		}
		k.valid.Store(checkcredsToken, true)
		writeJSON(w, 200, `{"expiry":"2026-06-16T15:03:09.512044Z","token":"`+checkcredsToken+`","totp":false}`)
	case "/v2/login/":
		k.logins.Add(1)
		k.lastLogin.Store(body)
		if _, ok := body["twofactor"]; !ok {
			writeHTML(w, 500)
			return
		}
		if body["password"] != k.password {
			writeJSON(w, 400, `{"non_field_errors":["Unable to log in with provided credentials."]}`)
			return
		}
		if body["twofactor"] != k.code {
			writeJSON(w, 400, `"Bad credentials"`)
			return
		}
		k.valid.Store(loginToken, true)
		writeJSON(w, 200, `{"expiry":"2026-06-16T20:00:09.731158Z","token":"`+loginToken+`","username":"psa-sync","name":null}`)
	default:
		tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Token ")
		if _, ok := k.valid.Load(tok); !ok {
			writeJSON(w, 401, `{"detail":"Invalid token."}`)
			return
		}
		writeJSON(w, 200, `{"count":5,"next":null,"previous":null,"results":[]}`)
	}
}

func TestAPIKeyIsSentAsXAPIKEY(t *testing.T) {
	var key, auth string
	c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key, auth = r.Header.Get("X-API-KEY"), r.Header.Get("Authorization")
		writeJSON(w, 200, `{"count":0,"next":null,"previous":null,"results":[]}`)
	}), Credentials{APIKey: testKey, Token: loginToken})
	if _, err := c.CountList(t.Context(), "/beta/v1/agent/", "agents"); err != nil {
		t.Fatal(err)
	}
	if key != testKey || auth != "" {
		t.Errorf("X-API-KEY=%q Authorization=%q, want only the key", key, auth)
	}
}

func TestPasswordLoginWithoutTOTPUsesTheCheckcredsToken(t *testing.T) {
	k := &knoxServer{password: "pw"}
	c, _ := newTestClient(t, k, Credentials{Username: "psa", Password: "pw"})
	n, err := c.CountList(t.Context(), "/beta/v1/agent/", "agents")
	if err != nil {
		t.Fatal(err)
	}
	if n != 5 {
		t.Errorf("count = %d", n)
	}
	if k.logins.Load() != 0 {
		t.Errorf("called /v2/login/ %d times; a user without TOTP must use the checkcreds token", k.logins.Load())
	}
	if c.NewToken() != checkcredsToken {
		t.Errorf("NewToken = %q, want the checkcreds token", c.NewToken())
	}
}

func TestPasswordLoginNeedsTOTPCode(t *testing.T) {
	k := &knoxServer{password: "pw", totp: true, code: "123456"}
	c, _ := newTestClient(t, k, Credentials{Username: "psa", Password: "pw"})
	_, err := c.CountList(t.Context(), "/beta/v1/agent/", "agents")
	if !errors.Is(err, rmm.ErrUnauthorized) || !errors.Is(err, ErrTOTPRequired) {
		t.Fatalf("error = %v, want ErrUnauthorized + ErrTOTPRequired", err)
	}

	tok, err := c.LogIn(t.Context(), "123456")
	if err != nil {
		t.Fatalf("LogIn with the code: %v", err)
	}
	if tok != loginToken || c.NewToken() != loginToken {
		t.Errorf("token = %q, NewToken = %q", tok, c.NewToken())
	}
	body := k.lastLogin.Load().(map[string]string)
	if body["twofactor"] != "123456" || body["username"] != "psa" {
		t.Errorf("login body = %v", body)
	}
	if _, err := c.CountList(t.Context(), "/beta/v1/agent/", "agents"); err != nil {
		t.Errorf("request with the new token: %v", err)
	}
}

func TestLoginErrorShapes(t *testing.T) {
	tests := []struct {
		name      string
		password  string
		code      string
		wantCause error
	}{
		{"checkcreds answers a bare JSON string", "wrong", "", ErrBadCredentials},
		{"login answers Bad credentials for a wrong code", "pw", "000000", ErrBadTOTP},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := &knoxServer{password: "pw", totp: true, code: "123456"}
			c, _ := newTestClient(t, k, Credentials{Username: "psa", Password: tt.password})
			_, err := c.LogIn(t.Context(), tt.code)
			if !errors.Is(err, rmm.ErrUnauthorized) || !errors.Is(err, tt.wantCause) {
				t.Fatalf("error = %v, want ErrUnauthorized + %v", err, tt.wantCause)
			}
			if strings.Contains(err.Error(), tt.password) && tt.password != "" {
				t.Errorf("error leaks the password")
			}
		})
	}
	t.Run("login answers non_field_errors for a bad password", func(t *testing.T) {
		k := &knoxServer{password: "pw", totp: true, code: "123456"}
		c, _ := newTestClient(t, k, Credentials{})
		_, err := c.Login(t.Context(), "psa", "wrong", "123456")
		if !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("error = %v, want ErrBadCredentials", err)
		}
	})
}

func TestLoginThrottleIsRateLimited(t *testing.T) {
	c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "30")
		writeJSON(w, 429, `{"detail":"Request was throttled. Expected available in 30 seconds."}`)
	}), Credentials{Username: "psa", Password: "pw"})
	_, err := c.LogIn(t.Context(), "")
	if !errors.Is(err, rmm.ErrRateLimited) {
		t.Fatalf("error = %v, want ErrRateLimited", err)
	}
	if got := rmm.RetryAfter(err); got != 30*time.Second {
		t.Errorf("RetryAfter = %v, want 30s", got)
	}
}

func TestStoredTokenRefusedLogsInAgainOnce(t *testing.T) {
	k := &knoxServer{password: "pw"}
	c, _ := newTestClient(t, k, Credentials{Username: "psa", Password: "pw", Token: staleToken})
	if _, err := c.CountList(t.Context(), "/beta/v1/agent/", "agents"); err != nil {
		t.Fatalf("after re-login: %v", err)
	}
	if c.NewToken() != checkcredsToken {
		t.Errorf("NewToken = %q, want the fresh token", c.NewToken())
	}
	// The server forgets the new token too: no second login.
	k.valid.Delete(checkcredsToken)
	_, err := c.CountList(t.Context(), "/beta/v1/agent/", "agents")
	if !errors.Is(err, rmm.ErrUnauthorized) {
		t.Fatalf("error = %v, want ErrUnauthorized", err)
	}
	if n := k.checkcreds.Load(); n != 1 {
		t.Errorf("logged in %d times, want exactly once", n)
	}
}

func TestStoredTokenRefusedWithTOTPAsksForACode(t *testing.T) {
	k := &knoxServer{password: "pw", totp: true, code: "123456"}
	c, _ := newTestClient(t, k, Credentials{Username: "psa", Password: "pw", Token: staleToken})
	_, err := c.CountList(t.Context(), "/beta/v1/agent/", "agents")
	if !errors.Is(err, rmm.ErrUnauthorized) || !errors.Is(err, ErrTOTPRequired) {
		t.Fatalf("error = %v, want ErrUnauthorized + ErrTOTPRequired", err)
	}
	if !strings.Contains(err.Error(), "re-authenticate with a TOTP code") {
		t.Errorf("message does not say what to do: %v", err)
	}
	if k.logins.Load() != 0 {
		t.Errorf("tried /v2/login/ without a code")
	}
}

func TestTokenOnlyCannotRenew(t *testing.T) {
	k := &knoxServer{password: "pw"}
	c, _ := newTestClient(t, k, Credentials{Token: staleToken})
	_, err := c.CountList(t.Context(), "/beta/v1/agent/", "agents")
	if !errors.Is(err, rmm.ErrUnauthorized) {
		t.Fatalf("error = %v, want ErrUnauthorized", err)
	}
	if k.checkcreds.Load() != 0 {
		t.Errorf("tried to log in without a password")
	}
}

func TestConcurrent401sLogInOnce(t *testing.T) {
	k := &knoxServer{password: "pw"}
	c, _ := newTestClient(t, k, Credentials{Username: "psa", Password: "pw", Token: staleToken})
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			_, err := c.CountList(t.Context(), "/beta/v1/agent/", "agents")
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("request failed: %v", err)
		}
	}
	if n := k.checkcreds.Load(); n != 1 {
		t.Errorf("logged in %d times for one expired token, want 1", n)
	}
}

// TestLoginAlwaysSendsEveryKey: Tactical answers a 500 when username (on
// checkcreds) or twofactor (on login) is missing (API.md §10.7).
func TestLoginAlwaysSendsEveryKey(t *testing.T) {
	bodies := map[string]map[string]any{}
	var mu sync.Mutex
	c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b map[string]any
		_ = json.NewDecoder(r.Body).Decode(&b)
		mu.Lock()
		bodies[r.URL.Path] = b
		mu.Unlock()
		if r.URL.Path == "/v2/checkcreds/" {
			writeJSON(w, 200, `{"totp": true}`)
			return
		}
		writeJSON(w, 200, `{"expiry":"2026-06-16T20:00:09Z","token":"`+loginToken+`","username":"psa","name":null}`)
	}), Credentials{Username: "psa", Password: "pw"})
	if _, err := c.LogIn(t.Context(), "123456"); err != nil {
		t.Fatal(err)
	}
	for path, keys := range map[string][]string{"/v2/checkcreds/": {"username", "password"}, "/v2/login/": {"username", "password", "twofactor"}} {
		for _, k := range keys {
			if _, ok := bodies[path][k]; !ok {
				t.Errorf("%s body %v lacks %q", path, bodies[path], k)
			}
		}
	}
}
