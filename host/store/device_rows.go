package store

import (
	"encoding/json"
	"math"
	"time"

	"github.com/msp-psa/psa-host/shared/rmm"
)

// stageDevicesSQL holds one batch of devices, already translated to the
// columns they fill. asset_id, created and changed are filled in by
// mergeAssetsSQL; prev_status (the agent status before an existing asset
// changed) and changes (the names of the columns that changed) feed the
// batch's events.
//
// The table lives as long as the session and is emptied at each commit.
// Created per batch, it made the session parse and plan every batch's
// statements again (each batch named a new table); now the session keeps
// their plans.
const stageDevicesSQL = `
CREATE TEMP TABLE IF NOT EXISTS stg_devices (
    ord                 integer     NOT NULL,
    ext_id              text        NOT NULL,
    client_id           text        NOT NULL,
    org_id              text,
    site_id             text,
    site_name           text,
    name                text        NOT NULL,
    asset_tag           text        NOT NULL,
    asset_type          text        NOT NULL,
    is_server           boolean     NOT NULL,
    serial_number       text,
    agent_status        text        NOT NULL,
    last_seen_at        timestamptz,
    os_type             text,
    os_version          text,
    cpu_model           text,
    cpu_cores           integer,
    ram_gb              integer,
    storage_capacity_gb integer,
    agent_version       text,
    last_reboot_at      timestamptz,
    system_info         jsonb       NOT NULL,
    logged_in_user      text,
    last_user           text,
    uptime_seconds      bigint,
    lan_ip              text,
    wan_ip              text,
    disk_usage          jsonb       NOT NULL,
    mapping_meta        jsonb       NOT NULL,
    asset_id            uuid,
    created             boolean     NOT NULL DEFAULT false,
    changed             boolean     NOT NULL DEFAULT false,
    prev_status         text,
    changes             text[]      NOT NULL DEFAULT '{}'
) ON COMMIT DELETE ROWS`

// deviceCopyColumns are the staging columns a device row fills, in the
// order deviceRow returns them.
func deviceCopyColumns() []string {
	return []string{
		"ord", "ext_id", "client_id", "org_id", "site_id", "site_name", "name", "asset_tag", "asset_type",
		"is_server", "serial_number", "agent_status", "last_seen_at", "os_type", "os_version", "cpu_model",
		"cpu_cores", "ram_gb", "storage_capacity_gb", "agent_version", "last_reboot_at", "system_info",
		"logged_in_user", "last_user", "uptime_seconds", "lan_ip", "wan_ip", "disk_usage", "mapping_meta",
	}
}

// systemInfo keeps the device fields that have no column of their own.
type systemInfo struct {
	Kind            rmm.DeviceKind `json:"kind,omitempty"`
	Hostname        string         `json:"hostname,omitempty"`
	Description     string         `json:"description,omitempty"`
	Platform        string         `json:"platform,omitempty"`
	OSName          string         `json:"os_name,omitempty"`
	OSVersion       string         `json:"os_version,omitempty"`
	SerialNumber    string         `json:"serial_number,omitempty"`
	Manufacturer    string         `json:"manufacturer,omitempty"`
	Model           string         `json:"model,omitempty"`
	CPUThreads      int            `json:"cpu_threads,omitempty"`
	RAMBytes        int64          `json:"ram_bytes,omitempty"`
	LANIPs          []string       `json:"lan_ips,omitempty"`
	NeedsReboot     bool           `json:"needs_reboot"`
	MaintenanceMode bool           `json:"maintenance_mode"`
}

// diskUsage is Alga's disk_usage element, plus exact byte counts.
type diskUsage struct {
	Name               string  `json:"name"`
	FSType             string  `json:"fs_type,omitempty"`
	TotalGB            float64 `json:"total_gb"`
	FreeGB             float64 `json:"free_gb"`
	UtilizationPercent float64 `json:"utilization_percent"`
	TotalBytes         int64   `json:"total_bytes"`
	FreeBytes          int64   `json:"free_bytes"`
}

// mappingMeta is the crosswalk row's metadata.
type mappingMeta struct {
	SiteID   string `json:"site_id,omitempty"`
	SiteName string `json:"site_name,omitempty"`
	Hostname string `json:"hostname,omitempty"`
}

const gib = 1 << 30

// maxExternalID is the length of the external id columns (varchar(255)).
const maxExternalID = 255

func round2(f float64) float64 { return math.Round(f*100) / 100 }

