package rmmgrpc

import (
	"encoding/json"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/msp-psa/psa-host/shared/rmm"
)

// Fully populated samples. Each takes the time to use, so a test can build
// the value sent (times in some zone) and the value expected (in UTC).

func sampleTime() time.Time {
	return time.Date(2026, 3, 29, 1, 30, 15, 123456789, time.FixedZone("CET-ish", 3600+1800))
}

func fullIntegration() rmm.Integration {
	return rmm.Integration{
		ID: "int-1", TenantID: "tenant-1", Revision: 7, BaseURL: "https://api.example.test",
		AuthMode: rmm.AuthAPIKey, Secrets: map[string]string{"api_key": "k", "webhook_secret": "s"},
		Settings: json.RawMessage(`{"verify_tls":true}`),
	}
}

func fullMetadata() rmm.Metadata {
	return rmm.Metadata{
		Name: "tacticalrmm", DisplayName: "Tactical RMM", Version: "1.2.3", ProtocolVersion: 1,
		Editions:     []rmm.Edition{rmm.EditionCE, rmm.EditionEE},
		Capabilities: []rmm.Capability{rmm.CapSyncOrgs, rmm.CapSyncDevices, rmm.CapWebhooks},
		AuthModes: []rmm.AuthModeSpec{
			{Mode: rmm.AuthAPIKey, RequiredSecrets: []string{"api_key"}, OptionalSecrets: []string{"webhook_secret"}},
			{Mode: rmm.AuthPassword, RequiredSecrets: []string{"username", "password"}},
		},
		Webhook: &rmm.WebhookSpec{SecretHeader: "X-PSA-Secret", Templates: []rmm.WebhookTemplate{{
			Name: "failure", Method: "POST", URL: rmm.WebhookURLPlaceholder,
			Headers: `{"X-PSA-Secret":"` + rmm.WebhookSecretPlaceholder + `"}`, Body: `{"a":1}`, Notes: "paste me",
		}}},
	}
}

func fullOrg() rmm.Org {
	return rmm.Org{
		ExternalID: "client-1", Name: "Acme", Description: "Acme Ltd",
		Sites: []rmm.Site{{ExternalID: "site-1", Name: "HQ"}, {ExternalID: "site-2", Name: "Branch"}},
		Raw:   json.RawMessage(`{"id":1,"name":"Acme"}`),
	}
}

func fullDevice(t time.Time) rmm.Device {
	return rmm.Device{
		ExternalID: "agent-1", OrgExternalID: "client-1", SiteExternalID: "site-1", SiteName: "HQ",
		Hostname: "ws-01", DisplayName: "WS 01", Description: "front desk", Kind: rmm.KindWorkstation,
		Platform: "windows", OSName: "Windows 11 Pro", OSVersion: "23H2", AgentVersion: "2.7.0",
		Status: rmm.StatusOnline, LastSeen: t, BootTime: t.Add(-time.Hour), CurrentUser: "alice",
		LastUser: "bob", LANIPs: []string{"10.0.0.5", "fe80::1"}, WANIP: "203.0.113.9",
		SerialNumber: "SN123", Manufacturer: "Dell", Model: "OptiPlex", CPUModel: "i7",
		CPUCores: 8, CPUThreads: 16, RAMBytes: 32 << 30,
		Disks:       []rmm.Disk{{Name: "C:", FSType: "NTFS", TotalBytes: 512 << 30, FreeBytes: 100 << 30}},
		NeedsReboot: true, MaintenanceMode: true, Raw: json.RawMessage(`{"agent_id":"agent-1"}`),
	}
}

func fullAlert(t time.Time) rmm.Alert {
	return rmm.Alert{
		ExternalID: "alert-1", DedupKey: "agent-1/check-9", DeviceExternalID: "agent-1",
		OrgExternalID: "client-1", DeviceName: "ws-01", Severity: rmm.SeverityMajor, RawSeverity: "error",
		Class: "check", Message: "Disk C: below 10%", State: rmm.AlertResolved,
		TriggeredAt: t.Add(-time.Minute), ResolvedAt: t, Raw: json.RawMessage(`{"id":9}`),
	}
}

