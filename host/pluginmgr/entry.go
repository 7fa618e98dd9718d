package pluginmgr

import (
	"encoding/hex"
	"sync"

	"github.com/hashicorp/go-hclog"
)

// entry is one plugin binary and, while it runs, its live instance. Its
// supervisor writes it; handles and List read it.
type entry struct {
	bin  binary
	sum  []byte
	note string // a standing remark, e.g. that the binary runs unverified
	log  hclog.Logger

	mu   sync.RWMutex
	info PluginInfo
	live *instance // nil unless info.State is StateRunning
}

func newEntry(bin binary, v verdict, log hclog.Logger) *entry {
	return &entry{
		bin:  bin,
		sum:  v.sum,
		note: v.warning,
		log:  log,
		info: PluginInfo{Path: bin.path, SHA256: hex.EncodeToString(v.sum)},
	}
}

// up records inst as the live instance.
func (e *entry) up(inst *instance, restarted bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.live = inst
	e.setMetaLocked(inst)
	e.info.State = StateRunning
	e.info.Reason = e.note
	e.info.PID = inst.pid
	e.info.StartedAt = inst.started
	if restarted {
		e.info.Restarts++
	}
}

// described records what a provider said about itself without making it
// live, for a plugin that is refused or unavailable after Describe.
func (e *entry) described(inst *instance) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.setMetaLocked(inst)
}

func (e *entry) setMetaLocked(inst *instance) {
	e.info.Name = inst.meta.Name
	e.info.DisplayName = inst.meta.DisplayName
	e.info.Version = inst.meta.Version
	e.info.ProtocolVersion = inst.protocol
	e.info.Editions = inst.meta.Editions
	e.info.Capabilities = inst.meta.Capabilities
	e.info.Webhook = inst.meta.Webhook
}

// down records that no instance is live, and why.
func (e *entry) down(state State, reason string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.live = nil
	e.info.State = state
	e.info.Reason = reason
	e.info.PID = 0
}

// current returns the live instance, or nil with the state and reason.
func (e *entry) current() (*instance, State, string) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.live, e.info.State, e.info.Reason
}

func (e *entry) snapshot() PluginInfo {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.info.clone()
}
