package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"time"
)

// run is the benchmark: every fleet size in turn, then the table.
func run(ctx context.Context, cfg config) (err error) {
	if cfg.cpuProfile != "" {
		f, err := os.Create(cfg.cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if cfg.memProfile != "" {
		defer func() {
			if perr := writeHeapProfile(cfg.memProfile); err == nil {
				err = perr
			}
		}()
	}

	e, err := newEnv(ctx, cfg)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := e.close(ctx); err == nil {
			err = cerr
		}
	}()
	settings, err := e.pg.settings(ctx)
	if err != nil {
		return err
	}
	m := describeMachine(e.pg.version, settings)
	b := &bench{env: e, started: time.Now()}
	for _, n := range cfg.sizes {
		if err := b.runSize(ctx, n); err != nil {
			if ctx.Err() != nil {
				return err
			}
			b.problem(n, "run", err)
		}
	}
	total := time.Since(b.started)
	m.loadEnd = loadAverage()

	fmt.Println()
	fmt.Print(b.stdoutTable())
	fmt.Printf("\n%s, %d cores, %.1f GiB; %s; total %s\n", m.cpuModel, m.cpus, float64(m.memTotal)/(1<<30), m.pgVersion, fmtDuration(total))
	if cfg.out != "" {
		if err := writeFile(cfg.out, b.markdown(m, total)); err != nil {
			return err
		}
		fmt.Fprintln(os.Stderr, "bench: wrote", cfg.out)
	}
	if len(b.problems) > 0 {
		return errors.New("some scenarios failed; see the problems above")
	}
	return nil
}

func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	runtime.GC()
	return pprof.WriteHeapProfile(f)
}
