package rmmgrpc

import (
	"net/http"

	"github.com/msp-psa/psa-host/shared/internal/rmmv1"
	"github.com/msp-psa/psa-host/shared/rmm"
)

func integrationToProto(i rmm.Integration) *rmmv1.Integration {
	return &rmmv1.Integration{
		Id:           i.ID,
		TenantId:     i.TenantID,
		Revision:     i.Revision,
		BaseUrl:      i.BaseURL,
		AuthMode:     string(i.AuthMode),
		Secrets:      i.Secrets,
		SettingsJson: i.Settings,
	}
}

func integrationFromProto(i *rmmv1.Integration) rmm.Integration {
	return rmm.Integration{
		ID:       i.GetId(),
		TenantID: i.GetTenantId(),
		Revision: i.GetRevision(),
		BaseURL:  i.GetBaseUrl(),
		AuthMode: rmm.AuthMode(i.GetAuthMode()),
		Secrets:  mapOrNil(i.GetSecrets()),
		Settings: orNil(i.GetSettingsJson()),
	}
}

func testConnectionRequestToProto(r rmm.TestConnectionRequest) *rmmv1.TestConnectionRequest {
	return &rmmv1.TestConnectionRequest{
		Integration: integrationToProto(r.Integration),
		OneTimeCode: r.OneTimeCode,
	}
}

func testConnectionRequestFromProto(r *rmmv1.TestConnectionRequest) rmm.TestConnectionRequest {
	return rmm.TestConnectionRequest{
		Integration: integrationFromProto(r.GetIntegration()),
		OneTimeCode: r.GetOneTimeCode(),
	}
}

func testConnectionResultToProto(r rmm.TestConnectionResult) *rmmv1.TestConnectionResult {
	return &rmmv1.TestConnectionResult{
		Ok:                  r.OK,
		Message:             r.Message,
		Reason:              r.Reason,
		OneTimeCodeRequired: r.OneTimeCodeRequired,
		ServerVersion:       r.ServerVersion,
		Warnings:            r.Warnings,
		Details:             r.Details,
		NewSecrets:          r.NewSecrets,
	}
}

func testConnectionResultFromProto(r *rmmv1.TestConnectionResult) rmm.TestConnectionResult {
	return rmm.TestConnectionResult{
		OK:                  r.GetOk(),
		Message:             r.GetMessage(),
		Reason:              r.GetReason(),
		OneTimeCodeRequired: r.GetOneTimeCodeRequired(),
		ServerVersion:       r.GetServerVersion(),
		Warnings:            orNil(r.GetWarnings()),
		Details:             mapOrNil(r.GetDetails()),
		NewSecrets:          mapOrNil(r.GetNewSecrets()),
	}
}

func syncRequestToProto(r rmm.SyncRequest) *rmmv1.SyncRequest {
	return &rmmv1.SyncRequest{
		Integration:    integrationToProto(r.Integration),
		Mode:           string(r.Mode),
		Cursor:         r.Cursor,
		OrgExternalIds: r.OrgExternalIDs,
		MaxBatch:       int64(r.MaxBatch),
	}
}

func syncRequestFromProto(r *rmmv1.SyncRequest) rmm.SyncRequest {
	return rmm.SyncRequest{
		Integration:    integrationFromProto(r.GetIntegration()),
		Mode:           rmm.SyncMode(r.GetMode()),
		Cursor:         r.GetCursor(),
		OrgExternalIDs: orNil(r.GetOrgExternalIds()),
		MaxBatch:       int(r.GetMaxBatch()),
	}
}

func syncSummaryToProto(s rmm.SyncSummary) *rmmv1.SyncSummary {
	return &rmmv1.SyncSummary{
		Cursor:     s.Cursor,
		Sent:       s.Sent,
		Skipped:    s.Skipped,
		Warnings:   s.Warnings,
		NewSecrets: s.NewSecrets,
	}
}

func syncSummaryFromProto(s *rmmv1.SyncSummary) rmm.SyncSummary {
	return rmm.SyncSummary{
		Cursor:     s.GetCursor(),
		Sent:       s.GetSent(),
		Skipped:    s.GetSkipped(),
		Warnings:   orNil(s.GetWarnings()),
		NewSecrets: mapOrNil(s.GetNewSecrets()),
	}
}

func syncAgentRequestToProto(r rmm.SyncAgentRequest) *rmmv1.SyncAgentRequest {
	return &rmmv1.SyncAgentRequest{
		Integration:      integrationToProto(r.Integration),
		DeviceExternalId: r.DeviceExternalID,
	}
}

func syncAgentRequestFromProto(r *rmmv1.SyncAgentRequest) rmm.SyncAgentRequest {
	return rmm.SyncAgentRequest{
		Integration:      integrationFromProto(r.GetIntegration()),
		DeviceExternalID: r.GetDeviceExternalId(),
	}
}

