package tacticalfake

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"testing"
	"time"
)

const totpSecret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

func postJSON(t *testing.T, s *Server, path, body string, h map[string]string) resp {
	t.Helper()
	return do(t, s, req{method: http.MethodPost, path: path, body: body, ctype: "application/json", header: h})
}

var tokenRE = regexp.MustCompile(`^[0-9a-f]{64}$`)

func TestCheckCreds(t *testing.T) {
	clock := NewManualClock(refTime)
	s := newServer(t, Options{Now: clock.Now, LoginRatePerMinute: -1})
	s.AddUser(User{Username: "totp-user", Password: "pw1", TOTPSecret: totpSecret, Perms: ReadOnlyPerms()})
	s.AddUser(User{Username: "plain", Password: "pw2", Perms: ReadOnlyPerms()})
	s.AddUser(User{Username: "blocked", Password: "pw3", BlockDashboardLogin: true})
	s.AddUser(User{Username: "inactive", Password: "pw4", Inactive: true})

	for _, tc := range []struct {
		name, body string
		status     int
		want       string // exact body, "" to skip
	}{
		{"bad password", `{"username":"plain","password":"nope"}`, 400, `"Bad credentials"`},
		{"unknown user", `{"username":"who","password":"pw2"}`, 400, `"Bad credentials"`},
		{"missing password", `{"username":"plain"}`, 400, `"Bad credentials"`},
		{"blocked", `{"username":"blocked","password":"pw3"}`, 400, `"Bad credentials"`},
		{"inactive", `{"username":"inactive","password":"pw4"}`, 400, `"Bad credentials"`},
		{"totp set up", `{"username":"totp-user","password":"pw1"}`, 200, `{"totp":true}`},
		{"missing username is a KeyError", `{"password":"pw2"}`, 500, html500},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := postJSON(t, s, "/v2/checkcreds/", tc.body, nil)
			if r.status != tc.status || string(r.body) != tc.want {
				t.Fatalf("got %d %s, want %d %s", r.status, r.body, tc.status, tc.want)
			}
		})
	}

	// A body without Content-Type is ignored by DRF: request.data is {}.
	r := do(t, s, req{method: http.MethodPost, path: "/v2/checkcreds/", body: `{"username":"plain","password":"pw2"}`})
	if r.status != 500 {
		t.Fatalf("body without Content-Type: %d, want 500", r.status)
	}
	// Form data works like JSON.
	r = do(t, s, req{method: http.MethodPost, path: "/v2/checkcreds/", body: "username=plain&password=pw2", ctype: "application/x-www-form-urlencoded"})
	if r.status != 200 {
		t.Fatalf("form login = %d %s", r.status, r.body)
	}

	// No TOTP: a 180-second token that works at once.
	r = postJSON(t, s, "/v2/checkcreds/", `{"username":"plain","password":"pw2"}`, nil)
	m := r.obj(t)
	tok, _ := m["token"].(string)
	if r.status != 200 || !tokenRE.MatchString(tok) || m["totp"] != false || m["expiry"] != drfTime(refTime.Add(180*time.Second)) {
		t.Fatalf("checkcreds = %d %s", r.status, r.body)
	}
	if keys := keysOf(t, r.body); fmt.Sprint(keys) != "[expiry token totp]" {
		t.Fatalf("keys = %v", keys)
	}
	getJSONWith(t, s, "/beta/v1/agent/?page_size=1", map[string]string{"Authorization": "Token " + tok})
}

func TestLoginWithTOTP(t *testing.T) {
	clock := NewManualClock(refTime)
	s := newServer(t, Options{Now: clock.Now, LoginRatePerMinute: -1})
	s.AddUser(User{Username: "psa-sync", Password: "s3cret", TOTPSecret: totpSecret, Perms: ReadOnlyPerms()})
	s.AddUser(User{Username: "plain", Password: "pw"})
	login := func(body string) resp { return postJSON(t, s, "/v2/login/", body, nil) }
	code := func(offset int) string { return TOTP(totpSecret, refTime.Add(time.Duration(offset)*30*time.Second)) }

	for _, tc := range []struct {
		name, body string
		status     int
		want       string
	}{
		{"bad password", `{"username":"psa-sync","password":"x","twofactor":"` + code(0) + `"}`, 400, `{"non_field_errors":["Unable to log in with provided credentials."]}`},
		{"missing fields", `{}`, 400, `{"username":["This field is required."],"password":["This field is required."]}`},
		{"blank username", `{"username":" ","password":"s3cret","twofactor":"1"}`, 400, `{"username":["This field may not be blank."]}`},
		{"missing twofactor", `{"username":"psa-sync","password":"s3cret"}`, 500, html500},
		{"wrong code", `{"username":"psa-sync","password":"s3cret","twofactor":"000000x"}`, 400, `"Bad credentials"`},
		{"code 11 steps old", `{"username":"psa-sync","password":"s3cret","twofactor":"` + code(-11) + `"}`, 400, `"Bad credentials"`},
		{"user without totp", `{"username":"plain","password":"pw","twofactor":"123456"}`, 500, html500},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if r := login(tc.body); r.status != tc.status || string(r.body) != tc.want {
				t.Fatalf("got %d %s, want %d %s", r.status, r.body, tc.status, tc.want)
			}
		})
	}

	for _, offset := range []int{0, -10, 10} {
		r := login(`{"username":"psa-sync","password":"s3cret","twofactor":"` + code(offset) + `"}`)
		m := r.obj(t)
		if r.status != 200 || !tokenRE.MatchString(fmt.Sprint(m["token"])) || m["username"] != "psa-sync" || m["name"] != nil {
			t.Fatalf("login with code offset %d = %d %s", offset, r.status, r.body)
		}
		if keys := keysOf(t, r.body); fmt.Sprint(keys) != "[expiry token username name]" {
			t.Fatalf("keys = %v", keys)
		}
		if m["expiry"] != drfTime(refTime.Add(5*time.Hour)) {
			t.Fatalf("expiry = %v", m["expiry"])
		}
	}
}

