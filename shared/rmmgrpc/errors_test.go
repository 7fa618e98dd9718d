package rmmgrpc

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/msp-psa/psa-host/shared/rmm"
)

func allKinds() []error {
	return []error{
		rmm.ErrUnauthorized, rmm.ErrForbidden, rmm.ErrNotFound, rmm.ErrRateLimited, rmm.ErrUnsupported,
		rmm.ErrInvalidConfig, rmm.ErrInvalidInput, rmm.ErrUpstreamUnavailable, rmm.ErrPluginUnavailable,
	}
}

func TestErrorTableCoversEveryKindOnce(t *testing.T) {
	reasons, byCode := map[string]bool{}, map[codes.Code]int{}
	for _, k := range errorKinds {
		if reasons[k.reason] {
			t.Errorf("reason %s used twice", k.reason)
		}
		reasons[k.reason] = true
		if k.byCode {
			byCode[k.code]++
		}
	}
	for c, n := range byCode {
		if n > 1 {
			t.Errorf("code %v stands for %d kinds", c, n)
		}
	}
	for _, kind := range allKinds() {
		found := false
		for _, k := range errorKinds {
			found = found || k.kind == kind
		}
		if !found {
			t.Errorf("%v is not in the table", kind)
		}
	}
}

func TestStatusCodes(t *testing.T) {
	tests := []struct {
		err  error
		code codes.Code
	}{
		{rmm.Errorf(rmm.ErrUnauthorized, "bad key"), codes.Unauthenticated},
		{rmm.Errorf(rmm.ErrForbidden, "no"), codes.PermissionDenied},
		{rmm.Errorf(rmm.ErrNotFound, "no agent"), codes.NotFound},
		{rmm.RateLimited(time.Second, "slow"), codes.ResourceExhausted},
		{rmm.Errorf(rmm.ErrUnsupported, "no"), codes.Unimplemented},
		{rmm.Errorf(rmm.ErrInvalidConfig, "bad url"), codes.InvalidArgument},
		{rmm.Errorf(rmm.ErrInvalidInput, "bad body"), codes.InvalidArgument},
		{rmm.Errorf(rmm.ErrUpstreamUnavailable, "502"), codes.Unavailable},
		{rmm.Errorf(rmm.ErrPluginUnavailable, "gone"), codes.Unavailable},
		{fmt.Errorf("list: %w", context.Canceled), codes.Canceled},
		{fmt.Errorf("list: %w", context.DeadlineExceeded), codes.DeadlineExceeded},
		{errors.New("boom"), codes.Unknown},
		// The kind decides the code; the context error still travels.
		{rmm.Errorf(rmm.ErrUpstreamUnavailable, "list: %w", context.DeadlineExceeded), codes.Unavailable},
	}
	for _, tt := range tests {
		st, _ := status.FromError(toStatus(tt.err))
		if st.Code() != tt.code || st.Message() != tt.err.Error() {
			t.Errorf("%v: got %v %q, want %v with the same message", tt.err, st.Code(), st.Message(), tt.code)
		}
	}
	if toStatus(nil) != nil || fromStatus(nil) != nil {
		t.Error("nil error must map to nil")
	}
}

// Every kind survives toStatus then fromStatus, and no other kind appears.
func TestErrorKindsRoundTrip(t *testing.T) {
	for _, kind := range allKinds() {
		for _, err := range []error{
			rmm.Errorf(kind, "agent %s: details", "a-1"),
			fmt.Errorf("tactical: %w", rmm.Errorf(kind, "wrapped")),
			kind,
		} {
			got := fromStatus(toStatus(err))
			if !errors.Is(got, kind) {
				t.Errorf("%q: lost %v: %v", err, kind, got)
			}
			for _, other := range allKinds() {
				if other != kind && errors.Is(got, other) {
					t.Errorf("%q: also matches %v", err, other)
				}
			}
			if got.Error() != err.Error() && got.Error() != kind.Error()+": "+err.Error() {
				t.Errorf("%q: message became %q", err, got.Error())
			}
		}
	}
}

