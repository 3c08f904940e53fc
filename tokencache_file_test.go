package atlas_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/atlas-exports/atlas"
	"github.com/atlas-exports/atlas/atlastest"
)

// cacheKey is a key as the client makes them: 64 lowercase hex digits.
var cacheKey = strings.Repeat("ab", 32)

func newFileCache(t *testing.T) (atlas.TokenCache, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "cache")
	c, err := atlas.NewFileTokenCache(dir)
	require.NoError(t, err)
	return c, dir
}

func sampleToken(access string) *atlas.CachedToken {
	now := time.Now().UTC().Truncate(time.Second)
	return &atlas.CachedToken{AccessToken: access, GrantedAt: now, Expiry: now.Add(time.Hour)}
}

func unixOnly(t *testing.T) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("file modes and owners are Unix's")
	}
}

func TestFileTokenCacheRoundTrip(t *testing.T) {
	c, dir := newFileCache(t)
	ctx := t.Context()

	got, err := c.Load(ctx, cacheKey)
	require.NoError(t, err)
	assert.Nil(t, got, "an empty cache holds no token")

	want := sampleToken("tok-1")
	require.NoError(t, c.Store(ctx, cacheKey, want))
	got, err = c.Load(ctx, cacheKey)
	require.NoError(t, err)
	require.NotNil(t, got)
	assert.Equal(t, want.AccessToken, got.AccessToken)
	assert.True(t, want.GrantedAt.Equal(got.GrantedAt))
	assert.True(t, want.Expiry.Equal(got.Expiry))

	// Another cache on the same directory (another process) sees it.
	other, err := atlas.NewFileTokenCache(dir)
	require.NoError(t, err)
	got, err = other.Load(ctx, cacheKey)
	require.NoError(t, err)
	require.NotNil(t, got)
	assert.Equal(t, "tok-1", got.AccessToken)

	// Store replaces.
	require.NoError(t, c.Store(ctx, cacheKey, sampleToken("tok-2")))
	got, err = c.Load(ctx, cacheKey)
	require.NoError(t, err)
	assert.Equal(t, "tok-2", got.AccessToken)
}

func TestFileTokenCacheModes(t *testing.T) {
	unixOnly(t)
	c, dir := newFileCache(t)
	require.NoError(t, c.Store(t.Context(), cacheKey, sampleToken("tok")))
	unlock, err := c.Lock(t.Context(), cacheKey)
	require.NoError(t, err)
	unlock()

	fi, err := os.Stat(dir)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), fi.Mode().Perm(), "the directory")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	names := []string{}
	for _, e := range entries {
		names = append(names, e.Name())
		info, err := e.Info()
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), info.Mode().Perm(), e.Name())
	}
	assert.ElementsMatch(t, []string{cacheKey + ".json", cacheKey + ".lock"}, names, "no temporary file is left behind")
}

func TestFileTokenCacheDefaultDirectory(t *testing.T) {
	unixOnly(t)
	home := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", filepath.Join(home, "xdg"))
	t.Setenv("HOME", home)
	c, err := atlas.NewFileTokenCache("")
	require.NoError(t, err)
	require.NoError(t, c.Store(t.Context(), cacheKey, sampleToken("tok")))
	base, err := os.UserCacheDir()
	require.NoError(t, err)
	_, err = os.Stat(filepath.Join(base, "atlas-go", cacheKey+".json"))
	assert.NoError(t, err, "\"\" means os.UserCacheDir()/atlas-go")
}

func TestFileTokenCacheRefusesADirectoryOthersCanWrite(t *testing.T) {
	unixOnly(t)
	dir := t.TempDir()
	require.NoError(t, os.Chmod(dir, 0o777))
	_, err := atlas.NewFileTokenCache(dir)
	require.ErrorIs(t, err, atlas.ErrInvalidArgument)
	assert.Contains(t, err.Error(), "writable by group or others")

	file := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(file, nil, 0o600))
	_, err = atlas.NewFileTokenCache(file)
	assert.Error(t, err, "a file is no cache directory")
}

func TestFileTokenCacheRefusesABadKey(t *testing.T) {
	c, _ := newFileCache(t)
	ctx := t.Context()
	for _, key := range []string{"", "../" + cacheKey[3:], strings.ToUpper(cacheKey), cacheKey + "0"} {
		_, err := c.Load(ctx, key)
		assert.ErrorIs(t, err, atlas.ErrInvalidArgument, key)
		assert.ErrorIs(t, c.Store(ctx, key, sampleToken("tok")), atlas.ErrInvalidArgument, key)
		_, err = c.Lock(ctx, key)
		assert.ErrorIs(t, err, atlas.ErrInvalidArgument, key)
	}
	assert.ErrorIs(t, c.Store(ctx, cacheKey, nil), atlas.ErrInvalidArgument)
}

