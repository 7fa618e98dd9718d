package main

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	ms := func(ns ...int) []time.Duration {
		out := make([]time.Duration, len(ns))
		for i, n := range ns {
			out[i] = time.Duration(n) * time.Millisecond
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = 100 - i // unsorted on purpose
	}
	tests := []struct {
		name string
		in   []time.Duration
		q    float64
		want time.Duration
	}{
		{"empty", nil, 0.5, 0},
		{"one", ms(7), 0.99, 7 * time.Millisecond},
		{"median of odd count", ms(5, 1, 3), 0.5, 3 * time.Millisecond},
		{"median of even count is the lower", ms(4, 1, 3, 2), 0.5, 2 * time.Millisecond},
		{"p99 of 100", ms(hundred...), 0.99, 99 * time.Millisecond},
		{"p50 of 100", ms(hundred...), 0.50, 50 * time.Millisecond},
		{"p100", ms(hundred...), 1, 100 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := percentile(slices.Clone(tt.in), tt.q); got != tt.want {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestFormatters(t *testing.T) {
	tests := []struct {
		name, got, want string
	}{
		{"count small", fmtCount(999), "999"},
		{"count thousands", fmtCount(1000000), "1,000,000"},
		{"count negative", fmtCount(-12345), "-12,345"},
		{"duration zero", fmtDuration(0), "—"},
		{"duration µs", fmtDuration(250 * time.Microsecond), "250 µs"},
		{"duration ms", fmtDuration(1500 * time.Microsecond), "1.50 ms"},
		{"duration hundreds of ms", fmtDuration(781 * time.Millisecond), "781 ms"},
		{"duration s", fmtDuration(9770 * time.Millisecond), "9.77 s"},
		{"duration tens of s", fmtDuration(74800 * time.Millisecond), "74.8 s"},
		{"duration hundreds of s", fmtDuration(499 * time.Second), "499 s"},
		{"megabytes", fmtMB(150e6), "150 MB"},
		{"no megabytes", fmtMB(0), "—"},
		{"rate", formatRate(20000, 10*time.Second), "2000"},
		{"rate tens", formatRate(255, 10*time.Second), "25.5"},
		{"rate small", formatRate(3, 2*time.Second), "1.50"},
		{"no rate", formatRate(0, time.Second), "—"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, tt.got, tt.want)
		}
	}
}

func TestMDTable(t *testing.T) {
	got := mdTable([]string{"A", "B"}, [][]string{{"1", "x|y"}})
	want := "| A | B |\n| --- | --- |\n| 1 | x\\|y |\n"
	if got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestSumSetDiff(t *testing.T) {
	a := sumSet{{"assets", 10, shortDigest("1")}, {"server_assets", 3, shortDigest("2")}}
	b := sumSet{{"assets", 10, shortDigest("1")}, {"server_assets", 3, shortDigest("3")}}
	if d := a.diff(a); d != "" {
		t.Fatalf("a set differs from itself: %s", d)
	}
	if d := a.diff(b); !strings.HasPrefix(d, "server_assets:") || strings.Contains(d, "; ") {
		t.Fatalf("diff %q should name server_assets only", d)
	}
	if d := a.diff(a[:1]); d == "" {
		t.Fatal("sets of different sizes compare equal")
	}
}

func TestTouchedIndices(t *testing.T) {
	tests := []struct {
		n     int
		share float64
		want  int
	}{
		{1000, 0.10, 100},
		{10000, 0.10, 1000},
		{5, 0.10, 1},
		{10, 1, 10},
		{0, 0.5, 0},
	}
	for _, tt := range tests {
		got := touchedIndices(tt.n, tt.share)
		if len(got) != tt.want {
			t.Errorf("touchedIndices(%d, %g) has %d, want %d", tt.n, tt.share, len(got), tt.want)
		}
		for k, i := range got {
			if i < 0 || i >= tt.n || (k > 0 && i <= got[k-1]) {
				t.Errorf("touchedIndices(%d, %g): bad or unordered index %d", tt.n, tt.share, i)
			}
		}
	}
}
