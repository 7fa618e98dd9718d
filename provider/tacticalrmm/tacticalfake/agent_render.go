package tacticalfake

import "time"

// view renders agents as of one request: its clock and Tactical release.
type view struct {
	f       *fleet
	now     time.Time
	version string
}

func (v view) status(a agentCore) string {
	return status(a.lastSeen, v.now, a.offlineMin, a.overdueMin)
}

func (v view) hasDefaultShell() bool { return versionAtLeast(v.version, "1.5.0") }

func (v view) siteName(id int) string {
	if s := v.f.site(id); s != nil {
		return s.name
	}
	return ""
}

func (v view) clientName(siteID int) string {
	if c := v.f.client(v.f.clientOfSite(siteID)); c != nil {
		return c.name
	}
	return ""
}

// listRow is beta ListAgentSerializer (fields="__all__").
func (v view) listRow(w *jw, a *agentFull) {
	w.open()
	w.key("id")
	w.int(a.pk)
	w.key("created_by")
	w.strOrNull(a.createdBy)
	w.key("created_time")
	w.time(a.created)
	w.key("modified_by")
	w.strOrNull(a.modifiedBy)
	w.key("modified_time")
	w.time(a.modified)
	v.modelFields(w, a, false)
	w.key("patches_last_installed")
	w.time(a.patchesLastInstalled)
	w.key("time_zone")
	w.strOrNull(a.timeZone)
	w.key("maintenance_mode")
	w.bool(a.maintenance)
	w.key("block_policy_inheritance")
	w.bool(a.blockInheritance)
	if v.hasDefaultShell() {
		w.key("default_shell")
		w.str(a.defaultShell)
		w.key("default_shell_custom")
		w.str(a.defaultShellCustom)
	}
	w.key("alert_template")
	w.intOrNull(a.alertTemplate)
	w.key("site")
	w.int(a.siteID)
	w.key("policy")
	w.intOrNull(a.policy)
	w.close()
}

// modelFields writes version .. wmi_detail, the run of model fields the
// serializers share; hexMesh adds hex_mesh_node_id after mesh_node_id.
func (v view) modelFields(w *jw, a *agentFull, hexMesh bool) {
	w.key("version")
	w.str(a.version)
	w.key("operating_system")
	w.str(a.os)
	w.key("plat")
	w.str(a.plat.String())
	w.key("goarch")
	w.str(a.goarch)
	w.key("hostname")
	w.str(a.hostname)
	w.key("agent_id")
	w.str(a.agentID)
	w.key("last_seen")
	w.time(a.lastSeen)
	v.sharedTail(w, a, hexMesh)
}

// sharedTail writes services .. wmi_detail.
func (v view) sharedTail(w *jw, a *agentFull, hexMesh bool) {
	w.key("services")
	writeServices(w, a.services)
	w.key("public_ip")
	w.str(a.publicIP)
	w.key("total_ram")
	w.int(a.totalRAM)
	w.key("disks")
	writeDisks(w, a.disks)
	w.key("boot_time")
	w.float(a.bootTime)
	w.key("logged_in_username")
	w.str(a.loggedIn)
	w.key("last_logged_in_user")
	w.str(a.lastLoggedIn)
	w.key("monitoring_type")
	w.str(a.monitoringType())
	w.key("description")
	w.strOrNull(a.description)
	w.key("mesh_node_id")
	w.strOrNull(a.meshNodeID)
	if hexMesh {
		w.key("hex_mesh_node_id")
		w.str(a.hexMeshNodeID())
	}
	w.key("overdue_email_alert")
	w.bool(a.overdueEmail)
	w.key("overdue_text_alert")
	w.bool(a.overdueText)
	w.key("overdue_dashboard_alert")
	w.bool(a.overdueDashboard)
	w.key("offline_time")
	w.int(a.offlineMin)
	w.key("overdue_time")
	w.int(a.overdueMin)
	w.key("check_interval")
	w.int(a.checkInterval)
	w.key("needs_reboot")
	w.bool(a.needsReboot)
	w.key("choco_installed")
	w.bool(a.chocoInstalled)
	w.key("wmi_detail")
	writeWMI(w, a)
}

