package tacticalrmm

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"strconv"
	"strings"
)

// hardware is what the provider reads from an agent's wmi_detail.
type hardware struct {
	serial       string
	manufacturer string
	model        string
	cpuModel     string
	cpuCores     int
	cpuThreads   int
	lanIPs       []string
}

// readHardware reads wmi_detail in either shape (API.md §4.4): Windows
// agents send WMI classes, each a list of single-element lists holding one
// property dict; POSIX agents send flat keys (cpus, local_ips, make_model,
// serialnumber).
func readHardware(raw json.RawMessage) hardware {
	var hw hardware
	var wmi map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if len(raw) == 0 || dec.Decode(&wmi) != nil {
		return hw
	}
	if _, posix := wmi["cpus"]; posix {
		return readPOSIXHardware(wmi)
	}
	bios := wmiObjects(wmi["bios"])
	compSys := wmiObjects(wmi["comp_sys"])
	compSysProd := wmiObjects(wmi["comp_sys_prod"])
	hw.serial = firstValue(bios, "SerialNumber")
	if hw.serial == "" {
		hw.serial = firstValue(compSysProd, "IdentifyingNumber")
	}
	hw.manufacturer = firstValue(compSys, "Manufacturer")
	if hw.manufacturer == "" {
		hw.manufacturer = firstValue(compSysProd, "Vendor")
	}
	hw.model = firstValue(compSys, "Model")
	if hw.model == "" {
		hw.model = firstValue(compSysProd, "Name")
	}
	for _, cpu := range wmiObjects(wmi["cpu"]) {
		if hw.cpuModel == "" {
			hw.cpuModel = cleanValue(cpu["Name"])
		}
		hw.cpuCores += intValue(cpu["NumberOfCores"])
		hw.cpuThreads += intValue(cpu["NumberOfLogicalProcessors"])
	}
	var addrs []string
	for _, nic := range wmiObjects(wmi["network_config"]) {
		if list, ok := nic["IPAddress"].([]any); ok {
			for _, a := range list {
				if s, ok := a.(string); ok {
					addrs = append(addrs, s)
				}
			}
		}
	}
	hw.lanIPs = lanIPs(addrs)
	return hw
}

func readPOSIXHardware(wmi map[string]json.RawMessage) hardware {
	var hw hardware
	var cpus, ips []string
	_ = json.Unmarshal(wmi["cpus"], &cpus)
	_ = json.Unmarshal(wmi["local_ips"], &ips)
	var makeModel, serial string
	_ = json.Unmarshal(wmi["make_model"], &makeModel)
	_ = json.Unmarshal(wmi["serialnumber"], &serial)
	if len(cpus) > 0 {
		hw.cpuModel = cleanValue(cpus[0])
	}
	// make_model is one string ("QEMU Standard PC (Q35 + ICH9, 2009)"),
	// which cannot be split into maker and model reliably.
	hw.model = cleanValue(makeModel)
	hw.serial = cleanValue(serial)
	hw.lanIPs = lanIPs(ips)
	return hw
}

// wmiObjects flattens one WMI class to its property dicts, whatever the
// list nesting.
func wmiObjects(raw json.RawMessage) []map[string]any {
	if len(raw) == 0 {
		return nil
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if dec.Decode(&v) != nil {
		return nil
	}
	var out []map[string]any
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			out = append(out, x)
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	return out
}

func firstValue(objs []map[string]any, key string) string {
	for _, o := range objs {
		if s := cleanValue(o[key]); s != "" {
			return s
		}
	}
	return ""
}

// cleanValue renders a WMI value as a string, blanking the placeholders
// firmware and agents put where a value is unknown.
func cleanValue(v any) string {
	var s string
	switch x := v.(type) {
	case string:
		s = strings.TrimSpace(x)
	case json.Number:
		s = x.String()
	default:
		return ""
	}
	switch strings.ToLower(s) {
	case "", "none", "null", "n/a", "na", "to be filled by o.e.m.", "default string", "system serial number", "not specified":
		return ""
	}
	return s
}

func intValue(v any) int {
	switch x := v.(type) {
	case json.Number:
		n, _ := strconv.Atoi(x.String())
		return n
	case string:
		n, _ := strconv.Atoi(strings.TrimSpace(x))
		return n
	}
	return 0
}

// lanIPs keeps the usable LAN addresses: prefixes ("10.0.0.5/24", as
// POSIX agents send them) are cut, and loopback, link-local and
// unspecified addresses are dropped, as are duplicates.
func lanIPs(addrs []string) []string {
	var out []string
	seen := map[netip.Addr]bool{}
	for _, s := range addrs {
		s = strings.TrimSpace(s)
		if i := strings.IndexByte(s, '/'); i >= 0 {
			s = s[:i]
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			continue
		}
		a = a.Unmap()
		if a.IsLoopback() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() || a.IsUnspecified() || seen[a] {
			continue
		}
		seen[a] = true
		out = append(out, a.String())
	}
	return out
}

// osVersion pulls the version out of Tactical's operating_system text:
// "Microsoft Windows 11 Pro, 64 bit v24H2 (build 26100.4349)" gives the
// build "26100.4349"; "Ubuntu 24.04 x86_64 6.8.0-60-generic" (POSIX agents
// print platform, version, arch, kernel) gives "24.04".
func osVersion(plat, osName string) string {
	if _, rest, ok := strings.Cut(osName, "(build "); ok {
		if build, _, ok := strings.Cut(rest, ")"); ok && build != "" {
			return build
		}
	}
	if plat == "windows" {
		return ""
	}
	f := strings.Fields(osName)
	if len(f) >= 2 && f[1] != "" && f[1][0] >= '0' && f[1][0] <= '9' {
		return f[1]
	}
	return ""
}
