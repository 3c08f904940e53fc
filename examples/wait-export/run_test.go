package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/atlas-exports/atlas"
	"github.com/atlas-exports/atlas/atlastest"
	"github.com/atlas-exports/atlas/examples/internal/cli"
	"github.com/atlas-exports/atlas/examples/internal/clitest"
)

// splitOutput separates the progress lines from the final JSON document.
func splitOutput(t *testing.T, stdout string) ([]string, *atlas.ExportJob) {
	t.Helper()
	i := strings.Index(stdout, "\n{\n")
	require.GreaterOrEqual(t, i, 0, "no JSON document in %q", stdout)
	var job atlas.ExportJob
	require.NoError(t, json.Unmarshal([]byte(stdout[i+1:]), &job), stdout)
	return strings.Split(stdout[:i], "\n"), &job
}

func TestDemoCreatesAndWaitsWithPlainLines(t *testing.T) {
	clitest.SetEnv(t, nil)
	code, stdout, stderr := clitest.Run(t, run, "-demo", "-interval", "1ms")
	require.Equal(t, 0, code, "stderr: %s", stderr)
	assert.Empty(t, stderr)

	lines, job := splitOutput(t, stdout)
	require.NotEmpty(t, lines)
	assert.Equal(t, "created export job "+job.ID, lines[0])
	want := []string{}
	for i := range DemoCollections {
		want = append(want, fmt.Sprintf("InProgress %d/%d collections", i, DemoCollections))
	}
	want = append(want, fmt.Sprintf("Successful %d/%d collections", DemoCollections, DemoCollections))
	assert.Equal(t, want, lines[1:], "one plain line per change, no carriage returns: stdout is not a terminal")
	assert.NotContains(t, stdout, "\r")

	assert.Equal(t, atlas.ExportStateSuccessful, job.State)
	assert.Equal(t, DemoSnapshot, job.SnapshotID)
	assert.Equal(t, DemoBucket, job.ExportBucketID)
	assert.Equal(t, &atlas.ExportStatus{ExportedCollections: DemoCollections, TotalCollections: DemoCollections}, job.ExportStatus)
}

func TestUsageErrors(t *testing.T) {
	const g, c, id = cli.DemoGroup, cli.DemoCluster, DemoSnapshot
	for _, tc := range []struct {
		args    []string
		problem string
	}{
		{nil, "-group and -cluster are required"},
		{[]string{"-cluster", c, "-export", id}, "-group and -cluster are required"},
		{[]string{"-group", g, "-cluster", c}, "give -export, or -snapshot and -bucket"},
		{[]string{"-group", g, "-cluster", c, "-snapshot", id}, "-snapshot and -bucket go together"},
		{[]string{"-group", g, "-cluster", c, "-bucket", id}, "-snapshot and -bucket go together"},
		{[]string{"-group", g, "-cluster", c, "-export", id, "-snapshot", id, "-bucket", id}, "not both"},
		{[]string{"-group", g, "-cluster", c, "-export", id, "extra"}, "-group and -cluster are required"},
		{[]string{"-interval", "soon"}, "invalid value"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, stdout, stderr := clitest.Run(t, run, tc.args...)
			assert.Equal(t, 2, code)
			assert.Empty(t, stdout)
			assert.Contains(t, stderr, tc.problem)
			assert.Contains(t, stderr, "usage: wait-export -group ID -cluster NAME")
		})
	}
}

