package rmm

import (
	"errors"
	"fmt"
	"io"
	"testing"
	"time"
)

func TestErrorfKeepsKindAndCause(t *testing.T) {
	err := Errorf(ErrUnauthorized, "the API key was rejected: %w", io.ErrUnexpectedEOF)
	if !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("errors.Is(%v, ErrUnauthorized) = false", err)
	}
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("cause lost: %v", err)
	}
	if got, want := err.Error(), "unauthorized: the API key was rejected: unexpected EOF"; got != want {
		t.Fatalf("Error() = %q, want %q", got, want)
	}
	if Kind(fmt.Errorf("wrapped: %w", err)) != ErrUnauthorized {
		t.Fatalf("Kind through a wrap lost the sentinel")
	}
}

func TestKindPrefersRateLimited(t *testing.T) {
	err := RateLimited(3*time.Second, "slow down")
	if Kind(err) != ErrRateLimited {
		t.Fatalf("Kind = %v", Kind(err))
	}
	if got := RetryAfter(fmt.Errorf("ctx: %w", err)); got != 3*time.Second {
		t.Fatalf("RetryAfter = %v", got)
	}
	if RetryAfter(errors.New("plain")) != 0 || Kind(errors.New("plain")) != nil {
		t.Fatalf("plain errors have no kind and no retry-after")
	}
}

func TestParseEdition(t *testing.T) {
	for _, s := range []string{"ce", "ee"} {
		if e, err := ParseEdition(s); err != nil || string(e) != s {
			t.Fatalf("ParseEdition(%q) = %q, %v", s, e, err)
		}
	}
	if _, err := ParseEdition("pro"); !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("ParseEdition(pro) = %v, want ErrInvalidConfig", err)
	}
}
