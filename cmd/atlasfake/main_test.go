package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/atlas-exports/atlas"
	"github.com/atlas-exports/atlas/internal/loopback"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// runMainEnv makes the test binary act as atlasfake, so the subprocess test needs no go build.
const runMainEnv = "ATLASFAKE_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		main()
		return
	}
	goleak.VerifyTestMain(m)
}

const (
	groupID = "5f4d3c2b1a0f9e8d7c6b5a49"
	jobID   = "6a1b2c3d4e5f60718293a4b5"
)

// writeJobs writes a -jobs file with one queued job and one empty cluster.
func writeJobs(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "jobs.json")
	require.NoError(t, os.WriteFile(path, []byte(`[
		{"groupId": "`+groupID+`", "clusterName": "Empty"},
		{"groupId": "`+groupID+`", "clusterName": "Cluster0",
		 "job": {"id": "`+jobID+`", "exportBucketId": "7b2c3d4e5f60718293a4b5c6", "state": "Queued",
		         "exportStatus": {"exportedCollections": 0, "totalCollections": 3}}}
	]`), 0o600))
	return path
}

// readBanner reads the NAME=value lines the program prints before it serves: the four
// environment lines (base URL, a credential pair, project) and one per seeded resource.
func readBanner(t *testing.T, r *bufio.Reader, seeded int) map[string]string {
	t.Helper()
	vars := map[string]string{}
	for range 4 + seeded {
		line, err := r.ReadString('\n')
		require.NoError(t, err, "the program ended before printing its banner")
		name, value, ok := strings.Cut(strings.TrimSpace(line), "=")
		require.True(t, ok, "unexpected line %q", line)
		vars[name] = strings.Trim(value, "'")
	}
	return vars
}

// call makes one request to the program with a token from its service account and decodes a
// JSON answer into v; it returns the status.
func call(t *testing.T, vars map[string]string, method, url, body string, v any) int {
	t.Helper()
	hc := &http.Client{Transport: &http.Transport{}}
	defer hc.CloseIdleConnections()
	req, _ := http.NewRequest(http.MethodPost, vars[atlas.EnvBaseURL]+"/api/oauth/token", strings.NewReader("grant_type=client_credentials"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(vars[atlas.EnvClientID], vars[atlas.EnvClientSecret])
	resp, err := hc.Do(req)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&tok))
	resp.Body.Close()

	req, _ = http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err = hc.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.NoError(t, json.NewDecoder(resp.Body).Decode(v))
	return resp.StatusCode
}

// getJob fetches the seeded job.
func getJob(t *testing.T, vars map[string]string) *atlas.ExportJob {
	t.Helper()
	var j atlas.ExportJob
	require.Equal(t, http.StatusOK, call(t, vars, http.MethodGet, vars["EXPORT_JOB"], "", &j))
	return &j
}

func TestSubprocessStopsOnSIGINT(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("os.Interrupt cannot be sent to a process on Windows")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-addr", "127.0.0.1:0", "-jobs", writeJobs(t), "-auto-advance")
	// Under -race the subprocess would sleep a second at exit, waiting for reports that
	// its parent's run of the same code already collects.
	cmd.Env = append(os.Environ(), runMainEnv+"=1", "GORACE=atexit_sleep_ms=0")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())

	out := bufio.NewReader(stdout)
	vars := readBanner(t, out, 1)
	assert.Regexp(t, `^http://127\.0\.0\.1:[0-9]+$`, vars[atlas.EnvBaseURL])
	assert.Regexp(t, `^mdb_sa_id_[0-9a-f]{24}$`, vars[atlas.EnvClientID])
	assert.NotContains(t, vars, atlas.EnvPublicAPIKey, "one credential pair: -auth oauth is the default")
	assert.Equal(t, groupID, vars["MONGODB_ATLAS_PROJECT_ID"], "the seeded project")
	assert.Equal(t, vars[atlas.EnvBaseURL]+"/api/atlas/v2/groups/"+groupID+"/clusters/Cluster0/backup/exports/"+jobID, vars["EXPORT_JOB"])

	j := getJob(t, vars)
	assert.Equal(t, atlas.ExportStateInProgress, j.State, "-auto-advance moves the job on each GET")

	require.NoError(t, cmd.Process.Signal(os.Interrupt))
	rest, err := io.ReadAll(out)
	require.NoError(t, err)
	assert.Empty(t, rest)
	require.NoError(t, cmd.Wait(), "stderr: %s", stderr.String())
	assert.Contains(t, stderr.String(), "atlasfake: stopped")
}

// TestRunServesUntilContextEnds runs the program in process, ending it by its context.
func TestRunServesUntilContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	pr, pw := io.Pipe()
	var stderr bytes.Buffer
	done := make(chan int, 1)
	go func() {
		code := run(ctx, []string{"-addr", "localhost:0", "-jobs", writeJobs(t), "-collections", "1"}, pw, &stderr)
		_ = pw.Close()
		done <- code
	}()
	out := bufio.NewReader(pr)
	vars := readBanner(t, out, 1)
	assert.Equal(t, atlas.ExportStateQueued, getJob(t, vars).State, "without -auto-advance the job stays")
	cancel()
	_, _ = io.Copy(io.Discard, out)
	assert.Equal(t, 0, <-done, "stderr: %s", stderr.String())
}

func TestRunRefusesBadInvocations(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
		return p
	}
	tests := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"all interfaces", []string{"-addr", ":8080"}, exitUsage, "-allow-remote"},
		{"remote address", []string{"-addr", "192.0.2.1:8080"}, exitUsage, "not a loopback address"},
		{"unknown flag", []string{"-port", "8080"}, exitUsage, "flag provided but not defined"},
		{"stray argument", []string{"serve"}, exitUsage, "unexpected arguments"},
		{"unknown auth", []string{"-auth", "apikey"}, exitUsage, "-auth must be oauth or digest"},
		{"missing jobs file", []string{"-addr", "127.0.0.1:0", "-jobs", filepath.Join(dir, "none.json")}, exitError, "no such file"},
		{"jobs file typo", []string{"-addr", "127.0.0.1:0", "-jobs", write("typo.json", `[{"group":"x"}]`)}, exitError, "unknown field"},
		{"jobs file bad ids", []string{"-addr", "127.0.0.1:0", "-jobs", write("ids.json", `[{"groupId":"x","clusterName":"-a"}]`)}, exitError, "clusterName"},
		{"snapshots file typo", []string{"-addr", "127.0.0.1:0", "-snapshots", write("snaps.json", `[{"groupId":"`+groupID+`","cluster":"C"}]`)}, exitError, "unknown field"},
		{"buckets file not an array", []string{"-addr", "127.0.0.1:0", "-buckets", write("buckets.json", `{}`)}, exitError, "buckets.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(t.Context(), tt.args, &stdout, &stderr)
			assert.Equal(t, tt.code, code)
			assert.Contains(t, stderr.String(), tt.msg)
			assert.Empty(t, stdout.String())
		})
	}
}

// loopback.Addr decides which -addr the fake listens on without -allow-remote; it is tested
// here, with its use, rather than in a test binary of its own (a second at exit under -race).
func TestLoopbackAddr(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:8080": true, "127.1.2.3:0": true, "[::1]:8080": true, "localhost:0": true,
		":8080": false, "0.0.0.0:8080": false, "[::]:80": false, "10.0.0.1:80": false,
		"example.com:80": false, "127.0.0.1": false,
	} {
		assert.Equal(t, want, loopback.Addr(addr), addr)
	}
}
