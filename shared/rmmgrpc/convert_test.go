package rmmgrpc

import (
	"encoding/json"
	"net/http"
	"reflect"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/msp-psa/psa-host/shared/internal/rmmv1"
	"github.com/msp-psa/psa-host/shared/rmm"
)

type convCase[T any] struct {
	name    string
	in, out T
}

// checkConversion sends each case through the wire encoding and back, and
// checks that a nil proto message converts to the zero value.
func checkConversion[T any, P proto.Message](t *testing.T, to func(T) P, from func(P) T, cases []convCase[T]) {
	t.Helper()
	var nilMsg P
	var zero T
	if got := from(nilMsg); !reflect.DeepEqual(got, zero) {
		t.Errorf("nil message: got %#v, want the zero value", got)
	}
	for _, c := range cases {
		msg := to(c.in)
		wire, err := proto.Marshal(msg)
		if err != nil {
			t.Fatalf("%s: marshal: %v", c.name, err)
		}
		back := msg.ProtoReflect().New().Interface().(P)
		if err := proto.Unmarshal(wire, back); err != nil {
			t.Fatalf("%s: unmarshal: %v", c.name, err)
		}
		if got := from(back); !reflect.DeepEqual(got, c.out) {
			t.Errorf("%s:\n got %#v\nwant %#v", c.name, got, c.out)
		}
	}
}

func TestSamplesAreFull(t *testing.T) {
	at := sampleTime()
	for name, v := range map[string]any{
		"Integration": fullIntegration(), "Metadata": fullMetadata(), "Org": fullOrg(),
		"Device": fullDevice(at), "Alert": fullAlert(at), "SoftwareBatch": fullSoftwareBatch(at),
		"TestConnectionRequest": fullTestConnectionRequest(), "TestConnectionResult": fullTestConnectionResult(),
		"SyncRequest": fullSyncRequest(), "SyncSummary": fullSyncSummary(),
		"SyncAgentRequest": fullSyncAgentRequest(), "SyncAgentResult": fullSyncAgentResult(at),
		"WebhookRequest": fullWebhookRequest(at), "WebhookResult": fullWebhookResult(at),
		"BackfillRequest": fullBackfillRequest(at), "SoftwareRequest": fullSoftwareRequest(),
	} {
		requireAllSet(t, name, v)
	}
}

func TestConvertRecords(t *testing.T) {
	at, utc := sampleTime(), sampleTime().UTC()
	t.Run("Org", func(t *testing.T) {
		checkConversion(t, orgToProto, orgFromProto, []convCase[rmm.Org]{
			{"zero", rmm.Org{}, rmm.Org{}},
			{"empty", rmm.Org{Sites: []rmm.Site{}, Raw: json.RawMessage{}}, rmm.Org{}},
			{"full", fullOrg(), fullOrg()},
		})
	})
	t.Run("Device", func(t *testing.T) {
		checkConversion(t, deviceToProto, deviceFromProto, []convCase[rmm.Device]{
			{"zero", rmm.Device{}, rmm.Device{}},
			{"empty", rmm.Device{LANIPs: []string{}, Disks: []rmm.Disk{}, Raw: json.RawMessage{}}, rmm.Device{}},
			{"full in UTC", fullDevice(at), fullDevice(utc)},
			{"zero disk kept", rmm.Device{Disks: []rmm.Disk{{}}}, rmm.Device{Disks: []rmm.Disk{{}}}},
			{"unknown enum values kept", rmm.Device{Kind: "printer", Status: "asleep"}, rmm.Device{Kind: "printer", Status: "asleep"}},
		})
	})
	t.Run("Alert", func(t *testing.T) {
		checkConversion(t, alertToProto, alertFromProto, []convCase[rmm.Alert]{
			{"zero", rmm.Alert{}, rmm.Alert{}},
			{"full in UTC", fullAlert(at), fullAlert(utc)},
			{"only resolved time", rmm.Alert{ResolvedAt: utc}, rmm.Alert{ResolvedAt: utc}},
		})
	})
	t.Run("SoftwareBatch", func(t *testing.T) {
		checkConversion(t, softwareBatchToProto, softwareBatchFromProto, []convCase[rmm.SoftwareBatch]{
			{"zero", rmm.SoftwareBatch{}, rmm.SoftwareBatch{}},
			{"empty", rmm.SoftwareBatch{Items: []rmm.SoftwareItem{}}, rmm.SoftwareBatch{}},
			{"full in UTC", fullSoftwareBatch(at), fullSoftwareBatch(utc)},
		})
	})
	t.Run("before the epoch", func(t *testing.T) {
		old := time.Date(1969, 7, 20, 20, 17, 40, 5, time.UTC)
		checkConversion(t, softwareItemToProto, softwareItemFromProto, []convCase[rmm.SoftwareItem]{
			{"old", rmm.SoftwareItem{InstallDate: old}, rmm.SoftwareItem{InstallDate: old}},
		})
	})
}

