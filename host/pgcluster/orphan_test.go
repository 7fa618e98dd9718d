package pgcluster

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// helperEnv makes the test binary act as a process that starts a cluster
// and is then killed without stopping it.
const helperEnv = "PGCLUSTER_ORPHAN_HELPER"

func TestServerDiesWithItsParent(t *testing.T) {
	if os.Getenv(helperEnv) != "" {
		orphanHelper(t)
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestServerDiesWithItsParent$")
	cmd.Env = append(os.Environ(), helperEnv+"=1")
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lineCh := make(chan string, 1)
	go func() {
		s := bufio.NewScanner(out)
		for s.Scan() {
			if dir, ok := strings.CutPrefix(s.Text(), "CLUSTER "); ok {
				lineCh <- dir
				return
			}
		}
		close(lineCh)
	}()
	var dir string
	select {
	case d, ok := <-lineCh:
		if !ok {
			_ = cmd.Wait()
			t.Fatal("helper exited without starting a cluster")
		}
		dir = d
	case <-time.After(hangLimit):
		_ = cmd.Process.Kill()
		t.Fatal("helper did not start a cluster in time")
	}
	t.Cleanup(func() { os.RemoveAll(dir) }) // a killed parent cannot clean up

	pidFile := filepath.Join(dir, "data", "postmaster.pid")
	pid := readPID(t, pidFile)

	// SIGKILL: no deferred function or signal handler of the parent runs.
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()

	deadline := time.Now().Add(hangLimit)
	for processAlive(pid) {
		if time.Now().After(deadline) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("postmaster %d outlived its parent", pid)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// A clean (fast) shutdown removes the pid file; a crash would not.
	if _, err := os.Stat(pidFile); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("postmaster.pid left behind: the server did not shut down cleanly (%v)", err)
	}
}

func orphanHelper(t *testing.T) {
	c, err := Start(t.Context(), Options{FsyncOff: true})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("CLUSTER %s\n", c.Dir())
	time.Sleep(hangLimit) // until killed
	os.Exit(2)
}

func readPID(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	first, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(first))
	if err != nil {
		t.Fatal(err)
	}
	return pid
}

// processAlive treats a zombie as gone: in a container whose PID 1 does not
// reap orphans, an exited postmaster stays a zombie.
func processAlive(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the parenthesised command name.
	s := string(stat)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) {
		return s[i+2] != 'Z' && s[i+2] != 'X'
	}
	return true
}