func writeServices(w *jw, svcs []service) {
	w.openArr()
	for _, s := range svcs {
		w.open()
		w.key("pid")
		w.int(s.pid)
		w.key("name")
		w.str(s.name)
		w.key("status")
		w.str(s.status)
		w.key("binpath")
		w.str(s.binpath)
		w.key("username")
		w.str(s.username)
		w.key("autodelay")
		w.bool(s.autodelay)
		w.key("start_type")
		w.str(s.startType)
		w.key("description")
		w.str(s.description)
		w.key("display_name")
		w.str(s.displayName)
		w.close()
	}
	w.closeArr()
}

func writeDisks(w *jw, disks []diskUsage) {
	w.openArr()
	for _, d := range disks {
		w.open()
		w.key("free")
		w.str(humanBytes(d.free))
		w.key("used")
		w.str(humanBytes(d.used))
		w.key("total")
		w.str(humanBytes(d.total))
		w.key("device")
		w.str(d.device)
		w.key("fstype")
		w.str(d.fstype)
		w.key("percent")
		w.int(d.percent)
		w.close()
	}
	w.closeArr()
}

func writeWMI(w *jw, a *agentFull) {
	w.open()
	if p := a.posix; p != nil {
		w.key("cpus")
		w.strs(p.cpus)
		w.key("gpus")
		w.strs(p.gpus)
		w.key("disks")
		w.strs(p.disks)
		w.key("local_ips")
		w.strs(p.localIPs)
		w.key("make_model")
		w.str(p.makeModel)
		w.key("serialnumber")
		w.str(p.serial)
		w.close()
		return
	}
	for _, s := range a.wmi {
		w.key(s.name)
		w.openArr()
		for _, item := range s.items {
			w.openArr()
			w.open()
			for _, p := range item {
				w.key(p.k)
				w.any(p.v)
			}
			w.close()
			w.closeArr()
		}
		w.closeArr()
	}
	w.close()
}

func writeChecks(w *jw, c checkCounts) {
	w.open()
	w.key("total")
	w.int(c.total)
	w.key("passing")
	w.int(c.passing)
	w.key("failing")
	w.int(c.failing)
	w.key("warning")
	w.int(c.warning)
	w.key("info")
	w.int(c.info)
	w.key("has_failing_checks")
	w.bool(c.failing > 0 || c.warning > 0)
	w.close()
}

// betaDetail is DetailAgentSerializer (GET /beta/v1/agent/{pk}/).
func (v view) betaDetail(w *jw, a *agentFull) {
	w.open()
	v.modelFields(w, a, versionAtLeast(v.version, "1.1.0"))
	w.key("patches_last_installed")
	w.time(a.patchesLastInstalled)
	w.key("time_zone")
	w.strOrNull(a.timeZone)
	w.key("maintenance_mode")
	w.bool(a.maintenance)
	w.key("block_policy_inheritance")
	w.bool(a.blockInheritance)
	w.key("alert_template")
	w.intOrNull(a.alertTemplate)
	w.key("site")
	w.int(a.siteID)
	w.key("policy")
	w.intOrNull(a.policy)
	w.key("status")
	w.str(v.status(a.agentCore))
	w.key("checks")
	writeChecks(w, a.checks)
	w.key("pending_actions_count")
	w.int(a.pendingActions)
	w.key("cpu_model")
	w.strs(a.cpuModel())
	w.key("graphics")
	w.str(a.graphics())
	w.key("local_ips")
	w.str(a.localIPs())
	w.key("make_model")
	w.str(a.makeModel())
	w.key("physical_disks")
	w.strs(a.physicalDisks())
	w.key("serial_number")
	w.str(a.serialNumber())
	w.close()
}

