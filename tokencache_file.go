package atlas

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gofrs/flock"

	"github.com/atlas-exports/atlas/internal/atomicfile"
)

// maxCacheFile caps what Load reads of a cache file: a token and two times take a few hundred
// bytes; anything longer is not a file this cache wrote.
const maxCacheFile = 16 << 10

// lockRetry is how often Lock tries a lock file another process holds. flock(2) cannot wait
// with a deadline, so gofrs/flock polls; a grant takes longer than this.
const lockRetry = 20 * time.Millisecond

// fileTokenCache is the TokenCache of NewFileTokenCache.
type fileTokenCache struct {
	dir string
}

// NewFileTokenCache returns a TokenCache for the processes of one machine and one user: one file
// per key, DIR/KEY.json, holding the token as JSON, and a lock file per key, DIR/KEY.lock, held
// with flock(2) (LockFileEx on Windows) through github.com/gofrs/flock. The kernel releases the
// lock of a process that dies, so a crashed run never holds it.
//
// dir "" means os.UserCacheDir()/atlas-go. The directory is created with mode 0700 when
// missing; NewFileTokenCache refuses one that group or others can write or another user owns,
// because whoever can write it can hand the client a token of theirs.
//
// Files are written with mode 0600 to a temporary file in dir and renamed into place, so a
// reader sees the old token or the new one, never half of one. Load ignores, and the next
// Store replaces, a file that is not a regular file (a symlink in its place), that group or
// others can read, that another user owns, or that does not hold a token: it returns nil and no
// error, and the client grants as it would without a cache. The token is on disk in clear, as
// the Atlas CLI keeps it; the trade-off is one grant per hour instead of one per run.
func NewFileTokenCache(dir string) (TokenCache, error) {
	if dir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			return nil, fmt.Errorf("atlas: token cache: no directory given and no user cache directory: %w", err)
		}
		dir = filepath.Join(base, "atlas-go")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil { // fails on an existing file that is no directory
		return nil, fmt.Errorf("atlas: token cache: %w", err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("atlas: token cache: %w", err)
	}
	if !private(fi, 0o022) {
		return nil, fmt.Errorf("%w: token cache: directory %s is writable by group or others, or owned by another user; use a directory only you can write (mode 0700)", ErrInvalidArgument, dir)
	}
	return &fileTokenCache{dir: dir}, nil
}

// path is the file of key, once key is known to be a client's key: 64 lowercase hex digits,
// so that no key names a file outside dir.
func (c *fileTokenCache) path(key, ext string) (string, error) {
	if len(key) != 64 || strings.Trim(key, "0123456789abcdef") != "" {
		return "", fmt.Errorf("%w: token cache key must be 64 lowercase hex digits", ErrInvalidArgument)
	}
	return filepath.Join(c.dir, key+ext), nil
}

// Load returns the token in key's file, or nil and no error when there is none or the file is
// not to be trusted (see NewFileTokenCache).
func (c *fileTokenCache) Load(ctx context.Context, key string) (*CachedToken, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	path, err := c.path(key, ".json")
	if err != nil {
		return nil, err
	}
	// Lstat judges a symlink as itself, on every OS; one check is enough, since only this user
	// can swap the file before the open, the directory being private. Even so, the open follows
	// no symlink and does not block on a FIFO.
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("atlas: token cache: %w", err)
	}
	if !fi.Mode().IsRegular() || !private(fi, 0o077) {
		return nil, nil
	}
	f, err := os.OpenFile(path, os.O_RDONLY|openNoFollow, 0)
	if err != nil {
		return nil, fmt.Errorf("atlas: token cache: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxCacheFile+1))
	if err != nil {
		return nil, fmt.Errorf("atlas: token cache: %w", err)
	}
	var tok CachedToken
	if len(data) > maxCacheFile || json.Unmarshal(data, &tok) != nil || tok.AccessToken == "" || tok.GrantedAt.IsZero() {
		return nil, nil // corrupt, truncated or not ours: the next Store replaces it
	}
	return &tok, nil
}

// Store writes tok to a temporary file in the directory, mode 0600, and renames it over key's
// file, replacing whatever was there (a symlink included: rename replaces the link, not its
// target). No fsync: a file a crash left torn is ignored by Load, which costs one grant.
func (c *fileTokenCache) Store(ctx context.Context, key string, tok *CachedToken) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	path, err := c.path(key, ".json")
	if err != nil {
		return err
	}
	if tok == nil || tok.AccessToken == "" {
		return fmt.Errorf("%w: token cache: no token to store", ErrInvalidArgument)
	}
	data, err := json.Marshal(tok)
	if err != nil {
		return fmt.Errorf("atlas: token cache: %w", err)
	}
	if err := atomicfile.Write(path, data); err != nil {
		return fmt.Errorf("atlas: token cache: %w", err)
	}
	return nil
}

// Drop removes key's file if it holds accessToken. It compares, then removes: a Store from
// another process between the two is lost, which costs that fleet one more grant, never a dead
// token. (Taking the lock here would deadlock a client that drops while it holds the lock.)
func (c *fileTokenCache) Drop(ctx context.Context, key, accessToken string) error {
	tok, err := c.Load(ctx, key)
	if err != nil || tok == nil || tok.AccessToken != accessToken {
		return err
	}
	path, _ := c.path(key, ".json") // Load checked key
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("atlas: token cache: %w", err)
	}
	return nil
}

// Lock takes key's lock file with flock(2), trying every lockRetry until it is free or ctx
// ends. A process that holds it and dies releases it: the kernel closes its files.
func (c *fileTokenCache) Lock(ctx context.Context, key string) (func(), error) {
	path, err := c.path(key, ".lock")
	if err != nil {
		return nil, err
	}
	fl := flock.New(path, flock.SetPermissions(0o600))
	if ok, err := fl.TryLockContext(ctx, lockRetry); !ok { // false comes with flock's error or ctx's
		return nil, fmt.Errorf("atlas: token cache: locking %s: %w", path, err)
	}
	return func() { _ = fl.Unlock() }, nil
}
