package store

import (
	"encoding/json"
	"fmt"
	"time"
)

// Device lifecycle. After a complete full device sync (every page read,
// nothing skipped, no error), an asset whose device the sync did not see
// is marked missing (missing_since, missing_full_syncs). Once it has been
// missing for at least MinMissingFullSyncs complete full syncs and for
// longer than the grace period, it is retired: status 'inactive', every
// row and its history kept. A device seen again by any sync is the same
// asset, active again. A partial or failed sync marks and retires nothing.

// MinMissingFullSyncs is how many complete full syncs in a row must miss a
// device before its asset is retired, however short the grace period.
const MinMissingFullSyncs = 2

// DefaultMissingGraceHours is the grace period when the settings set none.
const DefaultMissingGraceHours = 24

// MaxMissingGraceHours bounds the grace period (a year).
const MaxMissingGraceHours = 365 * 24

// LifecycleSettings is the "lifecycle" object of an integration's
// settings, e.g. {"lifecycle": {"missing_grace_hours": 72}}.
type LifecycleSettings struct {
	// MissingGraceHours is how long, in whole hours, a device must have
	// been missing before its asset is retired: 0 to 8760, default 24.
	// 0 retires it at the second complete full sync that misses it.
	MissingGraceHours *int `json:"missing_grace_hours,omitempty"`
}

// MissingGrace returns the grace period.
func (l LifecycleSettings) MissingGrace() time.Duration {
	hours := DefaultMissingGraceHours
	if l.MissingGraceHours != nil {
		hours = *l.MissingGraceHours
	}
	return time.Duration(hours) * time.Hour
}

// ParseLifecycleSettings reads the lifecycle from integration settings and
// validates it.
func ParseLifecycleSettings(settings []byte) (LifecycleSettings, error) {
	var wrapper struct {
		Lifecycle *json.RawMessage `json:"lifecycle"`
	}
	if len(settings) == 0 {
		return LifecycleSettings{}, nil
	}
	if err := json.Unmarshal(settings, &wrapper); err != nil {
		return LifecycleSettings{}, &InvalidError{Field: "settings", Msg: "must be a JSON object"}
	}
	if wrapper.Lifecycle == nil || string(*wrapper.Lifecycle) == "null" {
		return LifecycleSettings{}, nil
	}
	var l LifecycleSettings
	if err := json.Unmarshal(*wrapper.Lifecycle, &l); err != nil {
		return LifecycleSettings{}, &InvalidError{Field: "settings.lifecycle",
			Msg: fmt.Sprintf("must be an object such as {\"missing_grace_hours\": %d} (whole hours)", DefaultMissingGraceHours)}
	}
	if h := l.MissingGraceHours; h != nil && (*h < 0 || *h > MaxMissingGraceHours) {
		return LifecycleSettings{}, &InvalidError{Field: "settings.lifecycle.missing_grace_hours",
			Msg: fmt.Sprintf("%d is out of range: use whole hours from 0 to %d", *h, MaxMissingGraceHours)}
	}
	return l, nil
}
