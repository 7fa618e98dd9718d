package tacticalrmm

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// parseSize reads a human size such as "476.0 GB" or "5.9 MB" as Tactical's
// agent prints them: 1024-based, with "B", "kB", "MB", "GB", "TB" labels.
// It returns false for anything else.
func parseSize(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, false
	}
	i := strings.IndexFunc(s, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	if i < 0 {
		i = len(s)
	}
	n, err := strconv.ParseFloat(s[:i], 64)
	if err != nil || n < 0 {
		return 0, false
	}
	exp := 0
	switch strings.ToUpper(strings.TrimSpace(s[i:])) {
	case "", "B", "BYTES":
	case "K", "KB", "KIB":
		exp = 1
	case "M", "MB", "MIB":
		exp = 2
	case "G", "GB", "GIB":
		exp = 3
	case "T", "TB", "TIB":
		exp = 4
	case "P", "PB", "PIB":
		exp = 5
	default:
		return 0, false
	}
	v := n * math.Pow(1024, float64(exp))
	if v > math.MaxInt64 {
		return 0, false
	}
	return int64(math.Round(v)), true
}

const gib = 1 << 30

// unixSeconds converts boot_time, a float of Unix seconds.
func unixSeconds(f *float64) time.Time {
	if f == nil || *f <= 0 || math.IsNaN(*f) || math.IsInf(*f, 0) {
		return time.Time{}
	}
	sec, frac := math.Modf(*f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC()
}

// parseAPITime reads a DRF datetime ("2026-06-16T14:59:21.304117Z"); ""
// is the zero time.
func parseAPITime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, err
	}
	return t.UTC(), nil
}

// parseInstallDate reads an install_date; unknown and unreadable dates
// ("01-1-01" means unknown) are the zero time. The layouts are those agents
// have sent (API.md §7): current agents print "%02d-%d-%02d", so the month
// is not padded; very old ones printed a Go time; the registry's raw
// YYYYMMDD also occurs.
func parseInstallDate(s string) time.Time {
	s = strings.TrimSpace(s)
	if s == "" || s == "01-1-01" {
		return time.Time{}
	}
	for _, layout := range []string{"2006-1-2", "2006-01-02 15:04:05 -0700 MST", "20060102", "1/2/2006"} {
		if t, err := time.Parse(layout, s); err == nil {
			if t.Year() < 1980 {
				return time.Time{}
			}
			return t.UTC()
		}
	}
	return time.Time{}
}
