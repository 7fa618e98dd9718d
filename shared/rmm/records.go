package rmm

import (
	"encoding/json"
	"time"
)

// Zero times mean "unknown" throughout the records.

// Org is an RMM organisation (a Tactical client, a NinjaOne organisation)
// with its sites (Tactical sites, NinjaOne locations).
type Org struct {
	ExternalID  string
	Name        string
	Description string
	Sites       []Site
	Raw         json.RawMessage
}

// Site is a subdivision of an organisation.
type Site struct {
	ExternalID string
	Name       string
}

// DeviceKind is what a device is, as far as the PSA's asset types care.
type DeviceKind string

// The device kinds.
const (
	KindWorkstation DeviceKind = "workstation"
	KindServer      DeviceKind = "server"
	KindOther       DeviceKind = "other"
)

// DeviceStatus is an agent's availability.
type DeviceStatus string

// The device statuses. Overdue is an agent offline for longer than its
// RMM's alerting threshold.
const (
	StatusOnline  DeviceStatus = "online"
	StatusOffline DeviceStatus = "offline"
	StatusOverdue DeviceStatus = "overdue"
	StatusUnknown DeviceStatus = "unknown"
)

// Device is one managed machine (an RMM agent).
type Device struct {
	ExternalID      string // the RMM's stable id, e.g. Tactical's agent_id
	OrgExternalID   string
	SiteExternalID  string
	SiteName        string
	Hostname        string
	DisplayName     string
	Description     string
	Kind            DeviceKind
	Platform        string // e.g. "windows", "linux", "darwin"
	OSName          string
	OSVersion       string
	AgentVersion    string
	Status          DeviceStatus
	LastSeen        time.Time
	BootTime        time.Time
	CurrentUser     string // "" when nobody is logged in
	LastUser        string
	LANIPs          []string
	WANIP           string
	SerialNumber    string
	Manufacturer    string
	Model           string
	CPUModel        string
	CPUCores        int
	CPUThreads      int
	RAMBytes        int64
	Disks           []Disk
	NeedsReboot     bool
	MaintenanceMode bool
	// Raw is the upstream record, for fields the contract does not carry.
	// It is optional, and the host does not store it: SyncAgent may fill
	// it, but SyncDevices should leave it empty, as on a large fleet it
	// would be most of the stream (a Windows agent's record is kilobytes).
	Raw json.RawMessage
}

// Disk is one volume or drive of a device.
type Disk struct {
	Name       string // e.g. "C:", "/dev/sda1"
	FSType     string
	TotalBytes int64
	FreeBytes  int64
}

// Severity is the normalised alert severity scale (Alga's names).
type Severity string

// The severities, most severe first.
const (
	SeverityCritical Severity = "critical"
	SeverityMajor    Severity = "major"
	SeverityModerate Severity = "moderate"
	SeverityMinor    Severity = "minor"
	SeverityNone     Severity = "none"
)

// AlertState says whether an alert event raises or clears a condition.
type AlertState string

// The alert states.
const (
	AlertTriggered AlertState = "triggered"
	AlertResolved  AlertState = "resolved"
)

// Alert is one alert, or one event (trigger or resolve) of it.
type Alert struct {
	ExternalID string
	// DedupKey identifies the condition across events: a resolve carries the
	// same key as its trigger, and a repeat of an open condition too.
	DedupKey         string
	DeviceExternalID string // "" for alerts without a device
	OrgExternalID    string
	DeviceName       string
	Severity         Severity
	RawSeverity      string // the RMM's own value, kept as sent
	Class            string // e.g. Tactical's alert_type, NinjaOne's sourceType
	Message          string
	State            AlertState
	TriggeredAt      time.Time
	ResolvedAt       time.Time
	Raw              json.RawMessage
}

// SoftwareBatch is the complete software inventory of one device as the RMM
// last saw it. Software the host had for the device and that is no longer
// listed has been uninstalled.
type SoftwareBatch struct {
	DeviceExternalID string
	Items            []SoftwareItem
}

// SoftwareItem is one installed product.
type SoftwareItem struct {
	Name        string
	Version     string
	Publisher   string
	InstallDate time.Time
	SizeBytes   int64
	Location    string
}
