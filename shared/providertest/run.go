// Package providertest is the conformance suite every RMM provider must
// pass. A provider repository calls Run from one test with a Harness around
// its fake upstream; Run checks every rule of the rmm contract twice: with
// the provider in-process and through the real gRPC adapters, so that error
// identity and message limits across the plugin boundary are tested too.
//
//	func TestConformance(t *testing.T) {
//		providertest.Run(t, providertest.Harness{
//			New:      func(t testing.TB) rmm.Provider { return myprovider.New(logger) },
//			Upstream: startFakeUpstream, // func(testing.TB) providertest.Upstream
//		})
//	}
//
// Subtests are named by rule, so one rule can be rerun with
// go test -run 'TestConformance/grpc/sink-error'. The rules: describe,
// capabilities, test-connection, sync-orgs, sync-devices, sync-idempotent,
// max-batch, org-filter, incremental, sink-error, sink-cancel, sync-agent,
// webhooks, backfill-alerts, software, failing-upstream, rate-limited,
// hang-safety, isolation, revision, no-secrets-in-logs. A rule whose
// capability the provider does not declare is skipped, after the
// capabilities rule has checked that its calls fail with ErrUnsupported.
package providertest

import (
	"slices"
	"testing"

	"github.com/msp-psa/psa-host/shared/rmm"
)

// Run checks the provider made by h.New against every rule of the contract,
// first in-process, then over gRPC.
func Run(t *testing.T, h Harness) {
	t.Helper()
	if h.New == nil || h.Upstream == nil {
		t.Fatal("providertest: Harness.New and Harness.Upstream are required")
	}
	t.Run("in-process", func(t *testing.T) {
		runLeg(t, h, guard{h.New(t)})
	})
	t.Run("grpc", func(t *testing.T) {
		runLeg(t, h, overGRPC(t, guard{h.New(t)}))
	})
}

// rule is one named check of the contract.
type rule struct {
	name  string
	check func(t testing.TB, l *leg)
}

// rules lists the checks in the order they run. The secrets scan of the
// logs comes last, after every other check had its chance to log.
func rules() []rule {
	return []rule{
		{"describe", checkDescribe},
		{"capabilities", checkCapabilities},
		{"test-connection", checkTestConnection},
		{"sync-orgs", checkSyncOrgs},
		{"sync-devices", checkSyncDevices},
		{"sync-idempotent", checkSyncIdempotent},
		{"max-batch", checkMaxBatch},
		{"org-filter", checkOrgFilter},
		{"incremental", checkIncremental},
		{"sink-error", checkSinkError},
		{"sink-cancel", checkSinkCancel},
		{"sync-agent", checkSyncAgent},
		{"webhooks", checkWebhooks},
		{"backfill-alerts", checkBackfill},
		{"software", checkSoftware},
		{"failing-upstream", checkFailingUpstream},
		{"rate-limited", checkRateLimited},
		{"hang-safety", checkHangSafety},
		{"isolation", checkIsolation},
		{"revision", checkRevision},
		{"no-secrets-in-logs", checkLogs},
	}
}

// runLeg runs the rules named in only (all when empty) against p.
func runLeg(t testing.TB, h Harness, p rmm.Provider, only ...string) {
	t.Helper()
	l := newLeg(h, p)
	l.describe(t)
	for _, r := range rules() {
		if len(only) > 0 && !slices.Contains(only, r.name) {
			continue
		}
		subtest(t, r.name, func(t testing.TB) { r.check(t, l) })
	}
}

// subRunner is a testing.TB that runs its own subtests (the self-tests'
// recorder does).
type subRunner interface {
	Run(name string, f func(testing.TB)) bool
}

// subtest runs f as the subtest name of t.
func subtest(t testing.TB, name string, f func(testing.TB)) bool {
	switch r := t.(type) {
	case *testing.T:
		return r.Run(name, func(t *testing.T) { f(t) })
	case subRunner:
		return r.Run(name, f)
	}
	t.Fatalf("providertest: cannot run subtest %q on a %T", name, t)
	return false
}
