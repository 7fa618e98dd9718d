package tacticalrmm

import (
	"time"

	"github.com/msp-psa/psa-host/shared/rmm"
)

// Tactical's per-agent defaults, in minutes (API.md §4.4).
const (
	defaultOfflineMinutes = 4
	defaultOverdueMinutes = 30
)

// agentStatus computes an agent's status exactly as Tactical's
// Agent.status does (API.md §5.3), because the beta list does not carry
// it. The comparisons are strict, so an agent seen exactly at the offline
// threshold is online, and one seen exactly at the overdue threshold is
// online too (Tactical's own edge case, kept on purpose).
func agentStatus(now, lastSeen time.Time, offlineMinutes, overdueMinutes *int64) rmm.DeviceStatus {
	if lastSeen.IsZero() {
		return rmm.StatusOffline
	}
	offMin, overMin := int64(defaultOfflineMinutes), int64(defaultOverdueMinutes)
	if offlineMinutes != nil {
		offMin = *offlineMinutes
	}
	if overdueMinutes != nil {
		overMin = *overdueMinutes
	}
	offline := now.Add(-time.Duration(offMin) * time.Minute)
	overdue := now.Add(-time.Duration(overMin) * time.Minute)
	switch {
	case lastSeen.Before(offline) && lastSeen.After(overdue):
		return rmm.StatusOffline
	case lastSeen.Before(offline) && lastSeen.Before(overdue):
		return rmm.StatusOverdue
	}
	return rmm.StatusOnline
}

// serverStatus reads the status the detail views compute.
func serverStatus(s string) (rmm.DeviceStatus, bool) {
	switch s {
	case "online":
		return rmm.StatusOnline, true
	case "offline":
		return rmm.StatusOffline, true
	case "overdue":
		return rmm.StatusOverdue, true
	}
	return "", false
}