// TestRealModeAgainstTheFake runs the program with credentials in the environment against
// a fake standing in for Atlas.
func TestRealModeAgainstTheFake(t *testing.T) {
	srv := atlastest.NewServer()
	t.Cleanup(srv.Close)
	clitest.SetEnv(t, map[string]string{atlas.EnvBaseURL: srv.URL, atlas.EnvClientID: srv.ClientID, atlas.EnvClientSecret: srv.ClientSecret})
	g, c := cli.DemoGroup, cli.DemoCluster
	failed := srv.AddExportJob(g, c, &atlas.ExportJob{
		State:        atlas.ExportStateFailed,
		StateReason:  &atlas.StateReason{ErrorCode: "EXPORT_BUCKET_ACCESS_DENIED", Message: "Access to the bucket was denied."},
		ExportStatus: &atlas.ExportStatus{ExportedCollections: 2, TotalCollections: 5},
	})
	done := srv.AddExportJob(g, c, &atlas.ExportJob{
		State: atlas.ExportStateSuccessful, ExportStatus: &atlas.ExportStatus{ExportedCollections: 5, TotalCollections: 5},
	})
	stuck := srv.AddExportJob(g, c, &atlas.ExportJob{State: atlas.ExportStateQueued})

	t.Run("an existing finished job", func(t *testing.T) {
		code, stdout, stderr := clitest.Run(t, run, "-group", g, "-cluster", c, "-export", done, "-interval", "1ms")
		require.Equal(t, 0, code, stderr)
		lines, job := splitOutput(t, stdout)
		assert.Equal(t, []string{"Successful 5/5 collections"}, lines)
		assert.Equal(t, done, job.ID)
	})
	t.Run("a failed job", func(t *testing.T) {
		code, stdout, stderr := clitest.Run(t, run, "-group", g, "-cluster", c, "-export", failed, "-interval", "1ms")
		assert.Equal(t, 1, code)
		assert.Equal(t, "Failed 2/5 collections\n", stdout)
		assert.Equal(t, "wait-export: atlas: export job "+failed+" ended Failed (EXPORT_BUCKET_ACCESS_DENIED): Access to the bucket was denied.\n", stderr)
	})
	t.Run("an unknown job", func(t *testing.T) {
		code, stdout, stderr := clitest.Run(t, run, "-group", g, "-cluster", c, "-export", DemoBucket, "-interval", "1ms")
		assert.Equal(t, 1, code)
		assert.Empty(t, stdout)
		assert.True(t, strings.HasPrefix(stderr, "wait-export: "), stderr)
		assert.Contains(t, stderr, "EXPORT_JOB_NOT_FOUND")
		assert.True(t, strings.HasSuffix(stderr, " (check -group, -cluster and -export)\n"), stderr)
	})
	t.Run("a job that does not finish in time", func(t *testing.T) {
		code, stdout, stderr := clitest.Run(t, run, "-group", g, "-cluster", c, "-export", stuck, "-interval", "1ms", "-timeout", "300ms")
		assert.Equal(t, 1, code)
		assert.Equal(t, "Queued\n", stdout, "one line, however many polls")
		assert.True(t, strings.HasPrefix(stderr, "wait-export: "), stderr)
		assert.Contains(t, stderr, "MaxWait of 300ms passed")
	})
	t.Run("a create the server refuses", func(t *testing.T) {
		srv.InjectFault(atlastest.Fault{Route: atlastest.RouteCreateExport, Status: http.StatusForbidden, ErrorCode: "USER_UNAUTHORIZED"})
		before := len(srv.ExportJobs(g, c))
		code, stdout, stderr := clitest.Run(t, run, "-group", g, "-cluster", c, "-snapshot", DemoSnapshot, "-bucket", DemoBucket)
		assert.Equal(t, 1, code)
		assert.Empty(t, stdout)
		assert.True(t, strings.HasPrefix(stderr, "wait-export: creating the export: "), stderr)
		assert.Contains(t, stderr, "403 Forbidden")
		assert.Contains(t, stderr, "the Project Backup Export Operator role", "the library names the role")
		assert.Len(t, srv.ExportJobs(g, c), before)
	})
}

// The progress display lives in examples/internal/cli; its tests run here, with its first user,
// rather than in a test binary of their own (a second at exit under -race).

func TestTerminalBarIsRedrawnInPlace(t *testing.T) {
	var out bytes.Buffer
	p := cli.NewProgressOn(&out, true)
	p.Job(&atlas.ExportJob{State: atlas.ExportStateQueued})
	p.Job(&atlas.ExportJob{State: atlas.ExportStateInProgress, ExportStatus: &atlas.ExportStatus{ExportedCollections: 3, TotalCollections: 10}})
	p.Job(&atlas.ExportJob{State: atlas.ExportStateSuccessful, ExportStatus: &atlas.ExportStatus{ExportedCollections: 10, TotalCollections: 10}})
	p.Finish()

	frames := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\r")
	require.Len(t, frames, 4, "%q", out.String())
	assert.Empty(t, frames[0], "every frame starts with a carriage return")
	assert.Equal(t, "[..............................]   0% Queued", frames[1])
	assert.Equal(t, "[#########.....................]  30% InProgress 3/10 collections", frames[2])
	assert.Equal(t, "[##############################] 100% Successful 10/10 collections", frames[3])
	assert.Equal(t, 1, strings.Count(out.String(), "\n"), "one newline, at the end")
}

