package main

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/atlas-exports/atlas"
	"github.com/atlas-exports/atlas/atlastest"
	"github.com/atlas-exports/atlas/examples/internal/cli"
	"github.com/atlas-exports/atlas/examples/internal/clitest"
)

func TestDemoRunsTheWholeFlow(t *testing.T) {
	clitest.SetEnv(t, nil)
	code, stdout, stderr := clitest.Run(t, run, "-demo", "-interval", "1ms")
	require.Equal(t, 0, code, "stderr: %s", stderr)
	assert.Empty(t, stderr)
	steps := []string{"fake Atlas at http://127.0.0.1:", "created export bucket ", "took snapshot ",
		"snapshot completed", "export job ", "Successful", "exported to "}
	rest := stdout
	for _, step := range steps {
		i := strings.Index(rest, step)
		require.GreaterOrEqual(t, i, 0, "%q, in order, in:\n%s", step, stdout)
		rest = rest[i+len(step):]
	}
}

// exportEnv is a fake Atlas with two completed snapshots and a bucket, and the environment
// that points the program at it.
func exportEnv(t *testing.T, opts ...atlastest.Option) (srv *atlastest.Server, older, newer, bucket string) {
	srv = atlastest.NewServer(append(opts, atlastest.WithAutoAdvance())...)
	t.Cleanup(srv.Close)
	day := time.Date(2026, 11, 27, 2, 0, 0, 0, time.UTC)
	older = srv.AddSnapshot(cli.DemoGroup, cli.DemoCluster, &atlas.Snapshot{Status: atlas.SnapshotStatusCompleted, CreatedAt: day.Add(-24 * time.Hour)})
	newer = srv.AddSnapshot(cli.DemoGroup, cli.DemoCluster, &atlas.Snapshot{Status: atlas.SnapshotStatusCompleted, CreatedAt: day})
	srv.AddSnapshot(cli.DemoGroup, cli.DemoCluster, &atlas.Snapshot{Status: atlas.SnapshotStatusInProgress, CreatedAt: day.Add(time.Hour)})
	bucket = srv.AddExportBucket(cli.DemoGroup, &atlas.ExportBucket{CloudProvider: atlas.CloudProviderAWS, BucketName: "nightly", IAMRoleID: "5f4007f327a3bd7b6f4103c5"})
	clitest.SetEnv(t, map[string]string{atlas.EnvBaseURL: srv.URL, atlas.EnvClientID: srv.ClientID, atlas.EnvClientSecret: srv.ClientSecret})
	return srv, older, newer, bucket
}

func TestLatestExportsTheNewestCompletedSnapshotOnce(t *testing.T) {
	srv, _, newer, bucket := exportEnv(t)
	args := []string{"-group", cli.DemoGroup, "-cluster", cli.DemoCluster, "-bucket", bucket, "-latest", "-interval", "1ms"}
	for range 2 { // a second run follows the first export instead of starting another
		code, stdout, stderr := clitest.Run(t, run, args...)
		require.Equal(t, 0, code, "stderr: %s", stderr)
		assert.Contains(t, stdout, "latest completed snapshot: "+newer)
	}
	jobs := srv.ExportJobs(cli.DemoGroup, cli.DemoCluster)
	require.Len(t, jobs, 1, "exported at most once")
	assert.Equal(t, newer, jobs[0].SnapshotID)
	assert.Equal(t, bucket, jobs[0].ExportBucketID)
}

func TestSnapshotFlagExportsThatSnapshot(t *testing.T) {
	srv, older, _, bucket := exportEnv(t)
	code, _, stderr := clitest.Run(t, run, "-group", cli.DemoGroup, "-cluster", cli.DemoCluster, "-bucket", bucket, "-snapshot", older, "-interval", "1ms")
	require.Equal(t, 0, code, "stderr: %s", stderr)
	jobs := srv.ExportJobs(cli.DemoGroup, cli.DemoCluster)
	require.Len(t, jobs, 1)
	assert.Equal(t, older, jobs[0].SnapshotID)
}

func TestFailuresAreOneLineForAPerson(t *testing.T) {
	_, older, _, bucket := exportEnv(t)
	const unknown = "aaaaaaaaaaaaaaaaaaaaaaaa"
	for _, tc := range []struct {
		name, snapshot, bucket string
		want                   []string // the line's start, then what else it holds
	}{
		{"unknown bucket", older, unknown, []string{"export-snapshot: starting the export: ", "EXPORT_BUCKET_NOT_FOUND", "(check -group, -cluster, -bucket and -snapshot)"}},
		{"unknown snapshot", unknown, bucket, []string{"export-snapshot: starting the export: ", "SNAPSHOT_NOT_FOUND", "(check -group, -cluster, -bucket and -snapshot)"}},
		{"bad snapshot id", "snap-1", bucket, []string{"export-snapshot: starting the export: ", "invalid SnapshotID: must be 24 lowercase hexadecimal characters"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := clitest.Run(t, run, "-group", cli.DemoGroup, "-cluster", cli.DemoCluster, "-bucket", tc.bucket, "-snapshot", tc.snapshot)
			assert.Equal(t, 1, code)
			assert.True(t, strings.HasPrefix(stderr, tc.want[0]), "stderr: %q", stderr)
			for _, w := range tc.want[1:] {
				assert.Contains(t, stderr, w)
			}
			assert.Equal(t, 1, strings.Count(stderr, "\n"), "one line: %q", stderr)
		})
	}
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{
		nil,
		{"-group", cli.DemoGroup, "-cluster", cli.DemoCluster, "-bucket", cli.DemoGroup},
		{"-group", cli.DemoGroup, "-cluster", cli.DemoCluster, "-bucket", cli.DemoGroup, "-latest", "-take"},
		{"-group", cli.DemoGroup, "-cluster", cli.DemoCluster, "-latest"},
		{"-no-such-flag"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			code, stdout, stderr := clitest.Run(t, run, args...)
			assert.Equal(t, 2, code)
			assert.Empty(t, stdout)
			assert.Contains(t, stderr, "usage: export-snapshot -group ID -cluster NAME -bucket ID (-snapshot ID | -latest | -take)")
		})
	}
}

// TestSurvivesSparseResponses runs the program against answers without any optional field (no
// progress, no timestamps, no prefix), as Atlas may send them.
func TestSurvivesSparseResponses(t *testing.T) {
	for _, pick := range []string{"-latest", "-take"} {
		t.Run(pick, func(t *testing.T) {
			_, _, _, bucket := exportEnv(t, atlastest.WithSparseResponses())
			code, stdout, stderr := clitest.Run(t, run, "-group", cli.DemoGroup, "-cluster", cli.DemoCluster, "-bucket", bucket, pick, "-interval", "1ms")
			require.Equal(t, 0, code, "stderr: %s", stderr)
			assert.Contains(t, stdout, "exported to ")
		})
	}
}
