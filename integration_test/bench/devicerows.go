package main

import (
	"encoding/json"
	"math"
	"strings"
	"time"

	"github.com/msp-psa/psa-host/shared/rmm"
)

// The naive store and the floor write the same final rows as the host's
// store (host/store/device_rows.go), translated here independently from
// the same rmm.Device records. The checksum check compares the three
// databases afterwards, so a drift between the two translations shows.

// deviceValues are one device's column values. A nil any is SQL NULL.
type deviceValues struct {
	extID, clientID, name, tag, assetType, status string
	isServer                                      bool
	orgID, siteID, siteName, serial, lastSeen     any
	osType, osVersion, cpuModel, cpuCores, ramGB  any
	storageGB, agentVersion, lastReboot           any
	currentUser, lastUser, uptime, lanIP, wanIP   any
	systemInfo, diskUsage, mappingMeta            string
}

// assetValues are the assets columns a sync writes, in assetColumns order.
func (v deviceValues) assetValues() []any {
	return []any{v.clientID, v.assetType, v.name, v.serial, "active", v.orgID, v.siteID, v.siteName, v.status, v.lastSeen}
}

const assetColumns = "client_id, asset_type, name, serial_number, status, rmm_organization_id, rmm_site_id, rmm_site_name, agent_status, last_seen_at"

// detailValues are the workstation_assets or server_assets columns, in
// detailColumns(isServer) order.
func (v deviceValues) detailValues() []any {
	last := v.storageGB
	if v.isServer {
		last = v.lanIP // primary_ip
	}
	return []any{v.osType, v.osVersion, v.cpuModel, v.cpuCores, v.ramGB, v.agentVersion, v.lastReboot,
		v.systemInfo, v.currentUser, v.lastUser, v.uptime, v.lanIP, v.wanIP, v.diskUsage, last}
}

func detailColumns(server bool) string {
	return `os_type, os_version, cpu_model, cpu_cores, ram_gb, agent_version, last_reboot_at, system_info, "current_user", last_user, uptime_seconds, lan_ip, wan_ip, disk_usage, ` +
		detailKindColumn(server)
}

// detailKindColumn is the last detail column, the one the two kinds differ by.
func detailKindColumn(server bool) string {
	if server {
		return "primary_ip"
	}
	return "storage_capacity_gb"
}

func detailTable(server bool) string {
	if server {
		return "server_assets"
	}
	return "workstation_assets"
}

// systemInfo, diskUsage and mappingMeta are the JSON documents the host
// writes; jsonb normalises key order and spacing, not values.
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

type diskUsage struct {
	Name               string  `json:"name"`
	FSType             string  `json:"fs_type,omitempty"`
	TotalGB            float64 `json:"total_gb"`
	FreeGB             float64 `json:"free_gb"`
	UtilizationPercent float64 `json:"utilization_percent"`
	TotalBytes         int64   `json:"total_bytes"`
	FreeBytes          int64   `json:"free_bytes"`
}

type mappingMeta struct {
	SiteID   string `json:"site_id,omitempty"`
	SiteName string `json:"site_name,omitempty"`
	Hostname string `json:"hostname,omitempty"`
}

const gib = 1 << 30

func round2(f float64) float64 { return math.Round(f*100) / 100 }

// valuesOf translates one device; ok is false for a device the host
// leaves out (no external id, or an organisation that is not mapped).
func valuesOf(d rmm.Device, orgClients map[string]string) (deviceValues, bool, error) {
	client, mapped := orgClients[d.OrgExternalID]
	if d.ExternalID == "" || !mapped {
		return deviceValues{}, false, nil
	}
	v := deviceValues{
		extID: clip(d.ExternalID, 255), clientID: client,
		name: firstNonEmpty(d.DisplayName, d.Hostname, d.ExternalID), tag: firstNonEmpty(d.Hostname, d.ExternalID),
		assetType: "workstation", isServer: d.Kind == rmm.KindServer,
		orgID: textOrNil(clip(d.OrgExternalID, 255)), siteID: textOrNil(clip(d.SiteExternalID, 255)),
		siteName: textOrNil(clip(d.SiteName, 255)), serial: textOrNil(d.SerialNumber),
		lastSeen: timeOrNil(d.LastSeen), osType: textOrNil(clip(d.Platform, 255)),
		osVersion: textOrNil(clip(osVersion(d), 255)), cpuModel: textOrNil(clip(d.CPUModel, 255)),
		cpuCores: intOrNil(d.CPUCores), agentVersion: textOrNil(clip(d.AgentVersion, 255)),
		lastReboot: timeOrNil(d.BootTime), currentUser: textOrNil(clip(d.CurrentUser, 255)),
		lastUser: textOrNil(clip(d.LastUser, 255)), wanIP: textOrNil(clip(d.WANIP, 45)),
	}
	if v.isServer {
		v.assetType = "server"
	}
	v.status = string(d.Status)
	if v.status == "" {
		v.status = string(rmm.StatusUnknown)
	}
	v.status = clip(v.status, 20)
	if d.RAMBytes > 0 {
		v.ramGB = int32(math.Round(float64(d.RAMBytes) / gib))
	}
	disks := make([]diskUsage, len(d.Disks))
	var total int64
	for i, k := range d.Disks {
		u := diskUsage{Name: k.Name, FSType: k.FSType, TotalBytes: k.TotalBytes, FreeBytes: k.FreeBytes,
			TotalGB: round2(float64(k.TotalBytes) / gib), FreeGB: round2(float64(k.FreeBytes) / gib)}
		if k.TotalBytes > 0 {
			u.UtilizationPercent = round2(100 * float64(k.TotalBytes-k.FreeBytes) / float64(k.TotalBytes))
		}
		disks[i] = u
		total += k.TotalBytes
	}
	if total > 0 {
		v.storageGB = int32(math.Round(float64(total) / gib))
	}
	if !d.BootTime.IsZero() && !d.LastSeen.IsZero() && !d.LastSeen.Before(d.BootTime) {
		v.uptime = int64(d.LastSeen.Sub(d.BootTime) / time.Second)
	}
	if len(d.LANIPs) > 0 {
		v.lanIP = textOrNil(clip(d.LANIPs[0], 45))
	}
	info, err := json.Marshal(systemInfo{
		Kind: d.Kind, Hostname: d.Hostname, Description: d.Description, Platform: d.Platform,
		OSName: d.OSName, OSVersion: d.OSVersion, SerialNumber: d.SerialNumber,
		Manufacturer: d.Manufacturer, Model: d.Model, CPUThreads: d.CPUThreads, RAMBytes: d.RAMBytes,
		LANIPs: d.LANIPs, NeedsReboot: d.NeedsReboot, MaintenanceMode: d.MaintenanceMode,
	})
	if err != nil {
		return v, false, err
	}
	diskJSON, err := json.Marshal(disks)
	if err != nil {
		return v, false, err
	}
	meta, err := json.Marshal(mappingMeta{SiteID: d.SiteExternalID, SiteName: d.SiteName, Hostname: d.Hostname})
	if err != nil {
		return v, false, err
	}
	v.systemInfo, v.diskUsage, v.mappingMeta = string(info), string(diskJSON), string(meta)
	return v, true, nil
}

// osVersion is the OS name with the version after it, unless the name
// already contains it.
func osVersion(d rmm.Device) string {
	switch {
	case d.OSVersion == "":
		return d.OSName
	case d.OSName == "":
		return d.OSVersion
	case strings.Contains(strings.ToLower(d.OSName), strings.ToLower(d.OSVersion)):
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

// clip shortens s to at most n characters.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}

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
