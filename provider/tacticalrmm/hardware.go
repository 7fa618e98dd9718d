package tacticalrmm

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/msp-psa/psa-host/provider/tacticalrmm/internal/api"
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

// readHardware reads the hardware from an agent's wmi_detail; what it
// lacks is left blank.
func readHardware(wmi api.WMIDetail) hardware {
	var hw hardware
	if wmi.POSIX {
		if len(wmi.CPUs) > 0 {
			hw.cpuModel = cleanText(wmi.CPUs[0])
		}
		// make_model is one string ("QEMU Standard PC (Q35 + ICH9, 2009)"),
		// which cannot be split into maker and model reliably.
		hw.model = cleanText(wmi.MakeModel)
		hw.serial = cleanText(wmi.SerialNumber)
		hw.lanIPs = lanIPs(wmi.LocalIPs)
		return hw
	}
	get := func(objs []api.WMIObject, prop func(api.WMIObject) string) string {
		for _, o := range objs {
			if s := cleanText(prop(o)); s != "" {
				return s
			}
		}
		return ""
	}
	hw.serial = get(wmi.BIOS, func(o api.WMIObject) string { return o.SerialNumber })
	if hw.serial == "" {
		hw.serial = get(wmi.CompSysProd, func(o api.WMIObject) string { return o.IdentifyingNumber })
	}
	hw.manufacturer = get(wmi.CompSys, func(o api.WMIObject) string { return o.Manufacturer })
	if hw.manufacturer == "" {
		hw.manufacturer = get(wmi.CompSysProd, func(o api.WMIObject) string { return o.Vendor })
	}
	hw.model = get(wmi.CompSys, func(o api.WMIObject) string { return o.Model })
	if hw.model == "" {
		hw.model = get(wmi.CompSysProd, func(o api.WMIObject) string { return o.Name })
	}
	for _, cpu := range wmi.CPU {
		if hw.cpuModel == "" {
			hw.cpuModel = cleanText(cpu.Name)
		}
		hw.cpuCores += intValue(cpu.NumberOfCores)
		hw.cpuThreads += intValue(cpu.NumberOfLogicalProcessors)
	}
	var addrs []string
	for _, nic := range wmi.NetworkConfig {
		addrs = append(addrs, nic.IPAddress...)
	}
	hw.lanIPs = lanIPs(addrs)
	return hw
}

// cleanText trims a WMI value, blanking the placeholders firmware and
// agents put where a value is unknown.
func cleanText(s string) string {
	s = strings.TrimSpace(s)
	switch strings.ToLower(s) {
	case "", "none", "null", "n/a", "na", "to be filled by o.e.m.", "default string", "system serial number", "not specified":
		return ""
	}
	return s
}

// intValue reads a count sent as a number or a string ("8", 8, 8.0).
func intValue(s string) int {
	s = strings.TrimSpace(s)
	if n, err := strconv.Atoi(s); err == nil {
		return n
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f == float64(int(f)) {
		return int(f)
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
