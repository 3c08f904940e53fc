package atlastest_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/atlas-exports/atlas"
	"github.com/atlas-exports/atlas/atlastest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"
)

func TestErrorAnswers(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	const denied, readOnly = "aaaaaaaaaaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbbbbbbbbbb"
	srv.AddCluster(denied, cluster)
	srv.SetAccess(denied, atlastest.AccessNone)
	srv.AddCluster(readOnly, cluster)
	srv.SetAccess(readOnly, atlastest.AccessReadOnly)
	roBucket := srv.AddExportBucket(readOnly, &atlas.ExportBucket{})
	token := bearerToken(t, newClient(t), srv)
	base := srv.URL + "/api/atlas/v2/groups/"
	valid := `{"snapshotId":"` + snapshot + `","exportBucketId":"` + bucket + `"}`
	ro := func(path string) string { return base + readOnly + path }
	json := []string{"Content-Type", "application/json"}
	snapshots := srv.URL + groupPath + "/clusters/" + cluster + "/backup/snapshots"

	tests := []struct {
		name, method, url, body string
		header                  []string
		status                  int
		code                    string
	}{
		{"no credentials", "GET", exportsURL(srv, ""), "", []string{"Authorization", ""}, 401, "UNAUTHORIZED"},
		{"no credentials: buckets", "GET", srv.URL + groupPath + "/backup/exportBuckets", "", []string{"Authorization", ""}, 401, "UNAUTHORIZED"},
		{"denied project", "GET", base + denied + "/clusters/" + cluster + "/backup/exports", "", nil, 403, "USER_UNAUTHORIZED"},
		{"denied project: buckets", "GET", base + denied + "/backup/exportBuckets", "", nil, 403, "USER_UNAUTHORIZED"},
		{"read-only project: list", "GET", ro("/clusters/" + cluster + "/backup/exports"), "", nil, 200, ""},
		{"read-only project: list buckets", "GET", ro("/backup/exportBuckets"), "", nil, 200, ""},
		{"read-only project: create", "POST", ro("/clusters/" + cluster + "/backup/exports"), valid, json, 403, "USER_UNAUTHORIZED"},
		{"read-only project: create bucket", "POST", ro("/backup/exportBuckets"), `{}`, json, 403, "USER_UNAUTHORIZED"},
		{"read-only project: update bucket", "PATCH", ro("/backup/exportBuckets/" + roBucket), `{"requirePrivateNetworking":true}`, json, 403, "USER_UNAUTHORIZED"},
		{"read-only project: delete bucket", "DELETE", ro("/backup/exportBuckets/" + roBucket), "", nil, 403, "USER_UNAUTHORIZED"},
		{"read-only project: take snapshot", "POST", ro("/clusters/" + cluster + "/backup/snapshots"), `{}`, json, 403, "USER_UNAUTHORIZED"},
		{"unknown project", "GET", base + "cccccccccccccccccccccccc/clusters/" + cluster + "/backup/exports", "", nil, 404, "GROUP_NOT_FOUND"},
		{"unknown project: buckets", "GET", base + "cccccccccccccccccccccccc/backup/exportBuckets", "", nil, 404, "GROUP_NOT_FOUND"},
		{"unknown cluster", "GET", base + groupID + "/clusters/Other/backup/exports", "", nil, 404, "CLUSTER_NOT_FOUND"},
		{"unknown cluster: snapshots", "GET", base + groupID + "/clusters/Other/backup/snapshots/shardedClusters", "", nil, 404, "CLUSTER_NOT_FOUND"},
		{"unknown export", "GET", exportsURL(srv, missing), "", nil, 404, "EXPORT_JOB_NOT_FOUND"},
		{"unknown bucket", "GET", srv.URL + groupPath + "/backup/exportBuckets/" + missing, "", nil, 404, "EXPORT_BUCKET_NOT_FOUND"},
		{"unknown snapshot", "GET", snapshots + "/" + missing, "", nil, 404, "SNAPSHOT_NOT_FOUND"},
		{"unknown sharded snapshot", "GET", snapshots + "/shardedCluster/" + missing, "", nil, 404, "SNAPSHOT_NOT_FOUND"},
		{"unknown path", "GET", srv.URL + "/api/atlas/v2/groups", "", nil, 404, "RESOURCE_NOT_FOUND"},
		{"uppercase group id", "GET", base + strings.ToUpper(groupID) + "/clusters/" + cluster + "/backup/exports", "", nil, 400, "INVALID_GROUP_ID"},
		{"short group id", "GET", base + "abc/backup/exportBuckets", "", nil, 400, "INVALID_GROUP_ID"},
		{"cluster name with leading dash", "GET", base + groupID + "/clusters/-c/backup/exports", "", nil, 400, "INVALID_PARAMETER"},
		{"cluster name with underscore", "GET", base + groupID + "/clusters/a_b/backup/snapshots", "", nil, 400, "INVALID_PARAMETER"},
		{"export id not hex", "GET", exportsURL(srv, "zzzzzzzzzzzzzzzzzzzzzzzz"), "", nil, 400, "INVALID_PARAMETER"},
		{"bucket id not hex", "DELETE", srv.URL + groupPath + "/backup/exportBuckets/xyz", "", nil, 400, "INVALID_PARAMETER"},
		{"snapshot id not hex", "GET", snapshots + "/" + strings.ToUpper(snapshot), "", nil, 400, "INVALID_PARAMETER"},
		{"sharded path without id", "GET", snapshots + "/shardedCluster", "", nil, 400, "INVALID_PARAMETER"},
		{"DELETE exports", "DELETE", exportsURL(srv, ""), "", nil, 405, "METHOD_NOT_ALLOWED"},
		{"PUT bucket", "PUT", srv.URL + groupPath + "/backup/exportBuckets/" + bucket, "", nil, 405, "METHOD_NOT_ALLOWED"},
		{"POST sharded list", "POST", snapshots + "/shardedClusters", `{}`, json, 405, "METHOD_NOT_ALLOWED"},
		{"create as text", "POST", exportsURL(srv, ""), valid, []string{"Content-Type", "text/plain"}, 415, "UNSUPPORTED_MEDIA_TYPE"},
		{"create without content type", "POST", exportsURL(srv, ""), valid, nil, 415, "UNSUPPORTED_MEDIA_TYPE"},
		{"take snapshot as form", "POST", snapshots, "a=b", []string{"Content-Type", "application/x-www-form-urlencoded"}, 415, "UNSUPPORTED_MEDIA_TYPE"},
	}
	hc := newClient(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			header := append([]string{"Authorization", "Bearer " + token}, tt.header...)
			req, err := http.NewRequest(tt.method, tt.url, strings.NewReader(tt.body))
			require.NoError(t, err)
			for i := 0; i+1 < len(header); i += 2 {
				req.Header.Set(header[i], header[i+1])
			}
			if req.Header.Get("Authorization") == "" {
				req.Header.Del("Authorization")
			}
			resp, err := hc.Do(req)
			require.NoError(t, err)
			if tt.code == "" {
				assert.Equal(t, tt.status, resp.StatusCode)
				drain(resp)
				return
			}
			requireAPIError(t, resp, tt.status, tt.code)
		})
	}
	assert.Len(t, srv.ExportBuckets(readOnly), 1, "refused requests change nothing")
	assert.Empty(t, srv.Snapshots(readOnly, cluster))
}

