package tacticalfake

// Read-only tables of Windows data: services, hardware and OS builds.

type svcDef struct {
	name, display, binpath, desc, user, start string
	autodelay, core                           bool // core: present on every machine
}

const (
	sysUser = "LocalSystem"
	lsvc    = `NT AUTHORITY\LocalService`
	nsvc    = `NT AUTHORITY\NetworkService`
)

var winServices = []svcDef{
	{"AudioEndpointBuilder", "Windows Audio Endpoint Builder", `C:\Windows\System32\svchost.exe -k LocalSystemNetworkRestricted -p`, "Manages audio devices for the Windows Audio service.  If this service is stopped, audio devices and effects will not function properly.", sysUser, "Automatic", false, true},
	{"Audiosrv", "Windows Audio", `C:\Windows\System32\svchost.exe -k LocalServiceNetworkRestricted -p`, "Manages audio for Windows-based programs.  If this service is stopped, audio devices and effects will not function properly.", lsvc, "Automatic", false, true},
	{"BFE", "Base Filtering Engine", `C:\Windows\system32\svchost.exe -k LocalServiceNoNetworkFirewall -p`, "The Base Filtering Engine (BFE) is a service that manages firewall and Internet Protocol security (IPsec) policies and implements user mode filtering.", lsvc, "Automatic", false, true},
	{"BITS", "Background Intelligent Transfer Service", `C:\Windows\System32\svchost.exe -k netsvcs -p`, "Transfers files in the background using idle network bandwidth.", sysUser, "Manual", true, true},
	{"BrokerInfrastructure", "Background Tasks Infrastructure Service", `C:\Windows\system32\svchost.exe -k DcomLaunch -p`, "Windows infrastructure service that controls which background tasks can run on the system.", sysUser, "Automatic", false, true},
	{"Browser", "Computer Browser", `C:\Windows\System32\svchost.exe -k smbsvcs`, "Maintains an updated list of computers on the network and supplies this list to computers designated as browsers.", sysUser, "Manual", false, false},
	{"CDPSvc", "Connected Devices Platform Service", `C:\Windows\system32\svchost.exe -k LocalService -p`, "This service is used for Connected Devices Platform scenarios", lsvc, "Automatic", true, true},
	{"CertPropSvc", "Certificate Propagation", `C:\Windows\system32\svchost.exe -k netsvcs`, "Copies user certificates and root certificates from smart cards into the current user's certificate store.", sysUser, "Manual", false, false},
	{"ClickToRunSvc", "Microsoft Office Click-to-Run Service", `"C:\Program Files\Common Files\Microsoft Shared\ClickToRun\OfficeClickToRun.exe" /service`, "Manages resource coordination, background streaming, and system integration of Microsoft Office products.", sysUser, "Automatic", false, false},
	{"CryptSvc", "Cryptographic Services", `C:\Windows\system32\svchost.exe -k NetworkService -p`, "Provides three management services: Catalog Database Service, Protected Root Service and Automatic Root Certificate Update Service.", nsvc, "Automatic", false, true},
	{"DcomLaunch", "DCOM Server Process Launcher", `C:\Windows\system32\svchost.exe -k DcomLaunch -p`, "The DCOMLAUNCH service launches COM and DCOM servers in response to object activation requests.", sysUser, "Automatic", false, true},
	{"DPS", "Diagnostic Policy Service", `C:\Windows\System32\svchost.exe -k LocalServiceNoNetwork -p`, "The Diagnostic Policy Service enables problem detection, troubleshooting and resolution for Windows components.", lsvc, "Automatic", false, true},
	{"DeviceAssociationService", "Device Association Service", `C:\Windows\system32\svchost.exe -k LocalSystemNetworkRestricted -p`, "Enables pairing between the system and wired or wireless devices.", sysUser, "Automatic", false, false},
	{"Dhcp", "DHCP Client", `C:\Windows\system32\svchost.exe -k LocalServiceNetworkRestricted -p`, "Registers and updates IP addresses and DNS records for this computer.", lsvc, "Automatic", false, true},
	{"DiagTrack", "Connected User Experiences and Telemetry", `C:\Windows\System32\svchost.exe -k utcsvc -p`, "The Connected User Experiences and Telemetry service enables features that support in-application and connected user experiences.", sysUser, "Automatic", false, false},
	{"DispBrokerDesktopSvc", "Display Policy Service", `C:\Windows\system32\svchost.exe -k LocalService -p`, "Manages the connection and configuration of local and remote displays", lsvc, "Automatic", true, false},
	{"Dnscache", "DNS Client", `C:\Windows\system32\svchost.exe -k NetworkService -p`, "The DNS Client service (dnscache) caches Domain Name System (DNS) names and registers the full computer name for this computer.", nsvc, "Automatic", false, true},
	{"DoSvc", "Delivery Optimization", `C:\Windows\System32\svchost.exe -k NetworkService -p`, "Performs content delivery optimization tasks", nsvc, "Automatic", true, false},
	{"DusmSvc", "Data Usage", `C:\Windows\System32\svchost.exe -k LocalServiceNetworkRestricted -p`, "Network data usage, data limit, restrict background data, metered networks.", lsvc, "Automatic", false, false},
	{"EventLog", "Windows Event Log", `C:\Windows\System32\svchost.exe -k LocalServiceNetworkRestricted -p`, "This service manages events and event logs. It supports logging events, querying events, subscribing to events, archiving event logs, and managing event metadata.", lsvc, "Automatic", false, true},
	{"EventSystem", "COM+ Event System", `C:\Windows\system32\svchost.exe -k LocalService -p`, "Supports System Event Notification Service (SENS), which provides automatic distribution of events to subscribing Component Object Model (COM) components.", lsvc, "Automatic", false, true},
	{"FontCache", "Windows Font Cache Service", `C:\Windows\system32\svchost.exe -k LocalService -p`, "Optimizes performance of applications by caching commonly used font data.", lsvc, "Automatic", false, true},
	{"gpsvc", "Group Policy Client", `C:\Windows\system32\svchost.exe -k netsvcs -p`, "The service is responsible for applying settings configured by administrators for the computer and users through the Group Policy component.", sysUser, "Automatic", false, true},
	{"gupdate", "Google Update Service (gupdate)", `"C:\Program Files (x86)\Google\Update\GoogleUpdate.exe" /svc`, "Keeps your Google software up to date. If this service is disabled or stopped, your Google software will not be kept up to date.", sysUser, "Automatic", true, false},
	{"iphlpsvc", "IP Helper", `C:\Windows\System32\svchost.exe -k NetSvcs -p`, "Provides tunnel connectivity using IPv6 transition technologies (6to4, ISATAP, Port Proxy, and Teredo), and IP-HTTPS.", sysUser, "Automatic", false, true},
	{"LanmanServer", "Server", `C:\Windows\system32\svchost.exe -k smbsvcs`, "Supports file, print, and named-pipe sharing over the network for this computer.", sysUser, "Automatic", false, true},
	{"LanmanWorkstation", "Workstation", `C:\Windows\System32\svchost.exe -k NetworkService -p`, "Creates and maintains client network connections to remote servers using the SMB protocol.", nsvc, "Automatic", false, true},
	{"LSM", "Local Session Manager", `C:\Windows\system32\svchost.exe -k DcomLaunch -p`, "Core Windows Service that manages local user sessions.", sysUser, "Automatic", false, true},
	{"mpssvc", "Windows Defender Firewall", `C:\Windows\system32\svchost.exe -k LocalServiceNoNetworkFirewall -p`, "Windows Defender Firewall helps protect your computer by preventing unauthorized users from gaining access to your computer through the Internet or a network.", lsvc, "Automatic", false, true},
	{"Mesh Agent", "Mesh Agent", `"C:\Program Files\Mesh Agent\MeshAgent.exe" `, "Mesh Agent background service", sysUser, "Automatic", false, true},
	{"MSDTC", "Distributed Transaction Coordinator", `C:\Windows\System32\msdtc.exe`, "Coordinates transactions that span multiple resource managers, such as databases, message queues, and file systems.", nsvc, "Manual", false, false},
	{"msiserver", "Windows Installer", `C:\Windows\system32\msiexec.exe /V`, "Adds, modifies, and removes applications provided as a Windows Installer (*.msi, *.msp) package.", sysUser, "Manual", false, true},
	{"NcbService", "Network Connection Broker", `C:\Windows\System32\svchost.exe -k LocalSystemNetworkRestricted -p`, "Brokers connections that allow Windows Store Apps to receive notifications from the internet.", sysUser, "Manual", false, false},
	{"Netlogon", "Netlogon", `C:\Windows\system32\lsass.exe`, "Maintains a secure channel between this computer and the domain controller for authenticating users and services.", sysUser, "Automatic", false, false},
	{"Netman", "Network Connections", `C:\Windows\System32\svchost.exe -k LocalSystemNetworkRestricted -p`, "Manages objects in the Network and Dial-Up Connections folder, in which you can view both local area network and remote connections.", sysUser, "Manual", false, false},
	{"netprofm", "Network List Service", `C:\Windows\System32\svchost.exe -k LocalService -p`, "Identifies the networks to which the computer has connected, collects and stores properties for these networks, and notifies applications when these properties change.", lsvc, "Manual", false, true},
	{"NlaSvc", "Network Location Awareness", `C:\Windows\System32\svchost.exe -k NetworkService -p`, "Collects and stores configuration information for the network and notifies programs when this information is modified.", nsvc, "Automatic", false, true},
	{"nsi", "Network Store Interface Service", `C:\Windows\system32\svchost.exe -k LocalService -p`, "This service delivers network notifications (e.g. interface addition/deleting etc) to user mode clients.", lsvc, "Automatic", false, true},
	{"PlugPlay", "Plug and Play", `C:\Windows\system32\svchost.exe -k DcomLaunch -p`, "Enables a computer to recognize and adapt to hardware changes with little or no user input.", sysUser, "Manual", false, true},
	{"Power", "Power", `C:\Windows\system32\svchost.exe -k DcomLaunch -p`, "Manages power policy and power policy notification delivery.", sysUser, "Automatic", false, true},
	{"ProfSvc", "User Profile Service", `C:\Windows\system32\svchost.exe -k netsvcs -p`, "This service is responsible for loading and unloading user profiles.", sysUser, "Automatic", false, true},
	{"RasMan", "Remote Access Connection Manager", `C:\Windows\System32\svchost.exe -k netsvcs`, "Manages dial-up and virtual private network (VPN) connections from this computer to the Internet or other remote networks.", sysUser, "Manual", false, false},
	{"RemoteRegistry", "Remote Registry", `C:\Windows\system32\svchost.exe -k localService -p`, "Enables remote users to modify registry settings on this computer.", lsvc, "Disabled", false, false},
	{"RpcEptMapper", "RPC Endpoint Mapper", `C:\Windows\system32\svchost.exe -k RPCSS -p`, "Resolves RPC interfaces identifiers to transport endpoints.", nsvc, "Automatic", false, true},
	{"RpcSs", "Remote Procedure Call (RPC)", `C:\Windows\system32\svchost.exe -k rpcss -p`, "The RPCSS service is the Service Control Manager for COM and DCOM servers.", nsvc, "Automatic", false, true},
	{"SamSs", "Security Accounts Manager", `C:\Windows\system32\lsass.exe`, "The startup of this service signals other services that the Security Accounts Manager (SAM) is ready to accept requests.", sysUser, "Automatic", false, true},
	{"Schedule", "Task Scheduler", `C:\Windows\system32\svchost.exe -k netsvcs -p`, "Enables a user to configure and schedule automated tasks on this computer.", sysUser, "Automatic", false, true},
	{"SecurityHealthService", "Windows Security Service", `C:\Windows\system32\SecurityHealthService.exe`, "Windows Security Service handles unified device protection and health information", sysUser, "Manual", false, false},
	{"SENS", "System Event Notification Service", `C:\Windows\system32\svchost.exe -k netsvcs -p`, "Monitors system events and notifies subscribers to COM+ Event System of these events.", sysUser, "Automatic", false, true},
	{"SgrmBroker", "System Guard Runtime Monitor Broker", `C:\Windows\system32\SgrmBroker.exe`, "Monitors and attests to the integrity of the Windows platform.", sysUser, "Automatic", true, false},
	{"ShellHWDetection", "Shell Hardware Detection", `C:\Windows\System32\svchost.exe -k netsvcs -p`, "Provides notifications for AutoPlay hardware events.", sysUser, "Automatic", false, true},
	{"Spooler", "Print Spooler", `C:\Windows\System32\spoolsv.exe`, "This service spools print jobs and handles interaction with the printer.  If you turn off this service, you won't be able to print or see your printers.", sysUser, "Automatic", false, true},
	{"sppsvc", "Software Protection", `C:\Windows\system32\sppsvc.exe`, "Enables the download, installation and enforcement of digital licenses for Windows and Windows applications.", nsvc, "Automatic", true, true},
	{"SSDPSRV", "SSDP Discovery", `C:\Windows\system32\svchost.exe -k LocalServiceAndNoImpersonation -p`, "Discovers networked devices and services that use the SSDP discovery protocol, such as UPnP devices.", lsvc, "Manual", false, false},
	{"StorSvc", "Storage Service", `C:\Windows\System32\svchost.exe -k LocalSystemNetworkRestricted -p`, "Provides enabling services for storage settings and external storage expansion", sysUser, "Automatic", true, false},
	{"SysMain", "SysMain", `C:\Windows\system32\svchost.exe -k LocalSystemNetworkRestricted -p`, "Maintains and improves system performance over time.", sysUser, "Automatic", false, true},
	{"TermService", "Remote Desktop Services", `C:\Windows\System32\svchost.exe -k NetworkService`, "Allows users to connect interactively to a remote computer.", nsvc, "Manual", false, false},
	{"Themes", "Themes", `C:\Windows\System32\svchost.exe -k netsvcs -p`, "Provides user experience theme management.", sysUser, "Automatic", false, true},
	{"TrkWks", "Distributed Link Tracking Client", `C:\Windows\System32\svchost.exe -k LocalSystemNetworkRestricted -p`, "Maintains links between NTFS files within a computer or across computers in a network.", sysUser, "Automatic", false, false},
	{"TrustedInstaller", "Windows Modules Installer", `C:\Windows\servicing\TrustedInstaller.exe`, "Enables installation, modification, and removal of Windows updates and optional components.", sysUser, "Manual", false, true},
	{"UsoSvc", "Update Orchestrator Service", `C:\Windows\system32\svchost.exe -k netsvcs -p`, "Manages Windows Updates. If stopped, your devices will not be able to download and install the latest updates.", sysUser, "Automatic", true, true},
	{"VaultSvc", "Credential Manager", `C:\Windows\system32\lsass.exe`, "Provides secure storage and retrieval of credentials to users, applications and security service packages.", sysUser, "Manual", false, false},
	{"W32Time", "Windows Time", `C:\Windows\system32\svchost.exe -k LocalService`, "Maintains date and time synchronization on all clients and servers in the network.", lsvc, "Manual", false, true},
	{"Wcmsvc", "Windows Connection Manager", `C:\Windows\system32\svchost.exe -k LocalServiceNetworkRestricted -p`, "Makes automatic connect/disconnect decisions based on the network connectivity options currently available to the PC.", lsvc, "Automatic", false, false},
	{"WdiServiceHost", "Diagnostic Service Host", `C:\Windows\System32\svchost.exe -k LocalService -p`, "The Diagnostic Service Host is used by the Diagnostic Policy Service to host diagnostics that need to run in a Local Service context.", lsvc, "Manual", false, false},
	{"WinDefend", "Microsoft Defender Antivirus Service", `"C:\ProgramData\Microsoft\Windows Defender\platform\4.18.25050.5-0\MsMpEng.exe"`, "Helps protect users from malware and other potentially unwanted software", sysUser, "Automatic", false, true},
	{"WinHttpAutoProxySvc", "WinHTTP Web Proxy Auto-Discovery Service", `C:\Windows\system32\svchost.exe -k LocalServiceNetworkRestricted -p`, "WinHTTP implements the client HTTP stack and provides developers with a Win32 API and COM Automation component for sending HTTP requests.", lsvc, "Manual", false, true},
	{"Winmgmt", "Windows Management Instrumentation", `C:\Windows\system32\svchost.exe -k netsvcs -p`, "Provides a common interface and object model to access management information about operating system, devices, applications and services.", sysUser, "Automatic", false, true},
	{"WinRM", "Windows Remote Management (WS-Management)", `C:\Windows\System32\svchost.exe -k NetworkService -p`, "Windows Remote Management (WinRM) service implements the WS-Management protocol for remote management.", nsvc, "Manual", false, false},
	{"WlanSvc", "WLAN AutoConfig", `C:\Windows\system32\svchost.exe -k LocalSystemNetworkRestricted -p`, "The WLANSVC service provides the logic required to configure, discover, connect to, and disconnect from a wireless local area network (WLAN).", sysUser, "Automatic", false, false},
	{"wscsvc", "Security Center", `C:\Windows\System32\svchost.exe -k LocalServiceNetworkRestricted -p`, "The WSCSVC (Windows Security Center) service monitors and reports security health settings on the computer.", lsvc, "Automatic", true, false},
	{"WSearch", "Windows Search", `C:\Windows\system32\SearchIndexer.exe /Embedding`, "Provides content indexing, property caching, and search results for files, e-mail, and other content.", sysUser, "Automatic", true, false},
	{"wuauserv", "Windows Update", `C:\Windows\system32\svchost.exe -k netsvcs -p`, "Enables the detection, download, and installation of updates for Windows and other programs.", sysUser, "Manual", true, true},
	{"tacticalrmm", "TacticalRMM Agent Service", `"C:\Program Files\TacticalAgent\tacticalrmm.exe" -m svc`, "TacticalRMM Agent Service", sysUser, "Automatic", false, true},
	{"VSS", "Volume Shadow Copy", `C:\Windows\system32\vssvc.exe`, "Manages and implements Volume Shadow Copies used for backup and other purposes.", sysUser, "Manual", false, false},
	{"Veeam.EndPoint.Service", "Veeam Agent for Microsoft Windows", `"C:\Program Files\Veeam\Endpoint Backup\Veeam.EndPoint.Service.exe"`, "Provides backup and restore capabilities.", sysUser, "Automatic", false, false},
	{"AdobeARMservice", "Adobe Acrobat Update Service", `"C:\Program Files (x86)\Common Files\Adobe\ARM\1.0\armsvc.exe"`, "Adobe Acrobat Updater keeps your Adobe software up to date.", sysUser, "Automatic", false, false},
	{"edgeupdate", "Microsoft Edge Update Service (edgeupdate)", `"C:\Program Files (x86)\Microsoft\EdgeUpdate\MicrosoftEdgeUpdate.exe" /svc`, "Keeps your Microsoft software up to date. If this service is disabled or stopped, your Microsoft software will not be kept up to date.", sysUser, "Automatic", true, false},
	{"Sense", "Windows Defender Advanced Threat Protection Service", `"C:\Program Files\Windows Defender Advanced Threat Protection\MsSense.exe"`, "Windows Defender Advanced Threat Protection service helps protect against advanced threats by monitoring and reporting security events that happen on the computer.", sysUser, "Manual", false, false},
	{"NTDS", "Active Directory Domain Services", `C:\Windows\System32\lsass.exe`, "AD DS Domain Controller service. If this service is stopped, users will be unable to log on to the network.", sysUser, "Automatic", false, false},
	{"DNS", "DNS Server", `C:\Windows\system32\dns.exe`, "Enables DNS clients to resolve DNS names by answering DNS queries and dynamic DNS update requests.", sysUser, "Automatic", false, false},
	{"MSSQLSERVER", "SQL Server (MSSQLSERVER)", `"C:\Program Files\Microsoft SQL Server\MSSQL16.MSSQLSERVER\MSSQL\Binn\sqlservr.exe" -sMSSQLSERVER`, "Provides storage, processing and controlled access of data, and rapid transaction processing.", `NT Service\MSSQLSERVER`, "Automatic", false, false},
}

