package integration_test

import (
	"errors"
	"net/http"
	"net/url"
	"testing"

	"github.com/msp-psa/psa-host/integration_test/hostproc"
)

// The API's answers, as far as these tests read them.

type apiClient struct {
	ID   string `json:"client_id"`
	Name string `json:"client_name"`
}

type apiSecret struct {
	Name   string `json:"name"`
	Masked string `json:"masked"`
}

type apiIntegration struct {
	ID             string      `json:"integration_id"`
	IsActive       bool        `json:"is_active"`
	Secrets        []apiSecret `json:"secrets"`
	HasCredentials bool        `json:"has_credentials"`
	Connection     string      `json:"connection"`
}

type apiTestResult struct {
	OK            bool   `json:"ok"`
	Message       string `json:"message"`
	Reason        string `json:"reason"`
	TOTPRequired  bool   `json:"totp_required"`
	ServerVersion string `json:"server_version"`
}

type apiMapping struct {
	ID             string  `json:"mapping_id"`
	ExternalOrgID  string  `json:"external_organization_id"`
	ExternalName   string  `json:"external_organization_name"`
	ClientID       *string `json:"client_id"`
	AutoSyncAssets bool    `json:"auto_sync_assets"`
}

type apiAsset struct {
	ID          string  `json:"asset_id"`
	ClientID    *string `json:"client_id"`
	Name        string  `json:"name"`
	AgentStatus string  `json:"agent_status"`
	RMMDeviceID string  `json:"rmm_device_id"`
}

type apiPage[T any] struct {
	Items     []T     `json:"items"`
	NextAfter *string `json:"next_after"`
}

func createClient(t *testing.T, api *hostproc.Client, name string) apiClient {
	t.Helper()
	var c apiClient
	if _, err := api.Do(t.Context(), http.MethodPost, "/api/v1/clients", map[string]string{"name": name}, &c); err != nil {
		t.Fatalf("create client %q: %v", name, err)
	}
	if c.ID == "" || c.Name != name {
		t.Fatalf("create client %q answered %+v", name, c)
	}
	return c
}

func createIntegration(t *testing.T, api *hostproc.Client, name, instanceURL, authMode string, credentials map[string]string) apiIntegration {
	t.Helper()
	var in apiIntegration
	_, err := api.Do(t.Context(), http.MethodPost, "/api/v1/integrations", map[string]any{
		"provider": "tacticalrmm", "name": name, "instance_url": instanceURL,
		"auth_mode": authMode, "credentials": credentials,
	}, &in)
	if err != nil {
		t.Fatalf("create integration %q: %v", name, err)
	}
	return in
}

func getIntegration(t *testing.T, api *hostproc.Client, id string) apiIntegration {
	t.Helper()
	var in apiIntegration
	if _, err := api.Do(t.Context(), http.MethodGet, "/api/v1/integrations/"+id, nil, &in); err != nil {
		t.Fatalf("get integration: %v", err)
	}
	return in
}

// testConnection calls POST .../test, with a one-time code unless code
// is "".
func testConnection(t *testing.T, api *hostproc.Client, id, code string) apiTestResult {
	t.Helper()
	body := map[string]string{}
	if code != "" {
		body["twofactor"] = code
	}
	var res apiTestResult
	if _, err := api.Do(t.Context(), http.MethodPost, "/api/v1/integrations/"+id+"/test", body, &res); err != nil {
		t.Fatalf("test connection: %v", err)
	}
	return res
}

func listMappings(t *testing.T, api *hostproc.Client, integrationID string) []apiMapping {
	t.Helper()
	var page apiPage[apiMapping]
	if _, err := api.Do(t.Context(), http.MethodGet, "/api/v1/integrations/"+integrationID+"/mappings?limit=1000", nil, &page); err != nil {
		t.Fatalf("list mappings: %v", err)
	}
	return page.Items
}

// mapOrg maps the organisation with external id orgID to clientID, with
// auto-sync on.
func mapOrg(t *testing.T, api *hostproc.Client, integrationID, orgID, clientID string) apiMapping {
	t.Helper()
	for _, m := range listMappings(t, api, integrationID) {
		if m.ExternalOrgID != orgID {
			continue
		}
		var got apiMapping
		_, err := api.Do(t.Context(), http.MethodPatch, "/api/v1/integrations/"+integrationID+"/mappings/"+m.ID,
			map[string]any{"client_id": clientID, "auto_sync_assets": true}, &got)
		if err != nil {
			t.Fatalf("map organisation %s: %v", orgID, err)
		}
		if got.ClientID == nil || *got.ClientID != clientID || !got.AutoSyncAssets {
			t.Fatalf("map organisation %s answered %+v", orgID, got)
		}
		return got
	}
	t.Fatalf("no mapping for organisation %s", orgID)
	return apiMapping{}
}

// syncOK runs a full sync of kind and fails the test unless it succeeds.
func syncOK(t *testing.T, api *hostproc.Client, integrationID, kind string) hostproc.Job {
	t.Helper()
	j, err := api.Sync(t.Context(), integrationID, kind, "full")
	if err != nil {
		t.Fatalf("sync %s: %v", kind, err)
	}
	return j
}

// listAllAssets pages through GET /api/v1/assets with query q.
func listAllAssets(t *testing.T, api *hostproc.Client, q url.Values) []apiAsset {
	t.Helper()
	var all []apiAsset
	q.Set("limit", "1000")
	for {
		var page apiPage[apiAsset]
		if _, err := api.Do(t.Context(), http.MethodGet, "/api/v1/assets?"+q.Encode(), nil, &page); err != nil {
			t.Fatalf("list assets: %v", err)
		}
		all = append(all, page.Items...)
		if page.NextAfter == nil {
			return all
		}
		q.Set("after", *page.NextAfter)
	}
}

// statusOf is the HTTP status of a failed call, 0 for success or a
// transport error.
func statusOf(err error) int {
	if he, ok := errors.AsType[*hostproc.Error](err); ok {
		return he.Status
	}
	return 0
}
