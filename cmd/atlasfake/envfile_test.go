package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/atlas-exports/atlas"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// atlasVars are every variable atlas.NewClientFromEnv reads, cleared around a test so that
// the environment of whoever runs it cannot leak in.
var atlasVars = []string{atlas.EnvBaseURL, atlas.EnvClientID, atlas.EnvClientSecret, atlas.EnvPublicAPIKey,
	atlas.EnvPrivateAPIKey, atlas.EnvPublicKey, atlas.EnvPrivateKey, atlas.EnvAccessToken, "MONGODB_ATLAS_TOKEN_CACHE"}

// startWithEnvFile runs the program in process with -env-file and extra args, and returns the
// file's path once the banner is printed (it is printed after the file is in place) and a
// stop function that ends the program and returns its exit code.
func startWithEnvFile(t *testing.T, args ...string) (path string, stop func() int) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "atlas.env")
	ctx, cancel := context.WithCancel(t.Context())
	pr, pw := io.Pipe()
	var stderr bytes.Buffer
	done := make(chan int, 1)
	go func() {
		code := run(ctx, append([]string{"-addr", "127.0.0.1:0", "-env-file", path}, args...), pw, &stderr)
		_ = pw.Close()
		done <- code
	}()
	out := bufio.NewReader(pr)
	readBanner(t, out, 0)
	go func() { _, _ = io.Copy(io.Discard, out) }()
	var code *int
	stop = func() int {
		if code == nil {
			cancel()
			c := <-done
			code = &c
		}
		return *code
	}
	t.Cleanup(func() { stop() })
	return path, stop
}

// loadInSh loads path as the docs say, `set -a; . path`, in a clean sh, and returns the
// MONGODB_ATLAS_* variables the shell then exports.
func loadInSh(t *testing.T, path string) map[string]string {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), "sh", "-c", `set -a; . "$1"; env`, "sh", path)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	out, err := cmd.Output()
	require.NoError(t, err)
	vars := map[string]string{}
	for _, line := range strings.Split(string(out), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && strings.HasPrefix(k, "MONGODB_ATLAS_") {
			vars[k] = v
		}
	}
	return vars
}

func TestEnvFileConfiguresNewClientFromEnv(t *testing.T) {
	for _, tc := range []struct {
		auth string
		pair []string
	}{
		{"", []string{atlas.EnvClientID, atlas.EnvClientSecret}}, // oauth by default
		{"digest", []string{atlas.EnvPublicAPIKey, atlas.EnvPrivateAPIKey}},
	} {
		t.Run("auth "+tc.auth, func(t *testing.T) {
			var args []string
			if tc.auth != "" {
				args = []string{"-auth", tc.auth}
			}
			path, stop := startWithEnvFile(t, args...)
			info, err := os.Stat(path)
			require.NoError(t, err)
			assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())
			leftovers, err := filepath.Glob(filepath.Join(filepath.Dir(path), ".atlasfake-env-*"))
			require.NoError(t, err)
			assert.Empty(t, leftovers, "the temporary file was renamed")

			vars := loadInSh(t, path)
			keys := []string{atlas.EnvBaseURL, "MONGODB_ATLAS_PROJECT_ID"}
			keys = append(keys, tc.pair...)
			got := make([]string, 0, len(vars))
			for k, v := range vars {
				got = append(got, k)
				assert.NotEmpty(t, v, k)
			}
			assert.ElementsMatch(t, keys, got, "exactly one credential pair, the base URL and a project")

			// Exactly those variables, and nothing else the client reads, make a working client.
			for _, k := range atlasVars {
				t.Setenv(k, vars[k])
			}
			c, err := atlas.NewClientFromEnv()
			require.NoError(t, err)
			page, err := c.Exports.List(t.Context(), vars["MONGODB_ATLAS_PROJECT_ID"], "Cluster0", nil)
			require.NoError(t, err, "the announced project has a cluster Cluster0")
			assert.Empty(t, page.Results)

			assert.Equal(t, 0, stop())
			assert.NoFileExists(t, path, "the file describes a live server and goes with it")
		})
	}
}

func TestEnvFileQuotesValuesForSh(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "env")
	odd := `it's $HOME; "quoted" \ and ` + "`cmd`"
	require.NoError(t, writeEnvFile(path, shellLines([]envVar{{"MONGODB_ATLAS_BASE_URL", odd}})))
	assert.Equal(t, map[string]string{"MONGODB_ATLAS_BASE_URL": odd}, loadInSh(t, path))
}

func TestEnvFileInAMissingDirectoryFailsToStart(t *testing.T) {
	var stdout, stderr bytes.Buffer
	path := filepath.Join(t.TempDir(), "no", "such", "dir", "env")
	code := run(t.Context(), []string{"-addr", "127.0.0.1:0", "-env-file", path}, &stdout, &stderr)
	assert.Equal(t, exitError, code)
	assert.Contains(t, stderr.String(), "-env-file")
	assert.Empty(t, stdout.String(), "nothing announced for a server that is not serving")
}