func fullSoftwareBatch(t time.Time) rmm.SoftwareBatch {
	return rmm.SoftwareBatch{DeviceExternalID: "agent-1", Items: []rmm.SoftwareItem{
		{Name: "7-Zip", Version: "23.01", Publisher: "Igor Pavlov", InstallDate: t, SizeBytes: 5 << 20, Location: `C:\7z`},
		{Name: "Firefox"},
	}}
}

func fullTestConnectionRequest() rmm.TestConnectionRequest {
	return rmm.TestConnectionRequest{Integration: fullIntegration(), OneTimeCode: "123456"}
}

func fullTestConnectionResult() rmm.TestConnectionResult {
	return rmm.TestConnectionResult{
		OK: true, Message: "connected", Reason: "ok", OneTimeCodeRequired: true, ServerVersion: "v0.19",
		Warnings: []string{"beta api off"}, Details: map[string]string{"agents": "12"},
		NewSecrets: map[string]string{"token": "t"},
	}
}

func fullSyncRequest() rmm.SyncRequest {
	return rmm.SyncRequest{
		Integration: fullIntegration(), Mode: rmm.SyncIncremental, Cursor: []byte("c-1"),
		OrgExternalIDs: []string{"client-1", "client-2"}, MaxBatch: 250,
	}
}

func fullSyncSummary() rmm.SyncSummary {
	return rmm.SyncSummary{
		Cursor: []byte("c-2"), Sent: 40, Skipped: 2, Warnings: []string{"2 agents without a site"},
		NewSecrets: map[string]string{"token": "t2"},
	}
}

func fullSyncAgentRequest() rmm.SyncAgentRequest {
	return rmm.SyncAgentRequest{Integration: fullIntegration(), DeviceExternalID: "agent-1"}
}

func fullSyncAgentResult(t time.Time) rmm.SyncAgentResult {
	return rmm.SyncAgentResult{Device: fullDevice(t), NewSecrets: map[string]string{"token": "t3"}}
}

func fullWebhookRequest(t time.Time) rmm.WebhookRequest {
	return rmm.WebhookRequest{
		Integration: fullIntegration(), Method: "POST",
		Headers: http.Header{"Content-Type": {"application/json"}, "X-Multi": {"a", "b"}},
		Query:   "a=1&b=2", Body: []byte(`{"alert_id":9}`), ReceivedAt: t,
	}
}

func fullWebhookResult(t time.Time) rmm.WebhookResult {
	return rmm.WebhookResult{
		Alerts:           []rmm.Alert{fullAlert(t), {ExternalID: "alert-2", State: rmm.AlertTriggered}},
		RefreshDeviceIDs: []string{"agent-1"}, RemovedDeviceIDs: []string{"agent-2"},
		Ignored: true, Message: "test delivery",
	}
}

func fullBackfillRequest(t time.Time) rmm.BackfillRequest {
	return rmm.BackfillRequest{
		Integration: fullIntegration(), Since: t.Add(-24 * time.Hour), Until: t,
		IncludeResolved: true, Cursor: []byte("page-3"), MaxBatch: 100,
	}
}

func fullSoftwareRequest() rmm.SoftwareRequest {
	return rmm.SoftwareRequest{
		Integration: fullIntegration(), DeviceExternalIDs: []string{"agent-1"},
		Cursor: []byte("dev-7"), MaxBatch: 10,
	}
}

// requireAllSet fails when a field of v (a struct, followed into nested
// structs, pointers and slice elements) is zero, so a field added to the
// contract cannot be missed by the samples, and so by the converters.
func requireAllSet(t *testing.T, name string, v any) {
	t.Helper()
	var walk func(path string, rv reflect.Value)
	walk = func(path string, rv reflect.Value) {
		if rv.IsZero() {
			t.Errorf("%s: sample leaves %s zero", name, path)
			return
		}
		switch rv.Kind() {
		case reflect.Pointer:
			walk(path, rv.Elem())
		case reflect.Slice:
			if rv.Type().Elem().Kind() == reflect.Struct {
				walk(path+"[0]", rv.Index(0))
			}
		case reflect.Struct:
			if rv.Type() == reflect.TypeFor[time.Time]() {
				return
			}
			for i := range rv.NumField() {
				walk(path+"."+rv.Type().Field(i).Name, rv.Field(i))
			}
		}
	}
	walk(name, reflect.ValueOf(v))
}
