package api

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/msp-psa/psa-host/shared/rmm"
)

func TestNormalizeBaseURL(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"api.example.com", "https://api.example.com"},
		{"  api.example.com/  ", "https://api.example.com"},
		{"https://api.example.com/", "https://api.example.com"},
		{"https://api.example.com///", "https://api.example.com"},
		{"https://api.example.com/api", "https://api.example.com"},
		{"https://api.example.com/api/", "https://api.example.com"},
		{"https://api.example.com/API/", "https://api.example.com"},
		{"HTTPS://api.example.com", "https://api.example.com"},
		{"http://10.0.0.5:8000/", "http://10.0.0.5:8000"},
		{"https://example.com/trmm/api//", "https://example.com/trmm"},
		{"https://example.com/trmm?x=1#frag", "https://example.com/trmm"},
		{"https://api.example.com/apiary", "https://api.example.com/apiary"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := NormalizeBaseURL(tt.in)
			if err != nil {
				t.Fatalf("NormalizeBaseURL(%q) error: %v", tt.in, err)
			}
			if got.String() != tt.want {
				t.Errorf("NormalizeBaseURL(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestNormalizeBaseURLRejects(t *testing.T) {
	tests := []struct {
		name, in string
	}{
		{"empty", "   "},
		{"other scheme", "ftp://api.example.com"},
		{"no host", "https://"},
		{"user info", "https://admin:hunter2@api.example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NormalizeBaseURL(tt.in)
			if !errors.Is(err, rmm.ErrInvalidConfig) {
				t.Fatalf("error = %v, want ErrInvalidConfig", err)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error leaks the password: %v", err)
			}
		})
	}
}

func TestResolveAlwaysEndsInSlash(t *testing.T) {
	base := &url.URL{Scheme: "https", Host: "api.example.com", Path: "/trmm"}
	tests := []struct{ path, want string }{
		{"/beta/v1/agent", "https://api.example.com/trmm/beta/v1/agent/"},
		{"/beta/v1/agent/", "https://api.example.com/trmm/beta/v1/agent/"},
		{"v2/login", "https://api.example.com/trmm/v2/login/"},
		{"/", "https://api.example.com/trmm/"},
	}
	for _, tt := range tests {
		if got := resolve(base, tt.path, nil).String(); got != tt.want {
			t.Errorf("resolve(%q) = %q, want %q", tt.path, got, tt.want)
		}
	}
	q := url.Values{"page_size": {"1000"}, "ordering": {"id"}}
	if got, want := resolve(base, "/beta/v1/agent", q).String(), "https://api.example.com/trmm/beta/v1/agent/?ordering=id&page_size=1000"; got != want {
		t.Errorf("resolve with query = %q, want %q", got, want)
	}
}
