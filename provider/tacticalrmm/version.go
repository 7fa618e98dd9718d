package tacticalrmm

import (
	"strconv"
	"strings"
)

// appVer1_5 is the APP_VER shared by v1.5.0 and v1.5.1 (API.md preamble).
const appVer1_5 = "0.0.203"

// webhookWarnings returns what the user must know about the server's
// webhook behaviour (API.md §6.6). release is dashinfo's trmm_version, ""
// when only APP_VER (appVer) could be read.
func webhookWarnings(release, appVer string) []string {
	if release == "" {
		if appVer == appVer1_5 {
			return []string{"Tactical reported only its APP_VER " + appVer1_5 + ", shared by v1.5.0 and v1.5.1. " +
				"v1.5.0 sends alert webhooks only when the alert template also has a script action; " +
				"if webhooks do not arrive, upgrade to v1.5.1 or add a script action."}
		}
		return nil
	}
	v, ok := parseVersion(release)
	if !ok {
		return nil
	}
	switch {
	case cmpVersion(v, [3]int{0, 19, 0}) < 0:
		return []string{"Tactical " + release + " predates webhooks (URL actions of type REST came in v0.19.0): " +
			"alerts reach the PSA only through the periodic backfill. Upgrade Tactical to use webhooks."}
	case cmpVersion(v, [3]int{1, 4, 0}) <= 0:
		return []string{"Tactical " + release + " sends the resolved webhook only when the failure action is a " +
			"webhook too (fixed in v1.5.0): use both recommended URL actions, or upgrade."}
	case v == [3]int{1, 5, 0}:
		return []string{"Tactical v1.5.0 sends alert webhooks only when the alert template also has a script " +
			"action (fixed in v1.5.1): upgrade to v1.5.1, or add a script action to the alert template."}
	}
	return nil
}

func parseVersion(s string) ([3]int, bool) {
	var v [3]int
	parts := strings.SplitN(strings.TrimPrefix(strings.TrimSpace(s), "v"), ".", 3)
	if len(parts) < 2 {
		return v, false
	}
	for i, p := range parts {
		digits := p
		if j := strings.IndexFunc(p, func(r rune) bool { return r < '0' || r > '9' }); j >= 0 {
			digits = p[:j]
		}
		n, err := strconv.Atoi(digits)
		if err != nil {
			return v, false
		}
		v[i] = n
	}
	return v, true
}

func cmpVersion(a, b [3]int) int {
	for i := range a {
		if a[i] != b[i] {
			if a[i] < b[i] {
				return -1
			}
			return 1
		}
	}
	return 0
}
