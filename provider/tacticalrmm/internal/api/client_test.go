package api

import (
	"compress/gzip"
	"context"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/msp-psa/psa-host/shared/rmm"
)

func TestRetriesIdempotentReadsOn5xx(t *testing.T) {
	tests := []struct {
		name   string
		method string
		body   string
		run    func(ctx context.Context, c *Client) error
	}{
		{"GET", http.MethodGet, `{"count":0,"next":null,"previous":null,"results":[]}`, func(ctx context.Context, c *Client) error {
			_, err := c.CountList(ctx, "/beta/v1/agent/", "agents")
			return err
		}},
		{"PATCH alerts is a read", http.MethodPatch, `[]`, func(ctx context.Context, c *Client) error {
			return c.Alerts(ctx, AlertFilter{TimeFilterDays: 1}, func(*Item) error { return nil })
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int32
			c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method != tt.method {
					t.Errorf("method = %s, want %s", r.Method, tt.method)
				}
				if calls.Add(1) < 3 {
					writeHTML(w, http.StatusBadGateway)
					return
				}
				writeJSON(w, 200, tt.body)
			}), Credentials{APIKey: testKey})
			if err := tt.run(t.Context(), c); err != nil {
				t.Fatalf("error after transient 5xx: %v", err)
			}
			if n := calls.Load(); n != 3 {
				t.Errorf("server saw %d calls, want 3", n)
			}
		})
	}
}

func TestGivesUpAfterMaxAttempts(t *testing.T) {
	var calls atomic.Int32
	c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		writeHTML(w, http.StatusInternalServerError)
	}), Credentials{APIKey: testKey}, func(cfg *Config) { cfg.MaxAttempts = 4 })
	_, err := c.CountList(t.Context(), "/beta/v1/agent/", "agents")
	if !errors.Is(err, rmm.ErrUpstreamUnavailable) {
		t.Fatalf("error = %v, want ErrUpstreamUnavailable", err)
	}
	if n := calls.Load(); n != 4 {
		t.Errorf("server saw %d calls, want 4", n)
	}
}

func TestLoginIsNeverRetried(t *testing.T) {
	var calls atomic.Int32
	c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		writeHTML(w, http.StatusInternalServerError)
	}), Credentials{Username: "u", Password: "p"})
	_, err := c.CheckCreds(t.Context(), "u", "p")
	if !errors.Is(err, rmm.ErrUpstreamUnavailable) {
		t.Fatalf("error = %v, want ErrUpstreamUnavailable", err)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("server saw %d login calls, want 1 (POST is not idempotent)", n)
	}
}

func TestStatusMapping(t *testing.T) {
	tests := []struct {
		name    string
		path    string
		serve   func(w http.ResponseWriter)
		want    error
		mention string
	}{
		{"401 bad key", "/beta/v1/agent/", func(w http.ResponseWriter) { writeJSON(w, 401, `{"detail":"Invalid token."}`) },
			rmm.ErrUnauthorized, "Invalid token."},
		{"401 expired key", "/beta/v1/agent/", func(w http.ResponseWriter) { writeJSON(w, 401, `{"detail":"The token has expired."}`) },
			rmm.ErrUnauthorized, "expired"},
		{"403 names the listing", "/beta/v1/agent/", func(w http.ResponseWriter) {
			writeJSON(w, 403, `{"detail":"You do not have permission to perform this action."}`)
		}, rmm.ErrForbidden, "list agents"},
		{"404 JSON is not found", "/beta/v1/agent/", func(w http.ResponseWriter) { writeJSON(w, 404, `{"detail":"Not found."}`) },
			rmm.ErrNotFound, "Not found."},
		{"beta off is an HTML 404", "/beta/v1/agent/", func(w http.ResponseWriter) { writeHTML(w, 404) },
			rmm.ErrInvalidConfig, "BETA_API_ENABLED = True"},
		{"dashboard host answers HTML 200", "/beta/v1/agent/", func(w http.ResponseWriter) { writeHTML(w, 200) },
			rmm.ErrInvalidConfig, "api."},
		{"HTML 404 outside beta", "/core/dashinfo/", func(w http.ResponseWriter) { writeHTML(w, 404) },
			rmm.ErrInvalidConfig, "does not exist"},
		{"429 keeps Retry-After", "/beta/v1/agent/", func(w http.ResponseWriter) {
			w.Header().Set("Retry-After", "7")
			writeJSON(w, 429, `{"detail":"Request was throttled. Expected available in 7 seconds."}`)
		}, rmm.ErrRateLimited, "retry in 7s"},
		{"HTML 500", "/beta/v1/agent/", func(w http.ResponseWriter) { writeHTML(w, 500) },
			rmm.ErrUpstreamUnavailable, "HTTP 500"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { tt.serve(w) }),
				Credentials{APIKey: testKey}, func(cfg *Config) { cfg.MaxAttempts = 1 })
			var err error
			if tt.path == "/core/dashinfo/" {
				_, err = c.DashInfo(t.Context())
			} else {
				_, err = c.CountList(t.Context(), tt.path, "agents")
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("error = %v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.mention) {
				t.Errorf("error %q does not mention %q", err, tt.mention)
			}
			if strings.Contains(err.Error(), testKey) {
				t.Errorf("error leaks the API key: %v", err)
			}
			if tt.want == rmm.ErrRateLimited && rmm.RetryAfter(err) != 7*time.Second {
				t.Errorf("RetryAfter = %v, want 7s", rmm.RetryAfter(err))
			}
			var he *HTTPError
			if !errors.As(err, &he) {
				t.Errorf("error does not carry an *HTTPError")
			}
		})
	}
}

