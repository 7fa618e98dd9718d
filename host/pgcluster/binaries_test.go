package pgcluster

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// fakeBin creates dir with executable stubs named names.
func fakeBin(t *testing.T, dir string, names ...string) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestFindBinaries(t *testing.T) {
	root := t.TempDir()
	both := fakeBin(t, filepath.Join(root, "pgconfig-bin"), "initdb", "postgres")
	clientOnly := fakeBin(t, filepath.Join(root, "client-bin"), "psql")
	versioned := filepath.Join(root, "lib")
	fakeBin(t, filepath.Join(versioned, "9.6", "bin"), "initdb", "postgres")
	fakeBin(t, filepath.Join(versioned, "10", "bin"), "initdb", "postgres")
	fakeBin(t, filepath.Join(versioned, "16", "bin"), "postgres") // no initdb: skipped
	fakeBin(t, filepath.Join(versioned, "common", "bin"), "initdb", "postgres")
	onPath := fakeBin(t, filepath.Join(root, "path-bin"), "initdb", "postgres")
	empty := t.TempDir()

	bindir := func(dir string, err error) func(context.Context) (string, error) {
		return func(context.Context) (string, error) { return dir, err }
	}
	pathLookup := func(dir string) func(string) (string, error) {
		return func(name string) (string, error) {
			p := filepath.Join(dir, name)
			if isExecutable(p) {
				return p, nil
			}
			return "", exec.ErrNotFound
		}
	}

	tests := []struct {
		name    string
		src     binarySources
		wantDir string // "" means ErrBinariesNotFound
	}{
		{"pg_config bindir wins", binarySources{bindir(both, nil), versioned, pathLookup(onPath)}, both},
		{"bindir without a server falls back to the newest complete version",
			binarySources{bindir(clientOnly, nil), versioned, pathLookup(onPath)}, filepath.Join(versioned, "10", "bin")},
		{"missing pg_config", binarySources{bindir("", exec.ErrNotFound), versioned, nil}, filepath.Join(versioned, "10", "bin")},
		{"PATH last", binarySources{bindir("", exec.ErrNotFound), empty, pathLookup(onPath)}, onPath},
		{"nothing anywhere", binarySources{bindir("", exec.ErrNotFound), empty, pathLookup(empty)}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := findBinaries(t.Context(), tt.src)
			if tt.wantDir == "" {
				if !errors.Is(err, ErrBinariesNotFound) {
					t.Fatalf("err = %v, want ErrBinariesNotFound", err)
				}
				if !strings.Contains(err.Error(), "apt-get install postgresql") {
					t.Errorf("error %q does not tell how to install PostgreSQL", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := binaries{initdb: filepath.Join(tt.wantDir, "initdb"), postgres: filepath.Join(tt.wantDir, "postgres")}
			if got != want {
				t.Errorf("got %+v, want %+v", got, want)
			}
		})
	}
}

func TestVersionedBinDirsOrder(t *testing.T) {
	root := t.TempDir()
	for _, v := range []string{"9.6", "15", "10", "9.10", "common"} {
		fakeBin(t, filepath.Join(root, v, "bin"))
	}
	var got []string
	for _, d := range versionedBinDirs(root) {
		got = append(got, filepath.Base(filepath.Dir(d)))
	}
	want := []string{"15", "10", "9.10", "9.6"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("order = %v, want %v", got, want)
	}
}

// The machine the tests run on must have PostgreSQL: the suite needs it.
func TestFindBinariesOnThisMachine(t *testing.T) {
	b, err := findBinaries(t.Context(), defaultBinarySources())
	if err != nil {
		t.Fatal(err)
	}
	if !isExecutable(b.initdb) || !isExecutable(b.postgres) {
		t.Errorf("found %+v, not executables", b)
	}
}
