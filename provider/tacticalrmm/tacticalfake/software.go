package tacticalfake

import (
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// softwareRowID is the InstalledSoftware id of an agent's row; it differs
// from the agent pk on purpose, so clients that mix them up fail.
func softwareRowID(pk int) int { return pk + 40 }

// hasSoftware: only Windows agents report software.
func (f *fleet) hasSoftware(c agentCore) bool {
	return c.plat == platWindows && f.spec.SoftwarePerWindowsAgent > 0
}

// softwareRow writes InstalledSoftwareSerializer for agent c: exactly
// SoftwarePerWindowsAgent items, unique names.
func (f *fleet) softwareRow(w *jw, c agentCore) {
	r := newRNG(f.spec.Seed, streamSoftware, uint64(c.idx), 0)
	n := f.spec.SoftwarePerWindowsAgent
	w.open()
	w.key("id")
	w.int(softwareRowID(c.pk))
	w.key("software")
	w.openArr()
	order := make([]int, len(winSoftware))
	for k := range order {
		order[k] = k
	}
	for k := len(order) - 1; k > 0; k-- {
		j := r.intn(k + 1)
		order[k], order[j] = order[j], order[k]
	}
	for k := range n {
		var d swDef
		if k < len(order) {
			d = winSoftware[order[k]]
		} else {
			d = syntheticSoftware(k-len(order), &r)
		}
		installed := f.t0.Add(-time.Duration(r.between(1, 1500)) * 24 * time.Hour)
		date := agentDate(installed)
		if r.chance(0.05) {
			date = "01-1-01" // the agent's rendering of an unknown date
		}
		w.open()
		w.key("name")
		w.str(d.name)
		w.key("size")
		w.str(humanBytes(d.bytes))
		w.key("source")
		w.str(d.source)
		w.key("version")
		w.str(d.version)
		w.key("location")
		w.str(d.location)
		w.key("publisher")
		w.str(d.publisher)
		w.key("uninstall")
		w.str(d.uninstall)
		w.key("install_date")
		w.str(date)
		w.close()
	}
	w.closeArr()
	w.key("agent")
	w.int(c.pk)
	w.close()
}

// agentDate is the agent's "%02d-%d-%02d": the month is not zero-padded.
func agentDate(t time.Time) string {
	b := make([]byte, 0, 10)
	b = strconv.AppendInt(b, int64(t.Year()), 10)
	b = append(b, '-')
	b = strconv.AppendInt(b, int64(t.Month()), 10)
	b = append(b, '-')
	if t.Day() < 10 {
		b = append(b, '0')
	}
	b = strconv.AppendInt(b, int64(t.Day()), 10)
	return string(b)
}

// syntheticSoftware pads inventories past the catalog with the update and
// driver entries real machines carry by the hundred.
func syntheticSoftware(k int, r *rng) swDef {
	switch k % 3 {
	case 0:
		kb := 5000000 + k*37
		return swDef{
			name: fmt.Sprintf("Security Update for Microsoft Office 2016 (KB%d) 64-Bit Edition", kb), version: "",
			publisher: "Microsoft", uninstall: fmt.Sprintf(`"C:\Program Files\Common Files\Microsoft Shared\OFFICE16\Oarpmany.exe" /removereleaseinpatch "{90160000-0011-0000-1000-0000000FF1CE}" "{%08X-0000-0000-0000-000000000000}"`, kb),
			bytes: int64(r.between(0, 50<<20)),
		}
	case 1:
		return swDef{
			name: fmt.Sprintf("Intel(R) Chipset Device Software %d", k), version: fmt.Sprintf("10.1.%d.%d", 18000+k, r.between(1, 9)),
			publisher: "Intel(R) Corporation", uninstall: fmt.Sprintf(`"C:\ProgramData\Package Cache\{%08x-1111-2222-3333-444455556666}\SetupChipset.exe"  /uninstall`, k),
			bytes: int64(r.between(1<<20, 4<<20)),
		}
	}
	return swDef{
		name: fmt.Sprintf("Microsoft Windows Desktop Runtime - 6.0.%d (x64)", k), version: fmt.Sprintf("6.0.%d.33%03d", k, r.intn(1000)),
		publisher: "Microsoft Corporation", location: "", uninstall: fmt.Sprintf(`MsiExec.exe /X{%08X-9A7A-4C43-9F4F-8B0E4E1A2C11}`, k),
		bytes: int64(r.between(60<<20, 90<<20)),
	}
}

// handleSoftwareAll is GET /software/: every cached list the role may see,
// one row per agent, unpaginated, streamed.
func (s *Server) handleSoftwareAll(c *call) {
	var cores []agentCore
	var cached [][]byte
	s.mu.RLock()
	for i := range s.fleet.n {
		if s.removedLocked(i) {
			continue
		}
		core, _ := s.coreLocked(i)
		if !s.fleet.hasSoftware(core) || !roleSeesSite(c.user, s.fleet, core.siteID) {
			continue
		}
		cores = append(cores, core)
		if s.swCache != nil {
			cached = append(cached, s.swCache[i])
		}
	}
	s.mu.RUnlock()
	sw := c.stream()
	sw.jw.openArr()
	for k, core := range cores {
		if cached != nil && cached[k] != nil {
			sw.jw.raw(cached[k])
		} else {
			s.fleet.softwareRow(&sw.jw, core)
		}
		sw.maybeFlush()
	}
	sw.jw.closeArr()
	sw.flush()
}

// handleSoftwareAgent is GET /software/<agent_id>/: the row, or [] when
// nothing is cached.
func (s *Server) handleSoftwareAgent(c *call) {
	core, ok := s.agentByAgentID(c)
	if !ok {
		return
	}
	if !s.fleet.hasSoftware(core) {
		c.json(http.StatusOK, []byte("[]"))
		return
	}
	var w jw
	s.fleet.softwareRow(&w, core)
	c.json(http.StatusOK, w.b)
}