func TestRedirectToAnotherHostDropsCredentials(t *testing.T) {
	type seen struct{ key, auth string }
	got := make(chan seen, 1)
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- seen{r.Header.Get("X-API-KEY"), r.Header.Get("Authorization")}
		writeJSON(w, 200, `{"count":0,"next":null,"previous":null,"results":[]}`)
	}))
	t.Cleanup(other.Close)
	for _, creds := range []Credentials{{APIKey: testKey}, {Token: "f51113bae9c36575f54912b9f4fa9ca8"}} {
		c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, other.URL+r.URL.Path, http.StatusFound)
		}), creds)
		if _, err := c.CountList(t.Context(), "/beta/v1/agent/", "agents"); err != nil {
			t.Fatalf("CountList: %v", err)
		}
		if s := <-got; s.key != "" || s.auth != "" {
			t.Errorf("the other host received credentials: X-API-KEY=%q Authorization=%q", s.key, s.auth)
		}
	}
}

func TestRedirectOnSameHostKeepsCredentials(t *testing.T) {
	var key atomic.Value
	c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/old/" {
			http.Redirect(w, r, "/beta/v1/agent/", http.StatusMovedPermanently)
			return
		}
		key.Store(r.Header.Get("X-API-KEY"))
		writeJSON(w, 200, `{"count":0,"next":null,"previous":null,"results":[]}`)
	}), Credentials{APIKey: testKey})
	if _, err := c.CountList(t.Context(), "/old/", "agents"); err != nil {
		t.Fatal(err)
	}
	if key.Load() != testKey {
		t.Errorf("same-host redirect lost the API key")
	}
}

func TestGzipResponsesAreInflated(t *testing.T) {
	c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			t.Errorf("request does not accept gzip: %q", r.Header.Get("Accept-Encoding"))
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Encoding", "gzip")
		zw := gzip.NewWriter(w)
		_, _ = zw.Write([]byte(`{"count":42,"next":null,"previous":null,"results":[{"id":1}]}`))
		_ = zw.Close()
	}), Credentials{APIKey: testKey})
	n, err := c.CountList(t.Context(), "/beta/v1/agent/", "agents")
	if err != nil {
		t.Fatal(err)
	}
	if n != 42 {
		t.Errorf("count = %d, want 42", n)
	}
}

func TestCustomCAIsTrusted(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, `{"trmm_version":"1.5.1"}`)
	}))
	t.Cleanup(srv.Close)
	base, _ := NormalizeBaseURL(srv.URL)

	plain, err := NewHTTPClient(TransportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = New(Config{BaseURL: base, HTTP: plain, Credentials: Credentials{APIKey: testKey}}).DashInfo(t.Context())
	var ne *NetError
	if !errors.As(err, &ne) || ne.Kind != NetTLS || !errors.Is(err, rmm.ErrInvalidConfig) {
		t.Fatalf("untrusted certificate: error = %v, want a TLS NetError of kind ErrInvalidConfig", err)
	}
	if !strings.Contains(err.Error(), "ca_cert_pem") {
		t.Errorf("TLS error does not point at ca_cert_pem: %v", err)
	}

	caPEM := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}))
	trusting, err := NewHTTPClient(TransportOptions{CACertPEM: caPEM})
	if err != nil {
		t.Fatal(err)
	}
	info, err := New(Config{BaseURL: base, HTTP: trusting, Credentials: Credentials{APIKey: testKey}}).DashInfo(t.Context())
	if err != nil {
		t.Fatalf("with the CA: %v", err)
	}
	if info.TRMMVersion != "1.5.1" {
		t.Errorf("trmm_version = %q", info.TRMMVersion)
	}
}

func TestInvalidCAPEMIsInvalidConfig(t *testing.T) {
	_, err := NewHTTPClient(TransportOptions{CACertPEM: "not a certificate"})
	if !errors.Is(err, rmm.ErrInvalidConfig) {
		t.Fatalf("error = %v, want ErrInvalidConfig", err)
	}
}

