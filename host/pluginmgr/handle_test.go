package pluginmgr

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"

	"github.com/msp-psa/psa-host/shared/rmm"
)

// stubProvider is an in-process provider whose answers the test sets.
type stubProvider struct {
	rmm.Unimplemented
	testConnection func(rmm.TestConnectionRequest) (rmm.TestConnectionResult, error)
	syncOrgs       func(rmm.SyncRequest) (rmm.SyncSummary, error)
}

func (stubProvider) Describe(context.Context) (rmm.Metadata, error) {
	return rmm.Metadata{Name: "stub"}, nil
}

func (p stubProvider) TestConnection(_ context.Context, req rmm.TestConnectionRequest) (rmm.TestConnectionResult, error) {
	return p.testConnection(req)
}

func (p stubProvider) SyncOrgs(_ context.Context, req rmm.SyncRequest, _ rmm.Sink[rmm.Org]) (rmm.SyncSummary, error) {
	return p.syncOrgs(req)
}

// syncBuffer is a log destination safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// stubHandle returns a handle whose live instance is p; the never-started
// plugin.Client reports no exit.
func stubHandle(p rmm.Provider, log hclog.Logger) *handle {
	e := newEntry(binary{file: "rmm-provider-stub", path: "/plugins/rmm-provider-stub"}, verdict{}, log)
	e.up(&instance{client: plugin.NewClient(&plugin.ClientConfig{}), provider: p, meta: rmm.Metadata{Name: "stub"}}, false)
	return &handle{name: "stub", e: e, log: log}
}

func TestHandleMasksSecrets(t *testing.T) {
	const apiKey, token = "key-0123456789", "tok-abcdefgh"
	integ := rmm.Integration{ID: "int-7", Secrets: map[string]string{"api_key": apiKey}}
	p := stubProvider{
		testConnection: func(req rmm.TestConnectionRequest) (rmm.TestConnectionResult, error) {
			k := req.Integration.Secret("api_key")
			return rmm.TestConnectionResult{
				Message:    "connected with " + k + " and got " + token,
				Warnings:   []string{"key " + k + " expires soon"},
				Details:    map[string]string{"auth": "Bearer " + token},
				NewSecrets: map[string]string{"token": token},
			}, nil
		},
		syncOrgs: func(req rmm.SyncRequest) (rmm.SyncSummary, error) {
			return rmm.SyncSummary{}, rmm.Errorf(rmm.ErrUnauthorized, "upstream rejected X-API-KEY %s", req.Integration.Secret("api_key"))
		},
	}
	logs := &syncBuffer{}
	h := stubHandle(p, hclog.New(&hclog.LoggerOptions{Output: logs, Level: hclog.Debug}))

	res, err := h.TestConnection(t.Context(), rmm.TestConnectionRequest{Integration: integ})
	if err != nil {
		t.Fatal(err)
	}
	if res.Message != "connected with **** and got ****" {
		t.Errorf("Message = %q", res.Message)
	}
	if len(res.Warnings) != 1 || res.Warnings[0] != "key **** expires soon" {
		t.Errorf("Warnings = %q", res.Warnings)
	}
	if res.Details["auth"] != "Bearer ****" {
		t.Errorf("Details = %q", res.Details)
	}
	if res.NewSecrets["token"] != token {
		t.Errorf("NewSecrets must reach the host intact, got %q", res.NewSecrets)
	}

	_, err = h.SyncOrgs(t.Context(), rmm.SyncRequest{Integration: integ}, nil)
	if !errors.Is(err, rmm.ErrUnauthorized) {
		t.Fatalf("err = %v, want ErrUnauthorized", err)
	}
	if strings.Contains(err.Error(), apiKey) || !strings.Contains(err.Error(), "X-API-KEY ****") {
		t.Errorf("error not masked: %q", err)
	}

	out := logs.String()
	for _, want := range []string{"rpc=TestConnection", "rpc=SyncOrgs", "integration_id=int-7", "error_kind=unauthorized", "duration="} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, apiKey) || strings.Contains(out, token) {
		t.Errorf("log holds a secret:\n%s", out)
	}
}

func TestHandleFailsFastWhileDown(t *testing.T) {
	tests := []struct {
		name   string
		state  State
		reason string
	}{
		{"restarting", StateRestarting, "process exited"},
		{"failed", StateFailed, "crash loop: 5 crashes within 2m0s; not restarting"},
		{"stopped", StateStopped, "plugin manager closed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			called := false
			h := stubHandle(stubProvider{syncOrgs: func(rmm.SyncRequest) (rmm.SyncSummary, error) {
				called = true
				return rmm.SyncSummary{}, nil
			}}, hclog.NewNullLogger())
			h.e.down(tt.state, tt.reason)

			start := time.Now()
			_, err := h.SyncOrgs(t.Context(), rmm.SyncRequest{}, nil)
			if !errors.Is(err, rmm.ErrPluginUnavailable) {
				t.Fatalf("err = %v, want ErrPluginUnavailable", err)
			}
			if !strings.Contains(err.Error(), string(tt.state)) || !strings.Contains(err.Error(), tt.reason) {
				t.Errorf("err %q does not say state %q and reason %q", err, tt.state, tt.reason)
			}
			if called {
				t.Error("the provider was called while down")
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %v, want a fast failure", d)
			}
		})
	}
}

func TestErrorKind(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{nil, ""},
		{rmm.Errorf(rmm.ErrPluginUnavailable, "x"), "plugin_unavailable"},
		{rmm.RateLimited(time.Second, "x"), "rate_limited"},
		{context.Canceled, "canceled"},
		{context.DeadlineExceeded, "deadline_exceeded"},
		{errors.New("x"), "internal"},
	}
	for _, tt := range tests {
		if got := errorKind(tt.err); got != tt.want {
			t.Errorf("errorKind(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}
