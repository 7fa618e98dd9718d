package fakeprovider

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/msp-psa/psa-host/shared/rmm"
)

// integration names the integration by its URL and key, since the
// provider caches one session per integration ID and revision.
func integration(base string, secrets map[string]string) rmm.Integration {
	return rmm.Integration{ID: base + "#" + secrets["api_key"], Revision: 1, BaseURL: base, Secrets: secrets}
}

var good = map[string]string{"api_key": DefaultAPIKey, "webhook_secret": "whsec-123456"}

func TestTestConnection(t *testing.T) {
	tests := []struct {
		name       string
		in         rmm.Integration
		wantOK     bool
		wantReason string
		wantErr    error
	}{
		{name: "valid", in: integration("fake://acme", good), wantOK: true},
		{name: "wrong key", in: integration("fake://acme", map[string]string{"api_key": "nope"}), wantReason: "unauthorized"},
		{name: "no key", in: integration("fake://acme", nil), wantReason: "unauthorized"},
		{name: "unreachable", in: integration("fake://unreachable", good), wantReason: "upstream_unavailable"},
		{name: "failing", in: integration("fake://failing", good), wantReason: "upstream_unavailable"},
		{name: "rate limited", in: integration("fake://ratelimited", good), wantReason: "rate_limited"},
		{name: "not a fake URL", in: integration("https://rmm.example.com", good), wantReason: "invalid_config"},
		{name: "bad settings", in: rmm.Integration{BaseURL: "fake://acme", Secrets: good, Settings: json.RawMessage(`{"orgz":1}`)}, wantReason: "invalid_config"},
		{name: "hang", in: integration("fake://hang", good), wantErr: context.DeadlineExceeded},
	}
	p := New(Config{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
			defer cancel()
			res, err := p.TestConnection(ctx, rmm.TestConnectionRequest{Integration: tt.in})
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if res.OK != tt.wantOK || res.Reason != tt.wantReason {
				t.Errorf("OK=%v reason %q, want OK=%v reason %q", res.OK, res.Reason, tt.wantOK, tt.wantReason)
			}
			if !res.OK && err == nil && res.Message == "" {
				t.Error("OK=false without a message")
			}
		})
	}
}

func TestUpstreamErrors(t *testing.T) {
	tests := []struct {
		base       string
		secrets    map[string]string
		want       error
		retryAfter time.Duration
	}{
		{"fake://unreachable", good, rmm.ErrUpstreamUnavailable, 0},
		{"fake://failing", good, rmm.ErrUpstreamUnavailable, 0},
		{"fake://ratelimited", good, rmm.ErrRateLimited, 2 * time.Second},
		{"fake://acme", map[string]string{"api_key": "nope"}, rmm.ErrUnauthorized, 0},
		{"fake://Not_Valid", good, rmm.ErrInvalidConfig, 0},
	}
	p := New(Config{})
	for _, tt := range tests {
		t.Run(tt.base, func(t *testing.T) {
			_, err := p.SyncAgent(t.Context(), rmm.SyncAgentRequest{Integration: integration(tt.base, tt.secrets), DeviceExternalID: "acme:dev-1-1"})
			if !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
			if got := rmm.RetryAfter(err); got != tt.retryAfter {
				t.Errorf("RetryAfter = %v, want %v", got, tt.retryAfter)
			}
		})
	}
}

