package integration_test

import (
	"encoding/json"
	"math"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/msp-psa/psa-host/provider/tacticalrmm/tacticalfake"
)

// This file is the test's own reading of a Tactical agent, written from
// shared/tactical/API.md §4.4 and the schema, independently of the
// provider and the store: what each asset column must hold for an agent
// the fake serves.

const null = "<null>"

// agentDoc is the part of a beta agent row the asset columns come from.
type agentDoc struct {
	AgentID         string  `json:"agent_id"`
	Hostname        string  `json:"hostname"`
	Plat            string  `json:"plat"`
	OperatingSystem string  `json:"operating_system"`
	Version         string  `json:"version"`
	LastSeen        *string `json:"last_seen"`
	PublicIP        string  `json:"public_ip"`
	TotalRAM        *int64  `json:"total_ram"`
	Disks           []struct {
		Device string `json:"device"`
		FSType string `json:"fstype"`
		Total  string `json:"total"`
		Free   string `json:"free"`
	} `json:"disks"`
	BootTime        *float64        `json:"boot_time"`
	LoggedIn        string          `json:"logged_in_username"`
	LastLoggedIn    string          `json:"last_logged_in_user"`
	MonitoringType  string          `json:"monitoring_type"`
	Site            int             `json:"site"`
	NeedsReboot     bool            `json:"needs_reboot"`
	MaintenanceMode bool            `json:"maintenance_mode"`
	WMI             json.RawMessage `json:"wmi_detail"`
}

// hardwareDoc is what wmi_detail says, in either of its shapes.
type hardwareDoc struct {
	serial, manufacturer, model, cpuModel string
	cpuCores, cpuThreads                  int
	lanIPs                                []string
}

// expectedAsset is what the database must hold for one agent.
type expectedAsset struct {
	cols     map[string]string // column key -> text, null for NULL
	disks    []expectedDisk
	info     map[string]any // system_info keys checked; zero values mean absent
	metadata map[string]any // the crosswalk row's metadata, exactly
}

type expectedDisk struct {
	name, fsType          string
	totalBytes, freeBytes int64
}

const gibibyte = 1 << 30

