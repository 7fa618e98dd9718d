package pgcluster

import (
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
)

// serverUser is the account PostgreSQL runs under when the caller is root.
const serverUser = "postgres"

// account is the user initdb and the server run as. A nil *account means
// the caller's own user; every method is a no-op then.
type account struct {
	name   string
	uid    uint32
	gid    uint32
	groups []uint32 // supplementary groups, as su(1) would set them
}

// serverAccount returns nil for a normal user and the postgres account for
// root, because initdb and postgres refuse to run as root.
func serverAccount() (*account, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup(serverUser)
	if err != nil {
		return nil, fmt.Errorf("pgcluster: PostgreSQL refuses to run as root and there is no %q user to run it as"+
			" (`apt-get install postgresql` creates it): %w", serverUser, err)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("pgcluster: uid of %q: %w", serverUser, err)
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("pgcluster: gid of %q: %w", serverUser, err)
	}
	a := &account{name: serverUser, uid: uint32(uid), gid: uint32(gid)}
	if ids, err := u.GroupIds(); err == nil {
		for _, id := range ids {
			if g, err := strconv.ParseUint(id, 10, 32); err == nil {
				a.groups = append(a.groups, uint32(g))
			}
		}
	}
	return a, nil
}

// sysProcAttr makes a child run as the account, in its own process group
// (so terminal signals reach only the parent).
func (a *account) sysProcAttr() *syscall.SysProcAttr {
	attr := &syscall.SysProcAttr{Setpgid: true}
	if a != nil {
		attr.Credential = &syscall.Credential{Uid: a.uid, Gid: a.gid, Groups: a.groups}
	}
	return attr
}

// chown gives paths to the account.
func (a *account) chown(paths ...string) error {
	if a == nil {
		return nil
	}
	for _, p := range paths {
		if err := os.Chown(p, int(a.uid), int(a.gid)); err != nil {
			return fmt.Errorf("pgcluster: give %s to %s: %w", p, a.name, err)
		}
	}
	return nil
}

// checkSearchable fails unless the account can reach dir: dir and every
// directory above it must grant it search (x) permission.
func (a *account) checkSearchable(dir string) error {
	if a == nil {
		return nil
	}
	for d := dir; ; d = filepath.Dir(d) {
		info, err := os.Stat(d)
		if err != nil {
			return fmt.Errorf("pgcluster: %w", err)
		}
		if !a.canSearch(info) {
			return fmt.Errorf("pgcluster: PostgreSQL runs as %q when started by root, and %q cannot enter %s (mode %v):"+
				" allow it (chmod o+x %s) or use a data dir elsewhere", a.name, a.name, d, info.Mode().Perm(), d)
		}
		if parent := filepath.Dir(d); parent == d {
			return nil
		}
	}
}

func (a *account) canSearch(info fs.FileInfo) bool {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return true // cannot tell; let PostgreSQL report it
	}
	return canSearch(info.Mode().Perm(), st.Uid, st.Gid, a.uid, append([]uint32{a.gid}, a.groups...))
}

// canSearch applies the POSIX rule: the owner bits alone decide for the
// owner, the group bits alone for a group member, the other bits otherwise.
func canSearch(perm fs.FileMode, fileUID, fileGID, uid uint32, gids []uint32) bool {
	switch {
	case fileUID == uid:
		return perm&0o100 != 0
	case slices.Contains(gids, fileGID):
		return perm&0o010 != 0
	default:
		return perm&0o001 != 0
	}
}