func TestErrorDetailsRoundTrip(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		kind      error
		ctxErr    error
		retry     time.Duration
		wantError string
	}{
		{"rate limit", rmm.RateLimited(42*time.Second, "slow down"), rmm.ErrRateLimited, nil, 42 * time.Second, "rate limited: slow down"},
		{"retry on another kind", &rmm.Error{Kind: rmm.ErrUpstreamUnavailable, Msg: "503", RetryAfter: 3 * time.Second}, rmm.ErrUpstreamUnavailable, nil, 3 * time.Second, "upstream unavailable: 503"},
		{"canceled", fmt.Errorf("list: %w", context.Canceled), nil, context.Canceled, 0, "list: context canceled"},
		{"deadline", fmt.Errorf("list: %w", context.DeadlineExceeded), nil, context.DeadlineExceeded, 0, "list: context deadline exceeded"},
		{"kind and deadline", rmm.Errorf(rmm.ErrUpstreamUnavailable, "list: %w", context.DeadlineExceeded), rmm.ErrUpstreamUnavailable, context.DeadlineExceeded, 0, "upstream unavailable: list: context deadline exceeded"},
		{"plain", errors.New("parse: unexpected EOF"), nil, nil, 0, "parse: unexpected EOF"},
	}
	for _, tt := range tests {
		got := fromStatus(toStatus(tt.err))
		if rmm.Kind(got) != tt.kind {
			t.Errorf("%s: kind %v, want %v", tt.name, rmm.Kind(got), tt.kind)
		}
		if tt.ctxErr != nil && !errors.Is(got, tt.ctxErr) {
			t.Errorf("%s: lost %v", tt.name, tt.ctxErr)
		}
		if tt.ctxErr == nil && (errors.Is(got, context.Canceled) || errors.Is(got, context.DeadlineExceeded)) {
			t.Errorf("%s: gained a context error", tt.name)
		}
		if d := rmm.RetryAfter(got); d != tt.retry {
			t.Errorf("%s: RetryAfter %v, want %v", tt.name, d, tt.retry)
		}
		if got.Error() != tt.wantError {
			t.Errorf("%s: message %q, want %q", tt.name, got.Error(), tt.wantError)
		}
	}
}

// Statuses without our ErrorInfo come from grpc-go itself or a foreign
// server: only unambiguous codes map to a kind.
func TestBareStatus(t *testing.T) {
	tests := []struct {
		code   codes.Code
		kind   error
		ctxErr error
	}{
		{codes.Unimplemented, rmm.ErrUnsupported, nil},
		{codes.Unavailable, rmm.ErrPluginUnavailable, nil},
		{codes.Unauthenticated, rmm.ErrUnauthorized, nil},
		{codes.PermissionDenied, rmm.ErrForbidden, nil},
		{codes.NotFound, rmm.ErrNotFound, nil},
		{codes.InvalidArgument, rmm.ErrInvalidInput, nil},
		{codes.ResourceExhausted, nil, nil}, // grpc-go's "message larger than max"
		{codes.Internal, nil, nil},
		{codes.Unknown, nil, nil},
		{codes.DataLoss, nil, nil},
		{codes.Canceled, nil, context.Canceled},
		{codes.DeadlineExceeded, nil, context.DeadlineExceeded},
	}
	for _, tt := range tests {
		got := fromStatus(status.Error(tt.code, "the message"))
		if rmm.Kind(got) != tt.kind {
			t.Errorf("%v: kind %v, want %v", tt.code, rmm.Kind(got), tt.kind)
		}
		if tt.ctxErr != nil && !errors.Is(got, tt.ctxErr) {
			t.Errorf("%v: lost %v", tt.code, tt.ctxErr)
		}
		var re *rmm.Error
		if !errors.As(got, &re) || re.Msg != "the message" {
			t.Errorf("%v: message lost: %v", tt.code, got)
		}
	}
}
