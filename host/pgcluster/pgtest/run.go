package pgtest

import "testing"

// Run is Main without the exit, for a TestMain with its own cleanup to do
// after the tests: it returns the tests' status.
func Run(m *testing.M) int { return shared.run(m) }
