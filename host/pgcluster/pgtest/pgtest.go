// Package pgtest gives each test a fresh, empty PostgreSQL database on one
// throwaway cluster shared by the whole test binary.
//
// Use it from a package's TestMain, which stops the cluster after the
// tests, then call New in each test that needs a database:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//
//	func TestSomething(t *testing.T) {
//		dsn := pgtest.New(t)
//		...
//	}
//
// The cluster starts on the first New, so a run that selects no database
// test pays nothing. If the test binary dies without reaching the end of
// Main (a panic, a timeout, a kill), the server still shuts down with it
// (see package pgcluster); only its temporary directory is left behind.
package pgtest

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/msp-psa/psa-host/host/pgcluster"
)

const (
	// stopTimeout bounds the orderly shutdown at the end of the test binary.
	stopTimeout = time.Minute
	dropTimeout = 30 * time.Second
)

// harness is the one cluster of a test binary. It is the package's only
// mutable state, and deliberately global: its lifetime is the test
// process's, and New has no other way to find it.
type harness struct {
	mu      sync.Mutex
	inMain  bool
	started bool
	cluster *pgcluster.Cluster
	err     error // why the cluster could not start; every New reports it
	created int
}

var shared harness

// Main runs the tests, stops the cluster if one was started, and exits with
// the tests' status. Call it from TestMain.
func Main(m *testing.M) {
	os.Exit(shared.run(m))
}

func (h *harness) run(m *testing.M) int {
	h.mu.Lock()
	h.inMain = true
	h.mu.Unlock()

	code := m.Run()

	h.mu.Lock()
	defer h.mu.Unlock()
	if h.cluster != nil {
		// TestMain is the test binary's main: there is no caller context.
		ctx, cancel := context.WithTimeout(context.Background(), stopTimeout)
		defer cancel()
		if err := h.cluster.Stop(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "pgtest:", err)
			if code == 0 {
				code = 1
			}
		}
	}
	return code
}

// New creates an empty database for t and returns a DSN to it (which
// contains the password: do not log it). The database is dropped when t
// ends, after t's own cleanups (close your pools there); sessions still
// open then are disconnected.
func New(t testing.TB) string {
	t.Helper()
	c, name, err := shared.next(t)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	if err := c.CreateDatabase(t.Context(), name); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() {
		// t.Context is already cancelled when cleanups run.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(t.Context()), dropTimeout)
		defer cancel()
		if err := c.DropDatabase(ctx, name); err != nil {
			t.Errorf("pgtest: %v", err)
		}
	})
	return c.DSN(name)
}

// next starts the cluster on first use and names a new database.
func (h *harness) next(t testing.TB) (*pgcluster.Cluster, string, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.inMain {
		return nil, "", fmt.Errorf("call pgtest.Main(m) from TestMain first, so the cluster is stopped after the tests")
	}
	if !h.started {
		h.started = true
		// t.Context bounds only the start; the cluster lives until Main stops it.
		h.cluster, h.err = pgcluster.Start(t.Context(), pgcluster.Options{FsyncOff: true, PreferRAM: true})
	}
	if h.err != nil {
		return nil, "", h.err
	}
	h.created++
	return h.cluster, databaseName(h.created, t.Name()), nil
}

var unsafeChars = regexp.MustCompile(`[^a-z0-9_]+`)

// databaseName is unique by its counter and readable by the test's name,
// within PostgreSQL's 63-byte identifier limit.
func databaseName(n int, testName string) string {
	name := fmt.Sprintf("t%d_%s", n, unsafeChars.ReplaceAllString(strings.ToLower(testName), "_"))
	return strings.TrimRight(name[:min(len(name), 63)], "_")
}
