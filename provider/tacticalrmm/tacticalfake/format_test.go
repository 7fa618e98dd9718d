package tacticalfake

import (
	"testing"
	"time"
)

func TestPythonFormatting(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{humanBytes(0), "0 B"},
		{humanBytes(1023), "1023 B"},
		{humanBytes(6186598), "5.9 MB"},
		{humanBytes(511101108224), "476.0 GB"},
		{humanBytes(1024), "1.0 kB"},
		{agentDate(time.Date(2026, 6, 11, 0, 0, 0, 0, time.UTC)), "2026-6-11"},
		{agentDate(time.Date(2025, 11, 4, 0, 0, 0, 0, time.UTC)), "2025-11-04"},
		{string(appendPyFloat(nil, 1781251965)), "1781251965.0"},
		{string(appendPyFloat(nil, 0.5)), "0.5"},
		{string(appendPyFloat(nil, 1e16)), "1e+16"},
		{string(appendPyString(nil, "C:\\Program \"Files\"\n\x01é<>&")), `"C:\\Program \"Files\"\n\u0001é<>&"`},
		{drfTime(time.Date(2026, 6, 16, 14, 59, 21, 304117000, time.UTC)), "2026-06-16T14:59:21.304117Z"},
		{drfTime(time.Date(2026, 6, 16, 14, 59, 21, 0, time.FixedZone("", 3600))), "2026-06-16T13:59:21Z"},
		{drfTime(time.Date(2026, 6, 16, 14, 59, 21, 4000, time.UTC)), "2026-06-16T14:59:21.000004Z"},
		{thousands(1788), "1,788"},
		{thousands(477), "477"},
		{thousands(1234567), "1,234,567"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

func TestPythonParsing(t *testing.T) {
	for in, want := range map[string]int{"5": 5, " 7 ": 7, "+3": 3, "-2": -2, "1_000": 1000} {
		if got, ok := pyInt(in); !ok || got != want {
			t.Errorf("pyInt(%q) = %d, %v", in, got, ok)
		}
	}
	for _, in := range []string{"", "1.0", "abc", "_1", "1__0", "1_", "--1", "0x10"} {
		if _, ok := pyInt(in); ok {
			t.Errorf("pyInt(%q) accepted", in)
		}
	}
	ref := time.Date(2026, 6, 16, 14, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"2026-06-16T14:00:00Z":        ref,
		"2026-06-16 14:00:00":         ref,
		"2026-06-16T16:00:00+02:00":   ref,
		"2026-06-16T14:00":            ref,
		"2026-06-16":                  ref.Truncate(24 * time.Hour),
		"2026-06-16T14:00:00.000001Z": ref.Add(time.Microsecond),
	} {
		if got, ok := parseDjangoDateTime(in); !ok || !got.Equal(want) {
			t.Errorf("parse(%q) = %v, %v", in, got, ok)
		}
	}
	for _, in := range []string{"yesterday", "2026-06-16T14:00:00 00:00", "16/06/2026"} {
		if _, ok := parseDjangoDateTime(in); ok {
			t.Errorf("parse(%q) accepted", in)
		}
	}
}
