package tacticalrmm

import (
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/msp-psa/psa-host/provider/tacticalrmm/tacticalfake"
	"github.com/msp-psa/psa-host/shared/providertest"
	"github.com/msp-psa/psa-host/shared/rmm"
)

// TestConformance runs the rmm contract's conformance suite against
// tacticalfake, in-process and over gRPC.
func TestConformance(t *testing.T) {
	logs := &testLog{}
	var upstreams atomic.Int64
	providertest.Run(t, providertest.Harness{
		New: func(testing.TB) rmm.Provider {
			return New(WithLogger(hclog.New(&hclog.LoggerOptions{Level: hclog.Trace, Output: logs})),
				WithRetry(2, time.Millisecond))
		},
		Logs: logs.String,
		Upstream: func(t testing.TB) providertest.Upstream {
			return conformanceUpstream(t, upstreams.Add(1))
		},
	})
}

const conformanceWebhookSecret = "whsec-conformance-0123456789"

func conformanceUpstream(t testing.TB, n int64) providertest.Upstream {
	spec := tacticalfake.DefaultFleet()
	spec.Seed = n // every upstream holds other devices
	srv := tacticalfake.NewT(t, tacticalfake.Options{Fleet: spec})
	// Two agents went offline two hours ago, whatever the seed drew: an
	// incremental sync (agents seen since the cursor) must leave them out.
	srv.SetLastSeen(1, srv.Now().Add(-2*time.Hour))
	srv.SetLastSeen(2, srv.Now().Add(-2*time.Hour))
	id := "conformance-" + strconv.FormatInt(n, 10)
	with := func(suffix, baseURL string, secrets map[string]string) rmm.Integration {
		return rmm.Integration{ID: id + suffix, TenantID: "tenant", Revision: 1, BaseURL: baseURL,
			AuthMode: rmm.AuthAPIKey, Secrets: secrets}
	}
	secrets := map[string]string{SecretAPIKey: tacticalfake.DefaultAPIKey, SecretWebhookSecret: conformanceWebhookSecret}
	badSecrets := map[string]string{SecretAPIKey: "WRONGKEYWRONGKEYWRONGKEYWRONGKEY"}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedURL := "http://" + ln.Addr().String()
	_ = ln.Close()
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	t.Cleanup(hang.Close)
	fail := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		htmlReply(w, http.StatusBadGateway)
	}))
	t.Cleanup(fail.Close)
	throttled := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "30")
		jsonReply(w, http.StatusTooManyRequests, `{"detail":"Request was throttled. Expected available in 30 seconds."}`)
	}))
	t.Cleanup(throttled.Close)

	now := srv.Now()
	since, until := now.Add(-30*24*time.Hour), now.Add(time.Hour)
	inWindow := func(t time.Time) bool { return !t.IsZero() && !t.Before(since) && t.Before(until) }
	alerts := 0
	for _, a := range srv.Alerts() {
		if inWindow(a.Time) || (a.Resolved && inWindow(a.ResolvedOn)) {
			alerts++
		}
	}
	c := srv.Counts()
	agent := srv.Agent(0)

	valid := with("", srv.URL(), secrets)
	hook := func(body string, secret string) rmm.WebhookRequest {
		return rmm.WebhookRequest{Integration: valid, Method: http.MethodPost,
			Headers: http.Header{WebhookSecretHeader: {secret}, "Content-Type": {"application/json"}},
			Body:    []byte(body), ReceivedAt: now}
	}
	failure := `{"event": "failure", "alert_id": "501", "agent_id": "` + agent.AgentID + `", "alert_type": "availability", ` +
		`"severity": "error", "alert_time": "2026-06-16 12:30:40.221904+00:00", "message": "` + agent.Hostname + ` is overdue."}`
	resolvedText := `{"event": "resolved", "alert_id": "501", "agent_id": "` + agent.AgentID + `", "resolved": True, ` +
		`"message": "` + agent.Hostname + ` "C:" is back"}`
	resolved, _ := json.Marshal(resolvedText) // Tactical sends invalid JSON as one string

	return providertest.Upstream{
		Valid:          valid,
		BadCredentials: with("-bad", srv.URL(), badSecrets),
		Unreachable:    with("-unreachable", closedURL, secrets),
		Hanging:        with("-hanging", hang.URL, secrets),
		Failing:        with("-failing", fail.URL, secrets),
		RateLimited:    with("-throttled", throttled.URL, secrets),
		Expect: providertest.Expect{Orgs: c.Clients, Devices: c.Agents, Alerts: alerts, AlertsSince: since, AlertsUntil: until,
			SoftwareDevices: c.SoftwareRows, SoftwareItems: c.Software},
		KnownDeviceID:   agent.AgentID,
		UnknownDeviceID: "ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ",
		Webhooks: []providertest.WebhookCase{
			{Name: "failure", Request: hook(failure, conformanceWebhookSecret),
				Want: []providertest.WantAlert{{DedupKey: "alert:501", State: rmm.AlertTriggered, DeviceExternalID: agent.AgentID}}},
			{Name: "resolved sent as a string", Request: hook(string(resolved), conformanceWebhookSecret),
				Want: []providertest.WantAlert{{DedupKey: "alert:501", State: rmm.AlertResolved, DeviceExternalID: agent.AgentID}}},
			{Name: "test button", Request: hook(`{"agent_id": "{{agent.agent_id}}", "alert_id": "{{alert.id}}"}`, conformanceWebhookSecret),
				Ignored: true},
		},
		BadWebhook: hook(failure, "whsec-wrong"),
		Secrets:    []string{tacticalfake.DefaultAPIKey, conformanceWebhookSecret},
		Mutate: func(testing.TB) string {
			srv.Touch(3)
			return srv.Agent(3).AgentID
		},
	}
}
