package atlastest_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/atlas-exports/atlas"
	"github.com/atlas-exports/atlas/atlastest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCreate(t *testing.T) {
	t.Parallel()
	clk := atlastest.NewClock(epoch)
	srv := newServer(t, atlastest.WithClock(clk.Now), atlastest.WithTotalCollections(5))
	seedExportable(t, srv)
	hc := newClient(t)
	token := bearerToken(t, hc, srv)
	post := func(contentType, body string) *http.Response {
		req, _ := http.NewRequest(http.MethodPost, exportsURL(srv, ""), strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Accept", "application/vnd.atlas.2025-03-12+json")
		req.Header.Set("Content-Type", contentType)
		resp, err := hc.Do(req)
		require.NoError(t, err)
		return resp
	}

	t.Run("created", func(t *testing.T) {
		body := `{"snapshotId":"` + snapshot + `","exportBucketId":"` + bucket + `",
			"customData":[{"key":"team","value":"data"}],"links":[{"href":"x","rel":"self"}]}`
		j := readJob(t, post("application/vnd.atlas.2023-01-01+json", body))
		assert.Regexp(t, `^[a-f0-9]{24}$`, j.ID)
		assert.Equal(t, snapshot, j.SnapshotID)
		assert.Equal(t, bucket, j.ExportBucketID)
		assert.Equal(t, atlas.ExportStateQueued, j.State)
		assert.Equal(t, epoch, j.CreatedAt)
		assert.True(t, j.FinishedAt.IsZero())
		assert.Nil(t, j.StateReason)
		assert.Equal(t, &atlas.ExportStatus{ExportedCollections: 0, TotalCollections: 5}, j.ExportStatus)
		assert.Equal(t, []atlas.Label{{Key: "team", Value: "data"}}, j.CustomData)
		assert.Regexp(t, `^/exported_snapshots/[a-f0-9]{24}/`+groupID+`/`+cluster+`/2025-03-12T0930Z/1741771800$`, j.Prefix)
		assert.Equal(t, []atlas.Link{{Href: exportsURL(srv, j.ID), Rel: "self"}}, j.Links)

		stored, ok := srv.ExportJob(groupID, cluster, j.ID)
		require.True(t, ok)
		assert.Equal(t, j.Prefix, stored.Prefix)
	})

	snap, buck := `"snapshotId":"`+snapshot+`"`, `"exportBucketId":"`+bucket+`"`
	for _, tt := range []struct {
		name, body string
		fields     []string
	}{
		{"empty object", `{}`, []string{"snapshotId", "exportBucketId"}},
		{"null ids", `{"snapshotId":null,"exportBucketId":null}`, []string{"snapshotId", "exportBucketId"}},
		{"short snapshot id", `{"snapshotId":"abc",` + buck + `}`, []string{"snapshotId"}},
		{"bucket id as number", `{` + snap + `,"exportBucketId":42}`, []string{"exportBucketId"}},
		{"uppercase bucket id", `{` + snap + `,"exportBucketId":"` + strings.ToUpper(bucket) + `"}`, []string{"exportBucketId"}},
		{"customData object", `{` + snap + `,` + buck + `,"customData":{"key":"a"}}`, []string{"customData"}},
		{"customData value number", `{` + snap + `,` + buck + `,"customData":[{"key":"a","value":1}]}`, []string{"customData[0].value"}},
		{"customData unknown key", `{` + snap + `,` + buck + `,"customData":[{"name":"a"}]}`, []string{"customData[0].name"}},
		{"unknown attribute", `{` + snap + `,` + buck + `,"snapshotID":"x"}`, []string{"snapshotID"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := requireAPIError(t, post("application/json", tt.body), http.StatusBadRequest, "VALIDATION_ERROR")
			assert.Equal(t, tt.fields, violated(t, e))
		})
	}
	for _, body := range []string{``, `[]`, `null`, `{"snapshotId":`, `{}{}`, `"x"`} {
		t.Run("malformed "+body, func(t *testing.T) {
			requireAPIError(t, post("application/json; charset=utf-8", body), http.StatusBadRequest, "MALFORMED_JSON")
		})
	}
	t.Run("oversized", func(t *testing.T) {
		body := `{"customData":[` + strings.Repeat(`{"key":"k","value":"v"},`, 1<<16) + `{}]}`
		requireAPIError(t, post("application/json", body), http.StatusRequestEntityTooLarge, "PAYLOAD_TOO_LARGE")
	})
	assert.Len(t, srv.ExportJobs(groupID, cluster), 1, "refused requests create nothing")
}

