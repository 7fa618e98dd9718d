package tacticalrmm

import (
	"bytes"
	"net/netip"
	"strconv"
	"strings"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

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

// wmiClasses are the parts of wmi_detail the provider reads; the other
// classes (disks, memory, graphics, ...), most of its size, are skipped
// by the decoder without being decoded.
type wmiClasses struct {
	BIOS          jsontext.Value `json:"bios"`
	CompSys       jsontext.Value `json:"comp_sys"`
	CompSysProd   jsontext.Value `json:"comp_sys_prod"`
	CPU           jsontext.Value `json:"cpu"`
	NetworkConfig jsontext.Value `json:"network_config"`
	// POSIX agents.
	CPUs         jsontext.Value `json:"cpus"`
	LocalIPs     jsontext.Value `json:"local_ips"`
	MakeModel    jsontext.Value `json:"make_model"`
	SerialNumber jsontext.Value `json:"serialnumber"`
}

// wmiProps is one WMI object's properties, each kept as sent so that a
// number (a serial, a core count) is read without float rounding.
type wmiProps map[string]jsontext.Value

// readHardware reads wmi_detail in either shape (API.md §4.4): Windows
// agents send WMI classes, each a list of single-element lists holding one
// property dict; POSIX agents send flat keys (cpus, local_ips, make_model,
// serialnumber). What cannot be read is left blank.
func readHardware(raw []byte) hardware {
	var hw hardware
	var wmi wmiClasses
	if len(raw) == 0 || api.Unmarshal(raw, &wmi) != nil {
		return hw
	}
	if wmi.CPUs != nil {
		return readPOSIXHardware(wmi)
	}
	bios := wmiObjects(wmi.BIOS)
	compSys := wmiObjects(wmi.CompSys)
	compSysProd := wmiObjects(wmi.CompSysProd)
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
	for _, cpu := range wmiObjects(wmi.CPU) {
		if hw.cpuModel == "" {
			hw.cpuModel = cleanValue(cpu["Name"])
		}
		hw.cpuCores += intValue(cpu["NumberOfCores"])
		hw.cpuThreads += intValue(cpu["NumberOfLogicalProcessors"])
	}
	var addrs []string
	for _, nic := range wmiObjects(wmi.NetworkConfig) {
		addrs = append(addrs, stringList(nic["IPAddress"])...)
	}
	hw.lanIPs = lanIPs(addrs)
	return hw
}

func readPOSIXHardware(wmi wmiClasses) hardware {
	var hw hardware
	if cpus := stringList(wmi.CPUs); len(cpus) > 0 {
		hw.cpuModel = cleanText(cpus[0])
	}
	// make_model is one string ("QEMU Standard PC (Q35 + ICH9, 2009)"),
	// which cannot be split into maker and model reliably.
	hw.model = cleanValue(wmi.MakeModel)
	hw.serial = cleanValue(wmi.SerialNumber)
	hw.lanIPs = lanIPs(stringList(wmi.LocalIPs))
	return hw
}

// wmiObjects flattens one WMI class to its property dicts, whatever the
// list nesting.
func wmiObjects(raw jsontext.Value) []wmiProps {
	if len(raw) == 0 {
		return nil
	}
	var out []wmiProps
	dec := jsontext.NewDecoder(bytes.NewReader(raw), api.DecodeOptions())
	for {
		var err error
		switch dec.PeekKind() {
		case '{':
			var p wmiProps
			if err = jsonv2.UnmarshalDecode(dec, &p, api.DecodeOptions()); err == nil {
				out = append(out, p)
			}
		case '[', ']':
			_, err = dec.ReadToken()
		case 0: // the end, or an error
			return out
		default:
			err = dec.SkipValue()
		}
		if err != nil {
			return out
		}
	}
}

// stringList reads a list of strings, skipping what is not a string.
func stringList(raw jsontext.Value) []string {
	var items []jsontext.Value
	if len(raw) == 0 || api.Unmarshal(raw, &items) != nil {
		return nil
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		var s string
		if it.Kind() == '"' && api.Unmarshal(it, &s) == nil {
			out = append(out, s)
		}
	}
	return out
}

func firstValue(objs []wmiProps, key string) string {
	for _, o := range objs {
		if s := cleanValue(o[key]); s != "" {
			return s
		}
	}
	return ""
}

// scalar renders a JSON string or number as text; other kinds give "".
func scalar(v jsontext.Value) string {
	switch v.Kind() {
	case '"':
		var s string
		if api.Unmarshal(v, &s) == nil {
			return s
		}
	case '0':
		return string(v)
	}
	return ""
}

// cleanValue renders a WMI value as a string, blanking the placeholders
// firmware and agents put where a value is unknown.
func cleanValue(v jsontext.Value) string { return cleanText(scalar(v)) }

func cleanText(s string) string {
	s = strings.TrimSpace(s)
	switch strings.ToLower(s) {
	case "", "none", "null", "n/a", "na", "to be filled by o.e.m.", "default string", "system serial number", "not specified":
		return ""
	}
	return s
}

func intValue(v jsontext.Value) int {
	n, _ := strconv.Atoi(strings.TrimSpace(scalar(v)))
	return n
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