func TestConvertMetadata(t *testing.T) {
	checkConversion(t, metadataToProto, metadataFromProto, []convCase[rmm.Metadata]{
		{"zero", rmm.Metadata{}, rmm.Metadata{}},
		{"empty", rmm.Metadata{Editions: []rmm.Edition{}, AuthModes: []rmm.AuthModeSpec{}}, rmm.Metadata{}},
		// A webhook spec with nothing in it still says "takes webhooks".
		{"empty webhook spec kept", rmm.Metadata{Webhook: &rmm.WebhookSpec{}}, rmm.Metadata{Webhook: &rmm.WebhookSpec{}}},
		{"full", fullMetadata(), fullMetadata()},
	})
}

func TestConvertRequests(t *testing.T) {
	at, utc := sampleTime(), sampleTime().UTC()
	t.Run("Integration", func(t *testing.T) {
		checkConversion(t, integrationToProto, integrationFromProto, []convCase[rmm.Integration]{
			{"zero", rmm.Integration{}, rmm.Integration{}},
			{"empty", rmm.Integration{Secrets: map[string]string{}, Settings: json.RawMessage{}}, rmm.Integration{}},
			{"full", fullIntegration(), fullIntegration()},
		})
	})
	t.Run("TestConnection", func(t *testing.T) {
		checkConversion(t, testConnectionRequestToProto, testConnectionRequestFromProto, []convCase[rmm.TestConnectionRequest]{
			{"zero", rmm.TestConnectionRequest{}, rmm.TestConnectionRequest{}},
			{"full", fullTestConnectionRequest(), fullTestConnectionRequest()},
		})
		checkConversion(t, testConnectionResultToProto, testConnectionResultFromProto, []convCase[rmm.TestConnectionResult]{
			{"zero", rmm.TestConnectionResult{}, rmm.TestConnectionResult{}},
			{"empty", rmm.TestConnectionResult{Warnings: []string{}, Details: map[string]string{}, NewSecrets: map[string]string{}}, rmm.TestConnectionResult{}},
			{"full", fullTestConnectionResult(), fullTestConnectionResult()},
		})
	})
	t.Run("Sync", func(t *testing.T) {
		checkConversion(t, syncRequestToProto, syncRequestFromProto, []convCase[rmm.SyncRequest]{
			{"zero", rmm.SyncRequest{}, rmm.SyncRequest{}},
			// An empty cursor is a cursor: resume, unlike a first sync.
			{"empty cursor kept", rmm.SyncRequest{Cursor: []byte{}}, rmm.SyncRequest{Cursor: []byte{}}},
			{"full", fullSyncRequest(), fullSyncRequest()},
		})
		checkConversion(t, syncSummaryToProto, syncSummaryFromProto, []convCase[rmm.SyncSummary]{
			{"zero", rmm.SyncSummary{}, rmm.SyncSummary{}},
			{"empty cursor kept", rmm.SyncSummary{Cursor: []byte{}, NewSecrets: map[string]string{}}, rmm.SyncSummary{Cursor: []byte{}}},
			{"full", fullSyncSummary(), fullSyncSummary()},
		})
	})
	t.Run("SyncAgent", func(t *testing.T) {
		checkConversion(t, syncAgentRequestToProto, syncAgentRequestFromProto, []convCase[rmm.SyncAgentRequest]{
			{"zero", rmm.SyncAgentRequest{}, rmm.SyncAgentRequest{}},
			{"full", fullSyncAgentRequest(), fullSyncAgentRequest()},
		})
		checkConversion(t, syncAgentResultToProto, syncAgentResultFromProto, []convCase[rmm.SyncAgentResult]{
			{"zero", rmm.SyncAgentResult{}, rmm.SyncAgentResult{}},
			{"full in UTC", fullSyncAgentResult(at), fullSyncAgentResult(utc)},
		})
	})
	t.Run("Webhook", func(t *testing.T) {
		checkConversion(t, webhookRequestToProto, webhookRequestFromProto, []convCase[rmm.WebhookRequest]{
			{"zero", rmm.WebhookRequest{}, rmm.WebhookRequest{}},
			{"empty", rmm.WebhookRequest{Headers: http.Header{}, Body: []byte{}}, rmm.WebhookRequest{}},
			{"header without values kept", rmm.WebhookRequest{Headers: http.Header{"X-Empty": {}}}, rmm.WebhookRequest{Headers: http.Header{"X-Empty": nil}}},
			{"full in UTC", fullWebhookRequest(at), fullWebhookRequest(utc)},
		})
		checkConversion(t, webhookResultToProto, webhookResultFromProto, []convCase[rmm.WebhookResult]{
			{"zero", rmm.WebhookResult{}, rmm.WebhookResult{}},
			{"empty", rmm.WebhookResult{Alerts: []rmm.Alert{}, RefreshDeviceIDs: []string{}}, rmm.WebhookResult{}},
			{"full in UTC", fullWebhookResult(at), fullWebhookResult(utc)},
		})
	})
	t.Run("Backfill", func(t *testing.T) {
		checkConversion(t, backfillRequestToProto, backfillRequestFromProto, []convCase[rmm.BackfillRequest]{
			{"zero", rmm.BackfillRequest{}, rmm.BackfillRequest{}},
			{"full in UTC", fullBackfillRequest(at), fullBackfillRequest(utc)},
		})
	})
	t.Run("Software", func(t *testing.T) {
		checkConversion(t, softwareRequestToProto, softwareRequestFromProto, []convCase[rmm.SoftwareRequest]{
			{"zero", rmm.SoftwareRequest{}, rmm.SoftwareRequest{}},
			{"empty cursor kept", rmm.SoftwareRequest{Cursor: []byte{}, DeviceExternalIDs: []string{}}, rmm.SoftwareRequest{Cursor: []byte{}}},
			{"full", fullSoftwareRequest(), fullSoftwareRequest()},
		})
	})
}

