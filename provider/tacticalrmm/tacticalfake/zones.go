package tacticalfake

import (
	_ "embed"
	"strings"
)

// zoneinfoNames is pytz.all_timezones as Tactical v1.5.1 sends it in every
// GET /agents/<agent_id>/ (598 names, from the agent_detail fixture).
//
//go:embed zoneinfo.txt
var zoneinfoNames string

func renderZones() []byte {
	var w jw
	w.strs(strings.Fields(zoneinfoNames))
	return w.b
}
