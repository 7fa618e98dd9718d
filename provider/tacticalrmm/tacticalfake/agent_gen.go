package tacticalfake

import (
	"encoding/hex"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// agentFull is one agent with every field, built on demand from its core.
type agentFull struct {
	agentCore
	agentID, hostname                string
	version, os, goarch              string
	services                         []service
	publicIP                         string
	totalRAM                         int
	disks                            []diskUsage
	bootTime                         float64
	loggedIn, lastLoggedIn           string
	description                      string // "": null
	meshNodeID                       string // "": null
	overdueEmail, overdueText        bool
	overdueDashboard                 bool
	checkInterval                    int
	needsReboot, chocoInstalled      bool
	wmi                              []wmiSection // Windows
	posix                            *posixDetail // Linux and macOS
	patchesLastInstalled             time.Time
	timeZone                         string // "": null
	maintenance, blockInheritance    bool
	defaultShell, defaultShellCustom string
	alertTemplate, policy            int // 0: null
	createdBy, modifiedBy            string
	checks                           checkCounts
	pendingActions                   int
	hasPatchesPending                bool
}

type service struct {
	pid                                 int
	name, status, binpath, username     string
	autodelay                           bool
	startType, description, displayName string
}

type diskUsage struct {
	device, fstype    string
	total, used, free int64
	percent           int
}

// kv is one property of a WMI object; v is a string, int, int64, bool or
// []string.
type kv struct {
	k string
	v any
}

// wmiSection is one wmi_detail key: a list of objects, each rendered as a
// single-element list holding one property dict, as the agent sends it.
type wmiSection struct {
	name  string
	items [][]kv
}

type posixDetail struct {
	cpus, gpus, disks, localIPs []string
	makeModel, serial           string
}

type checkCounts struct{ total, passing, failing, warning, info int }

// full builds agent c with every field.
func (f *fleet) full(c agentCore) *agentFull {
	rs := newRNG(f.spec.Seed, streamStatic, uint64(c.idx), 0)
	rv := newRNG(f.spec.Seed, streamVolatile, uint64(c.idx), uint64(c.rev))
	a := &agentFull{agentCore: c, agentID: f.agentID(c.idx), hostname: f.hostname(c)}
	a.version = pick(&rs, []string{"2.11.0", "2.11.0", "2.11.0", "2.11.0", "2.10.0", "2.9.1"})
	a.publicIP = f.publicIP(c.baseSiteID, &rv)
	a.bootTime = float64(f.t0.Add(-time.Duration(rv.between(3600, 40*86400)) * time.Second).Unix())
	if rs.chance(0.4) {
		a.description = pick(&rs, descriptions)
	}
	if !rs.chance(0.01) {
		var mesh [48]byte
		for k := range mesh {
			mesh[k] = byte(rs.next())
		}
		a.meshNodeID = strings.ToUpper(hex.EncodeToString(mesh[:]))
	}
	a.overdueEmail, a.overdueText, a.overdueDashboard = rs.chance(0.3), rs.chance(0.05), rs.chance(0.7)
	a.checkInterval = pick(&rs, []int{120, 120, 120, 120, 60, 300})
	a.needsReboot = rv.chance(0.15)
	if rs.chance(0.2) {
		a.timeZone = pick(&rs, []string{"America/Chicago", "America/New_York", "America/Los_Angeles", "Europe/London", "Australia/Sydney"})
	}
	a.blockInheritance = rs.chance(0.05)
	a.defaultShell = "use_global"
	switch p := rs.float(); {
	case p < 0.05:
		a.defaultShell = "custom"
		a.defaultShellCustom = `C:\Program Files\PowerShell\7\pwsh.exe`
		if c.plat != platWindows {
			a.defaultShellCustom = "/bin/zsh"
		}
	case p < 0.2 && c.plat == platWindows:
		a.defaultShell = pick(&rs, []string{"powershell", "cmd"})
	case p < 0.2:
		a.defaultShell = "bash"
	}
	if rs.chance(0.7) {
		a.alertTemplate = 2
	}
	if rs.chance(0.1) {
		a.policy = 1
	}
	if rs.chance(0.1) {
		a.createdBy = pick(&rs, auditUsers)
	}
	if rv.chance(0.4) {
		a.modifiedBy = pick(&rs, auditUsers)
	}
	a.checks.total = rv.intn(13)
	for range a.checks.total {
		switch p := rv.float(); {
		case p < 0.8:
			a.checks.passing++
		case p < 0.9:
			a.checks.failing++
		case p < 0.97:
			a.checks.warning++
		default:
			a.checks.info++
		}
	}
	if rv.chance(0.05) {
		a.pendingActions = rv.between(1, 3)
	}
	a.loggedIn, a.lastLoggedIn = "None", pick(&rs, userNames)
	switch {
	case c.plat == platWindows && c.server:
		a.lastLoggedIn = strings.ToUpper(f.codeOf(c)) + `\administrator`
		if rv.chance(0.15) {
			a.loggedIn = a.lastLoggedIn
		}
	case rv.chance(0.75):
		a.loggedIn = a.lastLoggedIn
	}
	if c.plat == platWindows {
		f.fillWindows(a, &rs, &rv)
	} else {
		f.fillPosix(a, &rs, &rv)
	}
	return a
}

func (f *fleet) codeOf(c agentCore) string {
	if cl := f.client(f.clientOfSite(c.baseSiteID)); cl != nil {
		return cl.code
	}
	return "HOST"
}

// publicIP is usually the site's address: agents of a site share one NAT.
func (f *fleet) publicIP(siteID int, rv *rng) string {
	if rv.chance(0.1) { // a laptop on the road
		return fmt.Sprintf("198.51.100.%d", 1+rv.intn(254))
	}
	r := newRNG(f.spec.Seed, streamStatic, uint64(siteID), 7)
	return fmt.Sprintf("203.0.%d.%d", 113+r.intn(2), 1+r.intn(254))
}

func (f *fleet) lanPrefix(siteID int) string {
	r := newRNG(f.spec.Seed, streamStatic, uint64(siteID), 8)
	return fmt.Sprintf("10.%d.%d.", r.intn(200), r.intn(8))
}

func (f *fleet) fillWindows(a *agentFull, rs, rv *rng) {
	hw := winHardware[a.profile%len(winHardware)]
	osv := pick(rs, winWorkstationOS)
	if a.server {
		osv = pick(rs, winServerOS)
	}
	a.os, a.goarch = osv.name, "amd64"
	a.chocoInstalled = rs.chance(0.85)
	a.hasPatchesPending = rv.chance(0.3)
	if rs.chance(0.9) {
		a.patchesLastInstalled = f.t0.Add(-time.Duration(rv.between(3600, 40*86400))*time.Second - time.Duration(rv.intn(1e6))*time.Microsecond)
	}
	ramGB := pick(rs, hw.ramGB)
	ramBytes := int64(ramGB)<<30 - int64(rs.between(100, 900))<<20
	a.totalRAM = int(math.Ceil(float64(ramBytes) / (1 << 30)))

	// Services: every core one, then a random share of the rest, 40-80 in all.
	target := rs.between(40, 80)
	var picked []svcDef
	var optional []svcDef
	for _, s := range winServices {
		if s.core {
			picked = append(picked, s)
		} else {
			optional = append(optional, s)
		}
	}
	suffix := randChars(rs, "0123456789abcdef", 5)
	if a.loggedIn != "None" { // per-user services exist while someone is logged on
		for _, u := range winUserServices {
			u.name = fmt.Sprintf(u.name, suffix)
			u.display = fmt.Sprintf(u.display, suffix)
			optional = append(optional, u)
		}
	}
	for k := len(optional) - 1; k > 0; k-- {
		j := rs.intn(k + 1)
		optional[k], optional[j] = optional[j], optional[k]
	}
	picked = append(picked, optional[:max(0, min(len(optional), target-len(picked)))]...)
	// Windows lists services by name, ignoring case.
	lower := make(map[string]string, len(picked))
	for _, p := range picked {
		lower[p.name] = strings.ToLower(p.name)
	}
	slices.SortFunc(picked, func(x, y svcDef) int { return strings.Compare(lower[x.name], lower[y.name]) })
	a.services = make([]service, len(picked))
	for k, s := range picked {
		running := false
		switch s.start {
		case "Automatic":
			running = rv.chance(0.96)
		case "Manual":
			running = rv.chance(0.3)
		}
		sv := service{name: s.name, binpath: s.binpath, username: s.user, autodelay: s.autodelay,
			startType: s.start, description: s.desc, displayName: s.display, status: "stopped"}
		if running {
			sv.status, sv.pid = "running", 4*rv.between(100, 6000)
		}
		a.services[k] = sv
	}

	// Disks: C: on the system disk, a data volume on some servers.
	sysBytes := hw.diskBytes - 1<<30
	a.disks = append(a.disks, usage("C:", "NTFS", sysBytes, rv.between(15, 85)))
	if a.server && rs.chance(0.5) {
		a.disks = append(a.disks, usage("D:", "NTFS", int64(rs.between(200, 4000))<<30, rv.between(5, 95)))
	}

	serial := hw.serial(rs)
	domain := strings.ToLower(f.codeOf(a.agentCore)) + ".local"
	lan := f.lanPrefix(a.baseSiteID)
	installed := f.t0.Add(-time.Duration(rs.between(60, 900)) * 24 * time.Hour).In(time.FixedZone("", -5*3600))
	booted := time.Unix(int64(a.bootTime), 0).In(time.FixedZone("", -5*3600))
	const wmiTime = "2006-01-02T15:04:05-07:00"

	sec := func(name string, items ...[]kv) { a.wmi = append(a.wmi, wmiSection{name: name, items: items}) }
	sec("os", []kv{
		{"Caption", osv.caption}, {"BuildNumber", osv.build}, {"OSArchitecture", "64-bit"},
		{"InstallDate", installed.Format(wmiTime)}, {"LastBootUpTime", booted.Format(wmiTime)},
		{"Version", "10.0." + osv.build}, {"SerialNumber", fmt.Sprintf("00330-%05d-%05d-AAOEM", rs.intn(1e5), rs.intn(1e5))},
		{"RegisteredUser", pick(rs, []string{"Windows User", "admin", "IT"})}, {"CSName", a.hostname},
		{"NumberOfUsers", rv.between(0, 3)}, {"FreePhysicalMemory", rv.between(1<<20, int(ramBytes>>10))},
		{"TotalVisibleMemorySize", int(ramBytes >> 10)}, {"WindowsDirectory", `C:\Windows`}, {"SystemDrive", "C:"},
		{"Locale", "0409"}, {"MUILanguages", []string{"en-US"}},
	})
	sec("cpu", []kv{
		{"Name", hw.cpuName}, {"NumberOfCores", hw.cores}, {"NumberOfLogicalProcessors", hw.threads},
		{"MaxClockSpeed", hw.clockMHz}, {"Manufacturer", hw.cpuMfr}, {"Caption", "Intel64 Family 6 Model 151 Stepping 5"},
		{"DeviceID", "CPU0"}, {"SocketDesignation", "CPU 1"}, {"L2CacheSize", 1280 * hw.cores}, {"L3CacheSize", 18432},
		{"ProcessorId", "BFEBFBFF000" + randChars(rs, "0123456789ABCDEF", 5)}, {"AddressWidth", 64},
	})
	var dimms [][]kv
	for k, left := 0, ramGB; left > 0 && k < 8; k++ {
		size := min(left, 32)
		if ramGB >= 16 && size == ramGB {
			size = ramGB / 2
		}
		left -= size
		dimms = append(dimms, []kv{
			{"Capacity", int64(size) << 30}, {"Manufacturer", pick(rs, []string{"Samsung", "SK Hynix", "Micron Technology", "Kingston"})},
			{"PartNumber", "M425R" + randChars(rs, "0123456789ABCDEF", 8)}, {"Speed", 3200}, {"ConfiguredClockSpeed", 3200},
			{"BankLabel", fmt.Sprintf("BANK %d", k)}, {"DeviceLocator", fmt.Sprintf("DIMM%d", k+1)},
			{"SerialNumber", randChars(rs, "0123456789ABCDEF", 8)}, {"FormFactor", 12},
		})
	}
	sec("mem", dimms...)
	disks := [][]kv{{
		{"Caption", hw.diskCaption}, {"Size", hw.diskBytes}, {"InterfaceType", hw.diskIface}, {"MediaType", hw.diskMedia},
		{"Model", hw.diskCaption}, {"SerialNumber", randChars(rs, "0123456789ABCDEF", 16)}, {"Partitions", 3},
		{"Status", "OK"}, {"DeviceID", `\\.\PHYSICALDRIVE0`}, {"FirmwareRevision", "AEHA0102"},
	}}
	if hw.usbDisk {
		disks = append(disks, []kv{
			{"Caption", "SanDisk Cruzer Blade USB Device"}, {"Size", int64(15631122432)}, {"InterfaceType", "USB"},
			{"MediaType", "Removable Media"}, {"Model", "SanDisk Cruzer Blade USB Device"}, {"SerialNumber", "4C530001230620113492"},
			{"Partitions", 1}, {"Status", "OK"}, {"DeviceID", `\\.\PHYSICALDRIVE1`}, {"FirmwareRevision", "1.00"},
		})
	}
	sec("disk", disks...)
	sec("bios", []kv{
		{"SerialNumber", serial}, {"Manufacturer", hw.manufacturer}, {"SMBIOSBIOSVersion", fmt.Sprintf("1.%d.0", rs.between(2, 30))},
		{"Version", "DELL   - 1072009"}, {"ReleaseDate", "2025-03-11T00:00:00Z"}, {"Name", "BIOS Date: 03/11/25"},
	})
	sec("comp_sys", []kv{
		{"Model", hw.model}, {"Manufacturer", hw.manufacturer}, {"SystemFamily", hw.family},
		{"TotalPhysicalMemory", ramBytes}, {"Domain", domain}, {"DNSHostName", a.hostname}, {"Name", a.hostname},
		{"NumberOfProcessors", 1}, {"NumberOfLogicalProcessors", hw.threads}, {"PartOfDomain", true},
		{"SystemType", "x64-based PC"}, {"PCSystemType", map[bool]int{true: 4, false: 1}[a.server]},
	})
	sec("comp_sys_prod", []kv{
		{"Vendor", hw.vendor}, {"Version", pick(rs, []string{"", "None", "1"})}, {"IdentifyingNumber", serial},
		{"UUID", strings.ToUpper(fmt.Sprintf("%s-%s-%s-%s-%s", randChars(rs, "0123456789abcdef", 8), randChars(rs, "0123456789abcdef", 4), randChars(rs, "0123456789abcdef", 4), randChars(rs, "0123456789abcdef", 4), randChars(rs, "0123456789abcdef", 12)))},
		{"Name", hw.model},
	})
	sec("base_board", []kv{
		{"Manufacturer", hw.boardMfr}, {"Product", hw.boardProduct}, {"SerialNumber", "/" + serial + "/CNWSC00" + randChars(rs, "0123456789", 6) + "/"},
		{"Version", "A00"},
	})
	var gpus [][]kv
	for _, g := range hw.gpus {
		gpus = append(gpus, []kv{
			{"Caption", g}, {"AdapterRAM", int64(2147479552)}, {"DriverVersion", "31.0.101.5186"},
			{"VideoProcessor", g}, {"VideoModeDescription", "1920 x 1080 x 4294967296 colors"},
		})
	}
	sec("graphics", gpus...)
	ip := lan + fmt.Sprint(rs.between(10, 250))
	mac := func() string {
		h := strings.ToUpper(randChars(rs, "0123456789abcdef", 12))
		return h[0:2] + ":" + h[2:4] + ":" + h[4:6] + ":" + h[6:8] + ":" + h[8:10] + ":" + h[10:12]
	}
	macs := []string{mac()}
	nics := [][]kv{{
		{"Caption", "[00000001] " + hw.nic}, {"IPAddress", []string{ip, "fe80::" + randChars(rs, "0123456789abcdef", 4) + ":" + randChars(rs, "0123456789abcdef", 4) + ":" + randChars(rs, "0123456789abcdef", 4) + ":" + randChars(rs, "0123456789abcdef", 4)}},
		{"MACAddress", macs[0]}, {"DHCPEnabled", !a.server}, {"DefaultIPGateway", []string{lan + "1"}}, {"IPEnabled", true},
		{"IPSubnet", []string{"255.255.255.0", "64"}}, {"DNSServerSearchOrder", []string{lan + "5", "1.1.1.1"}}, {"DNSDomain", domain},
	}}
	if a.server && rs.chance(0.4) { // a second, storage or management NIC
		macs = append(macs, mac())
		nics = append(nics, []kv{
			{"Caption", "[00000002] " + hw.nic + " #2"}, {"IPAddress", []string{"172.16." + fmt.Sprint(rs.intn(255)) + "." + fmt.Sprint(rs.between(10, 250))}},
			{"MACAddress", macs[1]}, {"DHCPEnabled", false}, {"IPEnabled", true}, {"IPSubnet", []string{"255.255.0.0"}},
		})
	}
	sec("network_config", nics...)
	var adapters [][]kv
	for k, m := range macs {
		adapters = append(adapters, []kv{
			{"Name", hw.nic}, {"MACAddress", m}, {"Speed", int64(1000000000)}, {"NetConnectionID", fmt.Sprintf("Ethernet %d", k+1)},
			{"Manufacturer", strings.Fields(hw.nic)[0]}, {"AdapterType", "Ethernet 802.3"}, {"NetEnabled", true},
		})
	}
	sec("network_adapter", adapters...)
	var monitors [][]kv
	if !a.server {
		for k := range rs.between(1, 2) {
			monitors = append(monitors, []kv{
				{"Name", "Generic PnP Monitor"}, {"MonitorManufacturer", pick(rs, []string{"Dell", "LG Electronics", "Samsung"})},
				{"ScreenWidth", 1920}, {"ScreenHeight", 1080}, {"PNPDeviceID", fmt.Sprintf(`DISPLAY\DELA1E%d\5&2A3F1C0&0&UID4%d`, k, k)},
			})
		}
	}
	sec("desktop_monitor", monitors...)
	sec("usb",
		[]kv{{"Name", "USB Root Hub (USB 3.0)"}, {"Manufacturer", "(Standard USB HUBs)"}, {"DeviceID", `USB\ROOT_HUB30\4&1F4A2E0&0&0`}},
		[]kv{{"Name", "USB Composite Device"}, {"Manufacturer", "(Standard USB Host Controller)"}, {"DeviceID", `USB\VID_046D&PID_C52B\6&2B8D7F3A&0&3`}},
		[]kv{{"Name", "USB Input Device"}, {"Manufacturer", "(Standard system devices)"}, {"DeviceID", `USB\VID_046D&PID_C52B&MI_00\7&1A2B3C4D&0&0000`}},
	)
}

func (f *fleet) fillPosix(a *agentFull, rs, rv *rng) {
	hw := posixHardware[min(a.profile, 1)]
	if a.plat == platDarwin {
		hw = posixHardware[2]
	}
	a.os, a.goarch = hw.os, hw.goarch
	a.totalRAM = pick(rs, hw.ramGB)
	for _, d := range hw.devices {
		a.disks = append(a.disks, usage(d.device, d.fstype, int64(float64(hw.diskBytes)*d.share), rv.between(5, 90)))
	}
	lan := f.lanPrefix(a.baseSiteID)
	a.posix = &posixDetail{
		cpus: []string{hw.cpu}, gpus: slices.Clone(hw.gpus), disks: []string{hw.disk},
		localIPs: []string{
			lan + fmt.Sprint(rs.between(10, 250)) + "/24",
			"fe80::" + randChars(rs, "0123456789abcdef", 4) + ":ff:fe" + randChars(rs, "0123456789abcdef", 2) + ":" + randChars(rs, "0123456789abcdef", 4) + "/64",
		},
		makeModel: hw.makeModel, serial: hw.serial(rs),
	}
	if a.posix.gpus == nil {
		a.posix.gpus = []string{} // rendered as [], never null
	}
}

func usage(device, fstype string, total int64, percent int) diskUsage {
	used := total * int64(percent) / 100
	return diskUsage{device: device, fstype: fstype, total: total, used: used, free: total - used, percent: percent}
}

// humanBytes prints sizes like the agent: 1024-based, one decimal.
func humanBytes(n int64) string {
	if n < 1024 {
		return strconv.FormatInt(n, 10) + " B"
	}
	units := [...]string{"kB", "MB", "GB", "TB", "PB"}
	v := float64(n) / 1024
	u := 0
	for v >= 1024 && u < len(units)-1 {
		v /= 1024
		u++
	}
	return strconv.FormatFloat(v, 'f', 1, 64) + " " + units[u]
}