// Per-user services carry a random per-logon suffix on real machines.
var winUserServices = []svcDef{
	{"CDPUserSvc_%s", "Connected Devices Platform User Service_%s", `C:\Windows\system32\svchost.exe -k UnistackSvcGroup`, "This user service is used for Connected Devices Platform scenarios", "", "Automatic", false, false},
	{"OneSyncSvc_%s", "Sync Host_%s", `C:\Windows\system32\svchost.exe -k UnistackSvcGroup`, "This service synchronizes mail, contacts, calendar and various other user data.", "", "Automatic", true, false},
	{"WpnUserService_%s", "Windows Push Notifications User Service_%s", `C:\Windows\system32\svchost.exe -k UnistackSvcGroup`, "This service hosts Windows notification platform which provides support for local and push notifications.", "", "Automatic", false, false},
	{"cbdhsvc_%s", "Clipboard User Service_%s", `C:\Windows\system32\svchost.exe -k ClipboardSvcGroup -p`, "This user service is used for Clipboard scenarios", "", "Manual", false, false},
	{"UdkUserSvc_%s", "Udk User Service_%s", `C:\Windows\system32\svchost.exe -k UdkSvcGroup`, "Shell components service", "", "Manual", false, false},
	{"PimIndexMaintenanceSvc_%s", "Contact Data_%s", `C:\Windows\system32\svchost.exe -k UnistackSvcGroup`, "Indexes contact data for fast contact searching.", "", "Manual", false, false},
	{"UnistoreSvc_%s", "User Data Storage_%s", `C:\Windows\System32\svchost.exe -k UnistackSvcGroup`, "Handles storage of structured user data, including contact info, calendars, messages, and other content.", "", "Manual", false, false},
	{"UserDataSvc_%s", "User Data Access_%s", `C:\Windows\system32\svchost.exe -k UnistackSvcGroup`, "Provides apps access to structured user data, including contact info, calendars, messages, and other content.", "", "Manual", false, false},
}

