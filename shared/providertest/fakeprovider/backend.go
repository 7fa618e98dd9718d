package fakeprovider

import (
	"strings"
	"sync"
)

// Backend is the fake RMM service itself: the fleets it serves, by name.
// An integration reaches the fleet "acme" at BaseURL "fake://acme". Fleets
// are created on first use, shaped by the integration's Settings (see
// FleetSpec) or the Provider's Config.
type Backend struct {
	mu     sync.Mutex
	fleets map[string]*fleet // by name
}

// NewBackend returns an empty Backend.
func NewBackend() *Backend { return &Backend{fleets: map[string]*fleet{}} }

// Define creates (or replaces) the fleet name with the given shape, so a
// test knows exactly what the fleet holds before any provider call.
func (b *Backend) Define(name string, spec FleetSpec) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.fleets[name] = newFleet(name, spec)
}

// fleet returns the fleet name, creating it with spec when it is new.
func (b *Backend) fleet(name string, spec FleetSpec) *fleet {
	b.mu.Lock()
	defer b.mu.Unlock()
	f, ok := b.fleets[name]
	if !ok {
		f = newFleet(name, spec)
		b.fleets[name] = f
	}
	return f
}

// Touch changes one device upstream (its last-seen time and status) so the
// next incremental sync returns it. It reports whether the device exists.
func (b *Backend) Touch(deviceID string) bool {
	name, _, ok := strings.Cut(deviceID, ":dev-")
	if !ok {
		return false
	}
	b.mu.Lock()
	f := b.fleets[name]
	b.mu.Unlock()
	return f != nil && f.touch(deviceID)
}
