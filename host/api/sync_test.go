package api

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/msp-psa/psa-host/host/store"
	"github.com/msp-psa/psa-host/shared/rmm"
)

func TestConnectionTest(t *testing.T) {
	cases := []struct {
		name   string
		body   any
		result rmm.TestConnectionResult
		err    error
		status int
		code   string
	}{
		{"ok", nil, rmm.TestConnectionResult{OK: true, Message: "connected", ServerVersion: "v0.19.1",
			Warnings: []string{"beta API"}, Details: map[string]string{"agents": "12"}}, nil, 200, ""},
		{"bad credentials are a result", map[string]string{}, rmm.TestConnectionResult{OK: false, Message: "the API key was rejected",
			Reason: "unauthorized"}, nil, 200, ""},
		{"one-time code needed", nil, rmm.TestConnectionResult{Reason: "one_time_code_required", OneTimeCodeRequired: true}, nil, 200, ""},
		{"code passed through", map[string]string{"twofactor": "123456"}, rmm.TestConnectionResult{OK: true}, nil, 200, ""},
		{"plugin down", nil, rmm.TestConnectionResult{}, rmm.Errorf(rmm.ErrPluginUnavailable, "provider %q is restarting", "tacticalrmm"), 503, codePluginDown},
		{"invalid config", nil, rmm.TestConnectionResult{}, rmm.Errorf(rmm.ErrInvalidConfig, "settings.site is not a number"), 422, codeInvalidValue},
		{"upstream down", nil, rmm.TestConnectionResult{}, rmm.Errorf(rmm.ErrUpstreamUnavailable, "Tactical answered 503"), 502, codeUpstream},
		{"plain error", nil, rmm.TestConnectionResult{}, errors.New("stream reset"), 502, codeUpstream},
		{"deadline", nil, rmm.TestConnectionResult{}, context.DeadlineExceeded, 504, codeTimeout},
		{"rate limited", nil, rmm.TestConnectionResult{}, rmm.RateLimited(3*time.Second, "slow down"), 429, codeRateLimited},
		{"unknown field", map[string]string{"totp": "1"}, rmm.TestConnectionResult{}, nil, 400, codeUnknownField},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			v := e.createIntegration(e.keyA, "T")
			e.syncer.set(func(s *fakeSyncer) { s.result, s.err = tc.result, tc.err })
			r := e.do("POST", "/api/v1/integrations/"+v.ID+"/test", e.keyA, tc.body)
			if r.status != tc.status {
				t.Fatalf("status = %d, want %d: %s", r.status, tc.status, r.body)
			}
			if tc.code != "" {
				if got := r.errBody(t).Code; got != tc.code {
					t.Fatalf("code = %q, want %q", got, tc.code)
				}
				if tc.status == 429 && r.header.Get("Retry-After") != "3" {
					t.Fatalf("Retry-After = %q", r.header.Get("Retry-After"))
				}
				return
			}
			var got testConnectionResponse
			decode(t, r.body, &got)
			want := tc.result
			if got.OK != want.OK || got.Message != want.Message || got.Reason != want.Reason ||
				got.TOTPRequired != want.OneTimeCodeRequired || got.ServerVersion != want.ServerVersion ||
				len(got.Warnings) != len(want.Warnings) || len(got.Details) != len(want.Details) {
				t.Fatalf("answer = %+v, want %+v", got, want)
			}
			if m, ok := tc.body.(map[string]string); ok && e.syncer.lastCode != m["twofactor"] {
				t.Fatalf("one-time code = %q, want %q", e.syncer.lastCode, m["twofactor"])
			}
			if want.OK {
				var in integrationView
				e.must(http.StatusOK, "GET", "/api/v1/integrations/"+v.ID, e.keyA, nil, &in)
				if in.Connection != "connected" {
					t.Fatalf("connection = %q after a passing test", in.Connection)
				}
			}
		})
	}
}