// TestFileTokenCacheIgnoresUntrustedFiles: a file the cache did not write, or that someone else
// could have written or read, is never handed to the client, and the next Store replaces it.
func TestFileTokenCacheIgnoresUntrustedFiles(t *testing.T) {
	good, err := json.Marshal(sampleToken("planted"))
	require.NoError(t, err)
	cases := map[string]func(t *testing.T, path string){
		"corrupt":   func(t *testing.T, path string) { write(t, path, []byte("{not json"), 0o600) },
		"truncated": func(t *testing.T, path string) { write(t, path, good[:len(good)-3], 0o600) },
		"empty":     func(t *testing.T, path string) { write(t, path, nil, 0o600) },
		"no token": func(t *testing.T, path string) {
			write(t, path, []byte(`{"granted_at":"2026-01-01T00:00:00Z"}`), 0o600)
		},
		"oversized": func(t *testing.T, path string) {
			write(t, path, append(good[:len(good)-1], []byte(`,"x":"`+strings.Repeat("x", 1<<20)+`"}`)...), 0o600)
		},
		"a directory": func(t *testing.T, path string) { require.NoError(t, os.Mkdir(path, 0o700)) },
	}
	if runtime.GOOS != "windows" {
		cases["readable by others"] = func(t *testing.T, path string) { write(t, path, good, 0o644) }
		cases["readable by group"] = func(t *testing.T, path string) { write(t, path, good, 0o640) }
		cases["symlink to a good file"] = func(t *testing.T, path string) {
			target := filepath.Join(t.TempDir(), "target.json")
			write(t, target, good, 0o600)
			require.NoError(t, os.Symlink(target, path))
		}
		cases["symlink nowhere"] = func(t *testing.T, path string) {
			require.NoError(t, os.Symlink(filepath.Join(t.TempDir(), "missing"), path))
		}
		if os.Geteuid() == 0 {
			cases["owned by another user"] = func(t *testing.T, path string) {
				write(t, path, good, 0o600)
				require.NoError(t, os.Chown(path, 65534, 65534)) // nobody
			}
		}
	}
	for name, plant := range cases {
		t.Run(name, func(t *testing.T) {
			c, dir := newFileCache(t)
			path := filepath.Join(dir, cacheKey+".json")
			plant(t, path)

			got, err := c.Load(t.Context(), cacheKey)
			require.NoError(t, err, "an untrusted file is no error: the client grants as without a cache")
			assert.Nil(t, got)

			if name == "a directory" {
				return // rename cannot replace a directory; Store fails and the client goes on
			}
			require.NoError(t, c.Store(t.Context(), cacheKey, sampleToken("mine")))
			got, err = c.Load(t.Context(), cacheKey)
			require.NoError(t, err)
			require.NotNil(t, got, "Store replaced the untrusted file")
			assert.Equal(t, "mine", got.AccessToken)
			fi, err := os.Lstat(path)
			require.NoError(t, err)
			assert.True(t, fi.Mode().IsRegular(), "a regular file, not the symlink")
		})
	}
}

// TestFileTokenCacheSymlinkTargetUntouched: replacing a symlink planted in place of the file
// writes the new token to the cache directory, not through the link.
func TestFileTokenCacheSymlinkTargetUntouched(t *testing.T) {
	unixOnly(t)
	c, dir := newFileCache(t)
	target := filepath.Join(t.TempDir(), "victim")
	write(t, target, []byte("keep"), 0o600)
	require.NoError(t, os.Symlink(target, filepath.Join(dir, cacheKey+".json")))

	require.NoError(t, c.Store(t.Context(), cacheKey, sampleToken("mine")))
	data, err := os.ReadFile(target)
	require.NoError(t, err)
	assert.Equal(t, "keep", string(data))
}

// TestFileTokenCacheAtomicReplace: readers racing a writer see the old token or the new one,
// never a torn file (Load would then answer nil).
func TestFileTokenCacheAtomicReplace(t *testing.T) {
	c, dir := newFileCache(t)
	ctx := t.Context()
	require.NoError(t, c.Store(ctx, cacheKey, sampleToken("tok-0")))
	reader, err := atlas.NewFileTokenCache(dir)
	require.NoError(t, err)

	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 1; i <= 200; i++ {
			assert.NoError(t, c.Store(context.Background(), cacheKey, sampleToken(fmt.Sprintf("tok-%d-%s", i, strings.Repeat("x", i*7)))))
		}
	}()
	reads := 0
	for running := true; running; reads++ {
		select {
		case <-done:
			running = false
		default:
		}
		got, err := reader.Load(ctx, cacheKey)
		if !assert.NoError(t, err) || !assert.NotNil(t, got, "read %d found no whole token", reads) {
			<-done
			return
		}
		assert.True(t, strings.HasPrefix(got.AccessToken, "tok-"))
	}
}

