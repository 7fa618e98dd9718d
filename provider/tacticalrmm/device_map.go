package tacticalrmm

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/msp-psa/psa-host/provider/tacticalrmm/internal/api"
	"github.com/msp-psa/psa-host/shared/rmm"
)

// siteRef is what a device needs to know about its site.
type siteRef struct {
	name     string
	clientID int64
}

// translateAgent translates a decoded agent. now is the status reference
// time; orgHint is the client the agent was listed under, used when its
// site is not in sites (created after the site list was read).
func translateAgent(a api.Agent, now time.Time, sites *sites, orgHint string) (rmm.Device, error) {
	if a.AgentID == "" {
		return rmm.Device{}, fmt.Errorf("agent pk %d has no agent_id", a.ID)
	}
	lastSeen, err := parseAPITime(a.LastSeen)
	if err != nil {
		return rmm.Device{}, fmt.Errorf("agent %s: bad last_seen %q", a.AgentID, a.LastSeen)
	}
	d := rmm.Device{
		ExternalID:      a.AgentID,
		Hostname:        a.Hostname,
		DisplayName:     a.Hostname,
		Description:     a.Description,
		Kind:            deviceKind(a.MonitoringType),
		Platform:        a.Plat,
		OSName:          a.OperatingSystem,
		OSVersion:       osVersion(a.Plat, a.OperatingSystem),
		AgentVersion:    a.Version,
		LastSeen:        lastSeen,
		BootTime:        unixSeconds(a.BootTime),
		CurrentUser:     username(a.LoggedInUsername),
		LastUser:        username(a.LastLoggedInUser),
		WANIP:           a.PublicIP,
		NeedsReboot:     a.NeedsReboot,
		MaintenanceMode: a.MaintenanceMode,
	}
	if st, ok := serverStatus(a.Status); ok {
		d.Status = st
	} else {
		d.Status = agentStatus(now, lastSeen, a.OfflineTime, a.OverdueTime)
	}
	if a.Site != nil {
		d.SiteExternalID = strconv.FormatInt(*a.Site, 10)
		if s, ok := sites.get(*a.Site); ok {
			d.SiteName = s.name
			d.OrgExternalID = strconv.FormatInt(s.clientID, 10)
		}
	}
	if d.SiteName == "" {
		d.SiteName = a.SiteName
	}
	if d.OrgExternalID == "" {
		d.OrgExternalID = orgHint
	}
	if d.OrgExternalID == "" {
		return rmm.Device{}, fmt.Errorf("agent %s: site %s is unknown, so its client is too", a.AgentID, d.SiteExternalID)
	}
	if a.TotalRAM != nil && *a.TotalRAM > 0 {
		d.RAMBytes = *a.TotalRAM * gib
	}
	for _, disk := range a.Disks {
		total, _ := parseSize(disk.Total)
		free, _ := parseSize(disk.Free)
		d.Disks = append(d.Disks, rmm.Disk{Name: disk.Device, FSType: disk.FSType, TotalBytes: total, FreeBytes: free})
	}
	hw := readHardware(a.WMIDetail)
	d.SerialNumber = hw.serial
	d.Manufacturer = hw.manufacturer
	d.Model = hw.model
	d.CPUModel = hw.cpuModel
	d.CPUCores = hw.cpuCores
	d.CPUThreads = hw.cpuThreads
	d.LANIPs = hw.lanIPs
	return d, nil
}

// username reads logged_in_username, where the string "None" means that
// nobody is logged in (API.md §4.4).
func username(s string) string {
	s = strings.TrimSpace(s)
	if s == "None" {
		return ""
	}
	return s
}

func deviceKind(monitoringType string) rmm.DeviceKind {
	switch strings.ToLower(monitoringType) {
	case "server":
		return rmm.KindServer
	case "workstation":
		return rmm.KindWorkstation
	}
	return rmm.KindOther
}
