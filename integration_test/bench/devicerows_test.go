package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/msp-psa/psa-host/shared/rmm"
)

func TestValuesOf(t *testing.T) {
	orgs := map[string]string{"7": "11111111-1111-4111-8111-111111111111"}
	boot := time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)
	seen := boot.Add(90 * time.Minute)
	full := rmm.Device{
		ExternalID: "agent-1", OrgExternalID: "7", SiteExternalID: "31", SiteName: "HQ",
		Hostname: "ACME-SRV01", DisplayName: "", Kind: rmm.KindServer, Platform: "windows",
		OSName: "Windows Server 2022", OSVersion: "2022", AgentVersion: "2.11.0", Status: rmm.StatusOnline,
		LastSeen: seen, BootTime: boot, CurrentUser: "bob", LastUser: "alice",
		LANIPs: []string{"10.0.0.5", "10.0.0.6"}, WANIP: "203.0.113.9", SerialNumber: "SN1",
		CPUModel: "Xeon", CPUCores: 8, RAMBytes: 32 << 30,
		Disks: []rmm.Disk{{Name: "C:", FSType: "NTFS", TotalBytes: 100 << 30, FreeBytes: 25 << 30}},
	}
	tests := []struct {
		name   string
		in     rmm.Device
		wantOK bool
		check  func(t *testing.T, v deviceValues)
	}{
		{name: "zero device is left out", in: rmm.Device{}, wantOK: false},
		{name: "unmapped organisation is left out", in: rmm.Device{ExternalID: "a", OrgExternalID: "8"}, wantOK: false},
		{name: "minimal device", in: rmm.Device{ExternalID: "agent-2", OrgExternalID: "7"}, wantOK: true,
			check: func(t *testing.T, v deviceValues) {
				if v.name != "agent-2" || v.tag != "agent-2" {
					t.Errorf("name %q tag %q, want the external id for both", v.name, v.tag)
				}
				if v.assetType != "workstation" || v.isServer {
					t.Errorf("type %q server %v, want a workstation", v.assetType, v.isServer)
				}
				if v.status != "unknown" {
					t.Errorf("status %q, want unknown", v.status)
				}
				for _, x := range []any{v.siteID, v.serial, v.lastSeen, v.cpuCores, v.ramGB, v.storageGB, v.uptime, v.lanIP} {
					if x != nil {
						t.Errorf("got %v, want NULL", x)
					}
				}
				if v.diskUsage != "[]" {
					t.Errorf("disk usage %s, want []", v.diskUsage)
				}
			}},
		{name: "full server", in: full, wantOK: true,
			check: func(t *testing.T, v deviceValues) {
				if v.assetType != "server" || !v.isServer || v.name != "ACME-SRV01" {
					t.Errorf("type %q server %v name %q", v.assetType, v.isServer, v.name)
				}
				if v.osVersion != "Windows Server 2022" {
					t.Errorf("os version %v: the name already holds the version", v.osVersion)
				}
				if v.ramGB != int32(32) || v.storageGB != int32(100) || v.cpuCores != int32(8) {
					t.Errorf("ram %v storage %v cores %v", v.ramGB, v.storageGB, v.cpuCores)
				}
				if v.uptime != int64(5400) {
					t.Errorf("uptime %v, want last seen - boot = 5400 s", v.uptime)
				}
				if v.lanIP != "10.0.0.5" {
					t.Errorf("lan ip %v, want the first", v.lanIP)
				}
				detail := v.detailValues()
				if detail[len(detail)-1] != "10.0.0.5" {
					t.Errorf("a server's last detail column is primary_ip, got %v", detail[len(detail)-1])
				}
				var disks []diskUsage
				if err := json.Unmarshal([]byte(v.diskUsage), &disks); err != nil || len(disks) != 1 {
					t.Fatalf("disk usage %s: %v", v.diskUsage, err)
				}
				if d := disks[0]; d.TotalGB != 100 || d.FreeGB != 25 || d.UtilizationPercent != 75 {
					t.Errorf("disk %+v", d)
				}
				if !strings.Contains(v.systemInfo, `"lan_ips":["10.0.0.5","10.0.0.6"]`) {
					t.Errorf("system info %s lacks the LAN addresses", v.systemInfo)
				}
				if !strings.Contains(v.mappingMeta, `"site_id":"31"`) {
					t.Errorf("mapping metadata %s lacks the site", v.mappingMeta)
				}
			}},
		{name: "workstation keeps storage last", in: func() rmm.Device { d := full; d.Kind = rmm.KindWorkstation; return d }(), wantOK: true,
			check: func(t *testing.T, v deviceValues) {
				detail := v.detailValues()
				if detail[len(detail)-1] != int32(100) {
					t.Errorf("a workstation's last detail column is storage_capacity_gb, got %v", detail[len(detail)-1])
				}
			}},
		{name: "boot after last seen gives no uptime", in: func() rmm.Device { d := full; d.BootTime = seen.Add(time.Hour); return d }(), wantOK: true,
			check: func(t *testing.T, v deviceValues) {
				if v.uptime != nil {
					t.Errorf("uptime %v, want NULL", v.uptime)
				}
			}},
		{name: "over-long values are clipped", in: rmm.Device{ExternalID: strings.Repeat("é", 300), OrgExternalID: "7", WANIP: strings.Repeat("1", 60)}, wantOK: true,
			check: func(t *testing.T, v deviceValues) {
				if n := len([]rune(v.extID)); n != 255 {
					t.Errorf("external id has %d characters, want 255", n)
				}
				if s, _ := v.wanIP.(string); len(s) != 45 {
					t.Errorf("wan ip %q, want 45 characters", s)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, ok, err := valuesOf(tt.in, orgs)
			if err != nil {
				t.Fatal(err)
			}
			if ok != tt.wantOK {
				t.Fatalf("ok = %v, want %v", ok, tt.wantOK)
			}
			if ok && tt.check != nil {
				tt.check(t, v)
			}
		})
	}
}

func TestOSVersion(t *testing.T) {
	tests := []struct{ name, ver, want string }{
		{"", "", ""},
		{"Ubuntu", "", "Ubuntu"},
		{"", "22.04", "22.04"},
		{"Ubuntu 22.04 LTS", "22.04", "Ubuntu 22.04 LTS"},
		{"macOS", "14.5", "macOS 14.5"},
		{"Windows 11 PRO", "pro", "Windows 11 PRO"},
	}
	for _, tt := range tests {
		if got := osVersion(rmm.Device{OSName: tt.name, OSVersion: tt.ver}); got != tt.want {
			t.Errorf("osVersion(%q, %q) = %q, want %q", tt.name, tt.ver, got, tt.want)
		}
	}
}
