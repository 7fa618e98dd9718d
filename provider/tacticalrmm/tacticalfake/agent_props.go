package tacticalfake

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
)

// The computed Agent properties of agents/models.py, over the generated
// wmi_detail, with the same fallbacks.

func (a *agentFull) wmiItems(section string) [][]kv {
	for _, s := range a.wmi {
		if s.name == section {
			return s.items
		}
	}
	return nil
}

func prop(item []kv, key string) (any, bool) {
	for _, p := range item {
		if p.k == key {
			return p.v, true
		}
	}
	return nil, false
}

func propStr(item []kv, key string) string {
	v, _ := prop(item, key)
	s, _ := v.(string)
	return s
}

func propInt(item []kv, key string) int64 {
	v, _ := prop(item, key)
	switch x := v.(type) {
	case int:
		return int64(x)
	case int64:
		return x
	}
	return 0
}

func (a *agentFull) cpuModel() []string {
	if a.posix != nil {
		return a.posix.cpus
	}
	var out []string
	for _, cpu := range a.wmiItems("cpu") {
		name := propStr(cpu, "Name")
		lp, nc := propInt(cpu, "NumberOfLogicalProcessors"), propInt(cpu, "NumberOfCores")
		if lp != 0 && nc != 0 {
			name = fmt.Sprintf("%s, %dC/%dT", name, nc, lp)
		}
		out = append(out, name)
	}
	if out == nil {
		return []string{"unknown cpu model"}
	}
	return out
}

func (a *agentFull) graphics() string {
	if a.posix != nil {
		if len(a.posix.gpus) == 0 {
			return "No graphics cards"
		}
		return strings.Join(a.posix.gpus, ", ")
	}
	var ret []string
	mrda := false
	for _, g := range a.wmiItems("graphics") {
		c := propStr(g, "Caption")
		if strings.Contains(strings.ToLower(c), "microsoft remote display adapter") {
			mrda = true
			continue
		}
		ret = append(ret, c)
	}
	if len(ret) == 0 && mrda {
		return "Microsoft Remote Display Adapter"
	}
	return strings.Join(ret, ", ")
}

func (a *agentFull) localIPs() string {
	if a.posix != nil {
		return strings.Join(a.posix.localIPs, ", ")
	}
	var ret []string
	for _, nic := range a.wmiItems("network_config") {
		v, _ := prop(nic, "IPAddress")
		addrs, _ := v.([]string)
		for _, ip := range addrs {
			if p, err := netip.ParseAddr(ip); err == nil && p.Is4() {
				ret = append(ret, ip)
			}
		}
	}
	if len(ret) == 0 {
		return "error getting local ips"
	}
	return strings.Join(ret, ", ")
}

func (a *agentFull) makeModel() string {
	if a.posix != nil {
		return a.posix.makeModel
	}
	cs, csp := a.wmiItems("comp_sys"), a.wmiItems("comp_sys_prod")
	if len(cs) == 0 || len(csp) == 0 {
		return "unknown make/model"
	}
	make, model := propStr(csp[0], "Vendor"), propStr(cs[0], "Model")
	if strings.Contains(strings.ToLower(model), "to be filled") {
		if mobo := a.wmiItems("base_board"); len(mobo) > 0 {
			make, model = propStr(mobo[0], "Manufacturer"), propStr(mobo[0], "Product")
		}
	}
	if strings.ToLower(make) == "lenovo" {
		if fam := propStr(cs[0], "SystemFamily"); !strings.Contains(strings.ToLower(fam), "to be filled") {
			model = fam
		}
	}
	return make + " " + model
}

func (a *agentFull) physicalDisks() []string {
	if a.posix != nil {
		return a.posix.disks
	}
	out := []string{}
	for _, d := range a.wmiItems("disk") {
		iface := propStr(d, "InterfaceType")
		if iface == "USB" {
			continue
		}
		gb := int64(math.RoundToEven(float64(propInt(d, "Size")) / 1073741824))
		out = append(out, fmt.Sprintf("%s %sGB %s", propStr(d, "Caption"), thousands(gb), iface))
	}
	return out
}

// thousands formats like Python's "{:,}".
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func (a *agentFull) serialNumber() string {
	if a.posix != nil {
		return a.posix.serial
	}
	if b := a.wmiItems("bios"); len(b) > 0 {
		return propStr(b[0], "SerialNumber")
	}
	return ""
}

// hexMeshNodeID is, despite its name, the node id's bytes as base64 with
// '/' and '+' swapped for '$' and '@'.
func (a *agentFull) hexMeshNodeID() string {
	raw, err := hex.DecodeString(a.meshNodeID)
	if a.meshNodeID == "" || err != nil {
		return "error"
	}
	s := base64.StdEncoding.EncodeToString(raw)
	return strings.NewReplacer("/", "$", "+", "@").Replace(s)
}

func (a *agentFull) effectiveDefaultShell() string {
	switch a.defaultShell {
	case "use_global":
		if a.plat == platWindows {
			return "cmd"
		}
		return "bash"
	case "custom":
		return a.defaultShellCustom
	}
	return a.defaultShell
}

func (a *agentFull) monitoringType() string {
	if a.server {
		return "server"
	}
	return "workstation"
}
