//go:build !unix

package atlas

import "io/fs"

// untrustedDir trusts every directory where Unix modes and owners do not apply (Windows: the
// user's cache directory is private by its ACL).
func untrustedDir(fs.FileInfo) string { return "" }

// untrustedFile trusts every regular file where Unix modes and owners do not apply.
func untrustedFile(fs.FileInfo) string { return "" }

// openNoFollow is nothing where O_NOFOLLOW does not exist; Load's Lstat refuses a symlink.
const openNoFollow = 0
