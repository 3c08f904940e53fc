package atlas_test

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/atlas-exports/atlas"
	"github.com/atlas-exports/atlas/atlastest"
	"github.com/atlas-exports/atlas/internal/fleettest"
)

// Issue 20's measured scenarios for the file cache, and its faults, through the client: each
// run is what a short-lived tool does, a new Client with the service account and the cache,
// one call, Close.

// fileRun is one run on the file cache in dir against the fake at base.
func fileRun(t *testing.T, base, dir string, opts ...atlas.Option) {
	t.Helper()
	cache, err := atlas.NewFileTokenCache(dir)
	require.NoError(t, err)
	c := authClient(t, base, append([]atlas.Option{atlas.WithServiceAccount(testClientID, testSecret), atlas.WithTokenCache(cache)}, opts...)...)
	require.NoError(t, getTestJob(t.Context(), c))
	require.NoError(t, c.Close(t.Context()))
}

func TestFileCacheThousandRunsOneGrant(t *testing.T) {
	t.Parallel()
	srv := authFake(t) // Atlas's limits: 10 grants a minute, 100 live tokens
	dir := t.TempDir()
	for range 1000 {
		fileRun(t, srv.URL, dir)
	}
	assert.Equal(t, 1, srv.TokenGrants(), "1,000 runs, one grant")
	assert.Zero(t, srv.TokenRevocations(), "Close leaves the shared token alive")
	assert.Equal(t, 1, srv.LiveTokens())
}

// fleetEnv selects the child mode of TestFileCacheFleetChild: the fake's URL and the cache
// directory, separated by a newline.
const fleetEnv = "ATLAS_TEST_FLEET"

func TestFileCacheSixteenProcessesOneGrant(t *testing.T) {
	t.Parallel()
	srv := authFake(t)
	dir := t.TempDir()
	fleettest.Run(t, 16, []string{fleetEnv + "=" + srv.URL + "\n" + dir}, "-test.run=^TestFileCacheFleetChild$")
	assert.Equal(t, 1, srv.TokenGrants(), "16 processes at once, one grant")
	assert.Equal(t, 1, srv.LiveTokens())
}

// TestFileCacheFleetChild is one process of TestFileCacheSixteenProcessesOneGrant: it says it
// is ready, waits for its stdin to close, and makes one run.
func TestFileCacheFleetChild(t *testing.T) {
	base, dir, ok := strings.Cut(os.Getenv(fleetEnv), "\n")
	if !ok {
		t.Skip("child process of TestFileCacheSixteenProcessesOneGrant")
	}
	fleettest.Ready()
	fileRun(t, base, dir)
}

// grantedFile is the cache file of a run against srv in a directory of its own: a token the
// fake granted and would accept, as the cache writes it.
func grantedFile(t *testing.T, srv *atlastest.Server) []byte {
	t.Helper()
	dir := t.TempDir()
	fileRun(t, srv.URL, dir)
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	require.NoError(t, err)
	require.Len(t, files, 1)
	data, err := os.ReadFile(files[0])
	require.NoError(t, err)
	return data
}

// TestFileCacheUntrustedFileIsNotUsed: a token file that another user owns, others can read, or
// that is a symlink is not used even though it holds a token the API accepts: the run grants
// its own, and the file becomes the run's own (regular, 0600).
func TestFileCacheUntrustedFileIsNotUsed(t *testing.T) {
	unixOnly(t)
	plants := map[string]func(t *testing.T, path string, data []byte){
		"readable by others": func(t *testing.T, path string, data []byte) { write(t, path, data, 0o644) },
		"symlink": func(t *testing.T, path string, data []byte) {
			target := filepath.Join(t.TempDir(), "token.json")
			write(t, target, data, 0o600)
			require.NoError(t, os.Symlink(target, path))
		},
	}
	if os.Geteuid() == 0 { // chown needs root, which CI is
		plants["owned by another user"] = func(t *testing.T, path string, data []byte) {
			write(t, path, data, 0o600)
			require.NoError(t, os.Chown(path, 65534, 65534)) // nobody
		}
	}
	for name, plant := range plants {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := authFake(t)
			planted := grantedFile(t, srv)
			var plantedTok atlas.CachedToken
			require.NoError(t, json.Unmarshal(planted, &plantedTok))
			require.Equal(t, 1, srv.TokenGrants())

			dir := t.TempDir()
			path := filepath.Join(dir, cacheKeyOf(srv.URL)+".json")
			plant(t, path, planted)

			fileRun(t, srv.URL, dir)
			assert.Equal(t, 2, srv.TokenGrants(), "the planted token was not used: the run granted its own")

			fi, err := os.Lstat(path)
			require.NoError(t, err)
			assert.True(t, fi.Mode().IsRegular(), "replaced by a regular file")
			assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
			cache, err := atlas.NewFileTokenCache(dir)
			require.NoError(t, err)
			got, err := cache.Load(t.Context(), cacheKeyOf(srv.URL))
			require.NoError(t, err)
			require.NotNil(t, got, "the file now holds the run's own token, and the next run uses it")
			assert.NotEqual(t, plantedTok.AccessToken, got.AccessToken)

			fileRun(t, srv.URL, dir)
			assert.Equal(t, 2, srv.TokenGrants())
		})
	}
}

// TestFileCacheLockOfADeadProcessDoesNotDelayARun: a run that died holding the lock leaves it
// free (the kernel releases flock locks), so the next run takes it at once, shares its token,
// and logs no cache failure.
func TestFileCacheLockOfADeadProcessDoesNotDelayARun(t *testing.T) {
	t.Parallel()
	srv := authFake(t)
	dir := t.TempDir()
	key := cacheKeyOf(srv.URL)

	child := exec.Command(os.Args[0], "-test.run=^TestFileTokenCacheHoldLockChild$")
	child.Env = append(os.Environ(), "ATLAS_TEST_HOLD_LOCK="+dir, "ATLAS_TEST_HOLD_KEY="+key)
	child.Stderr = os.Stderr
	out, err := child.StdoutPipe()
	require.NoError(t, err)
	stdin, err := child.StdinPipe()
	require.NoError(t, err)
	defer stdin.Close()
	require.NoError(t, child.Start())
	t.Cleanup(func() { _ = child.Process.Kill(); _ = child.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, "locked\n", line)
	require.NoError(t, child.Process.Kill())
	_ = child.Wait()

	var log logBuffer
	start := time.Now()
	fileRun(t, srv.URL, dir, atlas.WithLogger(log.logger()))
	fileRun(t, srv.URL, dir, atlas.WithLogger(log.logger()))
	assert.Less(t, time.Since(start), 4*time.Second, "no run waited out the 5 s lock bound")
	assert.NotContains(t, log.String(), "token cache failed", "the lock was free: no cache call failed")
	assert.Equal(t, 1, srv.TokenGrants(), "the token was stored under the lock and shared")
}

// cacheKeyOf is the key the client uses for the fake at base and testClientID.
func cacheKeyOf(base string) string {
	sum := sha256.Sum256([]byte(base + "\n" + testClientID))
	return hex.EncodeToString(sum[:])
}