func timeText(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000Z") }

func textOrNull(s string) string {
	if s == "" {
		return null
	}
	return s
}

// expectAsset computes the expected rows for agent i, which must belong
// to a Tactical client mapped to psaClientID.
func expectAsset(t *testing.T, fake *tacticalfake.Server, i int, psaClientID string) expectedAsset {
	t.Helper()
	view := fake.Agent(i)
	var doc agentDoc
	if err := json.Unmarshal(fake.AgentJSON(i), &doc); err != nil {
		t.Fatalf("agent %d: %v", i, err)
	}
	hw := readWMI(t, doc.WMI)
	server := doc.MonitoringType == "server"

	lastSeen := time.Time{}
	if doc.LastSeen != nil {
		var err error
		if lastSeen, err = time.Parse(time.RFC3339Nano, *doc.LastSeen); err != nil {
			t.Fatalf("agent %d: last_seen %q: %v", i, *doc.LastSeen, err)
		}
	}
	var boot time.Time
	if doc.BootTime != nil && *doc.BootTime > 0 {
		sec, frac := math.Modf(*doc.BootTime)
		boot = time.Unix(int64(sec), int64(frac*1e9))
	}
	ts := func(t time.Time) string {
		if t.IsZero() {
			return null
		}
		return timeText(t)
	}
	uptime := null
	if !boot.IsZero() && !lastSeen.IsZero() && !lastSeen.Before(boot) {
		uptime = strconv.FormatInt(int64(lastSeen.Sub(boot)/time.Second), 10)
	}
	ram := null
	if doc.TotalRAM != nil && *doc.TotalRAM > 0 {
		ram = strconv.FormatInt(*doc.TotalRAM, 10) // total_ram is whole GB
	}
	cores := null
	if hw.cpuCores > 0 {
		cores = strconv.Itoa(hw.cpuCores)
	}
	lanIP := ""
	if len(hw.lanIPs) > 0 {
		lanIP = hw.lanIPs[0]
	}

	e := expectedAsset{cols: map[string]string{
		"asset.name":                doc.Hostname,
		"asset.asset_tag":           doc.Hostname,
		"asset.asset_type":          map[bool]string{true: "server", false: "workstation"}[server],
		"asset.client_id":           psaClientID,
		"asset.status":              "active",
		"asset.serial_number":       textOrNull(hw.serial),
		"asset.rmm_provider":        "tacticalrmm",
		"asset.rmm_organization_id": strconv.Itoa(view.ClientID),
		"asset.rmm_site_id":         strconv.Itoa(doc.Site),
		"asset.rmm_site_name":       view.SiteName,
		"asset.agent_status":        view.Status,
		"asset.last_seen_at":        ts(lastSeen),
		"asset.missing_since":       null,
		"detail.table":              map[bool]string{true: "server_assets", false: "workstation_assets"}[server],
		"detail.os_type":            doc.Plat,
		// The operating_system text already holds its version.
		"detail.os_version":     doc.OperatingSystem,
		"detail.cpu_model":      textOrNull(hw.cpuModel),
		"detail.cpu_cores":      cores,
		"detail.ram_gb":         ram,
		"detail.agent_version":  doc.Version,
		"detail.last_reboot_at": ts(boot),
		// "None" is Tactical's way of saying nobody is logged in.
		"detail.current_user":   textOrNull(noneIsEmpty(doc.LoggedIn)),
		"detail.last_user":      textOrNull(noneIsEmpty(doc.LastLoggedIn)),
		"detail.uptime_seconds": uptime,
		"detail.lan_ip":         textOrNull(lanIP),
		"detail.wan_ip":         textOrNull(doc.PublicIP),
		// Only servers have primary_ip, only workstations storage_capacity_gb.
		"detail.primary_ip":          null,
		"detail.storage_capacity_gb": null,
		"mapping.points_at_asset":    "true",
		"mapping.integration_type":   "tacticalrmm",
		"mapping.external_realm_id":  strconv.Itoa(view.ClientID),
		"mapping.sync_status":        "synced",
	}}
	var totalBytes int64
	for _, d := range doc.Disks {
		total, free := parseHumanSize(t, d.Total), parseHumanSize(t, d.Free)
		e.disks = append(e.disks, expectedDisk{name: d.Device, fsType: d.FSType, totalBytes: total, freeBytes: free})
		totalBytes += total
	}
	if server {
		e.cols["detail.primary_ip"] = textOrNull(lanIP)
	} else if totalBytes > 0 {
		e.cols["detail.storage_capacity_gb"] = strconv.Itoa(int(math.Round(float64(totalBytes) / gibibyte)))
	}
	var ramBytes float64
	if doc.TotalRAM != nil {
		ramBytes = float64(*doc.TotalRAM * gibibyte)
	}
	lanIPs := make([]any, len(hw.lanIPs))
	for k, ip := range hw.lanIPs {
		lanIPs[k] = ip
	}
	e.info = map[string]any{
		"hostname": doc.Hostname, "platform": doc.Plat, "os_name": doc.OperatingSystem,
		"serial_number": hw.serial, "manufacturer": hw.manufacturer, "model": hw.model,
		"cpu_threads": float64(hw.cpuThreads), "ram_bytes": ramBytes, "lan_ips": lanIPs,
		"needs_reboot": doc.NeedsReboot, "maintenance_mode": doc.MaintenanceMode,
	}
	e.metadata = map[string]any{"site_id": strconv.Itoa(doc.Site), "site_name": view.SiteName, "hostname": doc.Hostname}
	return e
}

func noneIsEmpty(s string) string {
	if strings.TrimSpace(s) == "None" {
		return ""
	}
	return strings.TrimSpace(s)
}

// placeholder reports the values firmware and agents put where a value
// is unknown.
func placeholder(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "none", "null", "n/a", "na", "to be filled by o.e.m.", "default string", "system serial number", "not specified":
		return true
	}
	return false
}

