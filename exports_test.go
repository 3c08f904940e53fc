package atlas_test

// Tests of ExportsService's reads and creates: Get, List, Create and Ensure. Paging is in
// paging_test.go, waiting in wait_test.go.

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/atlas-exports/atlas"
	"github.com/atlas-exports/atlas/atlastest"
)

func TestExportsGet(t *testing.T) {
	t.Parallel()
	f := setup(t)
	stored := atlas.ExportJob{
		ID: testExportID, SnapshotID: testSnapshot, ExportBucketID: testBucket,
		Prefix:       "/exported_snapshots/acme/prod/Cluster0/2025-01-02T03:04:05Z/1735787045",
		State:        atlas.ExportStateInProgress,
		ExportStatus: &atlas.ExportStatus{ExportedCollections: 3, TotalCollections: 7},
		CreatedAt:    testCreatedAt,
		CustomData:   []atlas.Label{{Key: "team", Value: "storage"}},
	}
	f.srv.AddExportJob(testGroupID, testCluster, &stored)

	job, err := f.client.Exports.Get(t.Context(), testGroupID, testCluster, testExportID)
	require.NoError(t, err)
	want := stored
	want.Links = []atlas.Link{{Href: f.srv.URL + jobPath, Rel: "self"}}
	assert.Equal(t, &want, job)
	// The one resource version the spec declares for export jobs, spelled out so that a
	// change to the constant cannot pass unnoticed.
	assertSent(t, f.wire.only(t), http.MethodGet, jobPath, "application/vnd.atlas.2023-01-01+json", "")
	assert.Empty(t, f.wire.only(t).Query)
}

func TestExportsGetRefusesBadArgumentsWithoutARequest(t *testing.T) {
	t.Parallel()
	var nilCtx context.Context
	tests := []struct {
		name                       string
		ctx                        context.Context
		groupID, cluster, exportID string
		param                      string
	}{
		{"nil context", nilCtx, testGroupID, testCluster, testExportID, "ctx"},
		{"group empty", t.Context(), "", testCluster, testExportID, "groupID"},
		{"group short", t.Context(), "5f1d2e3c4b5a69788796a5b", testCluster, testExportID, "groupID"},
		{"group long", t.Context(), testGroupID + "0", testCluster, testExportID, "groupID"},
		{"group uppercase", t.Context(), "5F1D2E3C4B5A69788796A5B4", testCluster, testExportID, "groupID"},
		{"group non-hex", t.Context(), "5f1d2e3c4b5a69788796a5bg", testCluster, testExportID, "groupID"},
		{"group with slash", t.Context(), "5f1d2e3c4b5/69788796a5b4", testCluster, testExportID, "groupID"},
		{"group with dot-dot", t.Context(), "5f1d2e3c4b5a69788796a../", testCluster, testExportID, "groupID"},
		{"cluster empty", t.Context(), testGroupID, "", testExportID, "clusterName"},
		{"cluster leading dash", t.Context(), testGroupID, "-Cluster0", testExportID, "clusterName"},
		{"cluster slash", t.Context(), testGroupID, "Cluster0/../x", testExportID, "clusterName"},
		{"cluster question mark", t.Context(), testGroupID, "Cluster0?a=b", testExportID, "clusterName"},
		{"cluster percent", t.Context(), testGroupID, "Cluster%2F0", testExportID, "clusterName"},
		{"cluster space", t.Context(), testGroupID, "Cluster 0", testExportID, "clusterName"},
		{"cluster hash", t.Context(), testGroupID, "Cluster#0", testExportID, "clusterName"},
		{"cluster underscore", t.Context(), testGroupID, "Cluster_0", testExportID, "clusterName"},
		{"cluster non-ascii", t.Context(), testGroupID, "Clüster0", testExportID, "clusterName"},
		{"cluster newline", t.Context(), testGroupID, "Cluster0\n", testExportID, "clusterName"},
		{"export empty", t.Context(), testGroupID, testCluster, "", "exportID"},
		{"export short", t.Context(), testGroupID, testCluster, "6a0b1c2d", "exportID"},
		{"export uppercase", t.Context(), testGroupID, testCluster, "6A0B1C2D3E4F5A6B7C8D9E0F", "exportID"},
		{"export non-hex", t.Context(), testGroupID, testCluster, "6a0b1c2d3e4f5a6b7c8d9e0z", "exportID"},
		{"export with query", t.Context(), testGroupID, testCluster, "6a0b1c2d3e4f5a6b7c8d9?x=", "exportID"},
	}
	f := setup(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			job, err := f.client.Exports.Get(tt.ctx, tt.groupID, tt.cluster, tt.exportID)
			assert.Nil(t, job)
			assertNothingSent(t, f, err, tt.param)
			assert.Contains(t, err.Error(), tt.param)
			for _, sentinel := range []error{atlas.ErrNotFound, atlas.ErrServer, atlas.ErrInvalidResponse} {
				assert.NotErrorIs(t, err, sentinel)
			}
		})
	}
}

