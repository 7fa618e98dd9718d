package tacticalfake

import (
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"testing"
	"time"
)

func TestStatusFaultsApplyTheGivenNumberOfTimes(t *testing.T) {
	s := newServer(t, Options{})
	s.InjectFault(Fault{PathPrefix: "/beta/v1/agent/", Method: http.MethodGet, Status: 429,
		Body: `{"detail":"slow down"}`, Header: http.Header{"Retry-After": {"7"}}, Times: 2})
	for range 2 {
		r := do(t, s, req{path: "/beta/v1/agent/?page=1", header: adminKey})
		if r.status != 429 || r.header.Get("Retry-After") != "7" || string(r.body) != `{"detail":"slow down"}` {
			t.Fatalf("fault = %d %q %s", r.status, r.header.Get("Retry-After"), r.body)
		}
	}
	getJSON(t, s, "/beta/v1/agent/")
	// Other paths and methods are not affected.
	s.InjectFault(Fault{PathPrefix: "/clients/", Method: http.MethodPost, Status: 502})
	getJSON(t, s, "/clients/")
	if r := do(t, s, req{method: http.MethodPost, path: "/clients/", header: adminKey}); r.status != 502 {
		t.Fatalf("POST with a fault = %d", r.status)
	}
	s.ClearFaults()
	if r := do(t, s, req{method: http.MethodPost, path: "/clients/", header: adminKey}); r.status != 405 {
		t.Fatalf("after ClearFaults = %d", r.status)
	}
}

func TestLatencyFault(t *testing.T) {
	s := newServer(t, Options{})
	s.InjectFault(Fault{PathPrefix: "/core/", Latency: 80 * time.Millisecond, Times: 1})
	start := time.Now()
	getJSON(t, s, "/core/version/")
	if time.Since(start) < 80*time.Millisecond {
		t.Fatal("the latency fault did not delay the response")
	}
}

func TestHangFaultEndsWithTheClient(t *testing.T) {
	s := newServer(t, Options{})
	s.InjectFault(Fault{PathPrefix: "/beta/", Hang: true})
	ctx, cancel := context.WithTimeout(t.Context(), 150*time.Millisecond)
	defer cancel()
	hr, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL()+"/beta/v1/agent/", nil)
	done := make(chan error, 1)
	go func() {
		res, err := s.Client().Do(hr)
		if err == nil {
			res.Body.Close()
		}
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want DeadlineExceeded", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the client did not give up")
	}
	getJSON(t, s, "/core/version/") // the server still serves
}

func TestTruncatedBody(t *testing.T) {
	s := newServer(t, Options{})
	s.InjectFault(Fault{PathPrefix: "/beta/v1/client/", TruncateBody: true, Times: 1})
	hr, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, s.URL()+"/beta/v1/client/", nil)
	hr.Header.Set("X-API-KEY", DefaultAPIKey)
	res, err := s.Client().Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if !errors.Is(err, io.ErrUnexpectedEOF) || res.StatusCode != 200 || res.ContentLength <= int64(len(b)) {
		t.Fatalf("read %d of %d bytes, err %v", len(b), res.ContentLength, err)
	}
	getJSON(t, s, "/beta/v1/client/") // only once
}

func TestRequestCountersAndAuthLog(t *testing.T) {
	s := newServer(t, Options{})
	getJSON(t, s, "/beta/v1/agent/?page=1")
	getJSON(t, s, "/beta/v1/agent/?page=1")
	do(t, s, req{path: "/core/version/", header: map[string]string{"Authorization": "Bearer x"}})
	do(t, s, req{path: "/core/version/", header: map[string]string{"Authorization": "Token x", "Cookie": "sessionid=1"}})
	if n := s.Requests("/beta/v1/agent/"); n != 2 {
		t.Fatalf("Requests = %d", n)
	}
	// Following the APPEND_SLASH redirect sends the key twice: Go keeps
	// custom headers on a same-host redirect.
	c := s.Client()
	hr, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, s.URL()+"/clients", nil)
	hr.Header.Set("X-API-KEY", DefaultAPIKey)
	res, err := c.Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	log := s.RequestLog()
	if len(log) != 6 {
		t.Fatalf("log has %d entries: %+v", len(log), log)
	}
	want := [][]AuthKind{{AuthAPIKey}, {AuthAPIKey}, {AuthOther}, {AuthToken, AuthCookie}, {AuthAPIKey}, {AuthAPIKey}}
	for i, rec := range log {
		if !slices.Equal(rec.Auth, want[i]) {
			t.Errorf("entry %d (%s %s): auth %v, want %v", i, rec.Method, rec.Path, rec.Auth, want[i])
		}
	}
	if log[4].Path != "/clients" || log[5].Path != "/clients/" || log[0].RawQuery != "page=1" {
		t.Fatalf("paths %q %q query %q", log[4].Path, log[5].Path, log[0].RawQuery)
	}
}
