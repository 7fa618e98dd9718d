package api

import (
	"context"
	"net/http"
	"unicode/utf8"

	"github.com/msp-psa/psa-host/host/store"
	"github.com/msp-psa/psa-host/shared/rmm"
)

const maxExternalIDLen = 256

type syncRequest struct {
	Kind string `json:"kind"`
	Mode string `json:"mode"`
}

type syncResponse struct {
	JobID  string `json:"job_id"`
	Status string `json:"status"`
	// Existing is set when a queued or running job of the same kind was
	// returned instead of a new one.
	Existing bool      `json:"existing"`
	Job      store.Job `json:"job"`
}

// capabilityFor is the capability a sync of kind in mode needs.
func capabilityFor(kind string, mode rmm.SyncMode) (rmm.Capability, bool) {
	switch kind {
	case store.JobOrgs:
		return rmm.CapSyncOrgs, true
	case store.JobDevices:
		if mode == rmm.SyncIncremental {
			return rmm.CapIncrementalDevices, true
		}
		return rmm.CapSyncDevices, true
	case store.JobAlerts:
		return rmm.CapBackfillAlerts, true
	case store.JobSoftware:
		return rmm.CapSoftware, true
	}
	return "", false
}

// startSync queues a sync job and answers 202 with it; a job of the same
// kind already queued or running is returned with existing=true.
func (s *server) startSync(w http.ResponseWriter, r *http.Request) error {
	var req syncRequest
	if err := s.decodeJSON(w, r, &req); err != nil {
		return err
	}
	if req.Kind == "" {
		return missing("kind")
	}
	in, err := s.integration(r)
	if err != nil {
		return err
	}
	mode := rmm.SyncMode(req.Mode)
	if req.Mode == "" {
		mode = rmm.SyncFull
	}
	capability, ok := capabilityFor(req.Kind, mode)
	if !ok {
		return invalid("kind", "kind must be one of orgs, devices, alerts, software")
	}
	if mode != rmm.SyncFull && mode != rmm.SyncIncremental {
		return invalid("mode", "mode must be full or incremental")
	}
	field := "kind"
	if capability == rmm.CapIncrementalDevices {
		field = "mode"
	}
	if err := s.requireCapability(r.Context(), in.Provider, capability, field); err != nil {
		return err
	}
	job, created, err := s.cfg.Syncer.Enqueue(r.Context(), tenantOf(r), in.ID, req.Kind, string(mode))
	if err != nil {
		return storeError(err, "job")
	}
	w.Header().Set("Location", "/api/v1/jobs/"+job.ID)
	writeJSON(w, http.StatusAccepted, syncResponse{JobID: job.ID, Status: job.Status, Existing: !created, Job: job})
	return nil
}

func (s *server) getJob(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "job_id", "job")
	if err != nil {
		return err
	}
	job, err := s.cfg.Store.GetJob(r.Context(), tenantOf(r), id)
	if err != nil {
		return storeError(err, "job")
	}
	writeJSON(w, http.StatusOK, job)
	return nil
}

type syncDeviceResponse struct {
	Asset store.Asset `json:"asset"`
}

// syncDevice refreshes one agent from the RMM now.
func (s *server) syncDevice(w http.ResponseWriter, r *http.Request) error {
	externalID := r.PathValue("external_id")
	if externalID == "" || len(externalID) > maxExternalIDLen || !utf8.ValidString(externalID) {
		return notFound("device")
	}
	in, err := s.integration(r)
	if err != nil {
		return err
	}
	if err := s.requireCapability(r.Context(), in.Provider, rmm.CapSyncAgent, ""); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.CallTimeout)
	defer cancel()
	asset, err := s.cfg.Syncer.SyncAgent(ctx, tenantOf(r), in.ID, externalID)
	if err != nil {
		return pluginError(err, "device")
	}
	writeJSON(w, http.StatusOK, syncDeviceResponse{Asset: asset})
	return nil
}
