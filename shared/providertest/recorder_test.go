package providertest

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
)

// recorder is a testing.TB that records failures instead of failing the
// real test, so the suite's own tests can watch it fail a broken provider.
// Methods it does not override (Helper, TempDir, ...) go to the real test.
type recorder struct {
	testing.TB
	name   string
	log    *recording
	ctx    context.Context
	cancel context.CancelFunc

	mu       sync.Mutex
	failed   bool
	skipped  bool
	cleanups []func()
}

// recording is what a tree of recorders saw.
type recording struct {
	mu    sync.Mutex
	fails []string // "path: message"
	ran   []string // paths that ran without being skipped
	lines []string // everything, for diagnosis
}

func newRecorder(t *testing.T) *recorder {
	ctx, cancel := context.WithCancel(t.Context())
	return &recorder{TB: t, name: t.Name(), log: &recording{}, ctx: ctx, cancel: cancel}
}

func (r *recorder) Name() string                 { return r.name }
func (r *recorder) Context() context.Context     { return r.ctx }
func (r *recorder) Log(args ...any)              { r.note("log", fmt.Sprintln(args...)) }
func (r *recorder) Logf(f string, args ...any)   { r.note("log", fmt.Sprintf(f, args...)) }
func (r *recorder) Error(args ...any)            { r.fail(fmt.Sprintln(args...)) }
func (r *recorder) Errorf(f string, args ...any) { r.fail(fmt.Sprintf(f, args...)) }
func (r *recorder) Fail()                        { r.fail("Fail called") }
func (r *recorder) FailNow()                     { r.fail("FailNow called"); runtime.Goexit() }
func (r *recorder) Fatal(args ...any)            { r.fail(fmt.Sprintln(args...)); runtime.Goexit() }
func (r *recorder) Fatalf(f string, args ...any) {
	r.fail(fmt.Sprintf(f, args...))
	runtime.Goexit()
}
func (r *recorder) Skip(args ...any)            { r.skip(fmt.Sprintln(args...)) }
func (r *recorder) Skipf(f string, args ...any) { r.skip(fmt.Sprintf(f, args...)) }
func (r *recorder) SkipNow()                    { r.skip("SkipNow called") }

func (r *recorder) Failed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.failed
}

func (r *recorder) Skipped() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.skipped
}

func (r *recorder) Cleanup(f func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cleanups = append(r.cleanups, f)
}

func (r *recorder) note(kind, msg string) {
	r.log.mu.Lock()
	defer r.log.mu.Unlock()
	r.log.lines = append(r.log.lines, fmt.Sprintf("%s %s: %s", kind, r.name, strings.TrimSpace(msg)))
}

func (r *recorder) fail(msg string) {
	r.mu.Lock()
	r.failed = true
	r.mu.Unlock()
	r.note("FAIL", msg)
	r.log.mu.Lock()
	r.log.fails = append(r.log.fails, r.name+": "+strings.TrimSpace(msg))
	r.log.mu.Unlock()
}

func (r *recorder) skip(msg string) {
	r.mu.Lock()
	r.skipped = true
	r.mu.Unlock()
	r.note("SKIP", msg)
	runtime.Goexit()
}

// Run runs f as a subtest in its own goroutine, as testing does, so that
// Fatal and Skip end only the subtest.
func (r *recorder) Run(name string, f func(testing.TB)) bool {
	ctx, cancel := context.WithCancel(r.ctx)
	sub := &recorder{TB: r.TB, name: r.name + "/" + name, log: r.log, ctx: ctx, cancel: cancel}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer sub.finish()
		f(sub)
	}()
	<-done
	if sub.Failed() {
		r.mu.Lock()
		r.failed = true
		r.mu.Unlock()
	} else if !sub.Skipped() {
		r.log.mu.Lock()
		r.log.ran = append(r.log.ran, sub.name)
		r.log.mu.Unlock()
	}
	return !sub.Failed()
}

// finish cancels the context, then runs the cleanups, last first.
func (r *recorder) finish() {
	r.cancel()
	r.mu.Lock()
	cs := slices.Clone(r.cleanups)
	r.mu.Unlock()
	for _, f := range slices.Backward(cs) {
		f()
	}
}

// failuresUnder returns the failures recorded at or below the subtest
// path suffix (e.g. "in-process/sink-error").
func (rec *recording) failuresUnder(part string) []string {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var out []string
	for _, f := range rec.fails {
		path, _, _ := strings.Cut(f, ": ")
		if strings.Contains(path+"/", "/"+part+"/") {
			out = append(out, f)
		}
	}
	return out
}

// passed reports whether the subtest named part ran, unskipped, without
// failure.
func (rec *recording) passed(part string) bool {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return slices.ContainsFunc(rec.ran, func(p string) bool { return strings.HasSuffix(p, "/"+part) })
}

func (rec *recording) String() string {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return strings.Join(rec.lines, "\n")
}