func syncAgentResultToProto(r rmm.SyncAgentResult) *rmmv1.SyncAgentResult {
	return &rmmv1.SyncAgentResult{
		Device:     deviceToProto(r.Device),
		NewSecrets: r.NewSecrets,
	}
}

func syncAgentResultFromProto(r *rmmv1.SyncAgentResult) rmm.SyncAgentResult {
	return rmm.SyncAgentResult{
		Device:     deviceFromProto(r.GetDevice()),
		NewSecrets: mapOrNil(r.GetNewSecrets()),
	}
}

func webhookRequestToProto(r rmm.WebhookRequest) *rmmv1.WebhookRequest {
	return &rmmv1.WebhookRequest{
		Integration: integrationToProto(r.Integration),
		Method:      r.Method,
		Headers:     headersToProto(r.Headers),
		Query:       r.Query,
		Body:        r.Body,
		ReceivedAt:  timeToProto(r.ReceivedAt),
	}
}

func webhookRequestFromProto(r *rmmv1.WebhookRequest) rmm.WebhookRequest {
	return rmm.WebhookRequest{
		Integration: integrationFromProto(r.GetIntegration()),
		Method:      r.GetMethod(),
		Headers:     headersFromProto(r.GetHeaders()),
		Query:       r.GetQuery(),
		Body:        orNil(r.GetBody()),
		ReceivedAt:  timeFromProto(r.GetReceivedAt()),
	}
}

// Header names are kept as given: the host passes what net/http parsed, so
// they are already canonical.
func headersToProto(h http.Header) map[string]*rmmv1.HeaderValues {
	if len(h) == 0 {
		return nil
	}
	out := make(map[string]*rmmv1.HeaderValues, len(h))
	for k, v := range h {
		out[k] = &rmmv1.HeaderValues{Values: v}
	}
	return out
}

func headersFromProto(h map[string]*rmmv1.HeaderValues) http.Header {
	if len(h) == 0 {
		return nil
	}
	out := make(http.Header, len(h))
	for k, v := range h {
		out[k] = orNil(v.GetValues())
	}
	return out
}

func webhookResultToProto(r rmm.WebhookResult) *rmmv1.WebhookResult {
	return &rmmv1.WebhookResult{
		Alerts:           listToProto(r.Alerts, alertToProto),
		RefreshDeviceIds: r.RefreshDeviceIDs,
		RemovedDeviceIds: r.RemovedDeviceIDs,
		Ignored:          r.Ignored,
		Message:          r.Message,
	}
}

func webhookResultFromProto(r *rmmv1.WebhookResult) rmm.WebhookResult {
	return rmm.WebhookResult{
		Alerts:           listFromProto(r.GetAlerts(), alertFromProto),
		RefreshDeviceIDs: orNil(r.GetRefreshDeviceIds()),
		RemovedDeviceIDs: orNil(r.GetRemovedDeviceIds()),
		Ignored:          r.GetIgnored(),
		Message:          r.GetMessage(),
	}
}

func backfillRequestToProto(r rmm.BackfillRequest) *rmmv1.BackfillRequest {
	return &rmmv1.BackfillRequest{
		Integration:     integrationToProto(r.Integration),
		Since:           timeToProto(r.Since),
		Until:           timeToProto(r.Until),
		IncludeResolved: r.IncludeResolved,
		Cursor:          r.Cursor,
		MaxBatch:        int64(r.MaxBatch),
	}
}

func backfillRequestFromProto(r *rmmv1.BackfillRequest) rmm.BackfillRequest {
	return rmm.BackfillRequest{
		Integration:     integrationFromProto(r.GetIntegration()),
		Since:           timeFromProto(r.GetSince()),
		Until:           timeFromProto(r.GetUntil()),
		IncludeResolved: r.GetIncludeResolved(),
		Cursor:          r.GetCursor(),
		MaxBatch:        int(r.GetMaxBatch()),
	}
}

func softwareRequestToProto(r rmm.SoftwareRequest) *rmmv1.SoftwareRequest {
	return &rmmv1.SoftwareRequest{
		Integration:       integrationToProto(r.Integration),
		DeviceExternalIds: r.DeviceExternalIDs,
		Cursor:            r.Cursor,
		MaxBatch:          int64(r.MaxBatch),
	}
}

func softwareRequestFromProto(r *rmmv1.SoftwareRequest) rmm.SoftwareRequest {
	return rmm.SoftwareRequest{
		Integration:       integrationFromProto(r.GetIntegration()),
		DeviceExternalIDs: orNil(r.GetDeviceExternalIds()),
		Cursor:            r.GetCursor(),
		MaxBatch:          int(r.GetMaxBatch()),
	}
}