// hostnameRow is AgentHostnameSerializer (GET /agents/?detail=false).
func (v view) hostnameRow(w *jw, c agentCore, hostname, agentID string) {
	w.open()
	w.key("id")
	w.int(c.pk)
	w.key("hostname")
	w.str(hostname)
	w.key("agent_id")
	w.str(agentID)
	w.key("client")
	w.str(v.clientName(c.siteID))
	w.key("site")
	w.str(v.siteName(c.siteID))
	w.close()
}

// tableRow is AgentTableSerializer (GET /agents/): no numeric id, no site
// or client ids, and no policy key when the agent has none.
func (v view) tableRow(w *jw, a *agentFull) {
	st := v.status(a.agentCore)
	w.open()
	w.key("agent_id")
	w.str(a.agentID)
	w.key("alert_template")
	if a.alertTemplate == 0 {
		w.null()
	} else {
		w.raw([]byte(`{"name":"PSA ticketing","always_email":null,"always_text":null,"always_alert":true}`))
	}
	w.key("hostname")
	w.str(a.hostname)
	w.key("site_name")
	w.str(v.siteName(a.siteID))
	w.key("client_name")
	w.str(v.clientName(a.siteID))
	w.key("monitoring_type")
	w.str(a.monitoringType())
	w.key("description")
	w.strOrNull(a.description)
	w.key("needs_reboot")
	w.bool(a.needsReboot)
	w.key("has_patches_pending")
	w.bool(a.hasPatchesPending)
	w.key("pending_actions_count")
	w.int(a.pendingActions)
	w.key("status")
	w.str(st)
	w.key("overdue_text_alert")
	w.bool(a.overdueText)
	w.key("overdue_email_alert")
	w.bool(a.overdueEmail)
	w.key("overdue_dashboard_alert")
	w.bool(a.overdueDashboard)
	w.key("last_seen")
	w.time(a.lastSeen)
	w.key("boot_time")
	w.float(a.bootTime)
	w.key("checks")
	writeChecks(w, a.checks)
	w.key("maintenance_mode")
	w.bool(a.maintenance)
	w.key("logged_username")
	switch {
	case a.loggedIn == "None" && st == "online":
		w.str(a.lastLoggedIn)
	case a.loggedIn != "None":
		w.str(a.loggedIn)
	default:
		w.str("-")
	}
	w.key("italic")
	w.bool(a.loggedIn == "None" && st == "online")
	if a.policy != 0 {
		w.key("policy")
		w.int(a.policy)
	}
	w.key("block_policy_inheritance")
	w.bool(a.blockInheritance)
	w.key("plat")
	w.str(a.plat.String())
	w.key("goarch")
	w.str(a.goarch)
	w.key("version")
	w.str(a.version)
	w.key("operating_system")
	w.str(a.os)
	w.key("public_ip")
	w.str(a.publicIP)
	w.key("cpu_model")
	w.strs(a.cpuModel())
	w.key("graphics")
	w.str(a.graphics())
	w.key("local_ips")
	w.str(a.localIPs())
	w.key("make_model")
	w.str(a.makeModel())
	w.key("physical_disks")
	w.strs(a.physicalDisks())
	w.key("serial_number")
	w.str(a.serialNumber())
	w.key("custom_fields")
	v.customFields(w, a)
	w.close()
}

func (v view) customFields(w *jw, a *agentFull) {
	w.openArr()
	if a.description != "" { // a few agents carry a custom field
		w.open()
		w.key("id")
		w.int(a.pk*2 + 1)
		w.key("field")
		w.int(2)
		w.key("agent")
		w.int(a.pk)
		w.key("value")
		w.str(a.description)
		w.close()
	}
	w.closeArr()
}

