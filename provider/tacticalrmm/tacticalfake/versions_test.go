package tacticalfake

import (
	"bytes"
	"testing"
)

func TestAppVersion(t *testing.T) {
	for release, want := range map[string]string{
		"1.5.1": "0.0.203", "1.5.0": "0.0.203", "1.4.0": "0.0.202", "1.1.0": "0.0.199",
		"0.20.0": "0.0.196", "0.19.0": "0.0.193", "0.16.5": "0.0.185",
	} {
		if got := AppVersion(release); got != want {
			t.Errorf("AppVersion(%s) = %s, want %s", release, got, want)
		}
	}
}

func TestVersionGatedBehaviour(t *testing.T) {
	s := newServer(t, Options{Fleet: smallFleet(4)})
	s.AddUser(User{Username: "u", Password: "p", TOTPSecret: totpSecret})
	for _, tc := range []struct {
		release              string
		appVer               string
		defaultShell, hexMsh bool
		loginUsername        bool
	}{
		{"1.5.1", `"0.0.203"`, true, true, true},
		{"1.5.0", `"0.0.203"`, true, true, true},
		{"1.4.0", `"0.0.202"`, false, true, true},
		{"1.0.0", `"0.0.196"`, false, false, true},
		{"0.19.0", `"0.0.193"`, false, false, false},
	} {
		t.Run(tc.release, func(t *testing.T) {
			s.SetVersion(tc.release)
			if got := string(getJSON(t, s, "/core/version/").body); got != tc.appVer {
				t.Fatalf("version = %s", got)
			}
			if got := getJSON(t, s, "/core/dashinfo/").obj(t)["trmm_version"]; got != tc.release {
				t.Fatalf("trmm_version = %v", got)
			}
			has := func(body []byte, key string) bool { return bytes.Contains(body, []byte(`"`+key+`":`)) }
			if has(s.AgentJSON(0), "default_shell") != tc.defaultShell {
				t.Fatalf("default_shell in the list: want %v", tc.defaultShell)
			}
			if has(getJSON(t, s, "/agents/"+s.Agent(0).AgentID+"/").body, "effective_default_shell") != tc.defaultShell {
				t.Fatalf("effective_default_shell: want %v", tc.defaultShell)
			}
			if has(getJSON(t, s, "/beta/v1/agent/1/").body, "hex_mesh_node_id") != tc.hexMsh {
				t.Fatalf("hex_mesh_node_id: want %v", tc.hexMsh)
			}
			r := postJSON(t, s, "/v2/login/", `{"username":"u","password":"p","twofactor":"`+TOTP(totpSecret, s.Now())+`"}`, nil)
			if has(r.body, "username") != tc.loginUsername {
				t.Fatalf("login %s: username wanted %v", r.body, tc.loginUsername)
			}
		})
	}
}
