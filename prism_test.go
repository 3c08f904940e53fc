//go:build prism

package atlas_test

// The SDK's requests checked against the contract (testdata/backup-export.wire.yaml) by
// Stoplight Prism, a mock server that validates every request (path parameters, query, headers,
// security, body) and refuses what the document does not allow: a 422 for a bad parameter, a 400
// naming a bad body or Content-Type, a 401 without credentials, a 406 for an Accept it cannot
// serve.
//
// The test needs a running Prism, so it is built only with the prism tag: .ci/prism-check
// installs and starts Prism, then runs `go test -tags prism` with ATLAS_PRISM_URL set. A plain
// `go test ./...` does not build it, rather than reporting a skip that proves nothing; with the
// tag and no ATLAS_PRISM_URL it fails.

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/atlas-exports/atlas"
)

// The spec's examples for the path parameters; clusterName has none, so a name its pattern
// allows. Every example id of the document is this one, so Prism's example answers carry the
// id that was asked for.
const (
	prismGroup   = "32b6e34b3d91647abb20e7b8"
	prismCluster = "Cluster0"
	prismExport  = "32b6e34b3d91647abb20e7b8"
	prismID      = "32b6e34b3d91647abb20e7b8"
)

// prismViolation is one entry of Prism's sl-violations header.
type prismViolation struct {
	Location []string `json:"location"`
	Severity string   `json:"severity"`
	Code     any      `json:"code"`
	Message  string   `json:"message"`
}

// prismTransport keeps the request violations Prism reports in the sl-violations header of
// answers it still gave (warnings). Violations located in the response are Prism's complaints
// about the document's own examples and are not the SDK's concern.
type prismTransport struct {
	base http.RoundTripper
	mu   sync.Mutex
	bad  []string
	seen int
}

func (p *prismTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := p.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.seen++
	if h := resp.Header.Get("sl-violations"); h != "" {
		var vs []prismViolation
		if json.Unmarshal([]byte(h), &vs) != nil {
			p.bad = append(p.bad, req.Method+" "+req.URL.Path+": unreadable sl-violations: "+h)
		}
		for _, v := range vs {
			if len(v.Location) > 0 && v.Location[0] == "request" {
				p.bad = append(p.bad, req.Method+" "+req.URL.Path+": "+v.Message)
			}
		}
	}
	return resp, nil
}

func (p *prismTransport) violations() (seen int, bad []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.seen, append([]string(nil), p.bad...)
}

