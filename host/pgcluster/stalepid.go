package pgcluster

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// clearStalePID removes the lock files a killed server left behind.
//
// PostgreSQL removes a stale postmaster.pid itself when its PID is dead, but
// not when the PID now belongs to another process, which is common in
// containers where PIDs restart from 1. A server that is really still
// running on this data directory is an error, never killed: it may be
// another process's cluster.
func clearStalePID(l layout) error {
	pidFile := filepath.Join(l.data, "postmaster.pid")
	b, err := os.ReadFile(pidFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("pgcluster: %w", err)
	}
	first, _, _ := strings.Cut(string(b), "\n")
	if pid, err := strconv.Atoi(strings.TrimSpace(first)); err == nil && pid > 0 && isServerOf(pid, l.data) {
		return fmt.Errorf("pgcluster: PostgreSQL (pid %d) is already running on %s: stop it (kill -INT %d) or use another data dir",
			pid, l.data, pid)
	}
	if err := os.Remove(pidFile); err != nil {
		return fmt.Errorf("pgcluster: remove stale %s: %w", pidFile, err)
	}
	// Socket lock files carry the same PID and the same problem.
	locks, _ := filepath.Glob(filepath.Join(l.run, ".s.PGSQL.*"))
	for _, f := range locks {
		_ = os.Remove(f)
	}
	return nil
}

// isServerOf reports whether pid is a postgres process whose working
// directory (a postmaster's is its data directory) is dataDir. When the
// directory cannot be read, a live postgres process counts as the server.
func isServerOf(pid int, dataDir string) bool {
	comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	if err != nil || strings.TrimSpace(string(comm)) != "postgres" {
		return false
	}
	cwd, err := os.Readlink(fmt.Sprintf("/proc/%d/cwd", pid))
	if err != nil {
		return true
	}
	want, err := filepath.EvalSymlinks(dataDir)
	if err != nil {
		want = dataDir
	}
	return filepath.Clean(cwd) == filepath.Clean(want)
}
