package tacticalfake

import (
	"strconv"
	"strings"
)

// AppVersion returns the APP_VER that GET /core/version/ reports for a
// Tactical release; v1.5.0 and v1.5.1 share "0.0.203". Unknown releases
// report "0.0.203" too.
func AppVersion(release string) string {
	switch {
	case versionAtLeast(release, "1.5.0"):
		return "0.0.203"
	case versionAtLeast(release, "1.4.0"):
		return "0.0.202"
	case versionAtLeast(release, "1.1.0"):
		return "0.0.199"
	case versionAtLeast(release, "0.20.0"):
		return "0.0.196"
	case versionAtLeast(release, "0.19.0"):
		return "0.0.193"
	case versionAtLeast(release, "0.16.5"):
		return "0.0.185"
	case strings.TrimSpace(release) == "":
		return "0.0.203"
	}
	return "0.0.184"
}

// versionAtLeast compares dotted releases numerically; an unparsable v
// counts as the newest.
func versionAtLeast(v, min string) bool {
	a, okA := parseVersion(v)
	b, _ := parseVersion(min)
	if !okA {
		return true
	}
	for i := range a {
		if a[i] != b[i] {
			return a[i] > b[i]
		}
	}
	return true
}

func parseVersion(v string) ([3]int, bool) {
	var out [3]int
	parts := strings.Split(strings.TrimPrefix(strings.TrimSpace(v), "v"), ".")
	if len(parts) == 0 || len(parts) > 3 {
		return out, false
	}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil {
			return out, false
		}
		out[i] = n
	}
	return out, true
}
