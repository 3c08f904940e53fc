package atlastest_test

import (
	"net/http"
	"testing"

	"github.com/atlas-exports/atlas"
	"github.com/atlas-exports/atlas/atlastest"
)

// More ids the tests use, beside those of helpers_test.go.
const (
	sharded = "8c3d4e5f60718293a4b5c6d7" // a completed sharded-cluster snapshot of the test cluster
	jobID   = "9d4e5f60718293a4b5c6d7e8" // an export job of the test cluster
	missing = "dddddddddddddddddddddddd" // nothing has this id
)

// Resource versions, as media types.
const (
	v2023 = "application/vnd.atlas.2023-01-01+json"
	v2024 = "application/vnd.atlas.2024-05-30+json"
)

// operationCase is one operation of the spec as the tests call it: a request that succeeds
// once seedAll has run, and the resource versions the operation serves, oldest first.
type operationCase struct {
	route, method, path, body string
	status                    int
	versions                  []string
}

// groupPath is the path prefix of the test project.
const groupPath = "/api/atlas/v2/groups/" + groupID

// operationCases lists every operation of testdata/backup-export.wire.yaml.
func operationCases() []operationCase {
	const (
		exports   = groupPath + "/clusters/" + cluster + "/backup/exports"
		buckets   = groupPath + "/backup/exportBuckets"
		snapshots = groupPath + "/clusters/" + cluster + "/backup/snapshots"
		export    = `{"snapshotId":"` + snapshot + `","exportBucketId":"` + bucket + `"}`
		awsBucket = `{"cloudProvider":"AWS","bucketName":"export-bucket","iamRoleId":"668c5f0ed436263134491592"}`
	)
	first, both, latest := []string{v2023}, []string{v2023, v2024}, []string{v2024}
	return []operationCase{
		{atlastest.RouteListExports, http.MethodGet, exports, "", 200, first},
		{atlastest.RouteCreateExport, http.MethodPost, exports, export, 200, first},
		{atlastest.RouteGetExport, http.MethodGet, exports + "/" + jobID, "", 200, first},
		{atlastest.RouteListExportBuckets, http.MethodGet, buckets, "", 200, both},
		{atlastest.RouteCreateExportBucket, http.MethodPost, buckets, awsBucket, 200, both},
		{atlastest.RouteGetExportBucket, http.MethodGet, buckets + "/" + bucket, "", 200, latest},
		{atlastest.RouteUpdateExportBucket, http.MethodPatch, buckets + "/" + bucket, `{"requirePrivateNetworking":true}`, 200, latest},
		{atlastest.RouteDeleteExportBucket, http.MethodDelete, buckets + "/" + bucket, "", 204, first},
		{atlastest.RouteListSnapshots, http.MethodGet, snapshots, "", 200, first},
		{atlastest.RouteTakeSnapshot, http.MethodPost, snapshots, `{"description":"d","retentionInDays":1}`, 200, first},
		{atlastest.RouteGetSnapshot, http.MethodGet, snapshots + "/" + snapshot, "", 200, first},
		{atlastest.RouteListShardedSnapshots, http.MethodGet, snapshots + "/shardedClusters", "", 200, first},
		{atlastest.RouteGetShardedSnapshot, http.MethodGet, snapshots + "/shardedCluster/" + sharded, "", 200, first},
	}
}

// seedAll adds (again) everything the operationCases need: the exportable snapshot and
// bucket, a sharded-cluster snapshot and an export job.
func seedAll(t *testing.T, srv *atlastest.Server) {
	t.Helper()
	seedExportable(t, srv)
	srv.AddSnapshot(groupID, cluster, &atlas.Snapshot{ID: sharded, Type: "shardedCluster"})
	srv.AddExportJob(groupID, cluster, &atlas.ExportJob{ID: jobID, ExportBucketID: bucket, SnapshotID: snapshot})
}

// call sends one operationCase with a bearer token and extra headers; a body goes as
// application/json unless the headers say otherwise.
func (op operationCase) call(t *testing.T, hc *http.Client, srv *atlastest.Server, token string, header ...string) *http.Response {
	t.Helper()
	if op.body != "" {
		header = append([]string{"Content-Type", "application/json"}, header...)
	}
	return bearerDo(t, hc, op.method, srv.URL+op.path, token, op.body, header...)
}
