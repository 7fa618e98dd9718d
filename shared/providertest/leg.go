package providertest

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/msp-psa/psa-host/shared/rmm"
)

// defaultGrace is how long a call may outlive its deadline before the suite
// calls it hung. Generous: it detects hangs, it does not measure speed.
const defaultGrace = 5 * time.Second

// minSecretLen is the shortest secret the suite scans for; shorter values
// would match ordinary text.
const minSecretLen = 6

// leg is one run of the rules against one provider instance.
type leg struct {
	h  Harness
	p  rmm.Provider
	md rmm.Metadata

	mu      sync.Mutex
	secrets []secret // every secret of every upstream of this leg
}

// secret is a value to scan for and where it came from, to name it in a
// failure without printing it.
type secret struct{ label, value string }

func newLeg(h Harness, p rmm.Provider) *leg { return &leg{h: h, p: p} }

// describe learns the provider's metadata, which most rules depend on.
func (l *leg) describe(t testing.TB) {
	t.Helper()
	md, err := call(t, l, "Describe", l.h.callTimeout(), func(ctx context.Context) (rmm.Metadata, error) {
		return l.p.Describe(ctx)
	})
	if err != nil {
		t.Fatalf("Describe: %v", err)
	}
	l.md = md
}

// supports reports whether the provider declares c.
func (l *leg) supports(c rmm.Capability) bool { return l.md.Supports(c) }

// require skips the rule unless the provider declares every capability.
func (l *leg) require(t testing.TB, caps ...rmm.Capability) {
	t.Helper()
	for _, c := range caps {
		if !l.supports(c) {
			t.Skipf("the provider does not declare %q", c)
		}
	}
}

// upstream starts a fresh upstream, checks its description and remembers
// its secrets for the scans.
func (l *leg) upstream(t testing.TB) Upstream {
	t.Helper()
	u := l.h.Upstream(t)
	named := map[string]rmm.Integration{
		"Valid": u.Valid, "BadCredentials": u.BadCredentials, "Unreachable": u.Unreachable,
		"Hanging": u.Hanging, "Failing": u.Failing,
	}
	type idRev struct {
		id  string
		rev int64
	}
	if u.RateLimited.BaseURL != "" {
		named["RateLimited"] = u.RateLimited
	}
	seen := map[idRev]string{}
	for _, name := range slices.Sorted(maps.Keys(named)) {
		in := named[name]
		if in.BaseURL == "" {
			t.Fatalf("harness: Upstream.%s has no BaseURL", name)
		}
		k := idRev{in.ID, in.Revision}
		if other, dup := seen[k]; dup {
			t.Fatalf("harness: Upstream.%s and Upstream.%s share ID %q and Revision %d; give each its own", other, name, in.ID, in.Revision)
		}
		seen[k] = name
	}
	secrets := make([]secret, 0, len(u.Secrets))
	for i, v := range u.Secrets {
		secrets = append(secrets, secret{fmt.Sprintf("Upstream.Secrets[%d]", i), v})
	}
	for name, in := range named {
		secrets = append(secrets, secretsOf("Upstream."+name, in)...)
	}
	secrets = append(secrets, secretsOf("Upstream.BadWebhook", u.BadWebhook.Integration)...)
	for i, c := range u.Webhooks {
		secrets = append(secrets, secretsOf(fmt.Sprintf("Upstream.Webhooks[%d]", i), c.Request.Integration)...)
	}
	l.mu.Lock()
	for _, s := range secrets {
		known := slices.ContainsFunc(l.secrets, func(k secret) bool { return k.value == s.value })
		if len(s.value) >= minSecretLen && !known {
			l.secrets = append(l.secrets, s)
		}
	}
	l.mu.Unlock()
	return u
}

func secretsOf(label string, in rmm.Integration) []secret {
	out := make([]secret, 0, len(in.Secrets))
	for k, v := range in.Secrets {
		out = append(out, secret{label + ".Integration.Secrets[" + k + "]", v})
	}
	return out
}

// scan fails t when text contains a secret. It names the secret by where
// it came from, so the failure message leaks nothing either.
func (l *leg) scan(t testing.TB, where, text string) {
	t.Helper()
	if text == "" {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range l.secrets {
		if strings.Contains(text, s.value) {
			t.Errorf("%s leaks the secret %s", where, s.label)
		}
	}
}

// scanErr scans an error's text.
func (l *leg) scanErr(t testing.TB, where string, err error) {
	t.Helper()
	if err != nil {
		l.scan(t, where+" error", err.Error())
	}
}

// outcome is one call's result.
type outcome[R any] struct {
	r   R
	err error
}

// call runs fn with a ctx that expires after d. It fails t when fn is still
// running grace after that deadline, and scans the error fn returns.
func call[R any](t testing.TB, l *leg, what string, d time.Duration, fn func(ctx context.Context) (R, error)) (R, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), d)
	defer cancel()
	return await(ctx, t, l, what, d+l.h.graceTime(), fn)
}

// await runs fn with ctx and fails t when it has not returned after limit.
func await[R any](ctx context.Context, t testing.TB, l *leg, what string, limit time.Duration, fn func(ctx context.Context) (R, error)) (R, error) {
	t.Helper()
	done := make(chan outcome[R], 1)
	go func() {
		r, err := fn(ctx)
		done <- outcome[R]{r, err}
	}()
	timer := time.NewTimer(limit)
	defer timer.Stop()
	select {
	case o := <-done:
		l.scanErr(t, what, o.err)
		if o.err != nil && strings.Contains(o.err.Error(), panicMarker) {
			t.Errorf("%s: %v", what, o.err)
		}
		return o.r, o.err
	case <-timer.C:
		t.Fatalf("%s has not returned %v after it started: the provider does not honour its ctx", what, limit)
	}
	panic("unreachable")
}

// describeErr formats an error for a failure message.
func describeErr(err error) string {
	if err == nil {
		return "nil error"
	}
	kind := rmm.Kind(err)
	if kind == nil {
		return fmt.Sprintf("%q (wrapping no rmm sentinel)", err)
	}
	return fmt.Sprintf("%q (kind %q)", err, kind)
}
