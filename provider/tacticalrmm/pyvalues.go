package tacticalrmm

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"
)

// Tactical renders webhook template variables with Python's str()
// (API.md §6.6): every falsy value becomes "None", booleans "True" and
// "False", datetimes "2026-06-16 12:30:40.221904+00:00". Numbers may come
// quoted or not. These helpers read such values. A value still holding
// "{{" was never rendered (Tactical's test button sends the template as
// is) and counts as empty.

// pyString reads a value as text; "None" and unrendered variables are "".
func pyString(v any) string {
	var s string
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		s = strings.TrimSpace(x)
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	default:
		return ""
	}
	if s == "None" || s == "null" || unrendered(s) {
		return ""
	}
	return s
}

func unrendered(s string) bool { return strings.Contains(s, "{{") }

// pyBool reads True/False in any of the ways they arrive.
func pyBool(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case json.Number:
		return x.String() != "0"
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "true", "1", "yes", "y", "t":
			return true
		}
	}
	return false
}

// pyID reads an integer id, quoted or not; anything else is "".
func pyID(v any) string {
	s := pyString(v)
	if s == "" {
		return ""
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 0 {
		return strconv.FormatInt(n, 10)
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f > 0 && f == math.Trunc(f) && f < 1e18 {
		return strconv.FormatInt(int64(f), 10)
	}
	return ""
}

// pyTime reads a time in any form a webhook may carry it: Python's str()
// of a datetime (space separator, "+00:00", optional microseconds), RFC
// 3339, or Unix epoch seconds or milliseconds, as a number or numeric
// text. Times without a zone are UTC, Tactical's TIME_ZONE. Unreadable
// values are the zero time.
func pyTime(v any) time.Time {
	s := pyString(v)
	if s == "" {
		return time.Time{}
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return epochTime(f)
	}
	for _, layout := range []string{
		time.RFC3339Nano,
		"2006-01-02 15:04:05.999999999Z07:00",
		"2006-01-02 15:04:05.999999999",
		"2006-01-02T15:04:05.999999999",
		"2006-01-02 15:04:05.999999999 -0700 MST",
	} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

// epochTime reads Unix seconds, or milliseconds when the number is too
// large to be seconds (after the year 5000).
func epochTime(f float64) time.Time {
	if f <= 0 || math.IsNaN(f) || math.IsInf(f, 0) {
		return time.Time{}
	}
	if f >= 1e11 {
		f /= 1000
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(math.Round(frac*1e6))*1e3).UTC()
}
