package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
)

// Process figures from /proc (Linux).

// peakRSS returns a process's peak resident set size (VmHWM) in bytes;
// pid 0 means this process.
func peakRSS(pid int) (int64, error) {
	return statusKB(procPath(pid, "status"), "VmHWM:")
}

// resetPeakRSS sets a process's VmHWM back to its current RSS, so that the
// next reading is the peak of what runs in between. For this process, the
// garbage collector first returns what it can to the OS.
func resetPeakRSS(pid int) error {
	if pid == 0 {
		debug.FreeOSMemory()
	}
	// "5" resets the peak RSS (proc(5), clear_refs).
	if err := os.WriteFile(procPath(pid, "clear_refs"), []byte("5"), 0); err != nil {
		return fmt.Errorf("reset peak rss: %w", err)
	}
	return nil
}

func procPath(pid int, file string) string {
	if pid == 0 {
		return "/proc/self/" + file
	}
	return "/proc/" + strconv.Itoa(pid) + "/" + file
}

// statusKB reads a "Name:   123 kB" line of a /proc status-like file.
func statusKB(path, key string) (int64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return parseKBLine(b, key)
}

func parseKBLine(b []byte, key string) (int64, error) {
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), key)
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			break
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%s %q: %w", key, rest, err)
		}
		return kb * 1024, nil
	}
	return 0, fmt.Errorf("no %s line", key)
}

// cpuTime is the user plus system CPU a process has used so far.
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(procPath(pid, "stat"))
	if err != nil {
		return 0, err
	}
	return parseStatCPU(b)
}

// clockTicks is USER_HZ, 100 on every Linux architecture Go supports.
const clockTicks = 100

// procStat is what the benchmark reads of a /proc/<pid>/stat line.
type procStat struct {
	ppid int
	cpu  time.Duration // utime + stime
	// children is cutime + cstime: the CPU of exited children it reaped.
	children time.Duration
}

// parseStatCPU reads utime and stime of a /proc/<pid>/stat line.
func parseStatCPU(b []byte) (time.Duration, error) {
	st, err := parseStat(b)
	return st.cpu, err
}

// parseStat reads fields 4 (ppid) and 14 to 17 (utime, stime, cutime,
// cstime) of a /proc/<pid>/stat line. The command name (field 2) may
// contain spaces, so fields are counted after its closing parenthesis.
func parseStat(b []byte) (procStat, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return procStat{}, fmt.Errorf("malformed stat line")
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is field 3 (state): field n is f[n-3].
	if len(f) < 15 {
		return procStat{}, fmt.Errorf("malformed stat line: %d fields", len(f))
	}
	var v [5]int64
	for k, n := range []int{4, 14, 15, 16, 17} {
		x, err := strconv.ParseInt(f[n-3], 10, 64)
		if err != nil {
			return procStat{}, fmt.Errorf("malformed stat line: field %d %q", n, f[n-3])
		}
		v[k] = x
	}
	tick := func(t int64) time.Duration { return time.Duration(t) * time.Second / clockTicks }
	return procStat{ppid: int(v[0]), cpu: tick(v[1] + v[2]), children: tick(v[3] + v[4])}, nil
}

// treeCPU is the CPU a process and its children have used: its own, that
// of its live children, and that of the children it has reaped. It is how
// PostgreSQL's CPU is counted: the postmaster and its backends.
func treeCPU(root int) (time.Duration, error) {
	b, err := os.ReadFile(procPath(root, "stat"))
	if err != nil {
		return 0, err
	}
	st, err := parseStat(b)
	if err != nil {
		return 0, err
	}
	total := st.cpu + st.children
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, err
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == root {
			continue
		}
		b, err := os.ReadFile(procPath(pid, "stat"))
		if err != nil {
			continue // gone meanwhile
		}
		if c, err := parseStat(b); err == nil && c.ppid == root {
			total += c.cpu
		}
	}
	return total, nil
}

// machineBusy is the CPU time all processes of the machine have used
// (every core's non-idle time), from /proc/stat.
func machineBusy() (time.Duration, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, err
	}
	return parseProcStat(b)
}

// parseProcStat sums the busy fields of the aggregate "cpu" line: user,
// nice, system, irq, softirq and steal (idle and iowait are not busy).
func parseProcStat(b []byte) (time.Duration, error) {
	line, _, _ := bytes.Cut(b, []byte("\n"))
	f := strings.Fields(string(line))
	if len(f) < 9 || f[0] != "cpu" {
		return 0, fmt.Errorf("malformed /proc/stat")
	}
	var busy int64
	for _, i := range []int{1, 2, 3, 6, 7, 8} {
		v, err := strconv.ParseInt(f[i], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("malformed /proc/stat: %q", f[i])
		}
		busy += v
	}
	return time.Duration(busy) * time.Second / clockTicks, nil
}
