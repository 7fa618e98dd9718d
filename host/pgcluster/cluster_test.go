package pgcluster

import (
	"context"
	"errors"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// hangLimit is a generous bound for hang detection, not a performance check.
const hangLimit = 2 * time.Minute

func startCluster(t *testing.T, opts Options) *Cluster {
	t.Helper()
	opts.Logf = t.Logf
	c, err := Start(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Stop(context.WithoutCancel(t.Context())) })
	return c
}

func connect(t *testing.T, dsn string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.WithoutCancel(t.Context())) })
	return conn
}

func setting(t *testing.T, conn *pgx.Conn, name string) string {
	t.Helper()
	var v string
	if err := conn.QueryRow(t.Context(), "SELECT current_setting($1)", name).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestStartValidatesOptions(t *testing.T) {
	tests := []struct {
		name string
		opts Options
	}{
		{"persistent without a dir", Options{Persistent: true}},
		{"negative port", Options{Port: -1}},
		{"port too large", Options{Port: 70000}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if c, err := Start(t.Context(), tt.opts); err == nil {
				_ = c.Stop(t.Context())
				t.Fatal("Start succeeded, want an error")
			}
		})
	}
}

func TestTemporaryCluster(t *testing.T) {
	c := startCluster(t, Options{FsyncOff: true, PreferRAM: true,
		Settings: map[string]string{"application_name": "pgcluster_test"}})
	dir := c.Dir()
	if onRAM := strings.HasPrefix(dir, ramDir+"/"); onRAM != roomyTmpfs(ramDir) {
		t.Errorf("cluster dir %s: on RAM = %v, want %v", dir, onRAM, !onRAM)
	}
	if _, err := os.Stat(filepath.Join(dir, "data", "PG_VERSION")); err != nil {
		t.Fatalf("no cluster in %s: %v", dir, err)
	}

	for range 2 { // the second call finds it and succeeds
		if err := c.CreateDatabase(t.Context(), "app"); err != nil {
			t.Fatal(err)
		}
	}
	conn := connect(t, c.DSN("app"))
	want := map[string]string{
		"listen_addresses":    "127.0.0.1",
		"port":                strconv.Itoa(c.Port()),
		"fsync":               "off",
		"server_encoding":     "UTF8",
		"lc_collate":          "C",
		"application_name":    "pgcluster_test",
		"password_encryption": "scram-sha-256",
	}
	for name, v := range want {
		if got := setting(t, conn, name); got != v {
			t.Errorf("%s = %q, want %q", name, got, v)
		}
	}

	t.Run("wrong password is refused", func(t *testing.T) {
		u, err := url.Parse(c.DSN("app"))
		if err != nil {
			t.Fatal(err)
		}
		u.User = url.UserPassword(Superuser, "wrong")
		_, err = pgx.Connect(t.Context(), u.String())
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Code != "28P01" {
			t.Errorf("err = %v, want invalid_password (28P01)", err)
		}
	})

	t.Run("drop database", func(t *testing.T) {
		if err := c.CreateDatabase(t.Context(), "scratch"); err != nil {
			t.Fatal(err)
		}
		open := connect(t, c.DSN("scratch")) // an open session does not block the drop
		if err := c.DropDatabase(t.Context(), "scratch"); err != nil {
			t.Fatal(err)
		}
		if err := open.Ping(t.Context()); err == nil {
			t.Error("session on the dropped database still alive")
		}
		if _, err := pgx.Connect(t.Context(), c.DSN("scratch")); err == nil {
			t.Error("dropped database still reachable")
		}
		if err := c.DropDatabase(t.Context(), "scratch"); err != nil {
			t.Errorf("dropping a missing database: %v", err)
		}
	})

	t.Run("bad database name", func(t *testing.T) {
		if err := c.CreateDatabase(t.Context(), strings.Repeat("x", 64)); err == nil {
			t.Error("a 64-byte name was accepted")
		}
	})

	if _, err := os.Stat(filepath.Join(dir, "run", ".s.PGSQL."+strconv.Itoa(c.Port()))); err != nil {
		t.Errorf("no Unix socket in the cluster dir: %v", err)
	}

	conn.Close(t.Context())
	if err := c.Stop(t.Context()); err != nil {
		t.Fatal(err)
	}
	select {
	case <-c.Done():
	case <-time.After(hangLimit):
		t.Fatal("Done not closed after Stop")
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("cluster dir still there after Stop: %v", err)
	}
	if err := c.Stop(t.Context()); err != nil {
		t.Errorf("second Stop = %v, want the first result (nil)", err)
	}
	if _, err := pgx.Connect(t.Context(), c.DSN("app")); err == nil {
		t.Error("server still accepts connections after Stop")
	}
}

