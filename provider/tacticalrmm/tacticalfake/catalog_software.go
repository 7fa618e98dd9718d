package tacticalfake

// swDef is one Windows software package; the read-only table below is what
// generated inventories draw from.
type swDef struct {
	name, version, publisher, location, uninstall, source string
	bytes                                                 int64
}

var winSoftware = []swDef{
	{"7-Zip 24.09 (x64)", "24.09", "Igor Pavlov", `C:\Program Files\7-Zip\`, `"C:\Program Files\7-Zip\Uninstall.exe"`, "", 6186598},
	{"Google Chrome", "137.0.7151.104", "Google LLC", `C:\Program Files\Google\Chrome\Application`, `"C:\Program Files\Google\Chrome\Application\137.0.7151.104\Installer\setup.exe" --uninstall --channel=stable --system-level --verbose-logging`, "", 117859942},
	{"Mozilla Firefox (x64 en-US)", "139.0.4", "Mozilla", `C:\Program Files\Mozilla Firefox`, `"C:\Program Files\Mozilla Firefox\uninstall\helper.exe"`, "", 259584000},
	{"Microsoft Edge", "137.0.3296.83", "Microsoft Corporation", `C:\Program Files (x86)\Microsoft\Edge\Application`, `"C:\Program Files (x86)\Microsoft\Edge\Application\137.0.3296.83\Installer\setup.exe" --uninstall --msedge --channel=stable --system-level --verbose-logging`, "", 0},
	{"Microsoft 365 Apps for business - en-us", "16.0.18827.20128", "Microsoft Corporation", `C:\Program Files\Microsoft Office`, `"C:\Program Files\Common Files\Microsoft Shared\ClickToRun\OfficeClickToRun.exe" scenario=install scenariosubtype=ARP sourcetype=None productstoremove=O365BusinessRetail.16_en-us_x-none culture=en-us version.16=16.0`, "", 0},
	{"Adobe Acrobat Reader (64-bit)", "25.001.20521", "Adobe", `C:\Program Files\Adobe\Acrobat DC\`, `MsiExec.exe /I{AC76BA86-1033-FF00-7760-BC15014EA700}`, `C:\ProgramData\Adobe\Setup\{AC76BA86-1033-FF00-7760-BC15014EA700}\`, 1005223936},
	{"Zoom Workplace (64-bit)", "6.4.12.2331", "Zoom", `C:\Program Files\Zoom\bin\`, `MsiExec.exe /X{3F7C8F2B-6C2F-4E0A-B3D5-0C1B6E8A3D41}`, "", 401604198},
	{"Microsoft Teams Meeting Add-in for Microsoft Office", "1.25.14205", "Microsoft", `C:\Program Files (x86)\Microsoft\TeamsMeetingAdd-in\1.25.14205\`, `MsiExec.exe /X{A7AB73A3-CB10-4AA5-9D38-6AEFFBDE4C91}`, "", 24117248},
	{"Notepad++ (64-bit x64)", "8.8.1", "Notepad++ Team", `C:\Program Files\Notepad++`, `"C:\Program Files\Notepad++\uninstall.exe"`, "", 15099494},
	{"VLC media player", "3.0.21", "VideoLAN", `C:\Program Files\VideoLAN\VLC`, `"C:\Program Files\VideoLAN\VLC\uninstall.exe"`, "", 172966707},
	{"Mesh Agent", "2022-12-14 02:31:40.000+00:00", "MeshCentral", `C:\Program Files\Mesh Agent`, `"C:\Program Files\Mesh Agent\MeshAgent.exe" -fulluninstall`, "", 0},
	{"Tactical RMM Agent", "2.11.0", "AmidaWare Inc", `C:\Program Files\TacticalAgent\`, `"C:\Program Files\TacticalAgent\unins000.exe"`, "", 40894464},
	{"Microsoft Visual C++ 2015-2022 Redistributable (x64) - 14.42.34433", "14.42.34433.0", "Microsoft Corporation", "", `"C:\ProgramData\Package Cache\{8bdfe669-9705-4184-9368-db9ce581e0e7}\VC_redist.x64.exe"  /uninstall`, "", 21600256},
	{"Microsoft Visual C++ 2015-2022 Redistributable (x86) - 14.42.34433", "14.42.34433.0", "Microsoft Corporation", "", `"C:\ProgramData\Package Cache\{0b5169e3-39da-4313-808e-1f9c0407f3bf}\VC_redist.x86.exe"  /uninstall`, "", 18411520},
	{"Microsoft Visual C++ 2013 Redistributable (x64) - 12.0.40664", "12.0.40664.0", "Microsoft Corporation", "", `"C:\ProgramData\Package Cache\{042d26ef-3dbe-4c25-95d3-4c1b11b235a7}\vcredist_x64.exe"  /uninstall`, "", 20552908},
	{"Microsoft .NET Runtime - 8.0.17 (x64)", "64.68.22000", "Microsoft Corporation", "", `MsiExec.exe /X{6F3C1E0A-9A7A-4C43-9F4F-8B0E4E1A2C11}`, "", 71303168},
	{"Microsoft Windows Desktop Runtime - 8.0.17 (x64)", "8.0.17.34912", "Microsoft Corporation", "", `"C:\ProgramData\Package Cache\{a4f6c2b8-7c1d-4d5e-9b61-0f3e2a9c8d71}\windowsdesktop-runtime-8.0.17-win-x64.exe"  /uninstall`, "", 221249536},
	{"Microsoft Update Health Tools", "5.72.0.0", "Microsoft Corporation", "", `MsiExec.exe /X{1FC1A6C2-576E-489A-9B4A-92D21F542136}`, "", 1048576},
	{"Windows PC Health Check", "3.7.2204.15001", "Microsoft Corporation", "", `MsiExec.exe /X{804A0628-543B-4984-896C-F58BF6A54832}`, "", 11639193},
	{"Dentrix G7", "7.6.1.22", "Henry Schein One", `C:\Program Files (x86)\Dentrix\`, `MsiExec.exe /X{6C1A2F3E-8D44-4B1D-9A27-5F0C8E71D3B2}`, `D:\Installers\DentrixG7\`, 1932735283},
	{"QuickBooks Desktop Pro 2024", "34.0.4002.3404", "Intuit Inc.", `C:\Program Files\Intuit\QuickBooks 2024\`, `"C:\ProgramData\Intuit\QuickBooks 2024\uninstall.exe"`, "", 1288490188},
	{"Sage 50 Accounting 2025", "32.1.00", "Sage", `C:\Program Files (x86)\Sage\Peachtree\`, `MsiExec.exe /X{9E4D7E3C-5B1A-4A7E-8A5C-3D2F1B0E6C47}`, "", 943718400},
	{"AutoCAD LT 2025", "25.0.58.0", "Autodesk", `C:\Program Files\Autodesk\AutoCAD LT 2025\`, `"C:\Program Files\Autodesk\AdODIS\V1\Installer.exe" -i uninstall`, "", 4509715660},
	{"FileZilla 3.69.1", "3.69.1", "Tim Kosse", `C:\Program Files\FileZilla FTP Client`, `"C:\Program Files\FileZilla FTP Client\uninstall.exe"`, "", 42991616},
	{"PuTTY release 0.83 (64-bit)", "0.83.0.0", "Simon Tatham", `C:\Program Files\PuTTY\`, `MsiExec.exe /X{B4E1C9D2-3A7F-4E58-9C21-6D0A8F3B2E19}`, "", 4404019},
	{"Git", "2.49.0", "The Git Development Community", `C:\Program Files\Git\`, `"C:\Program Files\Git\unins000.exe"`, "", 361758720},
	{"Python 3.12.10 (64-bit)", "3.12.10150.0", "Python Software Foundation", "", `"C:\Users\Public\Downloads\python-3.12.10-amd64.exe"  /uninstall`, "", 104857600},
	{"Microsoft SQL Server 2022 (64-bit)", "16.0.4195.2", "Microsoft Corporation", "", `"C:\Program Files\Microsoft SQL Server\160\Setup Bootstrap\SQL2022\x64\SetupARP.exe"`, "", 0},
	{"Microsoft SQL Server Management Studio - 20.2", "20.2.30.0", "Microsoft Corporation", "", `"C:\ProgramData\Package Cache\{1b4e8a2c-0c7a-4e1a-8b3f-2f7c6d9e0a15}\SSMS-Setup-ENU.exe"  /uninstall`, "", 1073741824},
	{"Veeam Agent for Microsoft Windows", "6.3.1.1074", "Veeam Software Group GmbH", `C:\Program Files\Veeam\Endpoint Backup\`, `MsiExec.exe /X{3E4B8B7C-9D2A-4B6E-8F1C-0A5D7E2C9B34}`, "", 540016640},
	{"Bitdefender Endpoint Security Tools", "7.9.19.402", "Bitdefender", `C:\Program Files\Bitdefender\Endpoint Security\`, `"C:\Program Files\Bitdefender\Endpoint Security\installer\setupdownloader.exe" /uninstall`, "", 1610612736},
	{"SentinelOne Agent", "24.1.5.277", "SentinelOne", `C:\Program Files\SentinelOne\Sentinel Agent 24.1.5.277\`, `MsiExec.exe /X{F0E8C2A4-7B1D-4E3F-9A6C-5D2B8E0F1A73}`, "", 734003200},
	{"Dell Command | Update for Windows Universal", "5.5.0", "Dell Inc.", `C:\Program Files\Dell\CommandUpdate\`, `MsiExec.exe /X{E40C2C63-E93A-4E5B-BE5B-6F8E1C2D9A07}`, "", 193986560},
	{"Lenovo Vantage Service", "4.2.55.0", "Lenovo Group Ltd.", `C:\Program Files (x86)\Lenovo\VantageService\4.2.55.0\`, `"C:\Program Files (x86)\Lenovo\VantageService\4.2.55.0\Uninstall.exe"`, "", 52428800},
	{"HP Wolf Security", "4.6.18.219", "HP Inc.", "", `MsiExec.exe /X{8E4C2A16-5D3B-4F7A-9C1E-0B6D2A8F4E53}`, "", 838860800},
	{"VMware Tools", "12.4.5.23787635", "VMware, Inc.", `C:\Program Files\VMware\VMware Tools\`, `MsiExec.exe /X{1E2A4C3D-0F9B-4E7A-8C61-2D5B7E9F0A13}`, `C:\Windows\TEMP\{7B1E}~setup\`, 103074611},
	{"Slack (Machine - MSI)", "4.44.65", "Slack Technologies Inc.", "", `MsiExec.exe /X{C9A2E4F1-8B3D-4E6A-9F0C-1D5B7A3E2C86}`, "", 115343360},
	{"Cisco Secure Client - AnyConnect VPN", "5.1.8.105", "Cisco Systems, Inc.", "", `MsiExec.exe /X{D5E2A1C8-3F7B-4A9E-8C6D-2B0F1E4A7C39}`, "", 62914560},
	{"KeePass Password Safe 2.58", "2.58", "Dominik Reichl", `C:\Program Files\KeePass Password Safe 2\`, `"C:\Program Files\KeePass Password Safe 2\unins000.exe"`, "", 16777216},
	{"TeamViewer", "15.66.5", "TeamViewer", `C:\Program Files\TeamViewer`, `"C:\Program Files\TeamViewer\uninstall.exe"`, "", 146800640},
}
