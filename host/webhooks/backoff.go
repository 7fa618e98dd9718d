package webhooks

import (
	"math/rand/v2"
	"time"
)

// Backoff spaces the retries of a failing delivery: Base after the first
// attempt, doubling each time up to Max, each delay moved at random by up
// to Jitter of itself so that deliveries failing together (a plugin
// restart) do not retry in lockstep.
type Backoff struct {
	Base   time.Duration // default 5 s
	Max    time.Duration // default 10 min
	Jitter float64       // fraction, 0 to 1; default 0.2
}

func (b Backoff) withDefaults() Backoff {
	if b.Base <= 0 {
		b.Base = 5 * time.Second
	}
	if b.Max <= 0 {
		b.Max = 10 * time.Minute
	}
	if b.Max < b.Base {
		b.Max = b.Base
	}
	if b.Jitter <= 0 || b.Jitter > 1 {
		b.Jitter = 0.2
	}
	return b
}

// Delay is how long to wait after the given attempt (1 for the first)
// failed.
func (b Backoff) Delay(attempt int) time.Duration {
	b = b.withDefaults()
	d := b.Base
	for i := 1; i < attempt && d < b.Max; i++ {
		d *= 2
	}
	d = min(d, b.Max)
	spread := (rand.Float64()*2 - 1) * b.Jitter // in [-Jitter, +Jitter)
	return time.Duration(float64(d) * (1 + spread))
}