func TestExportsGetUnknownJobIsNotFound(t *testing.T) {
	t.Parallel()
	f := setup(t)
	job, err := f.client.Exports.Get(t.Context(), testGroupID, testCluster, testOtherID)
	assert.Nil(t, job)
	require.ErrorIs(t, err, atlas.ErrNotFound)
	var reqErr *atlas.RequestError
	require.ErrorAs(t, err, &reqErr)
	assert.Equal(t, exportsPath+"/"+testOtherID, reqErr.Path)
	assertAPIError(t, err, http.StatusNotFound, "EXPORT_JOB_NOT_FOUND")
	assert.Equal(t, 1, f.srv.Requests(atlastest.RouteGetExport), "a 404 is not retried")
}

func TestExportsGetAnswerAboutAnotherJobIsInvalidResponse(t *testing.T) {
	t.Parallel()
	assertAnotherIDRefused(t, jobJSON, func(c *atlas.Client) (any, error) {
		return c.Exports.Get(t.Context(), testGroupID, testCluster, testOtherID)
	})
}

func TestExportsGetEscapingAndBasePath(t *testing.T) {
	t.Parallel()
	// A base URL with a path (a proxy in front of Atlas, say) is kept as a prefix, escaped
	// as it was given, and the request line carries exactly the documented path after it.
	srv := newServer(t)
	var gotURI, gotEscaped string
	srv.Mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		gotURI, gotEscaped = r.RequestURI, r.URL.EscapedPath()
		serveJob(w, r)
	})
	c, err := atlas.NewClient(atlas.WithBaseURL(srv.URL+"/atlas%20proxy/v1/"), atlas.WithAccessToken(testToken))
	require.NoError(t, err)

	_, err = c.Exports.Get(t.Context(), testGroupID, "a-Cluster-9", testExportID)
	require.NoError(t, err)
	want := "/atlas%20proxy/v1/api/atlas/v2/groups/" + testGroupID + "/clusters/a-Cluster-9/backup/exports/" + testExportID
	assert.Equal(t, want, gotURI, "request line")
	assert.Equal(t, want, gotEscaped)
}

func TestExportsGetMalformedSuccessBody(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, contentType, body string
	}{
		{"truncated JSON", atlas.MediaType, jobJSON[:len(jobJSON)/2]},
		{"empty", atlas.MediaType, ""},
		{"whitespace", atlas.MediaType, " \n\t"},
		{"null", atlas.MediaType, "null"},
		{"HTML", "text/html", "<html><body><h1>Welcome to our captive portal</h1></body></html>"},
		{"array", atlas.MediaType, `[{"id":"` + testExportID + `"}]`},
		{"string", atlas.MediaType, `"Successful"`},
		{"number", atlas.MediaType, `42`},
		{"wrong field type", atlas.MediaType, `{"id": 123, "state": "Queued"}`},
		{"wrong nested type", atlas.MediaType, `{"id": "` + testExportID + `", "exportStatus": "3/7"}`},
		{"bad timestamp", atlas.MediaType, `{"id": "` + testExportID + `", "createdAt": "yesterday"}`},
		{"garbage after the document", atlas.MediaType, jobJSON + "garbage"},
		{"two documents", atlas.MediaType, jobJSON + jobJSON},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			srv.Mux.HandleFunc(jobPath, func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", tt.contentType)
				_, _ = w.Write([]byte(tt.body))
			})
			job, err := newClient(t, srv).Exports.Get(t.Context(), testGroupID, testCluster, testExportID)
			assert.Nil(t, job, "never a job with an error")
			require.ErrorIs(t, err, atlas.ErrInvalidResponse, "a malformed 200 must be an error")
			var apiErr *atlas.APIError
			assert.False(t, errors.As(err, &apiErr), "a 200 is not an APIError")
			assert.EqualValues(t, 1, srv.Requests(), "a malformed 200 is not retried")
		})
	}
}

