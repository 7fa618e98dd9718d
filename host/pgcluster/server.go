package pgcluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

const (
	// startAttempts is how often a start on an automatically chosen port is
	// retried when another process took the port in between.
	startAttempts = 3
	// maxSocketPath leaves room for "/.s.PGSQL.NNNNN" in the 108-byte
	// sun_path of a Unix socket address.
	maxSocketPath = 90
	// fastShutdownGrace and quitGrace bound each shutdown step when the
	// caller's context does not end it sooner.
	fastShutdownGrace = 30 * time.Second
	quitGrace         = 5 * time.Second
	readyPollInterval = 100 * time.Millisecond
	pingTimeout       = 2 * time.Second
)

// errPortTaken means the server could not bind its port.
var errPortTaken = errors.New("pgcluster: port already in use")

type serverConfig struct {
	layout   layout
	bins     binaries
	account  *account
	port     int // 0 picks a free one
	fsyncOff bool
	settings map[string]string
	dsn      func(port int) string // for the readiness check
	logf     func(string, ...any)
}

// server is a running postgres process.
type server struct {
	proc    *os.Process
	log     *os.File
	exited  chan struct{} // closed after waitErr is set
	waitErr error
}

// startServer launches postgres and waits until it accepts connections.
func startServer(ctx context.Context, cfg serverConfig) (*server, int, error) {
	for attempt := 1; ; attempt++ {
		port := cfg.port
		if port == 0 {
			p, err := freePort()
			if err != nil {
				return nil, 0, err
			}
			port = p
		}
		srv, logOffset, err := launch(cfg, port)
		if err != nil {
			return nil, 0, err
		}
		err = srv.waitReady(ctx, cfg.dsn(port), cfg.layout.log, logOffset)
		if err == nil {
			return srv, port, nil
		}
		_ = srv.stop(ctx)
		if cfg.port == 0 && attempt < startAttempts && errors.Is(err, errPortTaken) {
			cfg.logf("pgcluster: port %d was taken, trying another", port)
			continue
		}
		return nil, 0, err
	}
}

// launch starts postgres as a child that dies with its parent. It returns
// the log size before the start, to read only this run's log on failure.
func launch(cfg serverConfig, port int) (*server, int64, error) {
	l := cfg.layout
	if err := os.MkdirAll(l.run, 0o700); err != nil {
		return nil, 0, fmt.Errorf("pgcluster: %w", err)
	}
	logFile, err := os.OpenFile(l.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, 0, fmt.Errorf("pgcluster: open server log: %w", err)
	}
	if err := cfg.account.chown(l.run, l.log); err != nil {
		logFile.Close()
		return nil, 0, err
	}
	var offset int64
	if info, err := logFile.Stat(); err == nil {
		offset = info.Size()
	}

	socketDir := `""` // no Unix socket
	if len(l.run) <= maxSocketPath && !strings.ContainsAny(l.run, `",`) {
		socketDir = `"` + l.run + `"`
	} else {
		cfg.logf("pgcluster: %s is too long for a Unix socket path; TCP only", l.run)
	}
	args := []string{"-D", l.data, "-p", strconv.Itoa(port),
		"-c", "listen_addresses=127.0.0.1",
		"-c", "unix_socket_directories=" + socketDir,
		"-c", "logging_collector=off"}
	if cfg.fsyncOff {
		args = append(args, "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	}
	for _, k := range slices.Sorted(maps.Keys(cfg.settings)) {
		args = append(args, "-c", k+"="+cfg.settings[k])
	}

	srv := &server{log: logFile, exited: make(chan struct{})}
	started := make(chan error, 1)
	go func() {
		// The parent-death signal fires when the thread that forked the
		// child exits, not the process. Locking this goroutine to its thread
		// and keeping it in Wait ties the signal to the server's lifetime:
		// the thread ends only once the server has exited, or with the
		// process. The goroutine never unlocks, so Go retires the thread.
		runtime.LockOSThread()
		cmd := exec.Command(cfg.bins.postgres, args...)
		cmd.Dir = l.dir
		cmd.Env = serverEnv()
		cmd.Stdout, cmd.Stderr = logFile, logFile
		cmd.SysProcAttr = cfg.account.sysProcAttr()
		cmd.SysProcAttr.Pdeathsig = syscall.SIGINT // fast shutdown
		if err := cmd.Start(); err != nil {
			started <- fmt.Errorf("pgcluster: start postgres: %w", err)
			return
		}
		srv.proc = cmd.Process
		started <- nil
		srv.waitErr = cmd.Wait()
		close(srv.exited)
	}()
	if err := <-started; err != nil {
		logFile.Close()
		return nil, 0, err
	}
	return srv, offset, nil
}

// waitReady polls until a connection succeeds, the server exits, or ctx ends.
func (s *server) waitReady(ctx context.Context, dsn, logPath string, logOffset int64) error {
	tick := time.NewTicker(readyPollInterval)
	defer tick.Stop()
	for {
		err := ping(ctx, dsn)
		if err == nil {
			return nil
		}
		select {
		case <-s.exited:
			tail := logSince(logPath, logOffset)
			if strings.Contains(tail, "could not bind") || strings.Contains(tail, "Address already in use") {
				return fmt.Errorf("%w: PostgreSQL exited:\n%s", errPortTaken, tail)
			}
			return fmt.Errorf("pgcluster: PostgreSQL exited during start (%v):\n%s", s.waitErr, tail)
		case <-ctx.Done():
			return fmt.Errorf("pgcluster: PostgreSQL did not accept connections in time (last error: %v): %w\n%s",
				err, ctx.Err(), logSince(logPath, logOffset))
		case <-tick.C:
		}
	}
}

func ping(ctx context.Context, dsn string) error {
	ctx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	return conn.Close(ctx)
}

// stop asks for a fast shutdown, then an immediate one, then kills.
func (s *server) stop(ctx context.Context) error {
	select {
	case <-s.exited:
		s.log.Close()
		if s.waitErr != nil {
			return fmt.Errorf("pgcluster: PostgreSQL had exited on its own: %w", s.waitErr)
		}
		return nil
	default:
	}
	defer s.log.Close()
	if s.signalAndWait(ctx, syscall.SIGINT, fastShutdownGrace) {
		return nil
	}
	if s.signalAndWait(ctx, syscall.SIGQUIT, quitGrace) {
		return errors.New("pgcluster: PostgreSQL ignored fast shutdown; shut down immediately")
	}
	_ = s.proc.Kill()
	<-s.exited
	return errors.New("pgcluster: PostgreSQL did not shut down; killed")
}

// signalAndWait reports whether the server exited within grace (or before
// ctx ended) after sig.
func (s *server) signalAndWait(ctx context.Context, sig os.Signal, grace time.Duration) bool {
	_ = s.proc.Signal(sig)
	timer := time.NewTimer(grace)
	defer timer.Stop()
	select {
	case <-s.exited:
		return true
	case <-timer.C:
	case <-ctx.Done():
	}
	// The server may have exited in the same instant.
	select {
	case <-s.exited:
		return true
	default:
		return false
	}
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pgcluster: find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// logSince returns the last lines the server logged after offset.
func logSince(path string, offset int64) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return ""
	}
	b, err := io.ReadAll(io.LimitReader(f, 1<<20))
	if err != nil {
		return ""
	}
	return lastLines(string(b), 20)
}