func TestConnectionTestRefusals(t *testing.T) {
	e := newEnv(t)
	v := e.createIntegration(e.keyA, "T")
	if r := e.do("POST", "/api/v1/integrations/"+newID()+"/test", e.keyA, nil); r.status != http.StatusNotFound {
		t.Fatalf("unknown integration = %d", r.status)
	}
	if r := e.do("POST", "/api/v1/integrations/"+v.ID+"/test", e.keyA, `{"twofactor":"1"}`, "Content-Type", "text/plain"); r.status != http.StatusUnsupportedMediaType {
		t.Fatalf("text body = %d", r.status)
	}
	// A provider without test_connection is refused before any call.
	e.providers.running["tacticalrmm"].meta.Capabilities = []rmm.Capability{rmm.CapSyncOrgs}
	r := e.do("POST", "/api/v1/integrations/"+v.ID+"/test", e.keyA, nil)
	if r.status != http.StatusUnprocessableEntity || r.errBody(t).Code != codeUnsupported {
		t.Fatalf("missing capability = %d: %s", r.status, r.body)
	}
	if e.syncer.calls != 0 {
		t.Fatalf("the syncer was called %d times", e.syncer.calls)
	}
}

func TestCallTimeoutIs504(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.CallTimeout = 50 * time.Millisecond })
	v := e.createIntegration(e.keyA, "Slow")
	e.syncer.set(func(s *fakeSyncer) { s.hang = true })
	start := time.Now()
	for _, path := range []string{"/test", "/devices/agent-7/sync"} {
		r := e.do("POST", "/api/v1/integrations/"+v.ID+path, e.keyA, nil)
		if r.status != http.StatusGatewayTimeout || r.errBody(t).Code != codeTimeout {
			t.Fatalf("%s = %d: %s", path, r.status, r.body)
		}
	}
	if time.Since(start) > 10*time.Second {
		t.Fatalf("calls hung past their timeout")
	}
}

func TestStartSync(t *testing.T) {
	e := newEnv(t)
	v := e.createIntegration(e.keyA, "S")
	path := "/api/v1/integrations/" + v.ID + "/sync"

	var first syncResponse
	r := e.must(http.StatusAccepted, "POST", path, e.keyA, map[string]string{"kind": "devices", "mode": "full"}, &first)
	if !isUUID(first.JobID) || first.Status != store.JobQueued || first.Existing || first.Job.Kind != "devices" {
		t.Fatalf("first = %+v", first)
	}
	if r.header.Get("Location") != "/api/v1/jobs/"+first.JobID {
		t.Fatalf("Location = %q", r.header.Get("Location"))
	}
	var again syncResponse
	e.must(http.StatusAccepted, "POST", path, e.keyA, map[string]string{"kind": "devices"}, &again)
	if again.JobID != first.JobID || !again.Existing {
		t.Fatalf("again = %+v, want the existing job", again)
	}
	var orgs syncResponse
	e.must(http.StatusAccepted, "POST", path, e.keyA, map[string]string{"kind": "orgs", "mode": "incremental"}, &orgs)
	if orgs.JobID == first.JobID || orgs.Existing || orgs.Job.Mode != "incremental" {
		t.Fatalf("orgs = %+v", orgs)
	}

	var job store.Job
	e.must(http.StatusOK, "GET", "/api/v1/jobs/"+first.JobID, e.keyA, nil, &job)
	if job.ID != first.JobID || job.Kind != "devices" || job.Mode != "full" {
		t.Fatalf("job = %+v", job)
	}
	e.must(http.StatusNotFound, "GET", "/api/v1/jobs/"+newID(), e.keyA, nil, nil)
	e.must(http.StatusNotFound, "GET", "/api/v1/jobs/42", e.keyA, nil, nil)

	m := e.createIntegrationFor(e.keyA, "minimal", "Small")
	cases := []struct {
		name   string
		path   string
		body   any
		status int
		code   string
		field  string
	}{
		{"missing kind", path, map[string]string{"mode": "full"}, 400, codeMissingField, "kind"},
		{"unknown kind", path, map[string]string{"kind": "tickets"}, 422, codeInvalidValue, "kind"},
		{"unknown mode", path, map[string]string{"kind": "orgs", "mode": "partial"}, 422, codeInvalidValue, "mode"},
		{"incremental devices unsupported", path, map[string]string{"kind": "devices", "mode": "incremental"}, 422, codeUnsupported, "mode"},
		{"software unsupported", "/api/v1/integrations/" + m.ID + "/sync", map[string]string{"kind": "software"}, 422, codeUnsupported, "kind"},
		{"kind wrong type", path, map[string]any{"kind": 3}, 400, codeWrongType, "kind"},
		{"unknown integration", "/api/v1/integrations/" + newID() + "/sync", map[string]string{"kind": "orgs"}, 404, codeNotFound, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := e.store.writeCount()
			r := e.do("POST", tc.path, e.keyA, tc.body)
			if r.status != tc.status {
				t.Fatalf("status = %d, want %d: %s", r.status, tc.status, r.body)
			}
			if got := r.errBody(t); got.Code != tc.code || got.Field != tc.field {
				t.Fatalf("error = %+v", got)
			}
			if e.store.writeCount() != before {
				t.Fatalf("a refused sync queued a job")
			}
		})
	}
	t.Run("the capability is named", func(t *testing.T) {
		r := e.do("POST", "/api/v1/integrations/"+m.ID+"/sync", e.keyA, map[string]string{"kind": "alerts"})
		if got := r.errBody(t).Message; !contains(got, string(rmm.CapBackfillAlerts)) {
			t.Fatalf("message %q does not name the capability", got)
		}
	})
	t.Run("plugin down", func(t *testing.T) {
		e.providers.running["minimal"].describeErr = rmm.Errorf(rmm.ErrPluginUnavailable, "restarting")
		r := e.do("POST", "/api/v1/integrations/"+m.ID+"/sync", e.keyA, map[string]string{"kind": "orgs"})
		if r.status != http.StatusServiceUnavailable || r.errBody(t).Code != codePluginDown {
			t.Fatalf("status = %d: %s", r.status, r.body)
		}
	})
}

