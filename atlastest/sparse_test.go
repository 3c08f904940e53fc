package atlastest_test

import (
	"net/http"
	"testing"

	"github.com/atlas-exports/atlas"
	"github.com/atlas-exports/atlas/atlastest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSparseResponsesKeepOnlyIdsStatesAndRequiredFields reads each kind of answer raw, through
// the schema checks (a sparse answer still conforms), and lists the keys it carries.
func TestSparseResponsesKeepOnlyIdsStatesAndRequiredFields(t *testing.T) {
	t.Parallel()
	srv := newServer(t, atlastest.WithSparseResponses())
	seedExportable(t, srv)
	id := srv.AddExportJob(groupID, cluster, &atlas.ExportJob{
		ExportBucketID: bucket, SnapshotID: snapshot, State: atlas.ExportStateFailed, Prefix: "/p",
		StateReason:  &atlas.StateReason{ErrorCode: "E", Message: "m"},
		ExportStatus: &atlas.ExportStatus{ExportedCollections: 1, TotalCollections: 2},
		CreatedAt:    epoch, CustomData: []atlas.Label{{Key: "k", Value: "v"}},
	})
	c := newSDK(t, srv, atlas.WithDigest(srv.PublicKey, srv.PrivateKey))
	var raw map[string]any
	require.NoError(t, c.Do(t.Context(), &atlas.Request{Method: http.MethodGet,
		Path: "/api/atlas/v2/groups/" + groupID + "/clusters/" + cluster + "/backup/exports/" + id, Version: "2023-01-01"}, &raw))
	assert.Equal(t, map[string]any{"id": id, "exportBucketId": bucket, "state": "Failed"}, raw)

	var page map[string]any
	require.NoError(t, c.Do(t.Context(), &atlas.Request{Method: http.MethodGet,
		Path: "/api/atlas/v2/groups/" + groupID + "/backup/exportBuckets", Version: "2024-05-30"}, &page))
	b, ok := srv.ExportBucket(groupID, bucket)
	require.True(t, ok)
	assert.Equal(t, map[string]any{"results": []any{map[string]any{
		"_id": bucket, "bucketName": b.BucketName, "cloudProvider": "AWS", "iamRoleId": b.IAMRoleID,
	}}}, page, "no links, no totalCount, no region")

	// The SDK reads what is left: the job with no progress, no reason, no timestamps.
	job, err := c.Exports.Get(t.Context(), groupID, cluster, id)
	require.NoError(t, err)
	assert.Nil(t, job.ExportStatus)
	assert.Nil(t, job.StateReason)
	assert.True(t, job.CreatedAt.IsZero())

	// The fake's own record keeps everything.
	stored, ok := srv.ExportJob(groupID, cluster, id)
	require.True(t, ok)
	assert.NotNil(t, stored.ExportStatus)
}
