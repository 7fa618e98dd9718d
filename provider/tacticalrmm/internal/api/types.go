package api

import "encoding/json"

// Agent is the part of an agent record the provider maps. It decodes both
// the beta list rows (ListAgentSerializer, API.md §4.4) and the non-beta
// detail (AgentSerializer, §5.2): fields one of them lacks stay zero.
// Nullable strings decode to "". Decode it with Unmarshal (encoding/json/v2):
// members it does not name, such as services, are skipped unread.
type Agent struct {
	ID               int64     `json:"id"` // beta only
	AgentID          string    `json:"agent_id"`
	Hostname         string    `json:"hostname"`
	Version          string    `json:"version"`
	OperatingSystem  string    `json:"operating_system"`
	Plat             string    `json:"plat"`
	Goarch           string    `json:"goarch"`
	LastSeen         string    `json:"last_seen"`
	PublicIP         string    `json:"public_ip"`
	TotalRAM         *int64    `json:"total_ram"` // GB
	Disks            []Disk    `json:"disks"`
	BootTime         *float64  `json:"boot_time"` // Unix seconds
	LoggedInUsername string    `json:"logged_in_username"`
	LastLoggedInUser string    `json:"last_logged_in_user"`
	MonitoringType   string    `json:"monitoring_type"`
	Description      string    `json:"description"`
	OfflineTime      *int64    `json:"offline_time"` // minutes
	OverdueTime      *int64    `json:"overdue_time"` // minutes
	NeedsReboot      bool      `json:"needs_reboot"`
	MaintenanceMode  bool      `json:"maintenance_mode"`
	WMIDetail        WMIDetail `json:"wmi_detail"`
	Site             *int64    `json:"site"`
	// Services, most of a Windows agent's record, is not read; naming it
	// makes the decoder skip it the fast way.
	Services Skipped `json:"services"`
	// Status is computed by the server; only the detail views carry it.
	Status string `json:"status"`
	// SiteName is on the non-beta detail only. (Its "client" is a name
	// there; it is not read, so that a differently typed "client" in some
	// version cannot make every agent undecodable.)
	SiteName string `json:"site_name"`
}

// Disk is one entry of an agent's disks. Sizes are strings such as
// "476.0 GB" (1024-based).
type Disk struct {
	Device string `json:"device"`
	FSType string `json:"fstype"`
	Total  string `json:"total"`
	Used   string `json:"used"`
	Free   string `json:"free"`
}

// Org is a beta client (API.md §4.6).
type Org struct {
	ID   int64           `json:"id"`
	Name string          `json:"name"`
	Raw  json.RawMessage `json:"-"` // the client object as sent
}

// Site is a beta site (API.md §4.6).
type Site struct {
	ID     int64  `json:"id"`
	Name   string `json:"name"`
	Client int64  `json:"client"`
}

// AgentRef is a row of GET /agents/?detail=false (API.md §5.1).
type AgentRef struct {
	ID       int64  `json:"id"`
	AgentID  string `json:"agent_id"`
	Hostname string `json:"hostname"`
	Client   string `json:"client"` // name
	Site     string `json:"site"`   // name
}

// Alert is a row of PATCH /alerts/ (API.md §6.1). For alerts without an
// agent the server omits hostname, agent_id, client and site altogether.
type Alert struct {
	ID            int64  `json:"id"`
	Hostname      string `json:"hostname"`
	AgentID       string `json:"agent_id"`
	Client        string `json:"client"` // name
	Site          string `json:"site"`   // name
	AlertTime     string `json:"alert_time"`
	AlertType     string `json:"alert_type"`
	Message       string `json:"message"`
	Snoozed       bool   `json:"snoozed"`
	Resolved      bool   `json:"resolved"`
	ResolvedOn    string `json:"resolved_on"`
	Severity      string `json:"severity"`
	Agent         *int64 `json:"agent"` // pk
	AssignedCheck *int64 `json:"assigned_check"`
	AssignedTask  *int64 `json:"assigned_task"`
}

// SoftwareList is one agent's cached software (API.md §7).
type SoftwareList struct {
	ID       int64          `json:"id"`
	Agent    int64          `json:"agent"` // pk, not agent_id
	Software []SoftwareItem `json:"software"`
}

// SoftwareItem is one installed product; every field is a string.
type SoftwareItem struct {
	Name        string `json:"name"`
	Version     string `json:"version"`
	Publisher   string `json:"publisher"`
	InstallDate string `json:"install_date"`
	Size        string `json:"size"`
	Source      string `json:"source"`
	Location    string `json:"location"`
}

// DashInfo is the part of GET /core/dashinfo/ the provider reads.
type DashInfo struct {
	TRMMVersion string `json:"trmm_version"`
}

// AlertFilter is the body of PATCH /alerts/ in filter mode (API.md §6.2).
// Every field is always sent: an empty body returns every alert ever.
type AlertFilter struct {
	TimeFilterDays  int  `json:"timeFilter"`
	IncludeResolved bool `json:"resolvedFilter"`
	IncludeSnoozed  bool `json:"snoozedFilter"`
}
