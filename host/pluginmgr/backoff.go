package pluginmgr

import "time"

// delay returns how long to wait before the restart that follows the n-th
// recent crash (n from 0). r is a random number in [0, 1) that picks the
// jitter; the delay is shortened, never lengthened, so Max holds.
func (b Backoff) delay(n int, r float64) time.Duration {
	d := b.Initial
	for range max(n, 0) {
		if d >= b.Max/2 {
			d = b.Max
			break
		}
		d *= 2
	}
	d = min(d, b.Max)
	return d - time.Duration(float64(d)*b.Jitter*r)
}

// recentCrashes drops the crash times older than window before now.
func recentCrashes(crashes []time.Time, now time.Time, window time.Duration) []time.Time {
	keep := crashes[:0]
	for _, t := range crashes {
		if now.Sub(t) < window {
			keep = append(keep, t)
		}
	}
	return keep
}
