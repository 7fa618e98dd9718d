package main

import (
	"testing"
	"time"
)

func TestParseKBLine(t *testing.T) {
	status := []byte("Name:\tbench\nVmPeak:\t  200 kB\nVmHWM:\t   51234 kB\nVmRSS:\t   40000 kB\n")
	tests := []struct {
		name    string
		in      []byte
		key     string
		want    int64
		wantErr bool
	}{
		{"peak", status, "VmHWM:", 51234 * 1024, false},
		{"rss", status, "VmRSS:", 40000 * 1024, false},
		{"missing", status, "VmSwap:", 0, true},
		{"no value", []byte("VmHWM:\n"), "VmHWM:", 0, true},
		{"not a number", []byte("VmHWM: lots kB\n"), "VmHWM:", 0, true},
		{"meminfo", []byte("MemTotal:       24684096 kB\nMemFree: 1 kB\n"), "MemTotal:", 24684096 * 1024, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseKBLine(tt.in, tt.key)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Fatalf("got %d, want %d", got, tt.want)
			}
		})
	}
}

func TestParseStat(t *testing.T) {
	// Fields after the command: state ppid pgrp session tty tpgid flags
	// minflt cminflt majflt cmajflt utime stime cutime cstime ...
	line := func(comm string) []byte {
		return []byte("4242 (" + comm + ") S 17 4242 4242 0 -1 4194304 100 0 0 0 250 130 40 2 20 0 1 0 123 456 789\n")
	}
	tests := []struct {
		name    string
		in      []byte
		want    procStat
		wantErr bool
	}{
		{"plain", line("postgres"), procStat{ppid: 17, cpu: 3800 * time.Millisecond, children: 420 * time.Millisecond}, false},
		{"spaces and parens in the name", line("post gres: (x) y"), procStat{ppid: 17, cpu: 3800 * time.Millisecond, children: 420 * time.Millisecond}, false},
		{"truncated", []byte("1 (x) S 1 2 3"), procStat{}, true},
		{"no name", []byte("garbage"), procStat{}, true},
		{"bad number", []byte("1 (x) S 1 1 1 0 -1 0 0 0 0 0 u s 0 0 0"), procStat{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseStat(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseProcStat(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    time.Duration
		wantErr bool
	}{
		// user nice system idle iowait irq softirq steal: busy excludes idle and iowait.
		{"busy fields", "cpu  100 5 50 9000 300 7 8 9 0 0\ncpu0 1 2 3 4 5 6 7 8\n", 1790 * time.Millisecond, false},
		{"per-core line first", "cpu0 1 2 3 4 5 6 7 8\n", 0, true},
		{"short", "cpu 1 2 3\n", 0, true},
		{"bad number", "cpu a 2 3 4 5 6 7 8\n", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseProcStat([]byte(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// The live readings: this process has a peak RSS, it can be reset, and
// its CPU time does not go backwards.
func TestOwnProcess(t *testing.T) {
	before, err := cpuTime(0)
	if err != nil {
		t.Fatal(err)
	}
	if err := resetPeakRSS(0); err != nil {
		t.Fatal(err)
	}
	peak, err := peakRSS(0)
	if err != nil {
		t.Fatal(err)
	}
	if peak <= 0 {
		t.Fatalf("peak rss = %d", peak)
	}
	after, err := cpuTime(0)
	if err != nil {
		t.Fatal(err)
	}
	if after < before {
		t.Fatalf("cpu time went back from %v to %v", before, after)
	}
}