func TestTerminalBarBlanksALongerOldLine(t *testing.T) {
	var out bytes.Buffer
	p := cli.NewProgressOn(&out, true)
	p.Job(&atlas.ExportJob{State: atlas.ExportStateInProgress, ExportStatus: &atlas.ExportStatus{ExportedCollections: 3, TotalCollections: 10}})
	out.Reset()
	p.Job(&atlas.ExportJob{State: "Paused"})
	frame := strings.TrimPrefix(out.String(), "\r")
	assert.Equal(t, len("[#########.....................]  30% InProgress 3/10 collections"), len(frame), "%q", frame)
	assert.True(t, strings.HasPrefix(frame, "[..............................]   0% Paused  "), "%q", frame)
}

func TestBarClampsOddCounts(t *testing.T) {
	bar := func(exported int32) string {
		var out bytes.Buffer
		cli.NewProgressOn(&out, true).Job(&atlas.ExportJob{State: atlas.ExportStateInProgress, ExportStatus: &atlas.ExportStatus{ExportedCollections: exported, TotalCollections: 10}})
		return strings.TrimPrefix(out.String(), "\r")
	}
	assert.True(t, strings.HasPrefix(bar(12), "[##############################] 100%"), bar(12))
	assert.True(t, strings.HasPrefix(bar(-1), "[..............................]   0%"), bar(-1))
}

func TestPipesAndFilesAreNotTerminals(t *testing.T) {
	r, w, err := os.Pipe()
	require.NoError(t, err)
	defer r.Close()
	defer w.Close()
	assert.False(t, cli.IsTerminal(w))
	f, err := os.Create(filepath.Join(t.TempDir(), "out"))
	require.NoError(t, err)
	defer f.Close()
	assert.False(t, cli.IsTerminal(f))
	assert.False(t, cli.IsTerminal(&bytes.Buffer{}))
}

func TestSnapshotProgressIsItsStatus(t *testing.T) {
	var out bytes.Buffer
	p := cli.NewProgress(&out)
	p.Snapshot(&atlas.Snapshot{Status: atlas.SnapshotStatusQueued})
	p.Snapshot(&atlas.Snapshot{Status: atlas.SnapshotStatusQueued})
	p.Snapshot(&atlas.Snapshot{Status: atlas.SnapshotStatusCompleted})
	p.Finish()
	assert.Equal(t, "snapshot queued\nsnapshot completed\n", out.String(), "one plain line per change off a terminal")
}

// TestSurvivesSparseResponses follows a job whose answers carry no progress, no reason and no
// timestamps, as Atlas may send them: the display shows the state alone.
func TestSurvivesSparseResponses(t *testing.T) {
	srv := atlastest.NewServer(atlastest.WithSparseResponses(), atlastest.WithAutoAdvance())
	t.Cleanup(srv.Close)
	clitest.SetEnv(t, map[string]string{atlas.EnvBaseURL: srv.URL, atlas.EnvClientID: srv.ClientID, atlas.EnvClientSecret: srv.ClientSecret})
	g, c := cli.DemoGroup, cli.DemoCluster
	running := srv.AddExportJob(g, c, &atlas.ExportJob{State: atlas.ExportStateQueued, ExportStatus: &atlas.ExportStatus{TotalCollections: 2}})
	failed := srv.AddExportJob(g, c, &atlas.ExportJob{State: atlas.ExportStateInProgress})
	srv.FailExport(failed, atlas.StateReason{ErrorCode: "EXPORT_BUCKET_ACCESS_DENIED", Message: "denied"})

	code, stdout, stderr := clitest.Run(t, run, "-group", g, "-cluster", c, "-export", running, "-interval", "1ms")
	require.Equal(t, 0, code, "stderr: %s", stderr)
	lines, job := splitOutput(t, stdout)
	assert.Contains(t, lines, "Successful")
	assert.Equal(t, running, job.ID)

	code, _, stderr = clitest.Run(t, run, "-group", g, "-cluster", c, "-export", failed, "-interval", "1ms")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "ended Failed")
}