// deviceRow translates a device into a staging row. It depends only on the
// device, never on the clock, so an unchanged device yields an identical
// row and is not rewritten. That is why uptime is measured at the agent's
// last check-in (last seen − boot), not at sync time.
func deviceRow(d rmm.Device, ord int, clientID string) ([]any, error) {
	name := firstNonEmpty(d.DisplayName, d.Hostname, d.ExternalID)
	tag := firstNonEmpty(d.Hostname, d.ExternalID)
	assetType, isServer := "workstation", d.Kind == rmm.KindServer
	if isServer {
		assetType = "server"
	}
	status := string(d.Status)
	if status == "" {
		status = string(rmm.StatusUnknown)
	}

	var ramGB, storageGB any
	if d.RAMBytes > 0 {
		ramGB = int(math.Round(float64(d.RAMBytes) / gib))
	}
	disks := make([]diskUsage, len(d.Disks))
	var totalBytes int64
	for i, k := range d.Disks {
		u := diskUsage{Name: k.Name, FSType: k.FSType, TotalBytes: k.TotalBytes, FreeBytes: k.FreeBytes,
			TotalGB: round2(float64(k.TotalBytes) / gib), FreeGB: round2(float64(k.FreeBytes) / gib)}
		if k.TotalBytes > 0 {
			u.UtilizationPercent = round2(100 * float64(k.TotalBytes-k.FreeBytes) / float64(k.TotalBytes))
		}
		disks[i] = u
		totalBytes += k.TotalBytes
	}
	if totalBytes > 0 {
		storageGB = int(math.Round(float64(totalBytes) / gib))
	}
	var uptime any
	if !d.BootTime.IsZero() && !d.LastSeen.IsZero() && !d.LastSeen.Before(d.BootTime) {
		uptime = int64(d.LastSeen.Sub(d.BootTime) / time.Second)
	}
	var lanIP string
	if len(d.LANIPs) > 0 {
		lanIP = d.LANIPs[0]
	}

	info, err := json.Marshal(systemInfo{
		Kind: d.Kind, Hostname: d.Hostname, Description: d.Description, Platform: d.Platform,
		OSName: d.OSName, OSVersion: d.OSVersion, SerialNumber: d.SerialNumber,
		Manufacturer: d.Manufacturer, Model: d.Model, CPUThreads: d.CPUThreads, RAMBytes: d.RAMBytes,
		LANIPs: d.LANIPs, NeedsReboot: d.NeedsReboot, MaintenanceMode: d.MaintenanceMode,
	})
	if err != nil {
		return nil, err
	}
	diskJSON, err := json.Marshal(disks)
	if err != nil {
		return nil, err
	}
	meta, err := json.Marshal(mappingMeta{SiteID: d.SiteExternalID, SiteName: d.SiteName, Hostname: d.Hostname})
	if err != nil {
		return nil, err
	}
	return []any{
		int32(ord), clip(d.ExternalID, maxExternalID), clientID, textOrNil(clip(d.OrgExternalID, 255)),
		textOrNil(clip(d.SiteExternalID, 255)), textOrNil(clip(d.SiteName, 255)), name, tag, assetType,
		isServer, textOrNil(d.SerialNumber), clip(status, 20), timeOrNil(d.LastSeen),
		textOrNil(clip(d.Platform, 255)), textOrNil(clip(osVersion(d), 255)), textOrNil(clip(d.CPUModel, 255)),
		intOrNil(d.CPUCores), ramGB, storageGB, textOrNil(clip(d.AgentVersion, 255)), timeOrNil(d.BootTime),
		string(info), textOrNil(clip(d.CurrentUser, 255)), textOrNil(clip(d.LastUser, 255)), uptime,
		textOrNil(clip(lanIP, 45)), textOrNil(clip(d.WANIP, 45)), string(diskJSON), string(meta),
	}, nil
}

// osVersion is Alga's single OS string: the name with the version after it
// unless the name already contains it.
func osVersion(d rmm.Device) string {
	switch {
	case d.OSVersion == "":
		return d.OSName
	case d.OSName == "":
		return d.OSVersion
	case containsFold(d.OSName, d.OSVersion):
		return d.OSName
	}
	return d.OSName + " " + d.OSVersion
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// textOrNil, timeOrNil and intOrNil turn "unknown" into SQL NULL for COPY.
func textOrNil(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func timeOrNil(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

func intOrNil(n int) any {
	if n == 0 {
		return nil
	}
	return int32(n)
}
