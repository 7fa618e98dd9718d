package pluginmgr

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/msp-psa/psa-host/shared/rmm"
)

func TestSanitizerText(t *testing.T) {
	s := newSanitizer(
		map[string]string{"api_key": "sk-1234567", "short": "abc", "empty": ""},
		map[string]string{"token": "sk-1234567-refresh", "dup": "sk-1234567"},
	)
	tests := []struct {
		name, in, want string
	}{
		{"no secret", "all good", "all good"},
		{"one secret", "key sk-1234567 rejected", "key **** rejected"},
		{"a secret containing another is masked whole", "got sk-1234567-refresh", "got ****"},
		{"every occurrence", "sk-1234567/sk-1234567", "****/****"},
		{"values shorter than four are left alone", "abc is fine", "abc is fine"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := s.text(tt.in); got != tt.want {
				t.Errorf("text(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
	if got := s.texts(nil); got != nil {
		t.Errorf("texts(nil) = %v, want nil", got)
	}
	if got := s.values(map[string]string{"k": "v sk-1234567"}); got["k"] != "v ****" {
		t.Errorf("values masked to %q, want %q", got["k"], "v ****")
	}
}

func TestSanitizerError(t *testing.T) {
	const secret = "hunter2-secret"
	s := newSanitizer(map[string]string{"password": secret})
	tests := []struct {
		name       string
		err        error
		wantKind   error
		wantRetry  time.Duration
		wantCtxErr error
	}{
		{"kind kept", rmm.Errorf(rmm.ErrUnauthorized, "password %s rejected", secret), rmm.ErrUnauthorized, 0, nil},
		{"retry-after kept", fmt.Errorf("call: %w", &rmm.Error{Kind: rmm.ErrRateLimited, Msg: "slow down " + secret, RetryAfter: 7 * time.Second}), rmm.ErrRateLimited, 7 * time.Second, nil},
		{"context error kept", fmt.Errorf("waiting with %s: %w", secret, context.DeadlineExceeded), nil, 0, context.DeadlineExceeded},
		{"plain error", errors.New("boom " + secret), nil, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := s.error(tt.err)
			if strings.Contains(got.Error(), secret) {
				t.Fatalf("masked error still holds the secret: %q", got)
			}
			if !strings.Contains(got.Error(), mask) {
				t.Errorf("masked error %q has no %q", got, mask)
			}
			if tt.wantKind != nil && !errors.Is(got, tt.wantKind) {
				t.Errorf("errors.Is(%v, %v) = false", got, tt.wantKind)
			}
			if tt.wantKind == nil && rmm.Kind(got) != nil {
				t.Errorf("kind %v appeared from nowhere", rmm.Kind(got))
			}
			if r := rmm.RetryAfter(got); r != tt.wantRetry {
				t.Errorf("RetryAfter = %v, want %v", r, tt.wantRetry)
			}
			if tt.wantCtxErr != nil && !errors.Is(got, tt.wantCtxErr) {
				t.Errorf("errors.Is(%v, %v) = false", got, tt.wantCtxErr)
			}
			// Nothing reachable through the chain may hold the secret.
			var re *rmm.Error
			if errors.As(got, &re) && strings.Contains(re.Msg+fmt.Sprint(re.Err), secret) {
				t.Errorf("the chain's *rmm.Error still holds the secret: %+v", re)
			}
		})
	}

	clean := rmm.Errorf(rmm.ErrNotFound, "no agent abc")
	if got := s.error(clean); got != clean {
		t.Errorf("an error without secrets was replaced: %v", got)
	}
	if got := s.error(nil); got != nil {
		t.Errorf("error(nil) = %v", got)
	}
	if got := newSanitizer(nil).texts([]string{"a"}); !slices.Equal(got, []string{"a"}) {
		t.Errorf("empty sanitizer changed text: %v", got)
	}
}
