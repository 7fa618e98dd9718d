package rmm

import (
	"errors"
	"fmt"
	"time"
)

// Sentinel errors. They keep their identity across the plugin boundary:
// errors.Is(err, ErrUnauthorized) holds on the host for an error a plugin
// raised with it.
var (
	ErrUnauthorized        = errors.New("unauthorized")
	ErrForbidden           = errors.New("forbidden")
	ErrNotFound            = errors.New("not found")
	ErrRateLimited         = errors.New("rate limited")
	ErrUnsupported         = errors.New("unsupported")
	ErrInvalidConfig       = errors.New("invalid configuration")
	ErrInvalidInput        = errors.New("invalid input")
	ErrUpstreamUnavailable = errors.New("upstream unavailable")
	ErrPluginUnavailable   = errors.New("plugin unavailable")
)

// Kinds lists every sentinel, most specific first; Kind tests them in this
// order.
var kinds = []error{
	ErrRateLimited, ErrUnauthorized, ErrForbidden, ErrNotFound, ErrUnsupported,
	ErrInvalidConfig, ErrInvalidInput, ErrUpstreamUnavailable, ErrPluginUnavailable,
}

// Kind returns the sentinel err wraps, or nil when it wraps none.
func Kind(err error) error {
	for _, k := range kinds {
		if errors.Is(err, k) {
			return k
		}
	}
	return nil
}

// Error is an error of a known kind with a message for the user.
type Error struct {
	Kind error  // one of the sentinels
	Msg  string // what went wrong and what to do
	// RetryAfter is how long to wait before trying again (rate limits).
	RetryAfter time.Duration
	Err        error // an optional underlying cause
}

// Errorf returns an *Error of the given kind with a formatted message.
// A %w verb in format wraps its operand as the cause.
func Errorf(kind error, format string, args ...any) error {
	e := fmt.Errorf(format, args...)
	return &Error{Kind: kind, Msg: e.Error(), Err: errors.Unwrap(e)}
}

// RateLimited returns an ErrRateLimited error that says when to retry.
func RateLimited(retryAfter time.Duration, msg string) error {
	return &Error{Kind: ErrRateLimited, Msg: msg, RetryAfter: retryAfter}
}

func (e *Error) Error() string {
	switch {
	case e.Msg == "":
		return e.Kind.Error()
	case e.Kind == nil:
		return e.Msg
	}
	return e.Kind.Error() + ": " + e.Msg
}

// Unwrap exposes both the kind and the cause to errors.Is and errors.As.
func (e *Error) Unwrap() []error {
	errs := make([]error, 0, 2)
	if e.Kind != nil {
		errs = append(errs, e.Kind)
	}
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	return errs
}

// RetryAfter returns how long err asks the caller to wait, or 0.
func RetryAfter(err error) time.Duration {
	var e *Error
	for errors.As(err, &e) {
		if e.RetryAfter > 0 {
			return e.RetryAfter
		}
		if e.Err == nil {
			break
		}
		err = e.Err
	}
	return 0
}
