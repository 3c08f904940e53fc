//go:build unix

package main

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDocsShellBlocksWork runs, with bash, each ```sh block of the docs that starts the fake
// with -env-file, as a reader would paste it at the repository's root: it must wait for the
// fake, reach it with the variables the fake wrote, stop it, and write nothing into the
// repository. Everything runs on loopback, within a bounded time.
func TestDocsShellBlocksWork(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)
	for _, tc := range []struct {
		file string
		want []string // what the block's output must hold
	}{
		{"README.md", []string{`"id":"8c3d4e5f60718293a4b5c6d7"`, "latest completed snapshot: 8c3d4e5f60718293a4b5c6d7", "exported to "}},
		{"docs/testing.md", []string{`"_id": "7b2c3d4e5f60718293a4b5c6"`, `"snapshotId":"8c3d4e5f60718293a4b5c6d7"`}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			block := envFileBlock(t, filepath.Join(root, tc.file))
			before := repoFiles(t, root)

			ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, "bash", "-c", "set -euo pipefail\n"+block)
			cmd.Dir = root
			cmd.Env = withoutAtlasVars(os.Environ())
			// Its own process group, so that a fake the block failed to stop is stopped here.
			cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
			cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			err := cmd.Run()
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			require.NoError(t, err, "the block failed:\n%s", out.String())
			for _, w := range tc.want {
				assert.Contains(t, out.String(), w)
			}
			assert.Equal(t, before, repoFiles(t, root), "the block wrote into the repository")
		})
	}
}

// envFileBlock returns the one ```sh block of a Markdown file that uses -env-file.
func envFileBlock(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var found []string
	for _, part := range strings.Split(string(data), "```sh\n")[1:] {
		block, _, ok := strings.Cut(part, "```")
		require.True(t, ok, "%s: a ```sh block is not closed", path)
		if strings.Contains(block, "-env-file") {
			found = append(found, block)
		}
	}
	require.Len(t, found, 1, "%s: one ```sh block starts the fake with -env-file", path)
	return found[0]
}

// withoutAtlasVars is env without the MONGODB_ATLAS_* variables of whoever runs the test.
func withoutAtlasVars(env []string) []string {
	var out []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, "MONGODB_ATLAS_") {
			out = append(out, kv)
		}
	}
	return out
}

// repoFiles lists the repository's files with their sizes and modification times, leaving
// out .git and the Prism install of .ci/prism-check.
func repoFiles(t *testing.T, root string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() && (rel == ".git" || rel == filepath.Join(".ci", ".prism")) {
			return filepath.SkipDir
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if !d.IsDir() {
			files[rel] = info.ModTime().String() + " " + info.Mode().String()
		}
		return nil
	})
	require.NoError(t, err)
	return files
}