func TestCreateIsStrict(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	seedExportable(t, srv)
	const other = "aaaaaaaaaaaaaaaaaaaaaaaa"
	queued := srv.AddSnapshot(groupID, cluster, &atlas.Snapshot{Status: atlas.SnapshotStatusQueued})
	failed := srv.AddSnapshot(groupID, cluster, &atlas.Snapshot{})
	srv.FailSnapshot(failed)
	elsewhere := srv.AddSnapshot(groupID, "Other", &atlas.Snapshot{})
	shardedSnap := srv.AddSnapshot(groupID, cluster, &atlas.Snapshot{Type: "shardedCluster"})
	otherBucket := srv.AddExportBucket(other, &atlas.ExportBucket{})
	hc := newClient(t)
	token := bearerToken(t, hc, srv)
	post := func(snapshotID, bucketID string) *http.Response {
		body := `{"snapshotId":"` + snapshotID + `","exportBucketId":"` + bucketID + `"}`
		return bearerDo(t, hc, http.MethodPost, exportsURL(srv, ""), token, body, "Content-Type", "application/json")
	}
	for _, tt := range []struct {
		name, snapshot, bucket string
		status                 int
		code                   string
	}{
		{"unknown snapshot", missing, bucket, 404, "SNAPSHOT_NOT_FOUND"},
		{"another cluster's snapshot", elsewhere, bucket, 404, "SNAPSHOT_NOT_FOUND"},
		{"unknown bucket", snapshot, missing, 404, "EXPORT_BUCKET_NOT_FOUND"},
		{"another project's bucket", snapshot, otherBucket, 404, "EXPORT_BUCKET_NOT_FOUND"},
		{"both unknown: the snapshot first", missing, missing, 404, "SNAPSHOT_NOT_FOUND"},
		{"queued snapshot", queued, bucket, 400, "CANNOT_EXPORT_INCOMPLETE_SNAPSHOT"},
		{"failed snapshot", failed, bucket, 400, "CANNOT_EXPORT_INCOMPLETE_SNAPSHOT"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := requireAPIError(t, post(tt.snapshot, tt.bucket), tt.status, tt.code)
			if tt.status == http.StatusBadRequest {
				require.NotNil(t, e.BadRequestDetail)
				assert.Equal(t, "snapshotId", e.BadRequestDetail.Fields[0].Field)
			}
		})
	}
	assert.Empty(t, srv.ExportJobs(groupID, cluster), "refused requests create nothing")
	readJob(t, post(shardedSnap, bucket))
	srv.AdvanceSnapshot(queued)
	srv.AdvanceSnapshot(queued)
	readJob(t, post(queued, bucket))

	lenient := newServer(t, atlastest.WithLenientExports())
	lenientToken := bearerToken(t, hc, lenient)
	body := `{"snapshotId":"` + missing + `","exportBucketId":"` + missing + `"}`
	j := readJob(t, bearerDo(t, hc, http.MethodPost, exportsURL(lenient, ""), lenientToken, body, "Content-Type", "application/json"))
	assert.Equal(t, missing, j.SnapshotID)
}

func TestAddExportJobStoresACopy(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	job := &atlas.ExportJob{ExportBucketID: bucket, ExportStatus: &atlas.ExportStatus{TotalCollections: 2},
		CustomData: []atlas.Label{{Key: "k", Value: "v"}}}
	id := srv.AddExportJob(groupID, "New", job)
	assert.Regexp(t, `^[a-f0-9]{24}$`, id)
	assert.Empty(t, job.ID, "the caller's job is not modified")
	job.ExportStatus.ExportedCollections = 2
	job.CustomData[0].Value = "changed"

	got, ok := srv.ExportJob(groupID, "New", id)
	require.True(t, ok)
	assert.Equal(t, int32(0), got.ExportStatus.ExportedCollections)
	assert.Equal(t, "v", got.CustomData[0].Value)
	got.CustomData[0].Value = "changed too"
	again, _ := srv.ExportJob(groupID, "New", id)
	assert.Equal(t, "v", again.CustomData[0].Value)

	_, ok = srv.ExportJob(groupID, cluster, id)
	assert.False(t, ok, "the job lives in its own cluster only")

	// The same id again replaces the job, also across clusters.
	srv.AddExportJob(groupID, cluster, &atlas.ExportJob{ID: id, ExportBucketID: bucket, State: atlas.ExportStateFailed})
	assert.Empty(t, srv.ExportJobs(groupID, "New"))
	moved, ok := srv.ExportJob(groupID, cluster, id)
	require.True(t, ok)
	assert.Equal(t, atlas.ExportStateFailed, moved.State)
	assert.Nil(t, srv.ExportJobs(groupID, "Missing"))
}

func TestPrettyPrint(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	hc := newClient(t)
	token := bearerToken(t, hc, srv)
	id := srv.AddExportJob(groupID, cluster, &atlas.ExportJob{ExportBucketID: bucket})
	for _, tt := range []struct {
		query  string
		pretty bool
	}{{"?pretty=true", true}, {"?pretty=false&envelope=false", false}, {"", false}, {"?pretty=yes", false}} {
		resp := bearerGet(t, hc, exportsURL(srv, id)+tt.query, token)
		var buf bytes.Buffer
		_, _ = buf.ReadFrom(resp.Body)
		_ = resp.Body.Close()
		assert.Equal(t, tt.pretty, bytes.Contains(buf.Bytes(), []byte("\n  \"")), "query %q: %s", tt.query, buf.String())
	}
	// Errors are pretty too.
	resp := bearerGet(t, hc, exportsURL(srv, "dddddddddddddddddddddddd")+"?pretty=true", token)
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(resp.Body)
	_ = resp.Body.Close()
	assert.Contains(t, buf.String(), "\n  \"errorCode\": \"EXPORT_JOB_NOT_FOUND\"")
}
