// Package hostproc runs the real psa-host binary as a child process and
// talks to its HTTP API, for the end-to-end tests, the demo and the
// benchmarks.
package hostproc

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Options say how to start psa-host serve.
type Options struct {
	Binary    string // path to psa-host
	PluginDir string
	DataDir   string // for the embedded database and keys; required
	// DSN is passed as DATABASE_URL; empty means the embedded database.
	DSN       string
	Edition   string // default "ce"
	MasterKey string // PSA_MASTER_KEY (64 hex digits); empty means --dev's key file
	Dev       bool   // --dev: default tenant, non-strict plugins
	Args      []string
	Env       []string // extra environment, KEY=VALUE
	// Log receives the host's stderr lines; nil keeps them in Logs only.
	Log io.Writer
}

// Host is a running psa-host serve.
type Host struct {
	URL  string
	cmd  *exec.Cmd
	done chan struct{}
	err  error

	mu     sync.Mutex
	stdout bytes.Buffer
	stderr bytes.Buffer
}

var listening = regexp.MustCompile(`listening on (http://\S+)`)

// Start runs psa-host serve on a free loopback port and waits until it
// listens.
func Start(ctx context.Context, o Options) (*Host, error) {
	if o.Edition == "" {
		o.Edition = "ce"
	}
	args := []string{"serve", "--addr", "127.0.0.1:0", "--edition", o.Edition,
		"--plugin-dir", o.PluginDir, "--data-dir", o.DataDir, "--log-level", "debug"}
	if o.Dev {
		args = append(args, "--dev")
	}
	args = append(args, o.Args...)
	cmd := exec.Command(o.Binary, args...)
	cmd.Env = append(os.Environ(), o.Env...)
	cmd.Env = append(cmd.Env, "DATABASE_URL="+o.DSN)
	if o.MasterKey != "" {
		cmd.Env = append(cmd.Env, "PSA_MASTER_KEY="+o.MasterKey)
	}
	// Die with the caller: a test that times out must not leave a host.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	h := &Host{cmd: cmd, done: make(chan struct{})}
	outR, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	errR, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start psa-host: %w", err)
	}
	urlCh := make(chan string, 1)
	var wg sync.WaitGroup
	wg.Go(func() {
		sc := bufio.NewScanner(outR)
		for sc.Scan() {
			line := sc.Text()
			h.mu.Lock()
			h.stdout.WriteString(line + "\n")
			h.mu.Unlock()
			if m := listening.FindStringSubmatch(line); m != nil {
				select {
				case urlCh <- m[1]:
				default:
				}
			}
		}
	})
	wg.Go(func() {
		sc := bufio.NewScanner(errR)
		sc.Buffer(make([]byte, 64<<10), 4<<20)
		for sc.Scan() {
			line := sc.Text()
			h.mu.Lock()
			h.stderr.WriteString(line + "\n")
			h.mu.Unlock()
			if o.Log != nil {
				fmt.Fprintln(o.Log, line)
			}
		}
	})
	go func() {
		wg.Wait()
		h.err = cmd.Wait()
		close(h.done)
	}()
	select {
	case h.URL = <-urlCh:
		return h, nil
	case <-h.done:
		return nil, fmt.Errorf("psa-host exited before listening: %v\n%s", h.err, h.Logs())
	case <-ctx.Done():
		_ = h.Kill()
		return nil, fmt.Errorf("psa-host did not start: %w\n%s", ctx.Err(), h.Logs())
	case <-time.After(2 * time.Minute):
		_ = h.Kill()
		return nil, fmt.Errorf("psa-host did not listen within 2 minutes\n%s", h.Logs())
	}
}

// PID is the host's process id.
func (h *Host) PID() int { return h.cmd.Process.Pid }

// Stdout returns what the host printed so far.
func (h *Host) Stdout() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.stdout.String()
}

// Logs returns the host's log output so far.
func (h *Host) Logs() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.stderr.String()
}

// Stop asks the host to shut down (SIGTERM) and waits for it.
func (h *Host) Stop(timeout time.Duration) error {
	_ = h.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-h.done:
		var ee *exec.ExitError
		if errors.As(h.err, &ee) && ee.ExitCode() == 0 {
			return nil
		}
		return h.err
	case <-time.After(timeout):
		_ = h.Kill()
		return fmt.Errorf("psa-host did not stop within %v", timeout)
	}
}

// Kill ends the host with SIGKILL, as a crash would, and waits for it.
func (h *Host) Kill() error {
	_ = h.cmd.Process.Kill()
	<-h.done
	return nil
}

// Done is closed when the host process has exited.
func (h *Host) Done() <-chan struct{} { return h.done }

// Run runs a one-shot psa-host command (tenant create, migrate, plugins
// list) with the same database settings and returns its output.
func Run(ctx context.Context, o Options, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, o.Binary, args...)
	cmd.Env = append(os.Environ(), o.Env...)
	cmd.Env = append(cmd.Env, "DATABASE_URL="+o.DSN, "PSA_DATA_DIR="+o.DataDir)
	if o.MasterKey != "" {
		cmd.Env = append(cmd.Env, "PSA_MASTER_KEY="+o.MasterKey)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("psa-host %s: %w\n%s", strings.Join(args, " "), err, errb.String())
	}
	return out.String(), nil
}

var (
	tenantIDLine = regexp.MustCompile(`(?m)^tenant_id:\s*(\S+)`)
	apiKeyLine   = regexp.MustCompile(`(?m)^api_key:\s*(\S+)`)
)

// CreateTenant runs `psa-host tenant create` and returns the new tenant's
// id and API key.
func CreateTenant(ctx context.Context, o Options, name string) (id, key string, err error) {
	out, err := Run(ctx, o, "tenant", "create", "--name", name)
	if err != nil {
		return "", "", err
	}
	idm, keym := tenantIDLine.FindStringSubmatch(out), apiKeyLine.FindStringSubmatch(out)
	if idm == nil || keym == nil {
		return "", "", fmt.Errorf("unexpected tenant create output: %q", out)
	}
	return idm[1], keym[1], nil
}
