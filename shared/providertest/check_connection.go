package providertest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/msp-psa/psa-host/shared/rmm"
)

// checkTestConnection: good credentials connect; bad ones are a result, not
// an error; a dead or hanging upstream fails within the deadline.
func checkTestConnection(t testing.TB, l *leg) {
	l.require(t, rmm.CapTestConnection)
	u := l.upstream(t)
	subtest(t, "valid", func(t testing.TB) {
		res, err := l.testConnection(t, "TestConnection(Valid)", u.Valid, l.h.callTimeout())
		if err != nil || !res.OK {
			t.Errorf("want OK with nil error, got OK=%v message %q, %s", res.OK, res.Message, describeErr(err))
		}
	})
	subtest(t, "bad-credentials", func(t testing.TB) {
		res, err := l.testConnection(t, "TestConnection(BadCredentials)", u.BadCredentials, l.h.callTimeout())
		if err != nil {
			t.Fatalf("bad credentials must be a result with OK=false, not an error; got %s", describeErr(err))
		}
		if res.OK {
			t.Error("bad credentials gave OK=true")
		}
		if strings.TrimSpace(res.Message) == "" {
			t.Error("OK=false without a Message telling the user what to fix")
		}
	})
	subtest(t, "unreachable", func(t testing.TB) {
		res, err := l.testConnection(t, "TestConnection(Unreachable)", u.Unreachable, l.h.callTimeout())
		switch {
		case err == nil && res.OK:
			t.Error("an unreachable upstream gave OK=true")
		case err == nil && strings.TrimSpace(res.Message) == "":
			t.Error("OK=false without a Message")
		case err != nil && !errors.Is(err, rmm.ErrUpstreamUnavailable):
			t.Errorf("want OK=false or ErrUpstreamUnavailable, got %s", describeErr(err))
		}
	})
	subtest(t, "hanging", func(t testing.TB) {
		start := time.Now()
		res, err := l.testConnection(t, "TestConnection(Hanging)", u.Hanging, l.h.hangTimeout())
		if d := time.Since(start); d > l.h.hangTimeout()+l.h.graceTime() {
			t.Errorf("returned after %v, past its deadline of %v", d, l.h.hangTimeout())
		}
		if err == nil && res.OK {
			t.Error("a hanging upstream gave OK=true")
		}
		if err != nil && !timedOut(err) {
			t.Errorf("want OK=false or context.DeadlineExceeded (or ErrUpstreamUnavailable), got %s", describeErr(err))
		}
	})
}

// timedOut reports whether err is an acceptable answer to an expired
// deadline.
func timedOut(err error) bool {
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, rmm.ErrUpstreamUnavailable)
}

// testConnection calls TestConnection with deadline d and scans what it
// says for secrets.
func (l *leg) testConnection(t testing.TB, what string, in rmm.Integration, d time.Duration) (rmm.TestConnectionResult, error) {
	t.Helper()
	res, err := call(t, l, what, d, func(ctx context.Context) (rmm.TestConnectionResult, error) {
		return l.p.TestConnection(ctx, rmm.TestConnectionRequest{Integration: in})
	})
	l.scan(t, what+" Message", res.Message)
	l.scan(t, what+" Reason", res.Reason)
	for _, w := range res.Warnings {
		l.scan(t, what+" Warnings", w)
	}
	for k, v := range res.Details {
		l.scan(t, what+" Details["+k+"]", v)
	}
	return res, err
}