func TestExportsGetEndsWithTheContext(t *testing.T) {
	t.Parallel() // slow under -race, and shares nothing with other tests
	t.Run("deadline while the answer is held back", func(t *testing.T) {
		f := setup(t)
		f.srv.InjectFault(atlastest.Fault{Route: atlastest.RouteGetExport, Delay: time.Hour})
		ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
		defer cancel()
		job, err := f.client.Exports.Get(ctx, testGroupID, testCluster, testExportID)
		assert.Nil(t, job)
		require.ErrorIs(t, err, context.DeadlineExceeded)
		assert.NotErrorIs(t, err, atlas.ErrServer)
		assert.Equal(t, 1, f.srv.Requests(atlastest.RouteGetExport), "in flight once, not retried")
	})
	t.Run("cancelled before the call", func(t *testing.T) {
		f := setup(t)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		job, err := f.client.Exports.Get(ctx, testGroupID, testCluster, testExportID)
		assert.Nil(t, job)
		assert.ErrorIs(t, err, context.Canceled)
		assert.Zero(t, f.srv.Requests(""), "nothing sent, not even a grant")
	})
}

func TestExportsGetConcurrent(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.srv.AddExportJob(testGroupID, testCluster, &atlas.ExportJob{ID: testExportID, ExportBucketID: testBucket})
	const n = 50
	for _, job := range getTogether(t, f.client, n) {
		assert.Equal(t, testExportID, job.ID)
	}
	assert.Equal(t, n, f.srv.Requests(atlastest.RouteGetExport))
	assert.Equal(t, 1, f.srv.TokenGrants(), "one token shared by every goroutine")
}

func TestExportsGetRefusesRedirects(t *testing.T) {
	t.Parallel()
	// The other server stands for wherever a hostile or misconfigured proxy points: it must
	// not receive the request, nor the credential that would come with it.
	elsewhere := newServer(t)
	elsewhere.Mux.HandleFunc("/", serveJob)
	srv := newServer(t)
	srv.Mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, elsewhere.URL+r.URL.Path, http.StatusFound)
	})
	for name, opt := range map[string]atlas.Option{
		"default client": nil,
		// A caller's client that follows redirects does not change the SDK's policy.
		"caller's client": atlas.WithHTTPClient(&http.Client{
			CheckRedirect: func(*http.Request, []*http.Request) error { return nil },
		}),
	} {
		t.Run(name, func(t *testing.T) {
			c := newClient(t, srv, atlas.WithAccessToken(testToken), opt)
			job, err := c.Exports.Get(t.Context(), testGroupID, testCluster, testExportID)
			assert.Nil(t, job)
			require.ErrorIs(t, err, atlas.ErrRedirect)
			assert.NotContains(t, err.Error(), testToken)
		})
	}
	assert.EqualValues(t, 2, srv.Requests(), "one request per client, not retried")
	assert.Zero(t, elsewhere.Requests(), "the redirect target must receive nothing")
}