func TestLoginThrottle(t *testing.T) {
	clock := NewManualClock(refTime)
	s := newServer(t, Options{Now: clock.Now})
	bad := `{"username":"x","password":"y"}`
	from := func(ip string) map[string]string { return map[string]string{"X-Forwarded-For": ip} }
	for i := range 10 {
		if r := postJSON(t, s, "/v2/checkcreds/", bad, from("198.51.100.7")); r.status != 400 {
			t.Fatalf("attempt %d = %d", i+1, r.status)
		}
		clock.Advance(2 * time.Second)
	}
	r := postJSON(t, s, "/v2/checkcreds/", bad, from("198.51.100.7"))
	// The oldest attempt was 20 s ago: 40 s remain in its minute.
	wantDetail(t, r, http.StatusTooManyRequests, "Request was throttled. Expected available in 40 seconds.")
	if got := r.header.Get("Retry-After"); got != "40" {
		t.Fatalf("Retry-After = %q", got)
	}
	// Other client IPs, the other login view and other endpoints are unaffected.
	if r := postJSON(t, s, "/v2/checkcreds/", bad, from("198.51.100.8")); r.status != 400 {
		t.Fatalf("another IP = %d", r.status)
	}
	if r := postJSON(t, s, "/v2/login/", bad, from("198.51.100.7")); r.status != 400 {
		t.Fatalf("login view = %d", r.status)
	}
	for range 20 {
		getJSON(t, s, "/core/version/")
	}
	// Authenticated requests are never throttled.
	tok, _ := s.IssueToken(DefaultUsername, time.Hour)
	h := from("198.51.100.7")
	h["Authorization"] = "Token " + tok
	if r := postJSON(t, s, "/v2/checkcreds/", bad, h); r.status != 400 {
		t.Fatalf("authenticated = %d", r.status)
	}
	clock.Advance(41 * time.Second)
	if r := postJSON(t, s, "/v2/checkcreds/", bad, from("198.51.100.7")); r.status != 400 {
		t.Fatalf("after the window = %d", r.status)
	}
}

func TestLoginThrottleConfigAndVersion(t *testing.T) {
	clock := NewManualClock(refTime)
	s := newServer(t, Options{Now: clock.Now, LoginRatePerMinute: 2})
	for range 2 {
		postJSON(t, s, "/v2/login/", `{}`, nil)
	}
	r := postJSON(t, s, "/v2/login/", `{}`, nil)
	if r.status != 429 || r.header.Get("Retry-After") != "60" {
		t.Fatalf("third = %d Retry-After %q", r.status, r.header.Get("Retry-After"))
	}
	// Throttles arrived in v1.5.0.
	s.SetVersion("1.4.0")
	if r := postJSON(t, s, "/v2/login/", `{}`, nil); r.status != 400 {
		t.Fatalf("on 1.4.0 = %d", r.status)
	}
	// The day scope counts as well.
	s2 := newServer(t, Options{Now: clock.Now, LoginRatePerMinute: -1, LoginRatePerDay: 3})
	for i := range 3 {
		postJSON(t, s2, "/v2/checkcreds/", `{"username":"a","password":"b"}`, nil)
		clock.Advance(time.Hour)
		_ = i
	}
	r = postJSON(t, s2, "/v2/checkcreds/", `{"username":"a","password":"b"}`, nil)
	n, _ := strconv.Atoi(r.header.Get("Retry-After"))
	if r.status != 429 || n != 21*3600 {
		t.Fatalf("day throttle = %d Retry-After %d", r.status, n)
	}
}
