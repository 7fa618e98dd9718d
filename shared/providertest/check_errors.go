package providertest

import (
	"context"
	"errors"
	"testing"

	"github.com/msp-psa/psa-host/shared/rmm"
)

// checkFailingUpstream: an upstream answering 5xx fails every call with
// ErrUpstreamUnavailable, or ErrRateLimited saying when to retry.
func checkFailingUpstream(t testing.TB, l *leg) {
	u := l.upstream(t)
	checkEveryCallFails(t, l, u, u.Failing, "ErrUpstreamUnavailable or ErrRateLimited with RetryAfter", upstreamFailed)
	if l.supports(rmm.CapTestConnection) {
		res, err := l.testConnection(t, "TestConnection(Failing)", u.Failing, l.h.callTimeout())
		if err == nil && res.OK {
			t.Error("TestConnection: a failing upstream gave OK=true")
		}
	}
}

// checkRateLimited: an upstream answering 429 makes every call either
// succeed (the provider waited and retried within the deadline) or fail
// with ErrRateLimited saying when to retry.
func checkRateLimited(t testing.TB, l *leg) {
	u := l.upstream(t)
	if u.RateLimited.BaseURL == "" {
		t.Skip("the harness gives no Upstream.RateLimited")
	}
	checkEveryCallFails(t, l, u, u.RateLimited, "success or ErrRateLimited with RetryAfter", func(err error) bool {
		return err == nil || errors.Is(err, rmm.ErrRateLimited) && rmm.RetryAfter(err) > 0
	})
}

// checkEveryCallFails calls every declared call but webhooks against in and
// checks each error with ok. TestConnection may answer with a result.
func checkEveryCallFails(t testing.TB, l *leg, u Upstream, in rmm.Integration, want string, ok func(error) bool) {
	t.Helper()
	if l.supports(rmm.CapTestConnection) {
		subtest(t, "TestConnection", func(t testing.TB) {
			res, err := l.testConnection(t, "TestConnection", in, l.h.callTimeout())
			switch {
			case err == nil && !res.OK && res.Message == "":
				t.Error("OK=false without a Message")
			case err != nil && !ok(err):
				t.Errorf("want a result or %s, got %s", want, describeErr(err))
			}
		})
	}
	if l.supports(rmm.CapSyncAgent) {
		subtest(t, "SyncAgent", func(t testing.TB) {
			_, err := l.syncAgent(t, in, u.KnownDeviceID)
			if !ok(err) {
				t.Errorf("want %s, got %s", want, describeErr(err))
			}
		})
	}
	for _, b := range bulkCalls() {
		if !l.supports(b.cap) {
			continue
		}
		subtest(t, b.name, func(t testing.TB) {
			_, err := call(t, l, b.name, l.h.callTimeout(), func(ctx context.Context) (struct{}, error) {
				_, _, err := b.run(ctx, l.p, u, in, 0, nil)
				return struct{}{}, err
			})
			if !ok(err) {
				t.Errorf("want %s, got %s", want, describeErr(err))
			}
		})
	}
}

func upstreamFailed(err error) bool {
	if errors.Is(err, rmm.ErrRateLimited) {
		return rmm.RetryAfter(err) > 0
	}
	return errors.Is(err, rmm.ErrUpstreamUnavailable)
}

// checkRevision: a new revision's credentials replace the old ones, even
// when a provider caches clients per integration.
func checkRevision(t testing.TB, l *leg) {
	l.require(t, rmm.CapTestConnection)
	u := l.upstream(t)
	steps := []struct {
		name    string
		secrets map[string]string
		wantOK  bool
	}{
		{"good-credentials", u.Valid.Secrets, true},
		{"bad-credentials", u.BadCredentials.Secrets, false},
		{"good-again", u.Valid.Secrets, true},
	}
	in := u.Valid
	for i, s := range steps {
		// The first step reuses Valid's revision, which earlier calls may
		// have cached; later ones jump far ahead so as not to collide with
		// the revisions of the harness's other integrations.
		in.Revision = u.Valid.Revision
		if i > 0 {
			in.Revision += 1_000_000 + int64(i)
		}
		in.Secrets = s.secrets
		res, err := l.testConnection(t, "TestConnection("+s.name+")", in, l.h.callTimeout())
		if err != nil {
			t.Fatalf("revision %d (%s): %s", in.Revision, s.name, describeErr(err))
		}
		if res.OK != s.wantOK {
			t.Errorf("revision %d (%s) gave OK=%v, want %v: the new revision's credentials were not used", in.Revision, s.name, res.OK, s.wantOK)
		}
	}
}

// checkLogs: the provider's log output holds no secret.
func checkLogs(t testing.TB, l *leg) {
	if l.h.Logs == nil {
		t.Skip("the harness gives no Logs")
	}
	l.upstream(t) // so that a run of this rule alone knows the secrets too
	l.scan(t, "the provider's logs", l.h.Logs())
}
