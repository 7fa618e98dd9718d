package pluginmgr

import (
	"slices"
	"time"

	"github.com/msp-psa/psa-host/shared/rmm"
)

// State is where a plugin is in its life.
type State string

// The plugin states.
const (
	// StateRunning: the process is up and answering.
	StateRunning State = "running"
	// StateRestarting: the process exited and a restart is pending.
	StateRestarting State = "restarting"
	// StateFailed: it would not start, or crashed too often; it is not
	// restarted again.
	StateFailed State = "failed"
	// StateRefused: verification or registration refused the binary.
	StateRefused State = "refused"
	// StateUnavailable: the provider does not run in the host's edition.
	StateUnavailable State = "unavailable"
	// StateStopped: the manager was closed.
	StateStopped State = "stopped"
)

// PluginInfo is the status of one plugin binary, as the host's plugin
// status API shows it.
type PluginInfo struct {
	// Name is the provider's name from Describe; "" when it never answered.
	Name        string `json:"name"`
	DisplayName string `json:"display_name"`
	Path        string `json:"path"`
	// SHA256 is the hex checksum the binary was verified or run with.
	SHA256  string `json:"sha256"`
	Version string `json:"version"`
	// ProtocolVersion is the go-plugin protocol version negotiated.
	ProtocolVersion int              `json:"protocol_version"`
	Editions        []rmm.Edition    `json:"editions"`
	Capabilities    []rmm.Capability `json:"capabilities"`
	// Webhook is how the provider's webhooks are authenticated (its secret
	// header) and configured, as Describe said at launch; nil when it takes
	// none. It stays while the plugin is down, so webhook ingress keeps
	// working.
	Webhook *rmm.WebhookSpec `json:"webhook,omitempty"`
	State   State            `json:"state"`
	// Reason says why the plugin is not running, or what to know about it
	// (e.g. that it runs unverified).
	Reason    string    `json:"reason,omitempty"`
	PID       int       `json:"pid,omitempty"`
	Restarts  int       `json:"restarts"`
	StartedAt time.Time `json:"started_at,omitzero"`
}

// clone returns a copy that shares no slices with p.
func (p PluginInfo) clone() PluginInfo {
	p.Editions = slices.Clone(p.Editions)
	p.Capabilities = slices.Clone(p.Capabilities)
	if p.Webhook != nil {
		w := *p.Webhook
		w.Templates = slices.Clone(w.Templates)
		p.Webhook = &w
	}
	return p
}
