package rmmgrpc

import (
	"github.com/msp-psa/psa-host/shared/internal/rmmv1"
	"github.com/msp-psa/psa-host/shared/rmm"
)

func orgToProto(o rmm.Org) *rmmv1.Org {
	return &rmmv1.Org{
		ExternalId:  o.ExternalID,
		Name:        o.Name,
		Description: o.Description,
		Sites:       listToProto(o.Sites, siteToProto),
		RawJson:     o.Raw,
	}
}

func orgFromProto(o *rmmv1.Org) rmm.Org {
	return rmm.Org{
		ExternalID:  o.GetExternalId(),
		Name:        o.GetName(),
		Description: o.GetDescription(),
		Sites:       listFromProto(o.GetSites(), siteFromProto),
		Raw:         orNil(o.GetRawJson()),
	}
}

func siteToProto(s rmm.Site) *rmmv1.Site {
	return &rmmv1.Site{ExternalId: s.ExternalID, Name: s.Name}
}

func siteFromProto(s *rmmv1.Site) rmm.Site {
	return rmm.Site{ExternalID: s.GetExternalId(), Name: s.GetName()}
}

func deviceToProto(d rmm.Device) *rmmv1.Device {
	return &rmmv1.Device{
		ExternalId:      d.ExternalID,
		OrgExternalId:   d.OrgExternalID,
		SiteExternalId:  d.SiteExternalID,
		SiteName:        d.SiteName,
		Hostname:        d.Hostname,
		DisplayName:     d.DisplayName,
		Description:     d.Description,
		Kind:            string(d.Kind),
		Platform:        d.Platform,
		OsName:          d.OSName,
		OsVersion:       d.OSVersion,
		AgentVersion:    d.AgentVersion,
		Status:          string(d.Status),
		LastSeen:        timeToProto(d.LastSeen),
		BootTime:        timeToProto(d.BootTime),
		CurrentUser:     d.CurrentUser,
		LastUser:        d.LastUser,
		LanIps:          d.LANIPs,
		WanIp:           d.WANIP,
		SerialNumber:    d.SerialNumber,
		Manufacturer:    d.Manufacturer,
		Model:           d.Model,
		CpuModel:        d.CPUModel,
		CpuCores:        int64(d.CPUCores),
		CpuThreads:      int64(d.CPUThreads),
		RamBytes:        d.RAMBytes,
		Disks:           listToProto(d.Disks, diskToProto),
		NeedsReboot:     d.NeedsReboot,
		MaintenanceMode: d.MaintenanceMode,
		RawJson:         d.Raw,
	}
}

func deviceFromProto(d *rmmv1.Device) rmm.Device {
	return rmm.Device{
		ExternalID:      d.GetExternalId(),
		OrgExternalID:   d.GetOrgExternalId(),
		SiteExternalID:  d.GetSiteExternalId(),
		SiteName:        d.GetSiteName(),
		Hostname:        d.GetHostname(),
		DisplayName:     d.GetDisplayName(),
		Description:     d.GetDescription(),
		Kind:            rmm.DeviceKind(d.GetKind()),
		Platform:        d.GetPlatform(),
		OSName:          d.GetOsName(),
		OSVersion:       d.GetOsVersion(),
		AgentVersion:    d.GetAgentVersion(),
		Status:          rmm.DeviceStatus(d.GetStatus()),
		LastSeen:        timeFromProto(d.GetLastSeen()),
		BootTime:        timeFromProto(d.GetBootTime()),
		CurrentUser:     d.GetCurrentUser(),
		LastUser:        d.GetLastUser(),
		LANIPs:          orNil(d.GetLanIps()),
		WANIP:           d.GetWanIp(),
		SerialNumber:    d.GetSerialNumber(),
		Manufacturer:    d.GetManufacturer(),
		Model:           d.GetModel(),
		CPUModel:        d.GetCpuModel(),
		CPUCores:        int(d.GetCpuCores()),
		CPUThreads:      int(d.GetCpuThreads()),
		RAMBytes:        d.GetRamBytes(),
		Disks:           listFromProto(d.GetDisks(), diskFromProto),
		NeedsReboot:     d.GetNeedsReboot(),
		MaintenanceMode: d.GetMaintenanceMode(),
		Raw:             orNil(d.GetRawJson()),
	}
}

func diskToProto(d rmm.Disk) *rmmv1.Disk {
	return &rmmv1.Disk{Name: d.Name, FsType: d.FSType, TotalBytes: d.TotalBytes, FreeBytes: d.FreeBytes}
}

func diskFromProto(d *rmmv1.Disk) rmm.Disk {
	return rmm.Disk{Name: d.GetName(), FSType: d.GetFsType(), TotalBytes: d.GetTotalBytes(), FreeBytes: d.GetFreeBytes()}
}

func alertToProto(a rmm.Alert) *rmmv1.Alert {
	return &rmmv1.Alert{
		ExternalId:       a.ExternalID,
		DedupKey:         a.DedupKey,
		DeviceExternalId: a.DeviceExternalID,
		OrgExternalId:    a.OrgExternalID,
		DeviceName:       a.DeviceName,
		Severity:         string(a.Severity),
		RawSeverity:      a.RawSeverity,
		Class:            a.Class,
		Message:          a.Message,
		State:            string(a.State),
		TriggeredAt:      timeToProto(a.TriggeredAt),
		ResolvedAt:       timeToProto(a.ResolvedAt),
		RawJson:          a.Raw,
	}
}

func alertFromProto(a *rmmv1.Alert) rmm.Alert {
	return rmm.Alert{
		ExternalID:       a.GetExternalId(),
		DedupKey:         a.GetDedupKey(),
		DeviceExternalID: a.GetDeviceExternalId(),
		OrgExternalID:    a.GetOrgExternalId(),
		DeviceName:       a.GetDeviceName(),
		Severity:         rmm.Severity(a.GetSeverity()),
		RawSeverity:      a.GetRawSeverity(),
		Class:            a.GetClass(),
		Message:          a.GetMessage(),
		State:            rmm.AlertState(a.GetState()),
		TriggeredAt:      timeFromProto(a.GetTriggeredAt()),
		ResolvedAt:       timeFromProto(a.GetResolvedAt()),
		Raw:              orNil(a.GetRawJson()),
	}
}

func softwareBatchToProto(b rmm.SoftwareBatch) *rmmv1.SoftwareBatch {
	return &rmmv1.SoftwareBatch{
		DeviceExternalId: b.DeviceExternalID,
		Items:            listToProto(b.Items, softwareItemToProto),
	}
}

func softwareBatchFromProto(b *rmmv1.SoftwareBatch) rmm.SoftwareBatch {
	return rmm.SoftwareBatch{
		DeviceExternalID: b.GetDeviceExternalId(),
		Items:            listFromProto(b.GetItems(), softwareItemFromProto),
	}
}

func softwareItemToProto(s rmm.SoftwareItem) *rmmv1.SoftwareItem {
	return &rmmv1.SoftwareItem{
		Name:        s.Name,
		Version:     s.Version,
		Publisher:   s.Publisher,
		InstallDate: timeToProto(s.InstallDate),
		SizeBytes:   s.SizeBytes,
		Location:    s.Location,
	}
}

func softwareItemFromProto(s *rmmv1.SoftwareItem) rmm.SoftwareItem {
	return rmm.SoftwareItem{
		Name:        s.GetName(),
		Version:     s.GetVersion(),
		Publisher:   s.GetPublisher(),
		InstallDate: timeFromProto(s.GetInstallDate()),
		SizeBytes:   s.GetSizeBytes(),
		Location:    s.GetLocation(),
	}
}
