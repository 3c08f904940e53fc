//go:build unix

package atlas

import (
	"io/fs"
	"os"
	"syscall"
)

// private reports whether this process's user owns fi and group and others have none of the
// permission bits in mask: whoever else can write a cache directory or file can hand the
// client a token of theirs, and whoever else can read a file can use its token.
func private(fi fs.FileInfo, mask fs.FileMode) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == os.Geteuid() && fi.Mode().Perm()&mask == 0
}

// openNoFollow makes Load's open fail on a symlink and not block on a FIFO.
const openNoFollow = syscall.O_NOFOLLOW | syscall.O_NONBLOCK