func TestExportsCreateSendsExactlyTheRequestDocument(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		labels []atlas.Label
		body   string
	}{
		{"with custom data", []atlas.Label{{Key: "team", Value: "analytics"}, {Key: "ticket", Value: "OPS-7"}},
			`{"snapshotId":"` + testSnapshot + `","exportBucketId":"` + testBucket +
				`","customData":[{"key":"team","value":"analytics"},{"key":"ticket","value":"OPS-7"}]}`},
		{"without custom data", nil, `{"snapshotId":"` + testSnapshot + `","exportBucketId":"` + testBucket + `"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := setup(t)
			job, err := f.client.Exports.Create(t.Context(), testGroupID, testCluster, &atlas.CreateExportJobRequest{
				SnapshotID: testSnapshot, ExportBucketID: testBucket, CustomData: tc.labels,
			})
			require.NoError(t, err)
			assert.Len(t, job.ID, 24)
			assert.Equal(t, atlas.ExportStateQueued, job.State)
			assert.Equal(t, testSnapshot, job.SnapshotID)
			assert.Equal(t, testBucket, job.ExportBucketID)
			assert.Equal(t, tc.labels, job.CustomData)
			assertSent(t, f.wire.only(t), http.MethodPost, exportsPath, "application/vnd.atlas.2023-01-01+json", tc.body)

			stored := f.srv.ExportJobs(testGroupID, testCluster)
			require.Len(t, stored, 1)
			assert.Equal(t, job.ID, stored[0].ID)
		})
	}
}

// createCalls are the two ways to start an export, which check their arguments alike.
var createCalls = map[string]func(context.Context, *atlas.Client, string, string, *atlas.CreateExportJobRequest) (*atlas.ExportJob, error){
	"Create": func(ctx context.Context, c *atlas.Client, g, cl string, r *atlas.CreateExportJobRequest) (*atlas.ExportJob, error) {
		return c.Exports.Create(ctx, g, cl, r)
	},
	"Ensure": func(ctx context.Context, c *atlas.Client, g, cl string, r *atlas.CreateExportJobRequest) (*atlas.ExportJob, error) {
		return c.Exports.Ensure(ctx, g, cl, r)
	},
}

func TestExportsCreateAndEnsureRefuseBadArgumentsWithoutARequest(t *testing.T) {
	t.Parallel()
	good := atlas.CreateExportJobRequest{SnapshotID: testSnapshot, ExportBucketID: testBucket}
	with := func(change func(*atlas.CreateExportJobRequest)) *atlas.CreateExportJobRequest {
		r := good
		change(&r)
		return &r
	}
	for _, tc := range []struct {
		name           string
		group, cluster string
		req            *atlas.CreateExportJobRequest
		param          string
	}{
		{"nil request", testGroupID, testCluster, nil, "req"},
		{"empty snapshot", testGroupID, testCluster, with(func(r *atlas.CreateExportJobRequest) { r.SnapshotID = "" }), "SnapshotID"},
		{"upper-case snapshot", testGroupID, testCluster, with(func(r *atlas.CreateExportJobRequest) { r.SnapshotID = "32B6E34B3D91647ABB20E7B8" }), "SnapshotID"},
		{"short snapshot", testGroupID, testCluster, with(func(r *atlas.CreateExportJobRequest) { r.SnapshotID = testSnapshot[1:] }), "SnapshotID"},
		{"empty bucket", testGroupID, testCluster, with(func(r *atlas.CreateExportJobRequest) { r.ExportBucketID = "" }), "ExportBucketID"},
		{"bucket with a slash", testGroupID, testCluster, with(func(r *atlas.CreateExportJobRequest) { r.ExportBucketID = "7c8d9e0f6a0b/c2d3e4f5a6b" }), "ExportBucketID"},
		{"long bucket", testGroupID, testCluster, with(func(r *atlas.CreateExportJobRequest) { r.ExportBucketID = testBucket + "0" }), "ExportBucketID"},
		{"bad group", "not-a-group", testCluster, &good, "groupID"},
		{"bad cluster", testGroupID, "-Cluster0", &good, "clusterName"},
	} {
		for name, call := range createCalls {
			t.Run(name+"/"+tc.name, func(t *testing.T) {
				f := setup(t)
				job, err := call(t.Context(), f.client, tc.group, tc.cluster, tc.req)
				assert.Nil(t, job)
				assertNothingSent(t, f, err, tc.param)
			})
		}
	}
}

// TestExportsCreateNamesEveryBadID: a request with two bad ids names both, so that a caller
// fixes them in one go, and repeats neither value.
func TestExportsCreateNamesEveryBadID(t *testing.T) {
	t.Parallel()
	f := setup(t)
	req := &atlas.CreateExportJobRequest{SnapshotID: "snapshot-canary", ExportBucketID: "bucket-canary"}
	for name, call := range createCalls {
		job, err := call(t.Context(), f.client, testGroupID, testCluster, req)
		assert.Nil(t, job)
		assertNothingSent(t, f, err, "SnapshotID")
		assert.Contains(t, err.Error(), "SnapshotID", name)
		assert.Contains(t, err.Error(), "ExportBucketID", name)
		assert.NotContains(t, err.Error(), "canary", name)
	}
}

// TestExportsCreateAndEnsureSurfaceTheServersRefusals: Atlas refuses an export of a snapshot or
// to a bucket it does not know (404), and of a snapshot that is not completed (400), after
// the client's own checks passed. Each is a typed error the caller can branch on.
func TestExportsCreateAndEnsureSurfaceTheServersRefusals(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		snapshotID string
		bucketID   string
		status     int
		code       string
		is         error
	}{
		{"unknown snapshot", testOtherID, testBucket, http.StatusNotFound, "SNAPSHOT_NOT_FOUND", atlas.ErrNotFound},
		{"unknown bucket", testSnapshot, testOtherID, http.StatusNotFound, "EXPORT_BUCKET_NOT_FOUND", atlas.ErrNotFound},
		{"snapshot not completed", "", testBucket, http.StatusBadRequest, "CANNOT_EXPORT_INCOMPLETE_SNAPSHOT", nil},
	} {
		for name, call := range createCalls {
			t.Run(name+"/"+tc.name, func(t *testing.T) {
				f := setup(t)
				snapshotID := tc.snapshotID
				if snapshotID == "" {
					snapshotID = f.srv.AddSnapshot(testGroupID, testCluster, &atlas.Snapshot{Status: atlas.SnapshotStatusInProgress})
				}
				job, err := call(t.Context(), f.client, testGroupID, testCluster,
					&atlas.CreateExportJobRequest{SnapshotID: snapshotID, ExportBucketID: tc.bucketID})
				assert.Nil(t, job)
				apiErr := assertAPIError(t, err, tc.status, tc.code)
				if tc.is != nil {
					assert.ErrorIs(t, err, tc.is)
				}
				if tc.status == http.StatusBadRequest {
					assert.Equal(t, []atlas.FieldViolation{{Field: "snapshotId", Description: "names a snapshot that is not completed"}},
						apiErr.BadRequestDetail.Fields)
					assert.Contains(t, err.Error(), "snapshotId: names a snapshot that is not completed")
				}
				assert.NotErrorIs(t, err, atlas.ErrInvalidArgument, "the server refused it, not the client")
				assert.Equal(t, 1, f.srv.Requests(atlastest.RouteCreateExport))
				assert.Empty(t, f.srv.ExportJobs(testGroupID, testCluster))
			})
		}
	}
}

// TestExportsCreateIsRepeatedOnlyWhenRefusedUnprocessed checks the wire side of the create
// policy (the policy itself is table-tested in retry_test.go): a create that may have reached
// the server is sent once, and a 429, which Atlas answers before acting, is sent again with
// the same body and makes one job.
func TestExportsCreateIsRepeatedOnlyWhenRefusedUnprocessed(t *testing.T) {
	t.Parallel() // slow under -race, and shares nothing with other tests
	for _, tc := range []struct {
		name    string
		fault   atlastest.Fault
		timeout time.Duration // per attempt; zero for none
		is      error         // the sentinel the error matches; nil for a transport error
	}{
		{name: "500", fault: atlastest.Fault{Status: http.StatusInternalServerError}, is: atlas.ErrServer},
		{name: "502", fault: atlastest.Fault{Status: http.StatusBadGateway}, is: atlas.ErrServer},
		{name: "503 with Retry-After", fault: atlastest.Fault{Status: http.StatusServiceUnavailable, RetryAfter: time.Second}, is: atlas.ErrServer},
		{name: "dropped connection", fault: atlastest.Fault{Drop: true}},
		{name: "attempt timeout", fault: atlastest.Fault{Delay: time.Hour}, timeout: 50 * time.Millisecond, is: context.DeadlineExceeded},
		{name: "429", fault: atlastest.Fault{Status: http.StatusTooManyRequests, RetryAfter: time.Second}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := setup(t)
			c := f.client
			if tc.timeout > 0 {
				c = f.connect(t, atlas.WithServiceAccount(f.srv.ClientID, f.srv.ClientSecret), tc.timeout)
			}
			// Warm up: a token and a kept-alive connection, so that a drop hits a reused
			// connection, the case in which net/http itself may resend an idempotent request.
			_, err := c.Exports.List(t.Context(), testGroupID, testCluster, nil)
			require.NoError(t, err)
			f.srv.ResetCounters()
			f.wire.reset()

			fault := tc.fault
			fault.Route = atlastest.RouteCreateExport
			f.srv.InjectFault(fault)
			job, err := c.Exports.Create(t.Context(), testGroupID, testCluster,
				&atlas.CreateExportJobRequest{SnapshotID: testSnapshot, ExportBucketID: testBucket})
			sent := f.wire.requests()
			if tc.fault.Status == http.StatusTooManyRequests {
				require.NoError(t, err)
				assert.Equal(t, 2, f.srv.Requests(atlastest.RouteCreateExport), "refused unprocessed, then sent again")
				require.Len(t, sent, 2)
				assert.Equal(t, sent[0].Body, sent[1].Body, "the same document both times")
				stored := f.srv.ExportJobs(testGroupID, testCluster)
				require.Len(t, stored, 1, "one job")
				assert.Equal(t, stored[0].ID, job.ID)
				return
			}
			assert.Nil(t, job)
			require.Error(t, err)
			if tc.is != nil {
				assert.ErrorIs(t, err, tc.is)
			}
			assert.Equal(t, 1, f.srv.Requests(atlastest.RouteCreateExport), "exactly one createExport request")
			assert.Equal(t, 1, f.srv.Requests(""), "and no other request")
			assert.Len(t, sent, 1)
		})
	}
}

// TestExportsCreateOverDigest creates, lists and waits with an API key, the other auth
// scheme: the digest handshake does not create a second job.
func TestExportsCreateOverDigest(t *testing.T) {
	t.Parallel()
	f := setup(t, atlastest.WithAutoAdvance())
	c := f.connect(t, atlas.WithDigest(f.srv.PublicKey, f.srv.PrivateKey), 0)
	recordSleeps(c)
	ctx := t.Context()

	created, err := c.Exports.Create(ctx, testGroupID, testCluster, &atlas.CreateExportJobRequest{SnapshotID: testSnapshot, ExportBucketID: testBucket})
	require.NoError(t, err)
	page, err := c.Exports.List(ctx, testGroupID, testCluster, nil)
	require.NoError(t, err)
	assert.Equal(t, 1, page.TotalCount, "one job, though the first POST met a digest challenge")
	require.Len(t, page.Results, 1)
	assert.Equal(t, created.ID, page.Results[0].ID)

	done, err := c.Exports.Wait(ctx, testGroupID, testCluster, created.ID, nil)
	require.NoError(t, err)
	assert.Equal(t, atlas.ExportStateSuccessful, done.State)
	assert.Equal(t, 1, f.srv.DigestChallenges(), "the challenge was reused")
	assert.Equal(t, 2, f.srv.Requests(atlastest.RouteCreateExport), "the challenged POST and the signed one")
	assert.Len(t, f.srv.ExportJobs(testGroupID, testCluster), 1)
}
