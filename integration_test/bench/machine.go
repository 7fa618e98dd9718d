package main

import (
	"bufio"
	"bytes"
	"os"
	"runtime"
	"strings"
)

// machine describes where the benchmark ran.
type machine struct {
	cpus       int
	cpuModel   string
	memTotal   int64 // bytes
	kernel     string
	goVersion  string
	pgVersion  string
	pgSettings map[string]string
	// loadStart and loadEnd are /proc/loadavg's 1, 5 and 15 minute load
	// averages when the run began and ended: other work on the machine
	// shows there.
	loadStart, loadEnd string
}

func describeMachine(pgVersion string, pgSettings map[string]string) machine {
	m := machine{cpus: runtime.NumCPU(), goVersion: runtime.Version(), pgVersion: pgVersion, pgSettings: pgSettings}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		m.cpuModel = cpuModel(b)
	}
	m.memTotal, _ = statusKB("/proc/meminfo", "MemTotal:")
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.kernel = strings.TrimSpace(string(b))
	}
	m.loadStart = loadAverage()
	return m
}

// loadAverage is the first three fields of /proc/loadavg.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// cpuModel is the first "model name" of /proc/cpuinfo.
func cpuModel(cpuinfo []byte) string {
	sc := bufio.NewScanner(bytes.NewReader(cpuinfo))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}
