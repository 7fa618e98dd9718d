package pluginmgr

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/hashicorp/go-hclog"
)

func TestDiscover(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, mode os.FileMode) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte("x"), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(filepath.Join(dir, name), mode); err != nil { // umask-proof
			t.Fatal(err)
		}
	}
	write("rmm-provider-b", 0o755)
	write("rmm-provider-a", 0o700)
	write("rmm-provider-noexec", 0o644)
	write("rmm-provider-", 0o755)
	write("other-tool", 0o755)
	write(ManifestFile, 0o644)
	if err := os.Mkdir(filepath.Join(dir, "rmm-provider-dir"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "rmm-provider-a"), filepath.Join(dir, "rmm-provider-link")); err != nil {
		t.Fatal(err)
	}

	got, err := discover(dir, hclog.NewNullLogger())
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, b := range got {
		files = append(files, b.file)
		if b.path != filepath.Join(dir, b.file) || !filepath.IsAbs(b.path) {
			t.Errorf("%s: path %q, want absolute %q", b.file, b.path, filepath.Join(dir, b.file))
		}
	}
	if want := []string{"rmm-provider-a", "rmm-provider-b"}; !slices.Equal(files, want) {
		t.Errorf("discovered %v, want %v", files, want)
	}
}

func TestDiscoverMissingDirectory(t *testing.T) {
	if _, err := discover(filepath.Join(t.TempDir(), "nope"), hclog.NewNullLogger()); err == nil {
		t.Fatal("discover of a missing directory succeeded, want an error")
	}
}
