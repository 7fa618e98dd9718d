package pgcluster

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"
)

// Superuser is the role the cluster's DSNs connect as.
const Superuser = "postgres"

// defaultStartTimeout bounds initdb plus server start when the caller's
// context has no deadline of its own.
const defaultStartTimeout = 2 * time.Minute

// Options configure Start.
type Options struct {
	// DataDir is the cluster directory (see the package doc), created if
	// missing; empty means a new temporary directory. Unless Persistent is
	// set, Stop (or a failed Start) removes the directory.
	DataDir string
	// Port is the TCP port on 127.0.0.1; 0 picks a free one.
	Port int
	// Persistent keeps DataDir after Stop, and Start reuses a cluster
	// already initialised there. Requires DataDir.
	Persistent bool
	// FsyncOff trades crash safety for speed: for tests only.
	FsyncOff bool
	// PreferRAM puts a temporary cluster (no DataDir) on /dev/shm when that
	// is a tmpfs with room to spare. Creating a database there is an order
	// of magnitude faster than on a slow disk: for tests only.
	PreferRAM bool
	// Settings are extra server settings, passed as -c name=value.
	Settings map[string]string
	// Logf, when set, receives a line for each step (never a password).
	Logf func(format string, args ...any)
}

// Cluster is a running PostgreSQL server started by Start.
type Cluster struct {
	opts     Options
	dir      string
	port     int
	password string
	server   *server

	stopOnce sync.Once
	stopErr  error
}

// Start initialises the cluster if needed, starts the server and waits until
// it accepts connections. ctx bounds the start only: the server runs until
// Stop, or until the calling process exits.
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	if opts.Persistent && opts.DataDir == "" {
		return nil, errors.New("pgcluster: a persistent cluster needs a DataDir")
	}
	if opts.Port < 0 || opts.Port > 65535 {
		return nil, fmt.Errorf("pgcluster: port %d out of range", opts.Port)
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, defaultStartTimeout)
		defer cancel()
	}
	bins, err := findBinaries(ctx, defaultBinarySources())
	if err != nil {
		return nil, err
	}
	acct, err := serverAccount()
	if err != nil {
		return nil, err
	}
	dir, err := clusterDir(opts, acct)
	if err != nil {
		return nil, err
	}
	c := &Cluster{opts: opts, dir: dir}
	if err := c.start(ctx, bins, acct); err != nil {
		if !opts.Persistent {
			_ = os.RemoveAll(dir)
		}
		return nil, err
	}
	return c, nil
}

func (c *Cluster) start(ctx context.Context, bins binaries, acct *account) error {
	l := c.layout()
	password, err := ensureInitialised(ctx, l, bins, acct, c.opts.FsyncOff, c.logf)
	if err != nil {
		return err
	}
	c.password = password
	if err := clearStalePID(l); err != nil {
		return err
	}
	srv, port, err := startServer(ctx, serverConfig{
		layout:   l,
		bins:     bins,
		account:  acct,
		port:     c.opts.Port,
		fsyncOff: c.opts.FsyncOff,
		settings: c.opts.Settings,
		dsn: func(port int) string {
			return buildDSN(password, port, "postgres")
		},
		logf: c.logf,
	})
	if err != nil {
		return err
	}
	c.server, c.port = srv, port
	c.logf("pgcluster: PostgreSQL listening on 127.0.0.1:%d, cluster dir %s", port, c.dir)
	return nil
}

// clusterDir makes (or finds) the cluster directory and hands it to the
// account the server runs as.
func clusterDir(opts Options, acct *account) (string, error) {
	var dir string
	if opts.DataDir == "" {
		base, err := tempBase(acct, opts.PreferRAM)
		if err != nil {
			return "", err
		}
		if dir, err = os.MkdirTemp(base, "pgcluster-"); err != nil {
			return "", fmt.Errorf("pgcluster: %w", err)
		}
	} else {
		abs, err := filepath.Abs(opts.DataDir)
		if err != nil {
			return "", fmt.Errorf("pgcluster: %w", err)
		}
		dir = abs
		// Parents the server account must traverse get the usual 0755.
		if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
			return "", fmt.Errorf("pgcluster: %w", err)
		}
		if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
			return "", fmt.Errorf("pgcluster: %w", err)
		}
	}
	if err := acct.checkSearchable(filepath.Dir(dir)); err != nil {
		return "", err
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return "", fmt.Errorf("pgcluster: %w", err)
	}
	if err := acct.chown(dir); err != nil {
		return "", err
	}
	return dir, nil
}

// tempBase is /dev/shm when RAM is preferred and usable, else os.TempDir,
// unless the server account cannot reach it (a private TMPDIR under root),
// in which case /tmp.
func tempBase(acct *account, preferRAM bool) (string, error) {
	if preferRAM && roomyTmpfs(ramDir) && acct.checkSearchable(ramDir) == nil {
		return ramDir, nil
	}
	base := os.TempDir()
	if acct.checkSearchable(base) == nil {
		return base, nil
	}
	if err := acct.checkSearchable("/tmp"); err != nil {
		return "", err
	}
	return "/tmp", nil
}

func (c *Cluster) layout() layout { return newLayout(c.dir) }

func (c *Cluster) logf(format string, args ...any) {
	if c.opts.Logf != nil {
		c.opts.Logf(format, args...)
	}
}

// DSN is a postgres:// URL for database db on this cluster, as the
// superuser. It contains the password: never log it.
func (c *Cluster) DSN(db string) string { return buildDSN(c.password, c.port, db) }

func buildDSN(password string, port int, db string) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(Superuser, password),
		Host:     net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		Path:     "/" + db,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

// Port is the server's TCP port on 127.0.0.1.
func (c *Cluster) Port() int { return c.port }

// Dir is the cluster directory.
func (c *Cluster) Dir() string { return c.dir }

// Done is closed when the server process has exited, whether by Stop or
// by a crash.
func (c *Cluster) Done() <-chan struct{} { return c.server.exited }

// Stop shuts the server down and removes the cluster directory unless the
// cluster is persistent. It asks for a fast shutdown and escalates to an
// immediate one (safe: the next start recovers from the WAL) when that
// takes longer than ctx allows or a grace period. Calling it again returns
// the first result.
func (c *Cluster) Stop(ctx context.Context) error {
	c.stopOnce.Do(func() {
		err := c.server.stop(ctx)
		if !c.opts.Persistent {
			if rmErr := os.RemoveAll(c.dir); rmErr != nil {
				err = errors.Join(err, fmt.Errorf("pgcluster: remove %s: %w", c.dir, rmErr))
			}
		}
		c.stopErr = err
	})
	return c.stopErr
}