func TestStalledServerTimesOut(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	tests := []struct {
		name  string
		serve func(w http.ResponseWriter, r *http.Request)
	}{
		{"no headers", func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}},
		{"body stalls", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"count":3,"next":null,"results":[{"id":1},`))
			w.(http.Flusher).Flush()
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := newTestClient(t, http.HandlerFunc(tt.serve), Credentials{APIKey: testKey}, func(cfg *Config) {
				cfg.Timeout = 100 * time.Millisecond
				cfg.MaxAttempts = 2
			})
			start := time.Now()
			_, err := c.CountList(t.Context(), "/beta/v1/agent/", "agents")
			if !errors.Is(err, rmm.ErrUpstreamUnavailable) {
				t.Fatalf("error = %v, want ErrUpstreamUnavailable", err)
			}
			var ne *NetError
			if !errors.As(err, &ne) || ne.Kind != NetTimeout {
				t.Errorf("error = %v, want a timeout NetError", err)
			}
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("took %v: the timeout did not fire", d)
			}
		})
	}
}

func TestCallerDeadlineIsReturnedAsSuch(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}), Credentials{APIKey: testKey}, func(cfg *Config) { cfg.Timeout = time.Minute })
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	_, err := c.CountList(ctx, "/beta/v1/agent/", "agents")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error = %v, want context.DeadlineExceeded", err)
	}
	if errors.Is(err, rmm.ErrUpstreamUnavailable) {
		t.Errorf("a caller deadline must not look like an upstream failure: %v", err)
	}
}

func TestSlowConsumerIsNotATimeout(t *testing.T) {
	c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, `[{"id":1,"agent":1,"software":[]},{"id":2,"agent":2,"software":[]},{"id":3,"agent":3,"software":[]}]`)
	}), Credentials{APIKey: testKey}, func(cfg *Config) { cfg.Timeout = 100 * time.Millisecond })
	n := 0
	err := c.Software(t.Context(), func(*Item) error {
		n++
		time.Sleep(200 * time.Millisecond) // longer than the timeout, but we are not waiting on the server
		return nil
	})
	if err != nil {
		t.Fatalf("Software: %v", err)
	}
	if n != 3 {
		t.Errorf("got %d rows, want 3", n)
	}
}

func TestCredentialsNeverInErrorsOrLogs(t *testing.T) {
	logs := &logBuffer{}
	statuses := []int{401, 403, 404, 429, 500, 200}
	for _, st := range statuses {
		t.Run(fmt.Sprint(st), func(t *testing.T) {
			c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if st == 200 {
					writeHTML(w, 200)
					return
				}
				writeJSON(w, st, `{"detail":"nope"}`)
			}), Credentials{APIKey: testKey}, func(cfg *Config) { cfg.Logger = traceLogger(logs); cfg.MaxAttempts = 2 })
			_, err := c.CountList(t.Context(), "/beta/v1/agent/", "agents")
			if err == nil {
				t.Fatal("want an error")
			}
			if strings.Contains(err.Error(), testKey) {
				t.Errorf("error leaks the key: %v", err)
			}
		})
	}
	if logs.String() == "" {
		t.Fatal("expected request logs at trace level")
	}
	if strings.Contains(logs.String(), testKey) {
		t.Errorf("logs leak the key:\n%s", logs)
	}
}

func TestEveryRequestPathEndsInSlash(t *testing.T) {
	var paths []string
	c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paths = append(paths, r.URL.Path)
		switch r.URL.Path {
		case "/core/version/":
			writeJSON(w, 200, `"0.0.203"`)
		case "/alerts/", "/software/", "/agents/", "/beta/v1/client/":
			writeJSON(w, 200, `[]`)
		default:
			writeJSON(w, 200, `{"count":0,"next":null,"previous":null,"results":[]}`)
		}
	}), Credentials{APIKey: testKey})
	ctx := t.Context()
	_, _ = c.AppVersion(ctx)
	_ = c.BetaRoot(ctx)
	_, _ = c.CountList(ctx, "/beta/v1/agent", "agents")
	_ = c.Alerts(ctx, AlertFilter{TimeFilterDays: 1}, func(*Item) error { return nil })
	_ = c.Software(ctx, func(*Item) error { return nil })
	_ = c.AgentRefs(ctx, func(AgentRef) error { return nil })
	_ = c.Orgs(ctx, func(context.Context, Org) error { return nil })
	_ = c.Sites(ctx, 10, func(context.Context, Site) error { return nil })
	if len(paths) != 8 {
		t.Fatalf("server saw %d requests, want 8: %v", len(paths), paths)
	}
	for _, p := range paths {
		if !strings.HasSuffix(p, "/") {
			t.Errorf("request path %q does not end in /", p)
		}
	}
}
