package main

import (
	"bytes"
	"testing"
	"time"
)

func TestAppendCopyValue(t *testing.T) {
	cet := time.FixedZone("CET", 3600)
	tests := []struct {
		name    string
		in      any
		want    string
		wantErr bool
	}{
		{"null", nil, `\N`, false},
		{"empty text is not null", "", ``, false},
		{"text", "plain", `plain`, false},
		{"escapes", "a\\b\tc\nd\re", `a\\b\tc\nd\re`, false},
		{"a literal backslash-N", `\N`, `\\N`, false},
		{"unicode", "Café ☕", "Café ☕", false},
		{"true", true, `t`, false},
		{"false", false, `f`, false},
		{"int", 42, `42`, false},
		{"int32", int32(-7), `-7`, false},
		{"int64", int64(1) << 40, `1099511627776`, false},
		{"time in UTC, microseconds truncated", time.Date(2026, 6, 1, 12, 30, 0, 123456789, time.UTC), `2026-06-01 12:30:00.123456Z`, false},
		{"time in another zone", time.Date(2026, 6, 1, 13, 30, 0, 0, cet), `2026-06-01 12:30:00Z`, false},
		{"date keeps its own calendar day", date(time.Date(2026, 1, 2, 23, 59, 0, 0, cet)), `2026-01-02`, false},
		{"unsupported", 1.5, ``, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := appendCopyValue(nil, tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if string(got) != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCopyWriterRows(t *testing.T) {
	var buf bytes.Buffer
	w := newCopyWriter(&buf)
	if err := w.row("a", nil, 1, true); err != nil {
		t.Fatal(err)
	}
	if err := w.row("x\ty", "", int64(2), false); err != nil {
		t.Fatal(err)
	}
	if err := w.row(struct{}{}); err == nil {
		t.Fatal("an unsupported value was written")
	}
	if err := w.flush(); err != nil {
		t.Fatal(err)
	}
	want := "a\t\\N\t1\tt\nx\\ty\t\t2\tf\n"
	if buf.String() != want {
		t.Fatalf("got %q, want %q", buf.String(), want)
	}
	if w.rows != 2 {
		t.Fatalf("rows = %d, want 2", w.rows)
	}
}
