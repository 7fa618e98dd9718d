package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/msp-psa/psa-host/provider/tacticalrmm/tacticalfake"
)

// fakeChildArg, as the first argument, makes the binary the fake Tactical
// server instead of the benchmark. The fake runs in a process of its own
// so that its memory (pre-rendered pages) and its CPU are not counted as
// the host's.
const fakeChildArg = "__bench_fake_tactical__"

// clockAhead sets the fake's clock ahead of the real one. The fake's
// agents have fixed last_seen times, relative to its clock when it
// started, while the plugin computes each agent's status from the real
// clock: with the fake's clock three hours ahead, an agent that had
// checked in a few minutes before the fake started stays online for as
// long as the benchmark of one fleet size lasts, instead of drifting to
// offline and making a re-sync of an unchanged fleet see changes. Alerts
// raised in the fake's last three hours lie in the plugin's future and
// fall outside the backfill window; fleetSpec adds a few alerts to make
// up for them.
const clockAhead = 3 * time.Hour

// fleetSpec is the generated fleet for a benchmark of n agents: several
// clients and sites, 80% Windows agents (services and wmi_detail, a few KB
// each), the rest Linux and macOS.
func fleetSpec(n int, c config) tacticalfake.FleetSpec {
	return tacticalfake.FleetSpec{
		Clients: 25, SitesPerClient: 4, Agents: n,
		WindowsShare: 0.80, LinuxShare: 0.12,
		SoftwarePerWindowsAgent: c.softwarePerWin,
		// Alert times are spread over 45 days; those of the last
		// clockAhead are in the plugin's future.
		Alerts: c.alerts + int(math.Ceil(float64(c.alerts)*float64(clockAhead)/float64(45*24*time.Hour))),
		Seed:   20260601,
	}
}

// serveFake is the child's main: it starts the fake with every page
// pre-rendered, prints its URL, then obeys commands on stdin until EOF.
func serveFake(args []string) error {
	fs := flag.NewFlagSet("fake", flag.ContinueOnError)
	var spec tacticalfake.FleetSpec
	fs.IntVar(&spec.Agents, "agents", 1000, "")
	fs.IntVar(&spec.Clients, "clients", 25, "")
	fs.IntVar(&spec.SitesPerClient, "sites", 4, "")
	fs.Float64Var(&spec.WindowsShare, "windows", 0.8, "")
	fs.Float64Var(&spec.LinuxShare, "linux", 0.12, "")
	fs.IntVar(&spec.SoftwarePerWindowsAgent, "software", 125, "")
	fs.IntVar(&spec.Alerts, "alerts", 0, "")
	fs.Int64Var(&spec.Seed, "seed", 1, "")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ahead := clockAhead
	s := tacticalfake.New(tacticalfake.Options{Fleet: spec, PreRender: true,
		Now: func() time.Time { return time.Now().Add(ahead) }})
	defer s.Close()
	fmt.Printf("url %s\n", s.URL())

	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		cmd, arg, _ := strings.Cut(strings.TrimSpace(in.Text()), " ")
		switch cmd {
		case "touch":
			share, err := strconv.ParseFloat(arg, 64)
			if err != nil || share <= 0 || share > 1 {
				fmt.Printf("err bad share %q\n", arg)
				continue
			}
			n := 0
			for _, i := range touchedIndices(s.NumAgents(), share) {
				s.Touch(i)
				n++
			}
			// Render the changed agents now, before the clock starts.
			s.PreRender()
			fmt.Printf("ok %d\n", n)
		case "quit":
			return nil
		default:
			fmt.Printf("err unknown command %q\n", cmd)
		}
	}
	return in.Err()
}

// touchedIndices spreads share·n agents evenly over the fleet.
func touchedIndices(n int, share float64) []int {
	step := max(1, int(math.Round(1/share)))
	out := make([]int, 0, n/step+1)
	for i := 0; i < n; i += step {
		out = append(out, i)
	}
	return out
}

// fakeProc is the parent's handle on the fake's process.
type fakeProc struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *bufio.Scanner
	url   string
	pid   int
}

// startFake launches the fake for spec and waits until it serves; with
// every page pre-rendered that takes a while for a large fleet.
func startFake(ctx context.Context, spec tacticalfake.FleetSpec) (*fakeProc, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find own executable: %w", err)
	}
	cmd := exec.Command(exe, fakeChildArg,
		"-agents", strconv.Itoa(spec.Agents), "-clients", strconv.Itoa(spec.Clients),
		"-sites", strconv.Itoa(spec.SitesPerClient),
		"-windows", strconv.FormatFloat(spec.WindowsShare, 'f', -1, 64),
		"-linux", strconv.FormatFloat(spec.LinuxShare, 'f', -1, 64),
		"-software", strconv.Itoa(spec.SoftwarePerWindowsAgent),
		"-alerts", strconv.Itoa(spec.Alerts), "-seed", strconv.FormatInt(spec.Seed, 10))
	cmd.Stderr = os.Stderr
	// The fake must not outlive the benchmark, however it ends.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start fake: %w", err)
	}
	f := &fakeProc{cmd: cmd, stdin: stdin, out: bufio.NewScanner(stdout), pid: cmd.Process.Pid}
	line, err := f.readLine(ctx, 15*time.Minute)
	if err != nil {
		f.close()
		return nil, fmt.Errorf("fake did not start: %w", err)
	}
	url, ok := strings.CutPrefix(line, "url ")
	if !ok {
		f.close()
		return nil, fmt.Errorf("fake said %q, not its url", line)
	}
	f.url = url
	return f, nil
}

// readLine waits for the fake's next answer.
func (f *fakeProc) readLine(ctx context.Context, timeout time.Duration) (string, error) {
	type result struct {
		line string
		err  error
	}
	ch := make(chan result, 1)
	go func() {
		if f.out.Scan() {
			ch <- result{line: f.out.Text()}
			return
		}
		err := f.out.Err()
		if err == nil {
			err = io.EOF
		}
		ch <- result{err: err}
	}()
	select {
	case r := <-ch:
		return r.line, r.err
	case <-ctx.Done():
		return "", ctx.Err()
	case <-time.After(timeout):
		return "", errors.New("timed out")
	}
}

// touch changes share of the agents (last_seen, services, disks...) and
// has the fake render them again; it returns how many changed.
func (f *fakeProc) touch(ctx context.Context, share float64) (int, error) {
	if _, err := fmt.Fprintf(f.stdin, "touch %g\n", share); err != nil {
		return 0, fmt.Errorf("fake touch: %w", err)
	}
	line, err := f.readLine(ctx, 15*time.Minute)
	if err != nil {
		return 0, fmt.Errorf("fake touch: %w", err)
	}
	n, ok := strings.CutPrefix(line, "ok ")
	if !ok {
		return 0, fmt.Errorf("fake touch: %s", line)
	}
	return strconv.Atoi(n)
}

func (f *fakeProc) close() {
	_, _ = io.WriteString(f.stdin, "quit\n")
	_ = f.stdin.Close()
	done := make(chan struct{})
	go func() {
		_ = f.cmd.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = f.cmd.Process.Kill()
		<-done
	}
}