// The file cache keeps the contract atlastest.TestTokenCache checks, and so would any cache.
func TestFileTokenCacheKeepsTheContract(t *testing.T) {
	c, _ := newFileCache(t)
	require.NoError(t, atlastest.TestTokenCache(c))
}

// TestFileTokenCacheLockOfADeadProcess: a process that holds the lock and is killed leaves it
// free: flock(2) locks die with the process's files.
func TestFileTokenCacheLockOfADeadProcess(t *testing.T) {
	c, dir := newFileCache(t)
	child := exec.Command(os.Args[0], "-test.run=^TestFileTokenCacheHoldLockChild$")
	child.Env = append(os.Environ(), "ATLAS_TEST_HOLD_LOCK="+dir)
	out, err := child.StdoutPipe()
	require.NoError(t, err)
	stdin, err := child.StdinPipe() // never written: the child waits on it until killed
	require.NoError(t, err)
	defer stdin.Close()
	child.Stderr = os.Stderr
	require.NoError(t, child.Start())
	t.Cleanup(func() { _ = child.Process.Kill(); _ = child.Wait() })

	line, err := bufio.NewReader(out).ReadString('\n')
	require.NoError(t, err, "the child never said it holds the lock")
	require.Equal(t, "locked\n", line)

	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	_, err = c.Lock(ctx, cacheKey)
	require.ErrorIs(t, err, context.DeadlineExceeded, "the live child holds the lock")

	require.NoError(t, child.Process.Kill())
	_ = child.Wait()

	ctx, cancel = context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	unlock, err := c.Lock(ctx, cacheKey)
	require.NoError(t, err, "the dead child's lock is free")
	unlock()
}

// TestFileTokenCacheHoldLockChild is the child of TestFileTokenCacheLockOfADeadProcess and
// TestFileCacheLockOfADeadProcessDoesNotDelayARun: it takes the lock of cacheKey (or of
// ATLAS_TEST_HOLD_KEY), says so, and waits to be killed.
func TestFileTokenCacheHoldLockChild(t *testing.T) {
	dir := os.Getenv("ATLAS_TEST_HOLD_LOCK")
	if dir == "" {
		t.Skip("child process of TestFileTokenCacheLockOfADeadProcess")
	}
	c, err := atlas.NewFileTokenCache(dir)
	require.NoError(t, err)
	key := cacheKey
	if k := os.Getenv("ATLAS_TEST_HOLD_KEY"); k != "" {
		key = k
	}
	_, err = c.Lock(context.Background(), key)
	require.NoError(t, err)
	fmt.Println("locked")
	_, _ = os.Stdin.Read(make([]byte, 1)) // until killed, or the parent is gone
}

// FuzzFileTokenCacheLoad: whatever bytes are in the cache file, Load never panics, never errs,
// and returns either nothing or a token with an access token and a grant time.
func FuzzFileTokenCacheLoad(f *testing.F) {
	good, err := json.Marshal(sampleToken("tok"))
	require.NoError(f, err)
	f.Add(good)
	f.Add([]byte(`{"access_token":"t","granted_at":"2026-01-01T00:00:00Z","expiry":"bad"}`))
	f.Add([]byte(`{"access_token":"t","granted_at":"2026-01-01T00:00:00Z"} trailing`))
	f.Add([]byte(`null`))
	dir := filepath.Join(f.TempDir(), "cache")
	c, err := atlas.NewFileTokenCache(dir)
	require.NoError(f, err)
	path := filepath.Join(dir, cacheKey+".json")
	f.Fuzz(func(t *testing.T, data []byte) {
		require.NoError(t, os.WriteFile(path, data, 0o600))
		got, err := c.Load(context.Background(), cacheKey)
		require.NoError(t, err)
		if got != nil {
			assert.NotEmpty(t, got.AccessToken)
			assert.False(t, got.GrantedAt.IsZero())
		}
	})
}

func write(t *testing.T, path string, data []byte, mode os.FileMode) {
	t.Helper()
	require.NoError(t, os.WriteFile(path, data, mode))
	require.NoError(t, os.Chmod(path, mode)) // past the umask
}