// TestEveryOperationSharesTheWrapper checks that each operation of the spec authenticates
// both ways, takes its faults, counts under its own route and is rate limited.
func TestEveryOperationSharesTheWrapper(t *testing.T) {
	t.Parallel()
	clk := atlastest.NewClock(epoch)
	srv := newServer(t, atlastest.WithClock(clk.Now), atlastest.WithRateLimit(rate.Every(time.Minute), 2))
	hc := newClient(t)
	token := bearerToken(t, hc, srv)
	for _, op := range operationCases() {
		t.Run(op.route, func(t *testing.T) {
			d := newDigest(t, srv) // a fresh client: its first call is challenged
			seedAll(t, srv)
			clk.Advance(2 * time.Minute) // a full bucket: two requests
			srv.ResetCounters()

			srv.InjectFault(atlastest.Fault{Route: op.route, Status: http.StatusServiceUnavailable})
			requireAPIError(t, op.call(t, hc, srv, token), http.StatusServiceUnavailable, "SERVICE_UNAVAILABLE")

			requireAPIError(t, op.call(t, hc, srv, "revoked"), http.StatusUnauthorized, "UNAUTHORIZED")

			resp := d.do(op.method, srv.URL+op.path, []byte(op.body), http.Header{"Content-Type": {"application/json"}})
			assert.Equal(t, op.status, resp.StatusCode, "over digest")
			drain(resp)
			seedAll(t, srv)
			resp = op.call(t, hc, srv, token)
			assert.Equal(t, op.status, resp.StatusCode, "with a token")
			assert.Equal(t, "0", resp.Header.Get("RateLimit-Remaining"))
			drain(resp)
			requireAPIError(t, op.call(t, hc, srv, token), http.StatusTooManyRequests, "RATE_LIMITED")

			// The fault, the refused token, the digest challenge and answer, the token's two.
			assert.Equal(t, 6, srv.Requests(op.route))
			assert.Equal(t, 6, srv.Requests(""), "no other route counted")
		})
	}
}