// agentDetail is AgentSerializer (GET /agents/<agent_id>/), exclude=["id"].
func (v view) agentDetail(w *jw, a *agentFull, zones []byte) {
	w.open()
	w.key("winupdatepolicy")
	w.openArr()
	w.open()
	w.key("id")
	w.int(a.pk + 1000)
	w.key("created_by")
	w.null()
	w.key("created_time")
	w.time(a.created.Add(390 * time.Millisecond))
	w.key("modified_by")
	w.null()
	w.key("modified_time")
	w.time(a.created.Add(390*time.Millisecond + 43*time.Microsecond))
	for _, k := range []string{"critical", "important", "moderate", "low", "other"} {
		w.key(k)
		w.str("inherit")
	}
	w.key("run_time_hour")
	w.int(3)
	w.key("run_time_frequency")
	w.str("inherit")
	w.key("run_time_days")
	w.ints([]int{})
	w.key("run_time_day")
	w.int(1)
	w.key("reboot_after_install")
	w.str("inherit")
	w.key("reprocess_failed_inherit")
	w.bool(true)
	w.key("reprocess_failed")
	w.bool(false)
	w.key("reprocess_failed_times")
	w.int(5)
	w.key("email_if_fail")
	w.bool(false)
	w.key("agent")
	w.int(a.pk)
	w.key("policy")
	w.null()
	w.close()
	w.closeArr()
	w.key("status")
	w.str(v.status(a.agentCore))
	w.key("cpu_model")
	w.strs(a.cpuModel())
	w.key("local_ips")
	w.str(a.localIPs())
	w.key("make_model")
	w.str(a.makeModel())
	w.key("physical_disks")
	w.strs(a.physicalDisks())
	w.key("graphics")
	w.str(a.graphics())
	w.key("checks")
	writeChecks(w, a.checks)
	w.key("timezone")
	if a.timeZone != "" {
		w.str(a.timeZone)
	} else {
		w.str("America/Chicago") // the core default_time_zone
	}
	w.key("all_timezones")
	w.raw(zones)
	w.key("client")
	w.str(v.clientName(a.siteID))
	w.key("site_name")
	w.str(v.siteName(a.siteID))
	w.key("custom_fields")
	v.customFields(w, a)
	w.key("patches_last_installed")
	w.time(a.patchesLastInstalled)
	w.key("last_seen")
	w.time(a.lastSeen)
	w.key("applied_policies")
	w.open()
	w.key("agent_policy")
	if a.policy != 0 {
		w.raw([]byte(workstationPolicyJSON))
	} else {
		w.null()
	}
	w.key("site_policy")
	w.null()
	w.key("client_policy")
	w.null()
	w.key("default_policy")
	if a.server {
		w.raw([]byte(serverPolicyJSON))
	} else {
		w.raw([]byte(workstationPolicyJSON))
	}
	w.close()
	w.key("effective_patch_policy")
	w.raw([]byte(effectivePatchPolicyJSON))
	w.key("alert_template")
	if a.alertTemplate != 0 {
		w.raw([]byte(alertTemplateJSON))
	} else {
		w.null()
	}
	if v.hasDefaultShell() {
		w.key("effective_default_shell")
		w.str(a.effectiveDefaultShell())
	}
	w.key("created_by")
	w.strOrNull(a.createdBy)
	w.key("created_time")
	w.time(a.created)
	w.key("modified_by")
	w.strOrNull(a.modifiedBy)
	w.key("modified_time")
	w.time(a.modified)
	w.key("version")
	w.str(a.version)
	w.key("operating_system")
	w.str(a.os)
	w.key("plat")
	w.str(a.plat.String())
	w.key("goarch")
	w.str(a.goarch)
	w.key("hostname")
	w.str(a.hostname)
	w.key("agent_id")
	w.str(a.agentID)
	v.sharedTail(w, a, false)
	w.key("time_zone")
	w.strOrNull(a.timeZone)
	w.key("maintenance_mode")
	w.bool(a.maintenance)
	w.key("block_policy_inheritance")
	w.bool(a.blockInheritance)
	if v.hasDefaultShell() {
		w.key("default_shell")
		w.str(a.defaultShell)
		w.key("default_shell_custom")
		w.str(a.defaultShellCustom)
	}
	w.key("site")
	w.int(a.siteID)
	w.key("policy")
	w.intOrNull(a.policy)
	w.close()
}
