package pgcluster

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// layout names the files of a cluster directory.
type layout struct {
	dir      string
	data     string // PGDATA
	run      string // Unix socket directory
	password string
	log      string
}

func newLayout(dir string) layout {
	return layout{
		dir:      dir,
		data:     filepath.Join(dir, "data"),
		run:      filepath.Join(dir, "run"),
		password: filepath.Join(dir, "password"),
		log:      filepath.Join(dir, "postgres.log"),
	}
}

// ensureInitialised runs initdb unless the directory already holds a
// cluster, and returns the superuser password. The password file is written
// only after initdb succeeded, so it marks a complete cluster.
func ensureInitialised(ctx context.Context, l layout, bins binaries, acct *account, noSync bool,
	logf func(string, ...any)) (string, error) {
	password, pwErr := readPassword(l.password)
	_, dataErr := os.Stat(filepath.Join(l.data, "PG_VERSION"))
	switch {
	case pwErr == nil && dataErr == nil:
		logf("pgcluster: reusing the cluster in %s", l.dir)
		return password, nil
	case dataErr == nil:
		return "", fmt.Errorf("pgcluster: %s holds a cluster but no password file (%s); an earlier start was"+
			" interrupted or the file was removed: remove %s to start afresh", l.data, l.password, l.dir)
	case pwErr != nil && !errors.Is(pwErr, fs.ErrNotExist):
		return "", pwErr
	}

	password, err := newPassword()
	if err != nil {
		return "", err
	}
	pending := l.password + ".new"
	if err := os.WriteFile(pending, []byte(password+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("pgcluster: write password file: %w", err)
	}
	defer os.Remove(pending)
	if err := acct.chown(pending); err != nil {
		return "", err
	}

	args := []string{"-D", l.data, "-U", Superuser, "-E", "UTF8", "--locale=C",
		"--auth=scram-sha-256", "--pwfile=" + pending}
	if noSync {
		args = append(args, "--no-sync")
	}
	logf("pgcluster: initdb %s", l.data)
	cmd := exec.CommandContext(ctx, bins.initdb, args...)
	cmd.Dir = l.dir
	cmd.Env = serverEnv()
	cmd.SysProcAttr = acct.sysProcAttr()
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("pgcluster: initdb failed: %w\n%s", err, lastLines(string(out), 20))
	}
	if err := os.Rename(pending, l.password); err != nil {
		return "", fmt.Errorf("pgcluster: keep password file: %w", err)
	}
	return password, nil
}

func readPassword(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("pgcluster: read password file: %w", err)
	}
	pw := strings.TrimSpace(string(b))
	if pw == "" {
		return "", fmt.Errorf("pgcluster: password file %s is empty", path)
	}
	return pw, nil
}

// newPassword is 192 random bits, URL-safe so it needs no escaping in a DSN.
func newPassword() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("pgcluster: random password: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// serverEnv is the caller's environment without PG* variables, which would
// otherwise change what initdb and postgres do.
func serverEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PG") {
			env = append(env, kv)
		}
	}
	return env
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
