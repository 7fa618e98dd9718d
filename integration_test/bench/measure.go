package main

import (
	"time"

	"github.com/msp-psa/psa-host/host/store"
)

// measurement is what one measured run observed.
type measurement struct {
	wall       time.Duration
	processed  int64 // records the run handled (devices, inventories, alerts)
	counts     store.Counts
	hostPeak   int64 // bytes; VmHWM of this process during the run
	pluginPeak int64 // bytes; 0 when there is no plugin process
	hostCPU    time.Duration
	pluginCPU  time.Duration
	fakeCPU    time.Duration
	pgCPU      time.Duration // the postmaster and its backends
	// machineCPU is every process's CPU on the machine, so that other
	// work running at the same time shows.
	machineCPU time.Duration
}

// probe samples the processes around a measured run. Peak RSS is reset
// before the run, so the reading after it is the run's own peak.
type probe struct {
	pluginPID, fakePID int
	pgPID              int
	pg0                time.Duration
	start              time.Time
	host0, plug0, fk0  time.Duration
	machine0           time.Duration
}

func (e *env) startProbe(pluginPID, fakePID int) (*probe, error) {
	p := &probe{pluginPID: pluginPID, fakePID: fakePID, pgPID: e.pg.pid()}
	if p.pgPID != 0 {
		p.pg0, _ = treeCPU(p.pgPID)
	}
	if err := resetPeakRSS(0); err != nil {
		return nil, err
	}
	if pluginPID != 0 {
		if err := resetPeakRSS(pluginPID); err != nil {
			return nil, err
		}
		p.plug0, _ = cpuTime(pluginPID)
	}
	if fakePID != 0 {
		p.fk0, _ = cpuTime(fakePID)
	}
	p.host0, _ = cpuTime(0)
	p.machine0, _ = machineBusy()
	p.start = time.Now()
	return p, nil
}

func (p *probe) stop(m *measurement) error {
	m.wall = time.Since(p.start)
	var err error
	if m.hostPeak, err = peakRSS(0); err != nil {
		return err
	}
	h, _ := cpuTime(0)
	m.hostCPU = h - p.host0
	mc, _ := machineBusy()
	m.machineCPU = mc - p.machine0
	if p.pgPID != 0 {
		c, _ := treeCPU(p.pgPID)
		m.pgCPU = c - p.pg0
	}
	if p.pluginPID != 0 {
		if m.pluginPeak, err = peakRSS(p.pluginPID); err != nil {
			return err
		}
		c, _ := cpuTime(p.pluginPID)
		m.pluginCPU = c - p.plug0
	}
	if p.fakePID != 0 {
		c, _ := cpuTime(p.fakePID)
		m.fakeCPU = c - p.fk0
	}
	return nil
}
