package pgcluster

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// ErrBinariesNotFound means PostgreSQL's server programs are not installed.
var ErrBinariesNotFound = errors.New("pgcluster: PostgreSQL server binaries (initdb, postgres) not found")

// binaries are the server programs a cluster needs.
type binaries struct {
	initdb   string
	postgres string
}

// binarySources are the places findBinaries looks, in order of preference.
// They are fields so that tests can substitute them.
type binarySources struct {
	pgConfigBindir func(ctx context.Context) (string, error)
	versionedRoot  string // holds one <major>/bin per installed version
	lookPath       func(file string) (string, error)
}

func defaultBinarySources() binarySources {
	return binarySources{
		pgConfigBindir: func(ctx context.Context) (string, error) {
			out, err := exec.CommandContext(ctx, "pg_config", "--bindir").Output()
			return strings.TrimSpace(string(out)), err
		},
		versionedRoot: "/usr/lib/postgresql",
		lookPath:      exec.LookPath,
	}
}

// findBinaries looks in pg_config's bindir, then in the newest
// /usr/lib/postgresql/<major>/bin, then on PATH. pg_config comes from
// libpq-dev and may name a bindir without a server in it, so every
// candidate is checked.
func findBinaries(ctx context.Context, src binarySources) (binaries, error) {
	if src.pgConfigBindir != nil {
		if dir, err := src.pgConfigBindir(ctx); err == nil && dir != "" {
			if b, ok := binariesIn(dir); ok {
				return b, nil
			}
		}
	}
	for _, dir := range versionedBinDirs(src.versionedRoot) {
		if b, ok := binariesIn(dir); ok {
			return b, nil
		}
	}
	if src.lookPath != nil {
		initdb, errI := src.lookPath("initdb")
		postgres, errP := src.lookPath("postgres")
		if errI == nil && errP == nil {
			return binaries{initdb: initdb, postgres: postgres}, nil
		}
	}
	return binaries{}, fmt.Errorf("%w in `pg_config --bindir`, %s/*/bin or PATH: install them with `apt-get install postgresql`",
		ErrBinariesNotFound, src.versionedRoot)
}

func binariesIn(dir string) (binaries, bool) {
	b := binaries{initdb: filepath.Join(dir, "initdb"), postgres: filepath.Join(dir, "postgres")}
	return b, isExecutable(b.initdb) && isExecutable(b.postgres)
}

func isExecutable(path string) bool {
	info, err := os.Stat(path)
	return err == nil && info.Mode().IsRegular() && info.Mode().Perm()&0o111 != 0
}

// versionedBinDirs lists root/<version>/bin, highest version first. Names
// that are not versions (e.g. "common") are ignored.
func versionedBinDirs(root string) []string {
	if root == "" {
		return nil
	}
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil
	}
	type candidate struct {
		version []int
		dir     string
	}
	var found []candidate
	for _, e := range entries {
		if v, ok := parseVersion(e.Name()); ok {
			found = append(found, candidate{v, filepath.Join(root, e.Name(), "bin")})
		}
	}
	slices.SortFunc(found, func(a, b candidate) int { return -compareVersions(a.version, b.version) })
	dirs := make([]string, len(found))
	for i, c := range found {
		dirs[i] = c.dir
	}
	return dirs
}

// parseVersion reads "15" or "9.6" into its numeric parts.
func parseVersion(s string) ([]int, bool) {
	parts := strings.Split(s, ".")
	v := make([]int, len(parts))
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return nil, false
		}
		v[i] = n
	}
	return v, true
}

func compareVersions(a, b []int) int {
	for i := range min(len(a), len(b)) {
		if c := cmp.Compare(a[i], b[i]); c != 0 {
			return c
		}
	}
	return cmp.Compare(len(a), len(b))
}
