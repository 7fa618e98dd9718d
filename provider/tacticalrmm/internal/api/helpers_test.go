package api

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
)

// testKey is a made-up API key; tests check it never leaks.
const testKey = "K3YSECRETK3YSECRETK3YSECRET12345"

// newTestClient serves h and returns a client for it with fast retries.
func newTestClient(t *testing.T, h http.Handler, creds Credentials, mod ...func(*Config)) (*Client, *httptest.Server) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return clientFor(t, srv.URL, creds, mod...), srv
}

func clientFor(t *testing.T, rawURL string, creds Credentials, mod ...func(*Config)) *Client {
	t.Helper()
	base, err := NormalizeBaseURL(rawURL)
	if err != nil {
		t.Fatalf("NormalizeBaseURL(%q): %v", rawURL, err)
	}
	hc, err := NewHTTPClient(TransportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{BaseURL: base, HTTP: hc, Credentials: creds, Timeout: 5 * time.Second,
		MaxAttempts: 3, RetryBase: time.Millisecond, RetryMax: 5 * time.Millisecond}
	for _, m := range mod {
		m(&cfg)
	}
	return New(cfg)
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

func writeHTML(w http.ResponseWriter, status int) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte("<!doctype html><html><body>Not Found</body></html>"))
}

// logBuffer is a concurrency-safe log sink.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func traceLogger(out *logBuffer) hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{Level: hclog.Trace, Output: out})
}
