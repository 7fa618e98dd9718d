package pgcluster

import "syscall"

const (
	ramDir = "/dev/shm"
	// minRAMFree keeps test clusters off a small /dev/shm, such as the 64 MiB
	// a container gets by default.
	minRAMFree = 1 << 30
	tmpfsMagic = 0x01021994
)

// roomyTmpfs reports whether dir is a tmpfs with at least minRAMFree free.
func roomyTmpfs(dir string) bool {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return false
	}
	return st.Type == tmpfsMagic && st.Bavail*uint64(st.Bsize) >= minRAMFree
}