// Every frame codec builds frames its own parts function reads back.
func TestFrameCodecs(t *testing.T) {
	checkFrames(t, orgFrames(), fullOrg())
	checkFrames(t, deviceFrames(), fullDevice(time.Unix(1e9, 0).UTC()))
	checkFrames(t, alertFrames(), fullAlert(time.Unix(1e9, 0).UTC()))
	checkFrames(t, softwareFrames(), fullSoftwareBatch(time.Unix(1e9, 0).UTC()))
}

func checkFrames[T any, P proto.Message, F any](t *testing.T, c frameCodec[T, P, F], item T) {
	t.Helper()
	p := c.parts(c.batch([]P{c.toProto(item)}, 9, []byte("cur")))
	if !p.batch || p.summary != nil || len(p.items) != 1 || p.total != 9 || string(p.cursor) != "cur" {
		t.Errorf("%T batch frame read back as %+v", item, p)
	}
	if got := c.fromProto(p.items[0]); !reflect.DeepEqual(got, item) {
		t.Errorf("%T item: got %#v", item, got)
	}
	s := c.parts(c.summary(&rmmv1.SyncSummary{Sent: 3}))
	if s.batch || s.summary.GetSent() != 3 {
		t.Errorf("%T summary frame read back as %+v", item, s)
	}
	if e := c.parts(new(F)); e.batch || e.summary != nil {
		t.Errorf("%T empty frame read back as %+v", item, e)
	}
}
