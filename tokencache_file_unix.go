//go:build unix

package atlas

import (
	"io/fs"
	"os"
	"syscall"
)

// untrustedDir says why a token cache directory is not to be used, or "" when it is: another
// user can write it, or owns it.
func untrustedDir(fi fs.FileInfo) string {
	if fi.Mode().Perm()&0o022 != 0 {
		return "is writable by group or others"
	}
	if !ownedByMe(fi) {
		return "is owned by another user"
	}
	return ""
}

// untrustedFile says why a token cache file is not to be read, or "" when it is: another user
// can read it, or owns it (and so could have written any token into it).
func untrustedFile(fi fs.FileInfo) string {
	if fi.Mode().Perm()&0o077 != 0 {
		return "is readable or writable by group or others"
	}
	if !ownedByMe(fi) {
		return "is owned by another user"
	}
	return ""
}

func ownedByMe(fi fs.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == os.Geteuid()
}

// openNoFollow makes Load's open fail on a symlink and not block on a FIFO.
const openNoFollow = syscall.O_NOFOLLOW | syscall.O_NONBLOCK
