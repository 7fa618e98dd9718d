package pgcluster

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCanSearch(t *testing.T) {
	const owner, group, other = 10, 20, 30
	tests := []struct {
		name string
		perm fs.FileMode
		uid  uint32
		gids []uint32
		want bool
	}{
		{"owner with x", 0o700, owner, nil, true},
		{"owner without x even if others have it", 0o611, owner, nil, false},
		{"group member with group x", 0o710, other, []uint32{group}, true},
		{"group member without group x even if others have it", 0o701, other, []uint32{group}, false},
		{"supplementary group counts", 0o710, other, []uint32{99, group}, true},
		{"other with o+x", 0o701, other, []uint32{other}, true},
		{"other without o+x", 0o770, other, []uint32{other}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := canSearch(tt.perm, owner, group, tt.uid, tt.gids); got != tt.want {
				t.Errorf("canSearch(%v) = %v, want %v", tt.perm, got, tt.want)
			}
		})
	}
}

func TestCheckSearchable(t *testing.T) {
	var self *account
	if err := self.checkSearchable("/definitely/not/here"); err != nil {
		t.Errorf("nil account (the caller itself) must not check: %v", err)
	}

	// A stranger can enter 0711 directories but not a 0700 one.
	stranger := &account{name: "stranger", uid: 54321, gid: 54321}
	base, err := os.MkdirTemp("", "pgcluster-search-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	open := filepath.Join(base, "open")
	closed := filepath.Join(base, "closed")
	for dir, perm := range map[string]fs.FileMode{base: 0o711, open: 0o711, closed: 0o700} {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(dir, perm); err != nil {
			t.Fatal(err)
		}
	}
	if err := stranger.checkSearchable(open); err != nil {
		t.Errorf("open: %v", err)
	}
	err = stranger.checkSearchable(closed)
	if err == nil {
		t.Fatal("closed: want an error")
	}
	if !strings.Contains(err.Error(), closed) || !strings.Contains(err.Error(), "chmod o+x") {
		t.Errorf("error %q should name %s and the fix", err, closed)
	}
}