// winHW is one Windows hardware profile. Profiles 0-3 are workstations,
// 4-6 servers (fleet.core picks accordingly).
type winHW struct {
	vendor, manufacturer, model, family string
	boardMfr, boardProduct              string
	cpuName, cpuMfr                     string
	cores, threads, clockMHz            int
	ramGB                               []int
	diskCaption, diskIface, diskMedia   string
	diskBytes                           int64
	usbDisk                             bool // a USB stick physical_disks must skip
	gpus                                []string
	nic                                 string
	serial                              func(r *rng) string
}

var winHardware = []winHW{
	{vendor: "Dell Inc.", manufacturer: "Dell Inc.", model: "OptiPlex 7000", family: "OptiPlex", boardMfr: "Dell Inc.", boardProduct: "0X8DXD",
		cpuName: "12th Gen Intel(R) Core(TM) i5-12500", cpuMfr: "GenuineIntel", cores: 6, threads: 12, clockMHz: 3000, ramGB: []int{8, 16, 32},
		diskCaption: "KXG70ZNV512G NVMe KIOXIA 512GB", diskIface: "SCSI", diskMedia: "Fixed hard disk media", diskBytes: 512110190592,
		gpus: []string{"Intel(R) UHD Graphics 770"}, nic: "Intel(R) Ethernet Connection (17) I219-LM", serial: dellTag},
	{vendor: "LENOVO", manufacturer: "LENOVO", model: "11USS0F400", family: "ThinkCentre M70q Gen 3", boardMfr: "LENOVO", boardProduct: "3728",
		cpuName: "12th Gen Intel(R) Core(TM) i5-12400T", cpuMfr: "GenuineIntel", cores: 6, threads: 12, clockMHz: 1800, ramGB: []int{8, 16},
		diskCaption: "SAMSUNG MZVL4256HBJD-00BL7", diskIface: "SCSI", diskMedia: "Fixed hard disk media", diskBytes: 256052966400,
		gpus: []string{"Intel(R) UHD Graphics 730"}, nic: "Intel(R) Ethernet Connection (17) I219-V", serial: lenovoSerial},
	{vendor: "HP", manufacturer: "HP", model: "HP EliteBook 840 14 inch G9 Notebook PC", family: "103C_5336AN HP EliteBook", boardMfr: "HP", boardProduct: "8AB8",
		cpuName: "12th Gen Intel(R) Core(TM) i7-1265U", cpuMfr: "GenuineIntel", cores: 10, threads: 12, clockMHz: 1800, ramGB: []int{16, 32},
		diskCaption: "SAMSUNG MZVL21T0HCLR-00BH1", diskIface: "SCSI", diskMedia: "Fixed hard disk media", diskBytes: 1024209543168, usbDisk: true,
		gpus: []string{"Intel(R) Iris(R) Xe Graphics"}, nic: "Intel(R) Wi-Fi 6E AX211 160MHz", serial: hpSerial},
	{vendor: "To Be Filled By O.E.M.", manufacturer: "To Be Filled By O.E.M.", model: "To Be Filled By O.E.M.", family: "To Be Filled By O.E.M.", boardMfr: "ASUSTeK COMPUTER INC.", boardProduct: "PRIME B660M-A D4",
		cpuName: "12th Gen Intel(R) Core(TM) i7-12700", cpuMfr: "GenuineIntel", cores: 12, threads: 20, clockMHz: 2100, ramGB: []int{32, 64},
		diskCaption: "WD_BLACK SN770 1TB", diskIface: "SCSI", diskMedia: "Fixed hard disk media", diskBytes: 1000202273280,
		gpus: []string{"NVIDIA GeForce RTX 3060", "Microsoft Remote Display Adapter"}, nic: "Realtek PCIe GbE Family Controller", serial: func(*rng) string { return "System Serial Number" }},
	{vendor: "VMware, Inc.", manufacturer: "VMware, Inc.", model: "VMware7,1", family: "", boardMfr: "Intel Corporation", boardProduct: "440BX Desktop Reference Platform",
		cpuName: "Intel(R) Xeon(R) Silver 4310 CPU @ 2.10GHz", cpuMfr: "GenuineIntel", cores: 4, threads: 4, clockMHz: 2095, ramGB: []int{8, 16, 32},
		diskCaption: "VMware Virtual disk SCSI Disk Device", diskIface: "SCSI", diskMedia: "Fixed hard disk media", diskBytes: 107372805120,
		gpus: []string{"Microsoft Basic Display Adapter"}, nic: "vmxnet3 Ethernet Adapter", serial: vmwareSerial},
	{vendor: "Microsoft Corporation", manufacturer: "Microsoft Corporation", model: "Virtual Machine", family: "Virtual Machine", boardMfr: "Microsoft Corporation", boardProduct: "Virtual Machine",
		cpuName: "Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz", cpuMfr: "GenuineIntel", cores: 8, threads: 8, clockMHz: 1995, ramGB: []int{16, 32, 64},
		diskCaption: "Microsoft Virtual Disk", diskIface: "SCSI", diskMedia: "Fixed hard disk media", diskBytes: 136366917120,
		gpus: []string{"Microsoft Hyper-V Video"}, nic: "Microsoft Hyper-V Network Adapter", serial: hypervSerial},
	{vendor: "Dell Inc.", manufacturer: "Dell Inc.", model: "PowerEdge R650", family: "PowerEdge", boardMfr: "Dell Inc.", boardProduct: "0Y2G81",
		cpuName: "Intel(R) Xeon(R) Gold 5318Y CPU @ 2.10GHz", cpuMfr: "GenuineIntel", cores: 24, threads: 48, clockMHz: 2100, ramGB: []int{128, 256},
		diskCaption: "DELL PERC H755 SCSI Disk Device", diskIface: "SCSI", diskMedia: "Fixed hard disk media", diskBytes: 1919850381312,
		gpus: []string{"Matrox G200eW3 (Nuvoton) WDDM 2.0"}, nic: "Broadcom NetXtreme Gigabit Ethernet", serial: dellTag},
}

