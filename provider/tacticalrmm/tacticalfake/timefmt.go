package tacticalfake

import (
	"strconv"
	"strings"
	"time"
)

// appendDRFTime formats like DRF: isoformat() in UTC with "Z", and
// microseconds only when they are not zero.
func appendDRFTime(b []byte, t time.Time) []byte {
	t = t.UTC()
	b = t.AppendFormat(b, "2006-01-02T15:04:05")
	if us := t.Nanosecond() / 1000; us != 0 {
		b = append(b, '.')
		s := strconv.Itoa(us)
		for range 6 - len(s) {
			b = append(b, '0')
		}
		b = append(b, s...)
	}
	return append(b, 'Z')
}

func drfTime(t time.Time) string { return string(appendDRFTime(nil, t)) }

// parseDjangoDateTime parses a datetime form value as Django's
// DateTimeField does: ISO-8601 with 'T' or a space, optional seconds and
// fraction, "Z" or an offset, or a bare date (midnight). Naive values are
// UTC (TIME_ZONE="UTC").
func parseDjangoDateTime(v string) (time.Time, bool) {
	v = strings.TrimSpace(v)
	layouts := []string{
		"2006-01-02T15:04:05.999999999Z07:00",
		"2006-01-02T15:04:05.999999999",
		"2006-01-02T15:04Z07:00",
		"2006-01-02T15:04",
		"2006-01-02",
	}
	norm := v
	if len(norm) > 10 && norm[10] == ' ' {
		norm = norm[:10] + "T" + norm[11:]
	}
	for _, l := range layouts {
		if t, err := time.Parse(l, norm); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}
