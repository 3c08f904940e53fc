package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/atlas-exports/atlas"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	snapshotID = "8c3d4e5f60718293a4b5c6d7"
	shardedID  = "9d4e5f60718293a4b5c6d7e8"
	bucketID   = "7b2c3d4e5f60718293a4b5c6"
)

// writeFile writes a seed file into the test's directory.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
	return path
}

// serve runs the program in process with args until the test ends, and returns what it
// printed about itself and its seeds.
func serve(t *testing.T, seeded int, args ...string) map[string]string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	var stderr bytes.Buffer
	done := make(chan int, 1)
	go func() {
		code := run(ctx, append([]string{"-addr", "127.0.0.1:0"}, args...), pw, &stderr)
		_ = pw.Close()
		done <- code
	}()
	out := bufio.NewReader(pr)
	vars := readBanner(t, out, seeded)
	t.Cleanup(func() {
		cancel()
		_, _ = io.Copy(io.Discard, out)
		assert.Equal(t, 0, <-done, "stderr: %s", stderr.String())
	})
	return vars
}

func TestRunSeedsSnapshotsAndBuckets(t *testing.T) {
	snapshots := writeFile(t, "snapshots.json", `[
		{"groupId": "`+groupID+`", "clusterName": "Cluster0", "snapshot": {"id": "`+snapshotID+`"}},
		{"groupId": "`+groupID+`", "clusterName": "Cluster0", "snapshot": {"id": "`+shardedID+`", "type": "shardedCluster", "status": "queued"}},
		{"groupId": "`+groupID+`", "clusterName": "Other"}
	]`)
	buckets := writeFile(t, "buckets.json", `[
		{"groupId": "`+groupID+`", "exportBucket": {"_id": "`+bucketID+`", "cloudProvider": "GCP", "bucketName": "nightly"}}
	]`)
	vars := serve(t, 4, "-snapshots", snapshots, "-buckets", buckets, "-auto-advance")
	group := vars[atlas.EnvBaseURL] + "/api/atlas/v2/groups/" + groupID
	assert.Regexp(t, "^"+group+"/clusters/Other/backup/snapshots/[0-9a-f]{24}$", vars["SNAPSHOT"],
		"one SNAPSHOT line each; the last names the default snapshot")
	assert.Equal(t, group+"/backup/exportBuckets/"+bucketID, vars["EXPORT_BUCKET"])

	var snap atlas.Snapshot
	require.Equal(t, http.StatusOK, call(t, vars, http.MethodGet, vars["SNAPSHOT"], "", &snap))
	assert.Equal(t, atlas.SnapshotStatusCompleted, snap.Status, "a completed replica-set snapshot by default")
	require.Equal(t, http.StatusOK, call(t, vars, http.MethodGet, group+"/clusters/Cluster0/backup/snapshots/shardedCluster/"+shardedID, "", &snap))
	assert.Equal(t, atlas.SnapshotStatusInProgress, snap.Status, "-auto-advance moves snapshots too")
	var b atlas.ExportBucket
	require.Equal(t, http.StatusOK, call(t, vars, http.MethodGet, vars["EXPORT_BUCKET"], "", &b))
	assert.Equal(t, "nightly", b.BucketName)
	assert.NotEmpty(t, b.RoleID, "the fake fills what the provider needs")

	exports := group + "/clusters/Cluster0/backup/exports"
	var job atlas.ExportJob
	require.Equal(t, http.StatusOK, call(t, vars, http.MethodPost, exports, `{"snapshotId":"`+snapshotID+`","exportBucketId":"`+bucketID+`"}`, &job))
	assert.Equal(t, atlas.ExportStateQueued, job.State)
	var e struct {
		ErrorCode string `json:"errorCode"`
	}
	require.Equal(t, http.StatusNotFound, call(t, vars, http.MethodPost, exports, `{"snapshotId":"`+snapshotID+`","exportBucketId":"`+shardedID+`"}`, &e))
	assert.Equal(t, "EXPORT_BUCKET_NOT_FOUND", e.ErrorCode)
}

func TestRunLenientExports(t *testing.T) {
	jobs := writeFile(t, "jobs.json", `[{"groupId": "`+groupID+`", "clusterName": "Cluster0"}]`)
	vars := serve(t, 0, "-jobs", jobs, "-lenient-exports")
	var job atlas.ExportJob
	status := call(t, vars, http.MethodPost, vars[atlas.EnvBaseURL]+"/api/atlas/v2/groups/"+groupID+"/clusters/Cluster0/backup/exports",
		`{"snapshotId":"`+snapshotID+`","exportBucketId":"`+bucketID+`"}`, &job)
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, snapshotID, job.SnapshotID)
}

func TestReadSeedsRefusesMistakes(t *testing.T) {
	for _, tt := range []struct{ name, snapshots, buckets, want string }{
		{"snapshot id", `[{"groupId":"` + groupID + `","clusterName":"C","snapshot":{"id":"x"}}]`, "", `snapshot id "x"`},
		{"snapshot type", `[{"groupId":"` + groupID + `","clusterName":"C","snapshot":{"type":"sharded"}}]`, "", `snapshot type "sharded"`},
		{"snapshot status", `[{"groupId":"` + groupID + `","clusterName":"C","snapshot":{"status":"done"}}]`, "", `snapshot status "done"`},
		{"snapshot cluster", `[{"groupId":"` + groupID + `","clusterName":"a_b"}]`, "", `clusterName "a_b"`},
		{"snapshot field", `[{"groupId":"` + groupID + `","clusterName":"C","snapshot":{"state":"completed"}}]`, "", "unknown field"},
		{"bucket group", "", `[{"groupId":"G"}]`, `groupId "G"`},
		{"bucket id", "", `[{"groupId":"` + groupID + `","exportBucket":{"_id":"x"}}]`, `bucket _id "x"`},
		{"bucket id as id", "", `[{"groupId":"` + groupID + `","exportBucket":{"id":"` + bucketID + `"}}]`, "unknown field"},
		{"bucket provider", "", `[{"groupId":"` + groupID + `","exportBucket":{"cloudProvider":"aws"}}]`, `cloudProvider "aws"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var snapshots, buckets string
			if tt.snapshots != "" {
				snapshots = writeFile(t, "snapshots.json", tt.snapshots)
			}
			if tt.buckets != "" {
				buckets = writeFile(t, "buckets.json", tt.buckets)
			}
			_, err := readSeeds("", snapshots, buckets)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.True(t, strings.Contains(err.Error(), "entry 0") || strings.Contains(err.Error(), "unknown field"), err.Error())
		})
	}
}
