package providertest

import (
	"testing"

	"github.com/msp-psa/psa-host/shared/rmm"
)

// runRecorded runs one rule against the provider h makes, in-process and,
// when asked, over gRPC, under a recorder, and returns what it saw.
func runRecorded(t *testing.T, h Harness, rules []string, grpc bool) *recording {
	rec := newRecorder(t)
	rec.Run("in-process", func(t testing.TB) {
		runLeg(t, h, guard{h.New(t)}, rules...)
	})
	if grpc {
		rec.Run("grpc", func(t testing.TB) {
			runLeg(t, h, overGRPC(t, guard{h.New(t)}), rules...)
		})
	}
	return rec.log
}

// TestSuiteCatchesBrokenProviders: each broken provider fails exactly the
// rule it breaks, while the intact fake passes that rule.
func TestSuiteCatchesBrokenProviders(t *testing.T) {
	for _, c := range brokenCases() {
		t.Run(c.name, func(t *testing.T) {
			legs := []string{"in-process"}
			if c.grpc {
				legs = append(legs, "grpc")
			}
			rules := append(c.before, c.rule)
			control := runRecorded(t, newFakeEnv().harness(nil), rules, c.grpc)
			got := runRecorded(t, newFakeEnv().harness(c.make), rules, c.grpc)
			for _, leg := range legs {
				if !control.passed(leg + "/" + c.rule) {
					t.Errorf("%s: the intact fake does not pass %q:\n%s", leg, c.rule, control)
				}
				fails := got.failuresUnder(leg + "/" + c.rule)
				if len(fails) == 0 {
					t.Errorf("%s: the suite did not catch %s in rule %q:\n%s", leg, c.name, c.rule, got)
				}
				for _, f := range fails {
					t.Logf("%s caught: %s", leg, f)
				}
			}
		})
	}
}

// TestRecorderSeesRuleOrder: the recorder reports the suite's subtests by
// rule name, which the test above depends on.
func TestRecorderSeesRuleOrder(t *testing.T) {
	env := newFakeEnv()
	h := env.harness(nil)
	rec := newRecorder(t)
	rec.Run("in-process", func(t testing.TB) { runLeg(t, h, env.provider(), "describe", "sync-orgs") })
	for _, want := range []string{"in-process/describe", "in-process/sync-orgs"} {
		if !rec.log.passed(want) {
			t.Errorf("%q did not run and pass:\n%s", want, rec.log)
		}
	}
	if rec.log.passed("in-process/webhooks") {
		t.Error("a rule that was not asked for ran")
	}
}

var _ rmm.Provider = (*broken)(nil)
