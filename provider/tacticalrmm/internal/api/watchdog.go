package api

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

var errWatchdog = errors.New("tactical did not answer in time")

// watchdog cancels an attempt when one wait for the server (headers, or the
// next body bytes) lasts longer than its timeout. It runs only while armed,
// so a caller that pauses between reads (a slow sink applying back-pressure)
// is never mistaken for a stalled server.
type watchdog struct {
	timer *time.Timer
	d     time.Duration
	hit   atomic.Bool
}

func newWatchdog(d time.Duration, cancel context.CancelCauseFunc) *watchdog {
	w := &watchdog{d: d}
	w.timer = time.AfterFunc(time.Hour, func() {
		w.hit.Store(true)
		cancel(errWatchdog)
	})
	w.timer.Stop()
	return w
}

func (w *watchdog) arm()        { w.timer.Reset(w.d) }
func (w *watchdog) disarm()     { w.timer.Stop() }
func (w *watchdog) fired() bool { return w.hit.Load() }
func (w *watchdog) stop()       { w.timer.Stop() }

// guardedBody arms the watchdog around each Read and releases the attempt's
// context on Close.
type guardedBody struct {
	rc     io.ReadCloser
	wd     *watchdog
	cancel context.CancelCauseFunc
	host   string
	once   sync.Once
}

func (b *guardedBody) Read(p []byte) (int, error) {
	b.wd.arm()
	n, err := b.rc.Read(p)
	b.wd.disarm()
	if err != nil && err != io.EOF && b.wd.fired() {
		return n, &NetError{Kind: NetTimeout, Host: b.host, Err: errWatchdog}
	}
	return n, err
}

func (b *guardedBody) Close() error {
	err := b.rc.Close()
	b.once.Do(func() {
		b.wd.stop()
		b.cancel(nil)
	})
	return err
}

// jitter returns a random wait in [0, min(max, base·2^(attempt-1))]: "full
// jitter", so that parallel workers do not retry in lockstep.
func jitter(base, max time.Duration, attempt int) time.Duration {
	d := base
	for i := 1; i < attempt && d < max; i++ {
		d *= 2
	}
	d = min(d, max)
	return time.Duration(rand.Int64N(int64(d) + 1))
}