func TestPersistentCluster(t *testing.T) {
	base, err := os.MkdirTemp("", "pgcluster-persist-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	// Reachable by the postgres user when the tests run as root.
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(base, "nested", "pg")
	opts := Options{DataDir: dir, Persistent: true}

	first := startCluster(t, opts)
	if err := first.CreateDatabase(t.Context(), "app"); err != nil {
		t.Fatal(err)
	}
	conn := connect(t, first.DSN("app"))
	if got := setting(t, conn, "fsync"); got != "on" {
		t.Errorf("fsync = %q without FsyncOff, want on", got)
	}
	if _, err := conn.Exec(t.Context(), `CREATE TABLE kept (v text); INSERT INTO kept VALUES ('survives')`); err != nil {
		t.Fatal(err)
	}
	conn.Close(t.Context())
	firstDSN := first.DSN("app")

	t.Run("a second start on a running cluster is refused", func(t *testing.T) {
		c, err := Start(t.Context(), opts)
		if err == nil {
			_ = c.Stop(t.Context())
			t.Fatal("second Start succeeded")
		}
		if !strings.Contains(err.Error(), "already running") {
			t.Errorf("err = %v, want it to say the server is already running", err)
		}
	})

	if err := first.Stop(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "data", "PG_VERSION")); err != nil {
		t.Fatalf("persistent data removed by Stop: %v", err)
	}

	// A killed run leaves postmaster.pid behind; its PID may since belong to
	// another process (here: this test binary).
	stale := strconv.Itoa(os.Getpid()) + "\n" + filepath.Join(dir, "data") + "\n"
	if err := os.WriteFile(filepath.Join(dir, "data", "postmaster.pid"), []byte(stale), 0o600); err != nil {
		t.Fatal(err)
	}

	second := startCluster(t, opts)
	if second.DSN("app") == firstDSN {
		t.Log("the free port happened to be the same twice") // the password must be
	}
	if got, want := passwordOf(t, second.DSN("app")), passwordOf(t, firstDSN); got != want {
		t.Error("the password changed across restarts")
	}
	conn = connect(t, second.DSN("app"))
	var v string
	if err := conn.QueryRow(t.Context(), `SELECT v FROM kept`).Scan(&v); err != nil || v != "survives" {
		t.Errorf("kept row = %q, %v; want it to survive a restart", v, err)
	}
}

func TestClearStalePID(t *testing.T) {
	tests := []struct {
		name    string
		content string // "" writes no file
		wantErr bool
	}{
		{"no pid file", "", false},
		{"pid of a live non-postgres process", strconv.Itoa(os.Getpid()) + "\n/data\n", false},
		{"pid that does not exist", "2147483646\n/data\n", false},
		{"garbage", "not a pid\n", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newLayout(t.TempDir())
			for _, d := range []string{l.data, l.run} {
				if err := os.MkdirAll(d, 0o700); err != nil {
					t.Fatal(err)
				}
			}
			pidFile := filepath.Join(l.data, "postmaster.pid")
			lockFile := filepath.Join(l.run, ".s.PGSQL.5432.lock")
			if tt.content != "" {
				for _, f := range []string{pidFile, lockFile} {
					if err := os.WriteFile(f, []byte(tt.content), 0o600); err != nil {
						t.Fatal(err)
					}
				}
			}
			err := clearStalePID(l)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			for _, f := range []string{pidFile, lockFile} {
				if _, err := os.Stat(f); !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("%s not removed", filepath.Base(f))
				}
			}
		})
	}
}

func passwordOf(t *testing.T, dsn string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	pw, _ := u.User.Password()
	return pw
}
