package store

import (
	"bytes"
	"errors"
	"testing"
)

func TestCursors(t *testing.T) {
	ts := newTestStore(t)
	ctx := t.Context()
	f := ts.newFixture(t, "a")
	b := ts.newFixture(t, "b")
	if c, err := ts.Cursor(ctx, f.tenant, f.integration, JobDevices); err != nil || c != nil {
		t.Fatalf("first Cursor = %q, %v", c, err)
	}
	for _, want := range [][]byte{[]byte("page=2"), []byte("page=3"), nil} {
		if err := ts.SaveCursor(ctx, f.tenant, f.integration, JobDevices, want); err != nil {
			t.Fatal(err)
		}
		got, err := ts.Cursor(ctx, f.tenant, f.integration, JobDevices)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("Cursor = %q, %v; want %q", got, err, want)
		}
	}
	if err := ts.SaveCursor(ctx, f.tenant, f.integration, JobAlerts, []byte("since=1")); err != nil {
		t.Fatal(err)
	}
	if c, _ := ts.Cursor(ctx, f.tenant, f.integration, JobDevices); c != nil {
		t.Fatalf("kinds share a cursor: %q", c)
	}
	if _, err := ts.Cursor(ctx, b.tenant, f.integration, JobAlerts); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Cursor of another tenant's integration = %v", err)
	}
	if err := ts.SaveCursor(ctx, b.tenant, f.integration, JobAlerts, []byte("x")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("SaveCursor into another tenant's integration = %v", err)
	}
	var inv *InvalidError
	if err := ts.SaveCursor(ctx, f.tenant, f.integration, "agent", nil); !errors.As(err, &inv) {
		t.Fatalf("bad kind = %v", err)
	}
}
