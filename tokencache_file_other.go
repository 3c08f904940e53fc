//go:build !unix

package atlas

import "io/fs"

// private trusts every file and directory where Unix modes and owners do not apply (Windows:
// the user's cache directory is private by its ACL).
func private(fs.FileInfo, fs.FileMode) bool { return true }

// openNoFollow is nothing where O_NOFOLLOW does not exist; Load's Lstat refuses a symlink.
const openNoFollow = 0