func TestSyncDevice(t *testing.T) {
	e := newEnv(t)
	v := e.createIntegration(e.keyA, "D")
	var got syncDeviceResponse
	e.must(http.StatusOK, "POST", "/api/v1/integrations/"+v.ID+"/devices/agent%2F7/sync", e.keyA, nil, &got)
	if got.Asset.RMMDeviceID != "agent-agent/7" || !isUUID(got.Asset.ID) {
		t.Fatalf("asset = %+v", got.Asset)
	}
	cases := []struct {
		name   string
		err    error
		status int
	}{
		{"unknown device", rmm.Errorf(rmm.ErrNotFound, "no agent %q", "x"), 404},
		{"plugin down", rmm.Errorf(rmm.ErrPluginUnavailable, "down"), 503},
		{"upstream rejects key", rmm.Errorf(rmm.ErrUnauthorized, "the API key was rejected"), 502},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e.syncer.set(func(s *fakeSyncer) { s.err = tc.err })
			r := e.do("POST", "/api/v1/integrations/"+v.ID+"/devices/agent-1/sync", e.keyA, nil)
			if r.status != tc.status {
				t.Fatalf("status = %d, want %d: %s", r.status, tc.status, r.body)
			}
		})
	}
	e.syncer.set(func(s *fakeSyncer) { s.err = nil })
	m := e.createIntegrationFor(e.keyA, "minimal", "NoAgent")
	r := e.do("POST", "/api/v1/integrations/"+m.ID+"/devices/agent-1/sync", e.keyA, nil)
	if r.status != http.StatusUnprocessableEntity || !contains(r.errBody(t).Message, string(rmm.CapSyncAgent)) {
		t.Fatalf("no sync_agent = %d: %s", r.status, r.body)
	}
	e.must(http.StatusNotFound, "POST", "/api/v1/integrations/"+newID()+"/devices/agent-1/sync", e.keyA, nil, nil)
}

func TestIntegrationWhosePluginWasRemoved(t *testing.T) {
	e := newEnv(t)
	v := e.createIntegrationFor(e.keyA, "minimal", "Orphan")
	delete(e.providers.running, "minimal")
	calls := []struct {
		method, path string
		body         any
	}{
		{"POST", "/sync", map[string]string{"kind": "orgs"}},
		{"POST", "/test", nil},
		{"PATCH", "", map[string]any{"credentials": map[string]string{"api_key": "another-key-000000000000"}}},
	}
	for _, c := range calls {
		r := e.do(c.method, "/api/v1/integrations/"+v.ID+c.path, e.keyA, c.body)
		if r.status != http.StatusServiceUnavailable || r.errBody(t).Code != codePluginDown {
			t.Errorf("%s %s = %d: %s", c.method, c.path, r.status, r.body)
		}
	}
	// What needs no plugin still works.
	e.must(http.StatusOK, "GET", "/api/v1/integrations/"+v.ID, e.keyA, nil, nil)
	e.must(http.StatusOK, "PATCH", "/api/v1/integrations/"+v.ID, e.keyA, map[string]string{"name": "Renamed"}, nil)
	e.must(http.StatusOK, "DELETE", "/api/v1/integrations/"+v.ID, e.keyA, nil, nil)
}