type winOS struct {
	caption, name, build, ubr, release string
	server                             bool
}

var winWorkstationOS = []winOS{
	{"Microsoft Windows 11 Pro", "Microsoft Windows 11 Pro, 64 bit v24H2 (build 26100.4349)", "26100", "4349", "24H2", false},
	{"Microsoft Windows 11 Pro", "Microsoft Windows 11 Pro, 64 bit v23H2 (build 22631.5472)", "22631", "5472", "23H2", false},
	{"Microsoft Windows 10 Pro", "Microsoft Windows 10 Pro, 64 bit v22H2 (build 19045.5965)", "19045", "5965", "22H2", false},
	{"Microsoft Windows 11 Enterprise", "Microsoft Windows 11 Enterprise, 64 bit v24H2 (build 26100.4349)", "26100", "4349", "24H2", false},
}

var winServerOS = []winOS{
	{"Microsoft Windows Server 2022 Standard", "Microsoft Windows Server 2022 Standard, 64 bit v21H2 (build 20348.3807)", "20348", "3807", "21H2", true},
	{"Microsoft Windows Server 2019 Standard", "Microsoft Windows Server 2019 Standard, 64 bit v1809 (build 17763.7434)", "17763", "7434", "1809", true},
	{"Microsoft Windows Server 2025 Standard", "Microsoft Windows Server 2025 Standard, 64 bit v24H2 (build 26100.4349)", "26100", "4349", "24H2", true},
}

func dellTag(r *rng) string { return randChars(r, "0123456789BCDFGHJKLMNPQRSTVWXYZ", 7) }

func lenovoSerial(r *rng) string { return "MJ" + randChars(r, "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ", 6) }

func hpSerial(r *rng) string { return "5CG" + randChars(r, "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ", 7) }

func vmwareSerial(r *rng) string {
	h := func(n int) string { return randChars(r, "0123456789abcdef", n) }
	return "VMware-" + h(2) + " " + h(2) + " " + h(2) + " " + h(2) + " " + h(2) + " " + h(2) + " " + h(2) + " " + h(2) + "-" +
		h(2) + " " + h(2) + " " + h(2) + " " + h(2) + " " + h(2) + " " + h(2) + " " + h(2) + " " + h(2)
}

func hypervSerial(r *rng) string {
	d := "0123456789"
	return randChars(r, d, 4) + "-" + randChars(r, d, 4) + "-" + randChars(r, d, 4) + "-" + randChars(r, d, 4) + "-" + randChars(r, d, 4) + "-" + randChars(r, d, 4) + "-" + randChars(r, d, 2)
}

func randChars(r *rng, alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[r.intn(len(alphabet))]
	}
	return string(b)
}