// collect runs a bulk call and returns what it sent.
func collect[T any](t *testing.T, call func(rmm.Sink[T]) (rmm.SyncSummary, error)) ([]T, int, rmm.SyncSummary) {
	t.Helper()
	var items []T
	batches := 0
	sum, err := call(rmm.SinkFunc[T](func(_ context.Context, b rmm.Batch[T]) error {
		items = append(items, b.Items...)
		batches++
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	return items, batches, sum
}

func TestFleetShapeAndBatches(t *testing.T) {
	p := New(Config{})
	in := integration("fake://shaped", good)
	in.Settings = json.RawMessage(`{"orgs":2,"devices_per_org":5,"alerts_per_device":3,"software_per_device":4}`)
	devs, batches, sum := collect(t, func(out rmm.Sink[rmm.Device]) (rmm.SyncSummary, error) {
		return p.SyncDevices(t.Context(), rmm.SyncRequest{Integration: in, MaxBatch: 3}, out)
	})
	if len(devs) != 10 || batches != 4 || sum.Sent != 10 {
		t.Errorf("got %d devices in %d batches, Sent %d; want 10 in 4, Sent 10", len(devs), batches, sum.Sent)
	}
	alerts, _, _ := collect(t, func(out rmm.Sink[rmm.Alert]) (rmm.SyncSummary, error) {
		return p.BackfillAlerts(t.Context(), rmm.BackfillRequest{Integration: in, IncludeResolved: true}, out)
	})
	open, _, _ := collect(t, func(out rmm.Sink[rmm.Alert]) (rmm.SyncSummary, error) {
		return p.BackfillAlerts(t.Context(), rmm.BackfillRequest{Integration: in}, out)
	})
	window, _, _ := collect(t, func(out rmm.Sink[rmm.Alert]) (rmm.SyncSummary, error) {
		return p.BackfillAlerts(t.Context(), rmm.BackfillRequest{Integration: in, IncludeResolved: true,
			Since: Epoch().Add(5 * time.Hour), Until: Epoch().Add(10 * time.Hour)}, out)
	})
	if len(alerts) != 30 || len(open) != 20 || len(window) != 5 {
		t.Errorf("got %d alerts, %d open, %d in the window; want 30, 20, 5", len(alerts), len(open), len(window))
	}
	sw, _, _ := collect(t, func(out rmm.Sink[rmm.SoftwareBatch]) (rmm.SyncSummary, error) {
		return p.IngestSoftware(t.Context(), rmm.SoftwareRequest{Integration: in, DeviceExternalIDs: []string{"shaped:dev-2-5"}}, out)
	})
	if len(sw) != 1 || sw[0].DeviceExternalID != "shaped:dev-2-5" || len(sw[0].Items) != 4 {
		t.Errorf("software of one device = %+v", sw)
	}
}

func TestIncrementalSync(t *testing.T) {
	p := New(Config{})
	in := integration("fake://inc", good)
	_, _, first := collect(t, func(out rmm.Sink[rmm.Device]) (rmm.SyncSummary, error) {
		return p.SyncDevices(t.Context(), rmm.SyncRequest{Integration: in}, out)
	})
	if !p.Touch("inc:dev-2-2") || p.Touch("inc:dev-9-9") || p.Touch("nofleet") {
		t.Fatal("Touch reports the wrong devices as existing")
	}
	changed, _, next := collect(t, func(out rmm.Sink[rmm.Device]) (rmm.SyncSummary, error) {
		return p.SyncDevices(t.Context(), rmm.SyncRequest{Integration: in, Mode: rmm.SyncIncremental, Cursor: first.Cursor}, out)
	})
	if len(changed) != 1 || changed[0].ExternalID != "inc:dev-2-2" || changed[0].Status != rmm.StatusOffline {
		t.Errorf("incremental sync after Touch = %+v", changed)
	}
	none, _, _ := collect(t, func(out rmm.Sink[rmm.Device]) (rmm.SyncSummary, error) {
		return p.SyncDevices(t.Context(), rmm.SyncRequest{Integration: in, Mode: rmm.SyncIncremental, Cursor: next.Cursor}, out)
	})
	if len(none) != 0 {
		t.Errorf("incremental sync without changes sent %d devices", len(none))
	}
	_, err := p.SyncDevices(t.Context(), rmm.SyncRequest{Integration: in, Mode: rmm.SyncIncremental, Cursor: []byte("junk")}, nil)
	if !errors.Is(err, rmm.ErrInvalidInput) {
		t.Errorf("foreign cursor: err = %v, want ErrInvalidInput", err)
	}
}

func TestCapabilitiesAreHonoured(t *testing.T) {
	p := New(Config{Capabilities: []rmm.Capability{rmm.CapTestConnection, rmm.CapSyncDevices}})
	in := integration("fake://caps", good)
	if _, err := p.SyncOrgs(t.Context(), rmm.SyncRequest{Integration: in}, nil); !errors.Is(err, rmm.ErrUnsupported) {
		t.Errorf("SyncOrgs: err = %v, want ErrUnsupported", err)
	}
	if _, err := p.SyncDevices(t.Context(), rmm.SyncRequest{Integration: in, Mode: rmm.SyncIncremental}, nil); !errors.Is(err, rmm.ErrUnsupported) {
		t.Errorf("incremental SyncDevices: err = %v, want ErrUnsupported", err)
	}
	md, err := p.Describe(t.Context())
	if err != nil || md.Webhook != nil || len(md.Capabilities) != 2 {
		t.Errorf("Describe = %+v, %v", md, err)
	}
}

func TestRevisionChangesCredentials(t *testing.T) {
	p := New(Config{})
	in := integration("fake://rev", good)
	for i, key := range []string{DefaultAPIKey, "wrong", DefaultAPIKey} {
		in.Revision = int64(i + 1)
		in.Secrets = map[string]string{"api_key": key}
		res, err := p.TestConnection(t.Context(), rmm.TestConnectionRequest{Integration: in})
		if err != nil || res.OK != (key == DefaultAPIKey) {
			t.Errorf("revision %d: OK=%v err=%v", in.Revision, res.OK, err)
		}
	}
}

func TestLatencyHonoursContext(t *testing.T) {
	p := New(Config{Latency: time.Hour})
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	_, err := p.SyncOrgs(ctx, rmm.SyncRequest{Integration: integration("fake://slow", good)}, nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want DeadlineExceeded", err)
	}
}

func TestHandleWebhook(t *testing.T) {
	body := func(v any) []byte {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	valid := body(WebhookPayload{DeviceID: "hook:dev-1-2", AlertID: "a1", State: rmm.AlertResolved})
	tests := []struct {
		name        string
		secrets     map[string]string
		header      string
		body        []byte
		wantErr     error
		wantIgnored bool
	}{
		{name: "resolved", secrets: good, header: good["webhook_secret"], body: valid},
		{name: "wrong secret", secrets: good, header: "nope", body: valid, wantErr: rmm.ErrUnauthorized},
		{name: "no secret configured", secrets: map[string]string{"api_key": DefaultAPIKey}, header: "", body: valid, wantErr: rmm.ErrInvalidConfig},
		{name: "garbage", secrets: good, header: good["webhook_secret"], body: []byte("{"), wantErr: rmm.ErrInvalidInput},
		{name: "bad state", secrets: good, header: good["webhook_secret"], body: body(WebhookPayload{DeviceID: "hook:dev-1-2", AlertID: "a1", State: "open"}), wantErr: rmm.ErrInvalidInput},
		{name: "oversized", secrets: good, header: good["webhook_secret"], body: make([]byte, MaxWebhookBody+1), wantErr: rmm.ErrInvalidInput},
		{name: "unknown device", secrets: good, header: good["webhook_secret"], body: body(WebhookPayload{DeviceID: "hook:dev-9-9", AlertID: "a1", State: rmm.AlertTriggered}), wantIgnored: true},
	}
	p := New(Config{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := rmm.WebhookRequest{
				Integration: integration("fake://hook", tt.secrets),
				Headers:     http.Header{WebhookSecretHeader: {tt.header}},
				Body:        tt.body,
				ReceivedAt:  Epoch(),
			}
			res, err := p.HandleWebhook(t.Context(), req)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err != nil || res.Ignored != tt.wantIgnored {
				if res.Ignored != tt.wantIgnored {
					t.Errorf("Ignored = %v, want %v", res.Ignored, tt.wantIgnored)
				}
				return
			}
			if tt.wantIgnored {
				return
			}
			a := res.Alerts[0]
			if a.DedupKey != "hook:dev-1-2|a1" || a.State != rmm.AlertResolved || !a.ResolvedAt.Equal(Epoch()) || a.OrgExternalID != "hook:org-1" {
				t.Errorf("alert = %+v", a)
			}
		})
	}
}
