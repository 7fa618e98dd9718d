package pluginmgr

import (
	"testing"
	"time"
)

func TestBackoffDelay(t *testing.T) {
	b := Backoff{Initial: 250 * time.Millisecond, Max: 30 * time.Second, Jitter: 0.25}
	tests := []struct {
		name string
		b    Backoff
		n    int
		r    float64
		want time.Duration
	}{
		{"first restart, no jitter drawn", b, 0, 0, 250 * time.Millisecond},
		{"doubles", b, 1, 0, 500 * time.Millisecond},
		{"doubles again", b, 3, 0, 2 * time.Second},
		{"capped at max", b, 7, 0, 30 * time.Second},
		{"huge n stays capped", b, 1000, 0, 30 * time.Second},
		{"negative n is the first step", b, -3, 0, 250 * time.Millisecond},
		{"jitter shortens by its fraction times the draw", b, 2, 0.5, 875 * time.Millisecond},
		{"jitter at the cap stays under max", b, 50, 0.5, 26250 * time.Millisecond},
		{"jitter off", Backoff{Initial: time.Second, Max: time.Minute}, 2, 0.9, 4 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.b.delay(tt.n, tt.r); got != tt.want {
				t.Errorf("delay(%d, %v) = %v, want %v", tt.n, tt.r, got, tt.want)
			}
		})
	}
}

func TestBackoffDefaults(t *testing.T) {
	tests := []struct {
		name string
		in   Backoff
		want Backoff
	}{
		{"zero takes every default", Backoff{}, Backoff{Initial: 250 * time.Millisecond, Max: 30 * time.Second, Jitter: 0.2}},
		{"negative jitter turns it off", Backoff{Jitter: -1}, Backoff{Initial: 250 * time.Millisecond, Max: 30 * time.Second}},
		{"jitter above one is clamped", Backoff{Jitter: 3}, Backoff{Initial: 250 * time.Millisecond, Max: 30 * time.Second, Jitter: 1}},
		{"max below initial is raised", Backoff{Initial: time.Minute, Max: time.Second, Jitter: 0.5}, Backoff{Initial: time.Minute, Max: time.Minute, Jitter: 0.5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.in.withDefaults(); got != tt.want {
				t.Errorf("withDefaults() = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestRecentCrashes(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	in := []time.Time{now.Add(-3 * time.Minute), now.Add(-2 * time.Minute), now.Add(-time.Minute), now}
	got := recentCrashes(in, now, 2*time.Minute)
	if len(got) != 2 || !got[0].Equal(now.Add(-time.Minute)) || !got[1].Equal(now) {
		t.Errorf("recentCrashes kept %v, want the last minute's two", got)
	}
}