func known(values ...string) string {
	for _, v := range values {
		if !placeholder(v) {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// readWMI reads wmi_detail: Windows agents send WMI classes (lists of
// single-element lists of property dicts), POSIX agents flat keys.
func readWMI(t *testing.T, raw json.RawMessage) hardwareDoc {
	t.Helper()
	var hw hardwareDoc
	var posix struct {
		CPUs      []string `json:"cpus"`
		LocalIPs  []string `json:"local_ips"`
		MakeModel string   `json:"make_model"`
		Serial    string   `json:"serialnumber"`
	}
	if err := json.Unmarshal(raw, &posix); err != nil {
		t.Fatalf("wmi_detail: %v", err)
	}
	if posix.CPUs != nil {
		if len(posix.CPUs) > 0 {
			hw.cpuModel = known(posix.CPUs[0])
		}
		hw.model = known(posix.MakeModel) // one string: maker and model cannot be told apart
		hw.serial = known(posix.Serial)
		hw.lanIPs = usableIPs(posix.LocalIPs)
		return hw
	}
	var win map[string][][]map[string]any
	if err := json.Unmarshal(raw, &win); err != nil {
		t.Fatalf("Windows wmi_detail: %v", err)
	}
	first := func(class, key string) string {
		for _, l := range win[class] {
			for _, o := range l {
				if s, ok := o[key].(string); ok && !placeholder(s) {
					return strings.TrimSpace(s)
				}
			}
		}
		return ""
	}
	hw.serial = known(first("bios", "SerialNumber"), first("comp_sys_prod", "IdentifyingNumber"))
	hw.manufacturer = known(first("comp_sys", "Manufacturer"), first("comp_sys_prod", "Vendor"))
	hw.model = known(first("comp_sys", "Model"), first("comp_sys_prod", "Name"))
	hw.cpuModel = first("cpu", "Name")
	var addrs []string
	for _, l := range win["cpu"] {
		for _, o := range l {
			n, _ := o["NumberOfCores"].(float64)
			th, _ := o["NumberOfLogicalProcessors"].(float64)
			hw.cpuCores += int(n)
			hw.cpuThreads += int(th)
		}
	}
	for _, l := range win["network_config"] {
		for _, o := range l {
			list, _ := o["IPAddress"].([]any)
			for _, a := range list {
				if s, ok := a.(string); ok {
					addrs = append(addrs, s)
				}
			}
		}
	}
	hw.lanIPs = usableIPs(addrs)
	return hw
}

// usableIPs keeps the addresses a LAN IP can be: no prefix, no loopback,
// link-local or unspecified address, no repeats.
func usableIPs(addrs []string) []string {
	var out []string
	for _, s := range addrs {
		s, _, _ = strings.Cut(strings.TrimSpace(s), "/")
		a, err := netip.ParseAddr(s)
		if err != nil || a.IsLoopback() || a.IsLinkLocalUnicast() || a.IsUnspecified() || slices.Contains(out, a.String()) {
			continue
		}
		out = append(out, a.String())
	}
	return out
}

// parseHumanSize reads the agent's disk sizes ("457.4 GB"), 1024-based.
func parseHumanSize(t *testing.T, s string) int64 {
	t.Helper()
	num, unit, _ := strings.Cut(strings.TrimSpace(s), " ")
	n, err := strconv.ParseFloat(num, 64)
	if err != nil {
		t.Fatalf("disk size %q: %v", s, err)
	}
	exp := map[string]float64{"B": 0, "kB": 1, "KB": 1, "MB": 2, "GB": 3, "TB": 4, "PB": 5}
	e, ok := exp[unit]
	if !ok {
		t.Fatalf("disk size %q: unknown unit", s)
	}
	return int64(math.Round(n * math.Pow(1024, e)))
}