func TestRequestsPassPrismValidation(t *testing.T) {
	base := os.Getenv("ATLAS_PRISM_URL")
	if base == "" {
		t.Fatal("ATLAS_PRISM_URL is not set: run .ci/prism-check, which starts Prism and sets it")
	}
	base = strings.TrimSuffix(base, "/")
	transport := &http.Transport{}
	t.Cleanup(transport.CloseIdleConnections)
	pt := &prismTransport{base: transport}
	// Bearer auth: the document's security schemes are digest and OAuth 2.0; Prism checks that
	// an Authorization header of an allowed scheme is present.
	c, err := atlas.NewClient(
		atlas.WithBaseURL(base),
		atlas.WithAccessToken("prism-check-token"),
		atlas.WithHTTPClient(&http.Client{Transport: pt}),
		atlas.WithRetry(atlas.RetryPolicy{MaxAttempts: 1}), // a refusal must show, not be retried away
		atlas.WithUserAgent("prism-check"),
	)
	require.NoError(t, err)
	ctx := context.Background()

	t.Run("Get", func(t *testing.T) {
		job, err := c.Exports.Get(ctx, prismGroup, prismCluster, prismExport)
		require.NoError(t, err)
		assert.NotEmpty(t, job.ID, "Prism answers with the document's example job")
	})
	t.Run("List with every option", func(t *testing.T) {
		page, err := c.Exports.List(ctx, prismGroup, prismCluster, &atlas.ListOptions{PageNum: 2, ItemsPerPage: 500, OmitCount: true})
		require.NoError(t, err)
		assert.NotEmpty(t, page.Results)
	})
	t.Run("List with no options", func(t *testing.T) {
		_, err := c.Exports.List(ctx, prismGroup, prismCluster, nil)
		require.NoError(t, err)
	})
	t.Run("All", func(t *testing.T) {
		n := 0
		for job, err := range c.Exports.All(ctx, prismGroup, prismCluster, &atlas.ListOptions{ItemsPerPage: 1}) {
			require.NoError(t, err)
			assert.NotNil(t, job)
			if n++; n == 3 {
				break
			}
		}
		assert.Positive(t, n)
	})
	t.Run("Create", func(t *testing.T) {
		job, err := c.Exports.Create(ctx, prismGroup, prismCluster, &atlas.CreateExportJobRequest{
			SnapshotID: prismExport, ExportBucketID: prismGroup,
			CustomData: []atlas.Label{{Key: "team", Value: "analytics"}},
		})
		require.NoError(t, err)
		assert.NotEmpty(t, job.ID)
	})
	t.Run("Create without custom data", func(t *testing.T) {
		_, err := c.Exports.Create(ctx, prismGroup, prismCluster, &atlas.CreateExportJobRequest{SnapshotID: prismExport, ExportBucketID: prismGroup})
		require.NoError(t, err)
	})

	t.Run("Ensure", func(t *testing.T) {
		job, err := c.Exports.Ensure(ctx, prismGroup, prismCluster, &atlas.CreateExportJobRequest{SnapshotID: prismID, ExportBucketID: prismID})
		require.NoError(t, err)
		assert.NotEmpty(t, job.ID)
	})
	t.Run("ExportBuckets", func(t *testing.T) {
		page, err := c.ExportBuckets.List(ctx, prismGroup, &atlas.ListOptions{PageNum: 1, ItemsPerPage: 10})
		require.NoError(t, err)
		assert.NotEmpty(t, page.Results)
		for b, err := range c.ExportBuckets.All(ctx, prismGroup, nil) {
			require.NoError(t, err)
			assert.NotEmpty(t, b.ID)
			break
		}
		b, err := c.ExportBuckets.Get(ctx, prismGroup, prismID)
		require.NoError(t, err)
		assert.Equal(t, prismID, b.ID, "the id is _id on the wire")
		for _, req := range []*atlas.CreateExportBucketRequest{
			{CloudProvider: atlas.CloudProviderAWS, BucketName: "export-bucket", IAMRoleID: prismID, RequirePrivateNetworking: true},
			{CloudProvider: atlas.CloudProviderAzure, RoleID: prismID, ServiceURL: "https://examplestorageaccount.blob.core.windows.net/exportcontainer"},
			{CloudProvider: atlas.CloudProviderGCP, BucketName: "export-bucket", RoleID: prismID},
		} {
			_, err := c.ExportBuckets.Create(ctx, prismGroup, req)
			require.NoError(t, err, "%s", req.CloudProvider)
		}
		_, err = c.ExportBuckets.Update(ctx, prismGroup, prismID, &atlas.UpdateExportBucketRequest{RequirePrivateNetworking: true})
		require.NoError(t, err)
		require.NoError(t, c.ExportBuckets.Delete(ctx, prismGroup, prismID))
	})
	t.Run("Snapshots", func(t *testing.T) {
		page, err := c.Snapshots.List(ctx, prismGroup, prismCluster, &atlas.ListOptions{ItemsPerPage: 5, OmitCount: true})
		require.NoError(t, err)
		assert.NotEmpty(t, page.Results)
		_, err = c.Snapshots.Get(ctx, prismGroup, prismCluster, prismID)
		require.NoError(t, err)
		_, err = c.Snapshots.ListSharded(ctx, prismGroup, prismCluster, nil)
		require.NoError(t, err)
		_, err = c.Snapshots.GetSharded(ctx, prismGroup, prismCluster, prismID)
		require.NoError(t, err)
		_, err = c.Snapshots.Take(ctx, prismGroup, prismCluster, &atlas.TakeSnapshotRequest{Description: "before export", RetentionInDays: 1})
		require.NoError(t, err)
		_, err = c.Snapshots.Take(ctx, prismGroup, prismCluster, nil)
		require.NoError(t, err)
	})
	t.Run("Client.Do", func(t *testing.T) {
		var page atlas.SnapshotPage
		err := c.Do(ctx, &atlas.Request{Method: http.MethodGet, Version: "2023-01-01",
			Path: "/api/atlas/v2/groups/" + prismGroup + "/clusters/" + prismCluster + "/backup/snapshots"}, &page)
		require.NoError(t, err)
		assert.NotEmpty(t, page.Results)
	})

	seen, bad := pt.violations()
	assert.Positive(t, seen)
	assert.Empty(t, bad, "Prism found requests the document does not allow")

	// Controls: the same server refuses what the document disallows, so the passes above
	// mean something (a permissive server at ATLAS_PRISM_URL would fail here).
	t.Run("control: Prism refuses", func(t *testing.T) {
		path := base + "/api/atlas/v2/groups/" + prismGroup + "/clusters/" + prismCluster + "/backup/exports"
		buckets := base + "/api/atlas/v2/groups/" + prismGroup + "/backup/exportBuckets"
		for _, tc := range []struct {
			name, method, url, auth, accept, contentType, body string
		}{
			{"itemsPerPage over 500", http.MethodGet, path + "?itemsPerPage=501", "Bearer x", atlas.MediaType, "", ""},
			{"a malformed export id", http.MethodGet, path + "/not-an-id", "Bearer x", atlas.MediaType, "", ""},
			{"no credentials", http.MethodGet, path, "", atlas.MediaType, "", ""},
			{"a body without exportBucketId", http.MethodPost, path, "Bearer x", atlas.MediaType, atlas.MediaType, `{"snapshotId":"` + prismExport + `"}`},
			{"a text/plain Content-Type", http.MethodPost, path, "Bearer x", atlas.MediaType, "text/plain", `{"snapshotId":"` + prismExport + `","exportBucketId":"` + prismGroup + `"}`},
			{"a bucket read with the export jobs' version", http.MethodGet, buckets + "/" + prismID, "Bearer x", atlas.MediaType, "", ""},
			{"a bucket of an unknown cloud", http.MethodPost, buckets, "Bearer x", atlas.MediaTypeExportBuckets, atlas.MediaTypeExportBuckets, `{"cloudProvider":"IBM","bucketName":"export-bucket"}`},
		} {
			t.Run(tc.name, func(t *testing.T) {
				req, err := http.NewRequestWithContext(ctx, tc.method, tc.url, strings.NewReader(tc.body))
				require.NoError(t, err)
				req.Header.Set("Accept", tc.accept)
				if tc.auth != "" {
					req.Header.Set("Authorization", tc.auth)
				}
				if tc.contentType != "" {
					req.Header.Set("Content-Type", tc.contentType)
				}
				resp, err := transport.RoundTrip(req)
				require.NoError(t, err)
				_ = resp.Body.Close()
				assert.GreaterOrEqual(t, resp.StatusCode, 400, "Prism accepted a request the document disallows")
				assert.Less(t, resp.StatusCode, 500)
			})
		}
	})
}
