package atlastest_test

import (
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/atlas-exports/atlas"
	"github.com/atlas-exports/atlas/atlastest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestServerClientIsWiredToTheServer: a test author gets a working client, ids and seeded
// resources in three lines, with no credential or URL of their own.
func TestServerClientIsWiredToTheServer(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	snap := srv.AddSnapshot(groupID, cluster, nil)
	b := srv.AddExportBucket(groupID, nil)
	c, err := srv.Client(atlas.WithUserAgent("client-test/1"))
	require.NoError(t, err)

	job, err := c.Exports.Create(t.Context(), groupID, cluster, &atlas.CreateExportJobRequest{SnapshotID: snap, ExportBucketID: b})
	require.NoError(t, err)
	assert.Equal(t, snap, job.SnapshotID)
	assert.Equal(t, 1, srv.TokenGrants(), "it logs in as the server's service account")

	s, err := c.Snapshots.Get(t.Context(), groupID, cluster, snap)
	require.NoError(t, err)
	assert.Equal(t, atlas.SnapshotStatusCompleted, s.Status, "a nil snapshot is a completed one")
	bucket, err := c.ExportBuckets.Get(t.Context(), groupID, b)
	require.NoError(t, err)
	assert.Equal(t, atlas.CloudProviderAWS, bucket.CloudProvider, "a nil bucket is an AWS one")
}

// TestServerClientRetriesInMilliseconds: injected 503s cost the test milliseconds, where the
// SDK's default policy waits at least half a second before each retry.
func TestServerClientRetriesInMilliseconds(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	id := srv.AddExportJob(groupID, cluster, &atlas.ExportJob{ExportBucketID: bucket})
	c, err := srv.Client()
	require.NoError(t, err)
	_, err = c.Exports.Get(t.Context(), groupID, cluster, id) // the token grant, out of the timing
	require.NoError(t, err)

	srv.InjectFault(atlastest.Fault{Route: atlastest.RouteGetExport, Times: 2, Status: http.StatusServiceUnavailable})
	start := time.Now()
	_, err = c.Exports.Get(t.Context(), groupID, cluster, id)
	took := time.Since(start)
	require.NoError(t, err)
	assert.Equal(t, 4, srv.Requests(atlastest.RouteGetExport), "one call, then two 503s and the success")
	assert.Less(t, took, atlas.DefaultMinBackoff, "two retries took %v", took)

	// The caller's options come after the server's.
	c, err = srv.Client(atlas.WithRetry(atlas.RetryPolicy{MaxAttempts: 1}))
	require.NoError(t, err)
	srv.InjectFault(atlastest.Fault{Route: atlastest.RouteGetExport, Status: http.StatusServiceUnavailable})
	_, err = c.Exports.Get(t.Context(), groupID, cluster, id)
	require.ErrorIs(t, err, atlas.ErrServer)
	assert.Equal(t, 5, srv.Requests(atlastest.RouteGetExport), "not retried")
}

func TestNewIDIsAnAtlasID(t *testing.T) {
	t.Parallel()
	a, b := atlastest.NewID(), atlastest.NewID()
	assert.Regexp(t, regexp.MustCompile(`^[a-f0-9]{24}$`), a)
	assert.NotEqual(t, a, b)
}
