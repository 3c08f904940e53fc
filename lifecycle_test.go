package atlas_test

// Tests of the export-job lifecycle (List, All, Create, Wait) against the atlastest fake, which
// speaks the wire contract: real auth, paging with links and totalCount, create validation,
// jobs that advance under the test's control, and faults. Identifiers here start with lc so
// that they cannot collide with the other test files of the package.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/atlas-exports/atlas"
	"github.com/atlas-exports/atlas/atlastest"
)

const (
	lcGroup    = "32b6e34b3d91647abb20e7b8"
	lcCluster  = "Cluster0"
	lcSnapshot = "5e4f3a2b1c0d9e8f7a6b5c4d"
	lcBucket   = "6a7b8c9d0e1f2a3b4c5d6e7f"
)

// lcSent is one request as it left the client, below authentication.
type lcSent struct {
	method string
	path   string
	query  url.Values
	header http.Header
	body   []byte
}

// lcRecorder is a base transport that records every request the client sends to the API (not
// the token endpoint) and passes it on.
type lcRecorder struct {
	base http.RoundTripper
	mu   sync.Mutex
	sent []lcSent
}

func (r *lcRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		var err error
		if body, err = io.ReadAll(req.Body); err != nil {
			return nil, err
		}
		_ = req.Body.Close()
		req = req.Clone(req.Context())
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	if req.URL.Path != "/api/oauth/token" {
		r.mu.Lock()
		r.sent = append(r.sent, lcSent{req.Method, req.URL.Path, req.URL.Query(), req.Header.Clone(), body})
		r.mu.Unlock()
	}
	return r.base.RoundTrip(req)
}

// requests returns what was recorded so far.
func (r *lcRecorder) requests() []lcSent {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.sent)
}

// lcFake starts a fake with the test's cluster and a client that logs in to it as a service
// account (so every API request is one request on its route: the grant has a route of its own)
// with retries that wait a millisecond. The recorder sees every API request.
func lcFake(t *testing.T, opts ...atlastest.Option) (*atlastest.Server, *atlas.Client, *lcRecorder) {
	t.Helper()
	srv := atlastest.NewServer(opts...)
	t.Cleanup(srv.Close)
	srv.AddCluster(lcGroup, lcCluster)
	transport := &http.Transport{}
	t.Cleanup(transport.CloseIdleConnections)
	rec := &lcRecorder{base: transport}
	c, err := atlas.NewClient(
		atlas.WithBaseURL(srv.URL),
		atlas.WithServiceAccount(srv.ClientID, srv.ClientSecret),
		atlas.WithHTTPClient(&http.Client{Transport: rec}),
		atlas.WithRetry(atlas.RetryPolicy{MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond}),
	)
	require.NoError(t, err)
	return srv, c, rec
}

// lcAddJobs stores n Successful jobs and returns their ids in the order List returns them.
func lcAddJobs(srv *atlastest.Server, n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = srv.AddExportJob(lcGroup, lcCluster, &atlas.ExportJob{
			SnapshotID:     lcSnapshot,
			ExportBucketID: lcBucket,
			State:          atlas.ExportStateSuccessful,
			ExportStatus:   &atlas.ExportStatus{ExportedCollections: 2, TotalCollections: 2},
		})
	}
	return ids
}

func lcIDs(jobs []*atlas.ExportJob) []string {
	ids := make([]string, len(jobs))
	for i, j := range jobs {
		ids[i] = j.ID
	}
	return ids
}

func TestListPagesWithTotalCount(t *testing.T) {
	srv, c, rec := lcFake(t)
	ids := lcAddJobs(srv, 7)
	ctx := context.Background()

	var got []string
	for page, want := range []int{3, 3, 1} {
		p, err := c.Exports.List(ctx, lcGroup, lcCluster, &atlas.ListOptions{PageNum: page + 1, ItemsPerPage: 3})
		require.NoError(t, err)
		assert.Len(t, p.Results, want, "page %d", page+1)
		assert.Equal(t, 7, p.TotalCount, "page %d", page+1)
		hasNext := slices.ContainsFunc(p.Links, func(l atlas.Link) bool { return l.Rel == "next" })
		assert.Equal(t, page < 2, hasNext, "page %d: a next link on all but the last page", page+1)
		got = append(got, lcIDs(p.Results)...)
	}
	assert.Equal(t, ids, got, "the pages hold every job once, in order")

	sent := rec.requests()
	require.Len(t, sent, 3)
	for i, r := range sent {
		assert.Equal(t, url.Values{"pageNum": {fmt.Sprint(i + 1)}, "itemsPerPage": {"3"}}, r.query)
	}
}

func TestListIncludeCount(t *testing.T) {
	srv, c, rec := lcFake(t)
	lcAddJobs(srv, 2)
	ctx := context.Background()

	p, err := c.Exports.List(ctx, lcGroup, lcCluster, nil)
	require.NoError(t, err)
	assert.Equal(t, 2, p.TotalCount)
	assert.Len(t, p.Results, 2)

	p, err = c.Exports.List(ctx, lcGroup, lcCluster, &atlas.ListOptions{OmitCount: true})
	require.NoError(t, err)
	assert.Zero(t, p.TotalCount, "no count was asked for")
	assert.Len(t, p.Results, 2)

	sent := rec.requests()
	require.Len(t, sent, 2)
	assert.Empty(t, sent[0].query, "nil options send no query: the server's defaults apply")
	assert.Equal(t, url.Values{"includeCount": {"false"}}, sent[1].query)
}

func TestListAndAllRefuseBadOptionsWithoutARequest(t *testing.T) {
	for _, tc := range []struct {
		opts atlas.ListOptions
		name string
	}{
		{atlas.ListOptions{ItemsPerPage: 501}, "ItemsPerPage"},
		{atlas.ListOptions{ItemsPerPage: -1}, "ItemsPerPage"},
		{atlas.ListOptions{PageNum: -1}, "PageNum"},
		{atlas.ListOptions{PageNum: -3, ItemsPerPage: 10}, "PageNum"},
	} {
		t.Run(fmt.Sprintf("%+v", tc.opts), func(t *testing.T) {
			srv, c, _ := lcFake(t)
			lcAddJobs(srv, 1)
			opts := tc.opts

			_, err := c.Exports.List(context.Background(), lcGroup, lcCluster, &opts)
			require.ErrorIs(t, err, atlas.ErrInvalidArgument)
			var ia *atlas.InvalidArgumentError
			require.ErrorAs(t, err, &ia)
			assert.Equal(t, tc.name, ia.Name)

			n := 0
			for job, err := range c.Exports.All(context.Background(), lcGroup, lcCluster, &opts) {
				n++
				assert.Nil(t, job)
				assert.ErrorIs(t, err, atlas.ErrInvalidArgument)
			}
			assert.Equal(t, 1, n, "All yields the error once")
			assert.Zero(t, srv.Requests(""), "nothing reached the server, not even a token grant")
		})
	}
}

func TestListBoundsAreAccepted(t *testing.T) {
	srv, c, rec := lcFake(t)
	lcAddJobs(srv, 2)
	for _, n := range []int{1, 500} {
		p, err := c.Exports.List(context.Background(), lcGroup, lcCluster, &atlas.ListOptions{ItemsPerPage: n})
		require.NoError(t, err, "itemsPerPage=%d is inside 1..500", n)
		assert.Len(t, p.Results, min(n, 2))
	}
	assert.Len(t, rec.requests(), 2)
}

func TestAllWalksEveryPageInOrder(t *testing.T) {
	srv, c, rec := lcFake(t)
	ids := lcAddJobs(srv, 7)

	seq := c.Exports.All(context.Background(), lcGroup, lcCluster, &atlas.ListOptions{ItemsPerPage: 3})
	assert.Zero(t, srv.Requests(atlastest.RouteListExports), "building the iterator sends nothing")

	var got []string
	for job, err := range seq {
		require.NoError(t, err)
		got = append(got, job.ID)
	}
	assert.Equal(t, ids, got)
	assert.Equal(t, 3, srv.Requests(atlastest.RouteListExports), "three pages of 3, 3 and 1")
	for i, r := range rec.requests() {
		assert.Equal(t, fmt.Sprint(i+1), r.query.Get("pageNum"))
		assert.Equal(t, "3", r.query.Get("itemsPerPage"))
	}
}

func TestAllStartsAtPageNum(t *testing.T) {
	srv, c, _ := lcFake(t)
	ids := lcAddJobs(srv, 5)
	var got []string
	for job, err := range c.Exports.All(context.Background(), lcGroup, lcCluster, &atlas.ListOptions{PageNum: 2, ItemsPerPage: 2}) {
		require.NoError(t, err)
		got = append(got, job.ID)
	}
	assert.Equal(t, ids[2:], got)
	assert.Equal(t, 2, srv.Requests(atlastest.RouteListExports))
}

func TestAllStopsFetchingWhenTheLoopBreaks(t *testing.T) {
	for _, tc := range []struct {
		take, pages int
	}{
		{take: 1, pages: 1}, // break inside the first page
		{take: 3, pages: 1}, // break on the first page's last job: the next page is not needed yet
		{take: 4, pages: 2}, // break inside the second page
	} {
		t.Run(fmt.Sprintf("take %d", tc.take), func(t *testing.T) {
			srv, c, _ := lcFake(t)
			ids := lcAddJobs(srv, 9)
			var got []string
			for job, err := range c.Exports.All(context.Background(), lcGroup, lcCluster, &atlas.ListOptions{ItemsPerPage: 3}) {
				require.NoError(t, err)
				got = append(got, job.ID)
				if len(got) == tc.take {
					break
				}
			}
			assert.Equal(t, ids[:tc.take], got)
			assert.Equal(t, tc.pages, srv.Requests(atlastest.RouteListExports),
				"only the pages the loop reached were fetched")
		})
	}
}

func TestAllYieldsAFailedPageOnceAndStops(t *testing.T) {
	srv, c, _ := lcFake(t)
	ids := lcAddJobs(srv, 6)

	var got []string
	var errs []error
	for job, err := range c.Exports.All(context.Background(), lcGroup, lcCluster, &atlas.ListOptions{ItemsPerPage: 3}) {
		if err != nil {
			assert.Nil(t, job)
			errs = append(errs, err)
			continue // the iterator, not the caller, must end the walk
		}
		got = append(got, job.ID)
		if len(got) == 1 {
			// Every attempt at the second page fails, retries included.
			srv.InjectFault(atlastest.Fault{Route: atlastest.RouteListExports, Status: http.StatusInternalServerError, Times: 100})
		}
	}
	assert.Equal(t, ids[:3], got, "the first page's jobs come before the error")
	require.Len(t, errs, 1, "the error is yielded once")
	assert.ErrorIs(t, errs[0], atlas.ErrServer)
	var apiErr *atlas.APIError
	require.ErrorAs(t, errs[0], &apiErr)
	assert.Equal(t, http.StatusInternalServerError, apiErr.StatusCode)
	assert.Equal(t, 1+atlas.DefaultMaxAttempts, srv.Requests(atlastest.RouteListExports),
		"one good page, then the retries of the failed one, then nothing")
}

func TestCreateSendsExactlyTheRequestDocument(t *testing.T) {
	for _, tc := range []struct {
		name     string
		labels   []atlas.Label
		wantKeys []string
	}{
		{"with custom data", []atlas.Label{{Key: "team", Value: "analytics"}, {Key: "ticket", Value: "OPS-7"}},
			[]string{"customData", "exportBucketId", "snapshotId"}},
		{"without custom data", nil, []string{"exportBucketId", "snapshotId"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, c, rec := lcFake(t)
			job, err := c.Exports.Create(context.Background(), lcGroup, lcCluster, &atlas.CreateExportJobRequest{
				SnapshotID: lcSnapshot, ExportBucketID: lcBucket, CustomData: tc.labels,
			})
			require.NoError(t, err)
			assert.Len(t, job.ID, 24)
			assert.Equal(t, atlas.ExportStateQueued, job.State)
			assert.Equal(t, lcSnapshot, job.SnapshotID)
			assert.Equal(t, lcBucket, job.ExportBucketID)
			assert.Equal(t, tc.labels, job.CustomData)

			sent := rec.requests()
			require.Len(t, sent, 1)
			r := sent[0]
			assert.Equal(t, http.MethodPost, r.method)
			assert.Equal(t, "/api/atlas/v2/groups/"+lcGroup+"/clusters/"+lcCluster+"/backup/exports", r.path)
			assert.Equal(t, []string{atlas.MediaType}, r.header.Values("Content-Type"))
			assert.Equal(t, "application/vnd.atlas.2023-01-01+json", r.header.Get("Content-Type"))
			assert.Equal(t, []string{atlas.MediaType}, r.header.Values("Accept"))

			var doc map[string]json.RawMessage
			require.NoError(t, json.Unmarshal(r.body, &doc), "body: %s", r.body)
			keys := make([]string, 0, len(doc))
			for k := range doc {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			assert.Equal(t, tc.wantKeys, keys, "body: %s", r.body)
			assert.JSONEq(t, `"`+lcSnapshot+`"`, string(doc["snapshotId"]))
			assert.JSONEq(t, `"`+lcBucket+`"`, string(doc["exportBucketId"]))
			if tc.labels != nil {
				assert.JSONEq(t, `[{"key":"team","value":"analytics"},{"key":"ticket","value":"OPS-7"}]`, string(doc["customData"]))
			}

			stored := srv.ExportJobs(lcGroup, lcCluster)
			require.Len(t, stored, 1)
			assert.Equal(t, job.ID, stored[0].ID)
		})
	}
}

func TestCreateRefusesBadArgumentsWithoutARequest(t *testing.T) {
	good := atlas.CreateExportJobRequest{SnapshotID: lcSnapshot, ExportBucketID: lcBucket}
	with := func(f func(*atlas.CreateExportJobRequest)) *atlas.CreateExportJobRequest {
		r := good
		f(&r)
		return &r
	}
	for _, tc := range []struct {
		name             string
		group, cluster   string
		req              *atlas.CreateExportJobRequest
		wantArgumentName string
	}{
		{"nil request", lcGroup, lcCluster, nil, "req"},
		{"empty snapshot", lcGroup, lcCluster, with(func(r *atlas.CreateExportJobRequest) { r.SnapshotID = "" }), "SnapshotID"},
		{"upper-case snapshot", lcGroup, lcCluster, with(func(r *atlas.CreateExportJobRequest) { r.SnapshotID = "5E4F3A2B1C0D9E8F7A6B5C4D" }), "SnapshotID"},
		{"short snapshot", lcGroup, lcCluster, with(func(r *atlas.CreateExportJobRequest) { r.SnapshotID = lcSnapshot[1:] }), "SnapshotID"},
		{"empty bucket", lcGroup, lcCluster, with(func(r *atlas.CreateExportJobRequest) { r.ExportBucketID = "" }), "ExportBucketID"},
		{"bucket with a slash", lcGroup, lcCluster, with(func(r *atlas.CreateExportJobRequest) { r.ExportBucketID = "6a7b8c9d0e1f/a3b4c5d6e7f" }), "ExportBucketID"},
		{"long bucket", lcGroup, lcCluster, with(func(r *atlas.CreateExportJobRequest) { r.ExportBucketID = lcBucket + "0" }), "ExportBucketID"},
		{"bad group", "not-a-group", lcCluster, &good, "groupID"},
		{"bad cluster", lcGroup, "-Cluster0", &good, "clusterName"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, c, _ := lcFake(t)
			job, err := c.Exports.Create(context.Background(), tc.group, tc.cluster, tc.req)
			assert.Nil(t, job)
			require.ErrorIs(t, err, atlas.ErrInvalidArgument)
			var ia *atlas.InvalidArgumentError
			require.ErrorAs(t, err, &ia)
			assert.Equal(t, tc.wantArgumentName, ia.Name)
			assert.Zero(t, srv.Requests(""), "nothing reached the server")
		})
	}
}

func TestCreateReportsTheServersBadRequestDetail(t *testing.T) {
	srv, c, _ := lcFake(t)
	// A 400 the service sends for a body that passed the client's checks (the fake's own
	// validation cannot be reached through the SDK, which checks first).
	srv.InjectFault(atlastest.Fault{
		Route:  atlastest.RouteCreateExport,
		Status: http.StatusBadRequest,
		Body: []byte(`{"badRequestDetail":{"fields":[{"description":"must reference an existing snapshot","field":"snapshotId"}]},` +
			`"detail":"The request body is invalid: snapshotId must reference an existing snapshot.",` +
			`"error":400,"errorCode":"VALIDATION_ERROR","parameters":["snapshotId"],"reason":"Bad Request"}`),
	})
	job, err := c.Exports.Create(context.Background(), lcGroup, lcCluster,
		&atlas.CreateExportJobRequest{SnapshotID: lcSnapshot, ExportBucketID: lcBucket})
	assert.Nil(t, job)
	var apiErr *atlas.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusBadRequest, apiErr.StatusCode)
	assert.Equal(t, "VALIDATION_ERROR", apiErr.ErrorCode)
	assert.Equal(t, "Bad Request", apiErr.Reason)
	assert.Equal(t, "The request body is invalid: snapshotId must reference an existing snapshot.", apiErr.Detail)
	assert.Equal(t, []any{"snapshotId"}, apiErr.Parameters)
	assert.Equal(t, []atlas.FieldViolation{{Description: "must reference an existing snapshot", Field: "snapshotId"}},
		apiErr.BadRequestDetail.Fields)
	assert.Contains(t, err.Error(), "snapshotId: must reference an existing snapshot")
	assert.NotErrorIs(t, err, atlas.ErrInvalidArgument, "the server refused it, not the client")
	assert.Equal(t, 1, srv.Requests(atlastest.RouteCreateExport))
	assert.Empty(t, srv.ExportJobs(lcGroup, lcCluster))
}

func TestCreateIsNeverSentTwice(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault atlastest.Fault
		is    error // the sentinel the error must match; nil for a transport error
	}{
		{"500", atlastest.Fault{Status: http.StatusInternalServerError}, atlas.ErrServer},
		{"503 with Retry-After", atlastest.Fault{Status: http.StatusServiceUnavailable, RetryAfter: time.Second}, atlas.ErrServer},
		{"502", atlastest.Fault{Status: http.StatusBadGateway}, atlas.ErrServer},
		{"429", atlastest.Fault{Status: http.StatusTooManyRequests, RetryAfter: time.Second}, atlas.ErrRateLimited},
		{"dropped connection", atlastest.Fault{Drop: true}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, c, _ := lcFake(t)
			ctx := context.Background()
			// Warm up: a token and a kept-alive connection, so that the drop hits a reused
			// connection, the case in which net/http itself may resend an idempotent request.
			_, err := c.Exports.List(ctx, lcGroup, lcCluster, nil)
			require.NoError(t, err)
			srv.ResetCounters()

			f := tc.fault
			f.Route, f.Times = atlastest.RouteCreateExport, 10
			srv.InjectFault(f)
			job, err := c.Exports.Create(ctx, lcGroup, lcCluster,
				&atlas.CreateExportJobRequest{SnapshotID: lcSnapshot, ExportBucketID: lcBucket})
			assert.Nil(t, job)
			require.Error(t, err)
			if tc.is != nil {
				assert.ErrorIs(t, err, tc.is)
			}
			assert.Equal(t, 1, srv.Requests(atlastest.RouteCreateExport), "exactly one createExport request")
			assert.Equal(t, 1, srv.Requests(""), "and no other request")
		})
	}
}

// lcPoll is what OnProgress saw at one poll.
type lcPoll struct {
	state    atlas.ExportState
	exported int32
}

func lcPolls(jobs []*atlas.ExportJob) []lcPoll {
	out := make([]lcPoll, len(jobs))
	for i, j := range jobs {
		out[i].state = j.State
		if j.ExportStatus != nil {
			out[i].exported = j.ExportStatus.ExportedCollections
		}
	}
	return out
}

func TestWaitReportsProgressUntilSuccess(t *testing.T) {
	srv, c, _ := lcFake(t)
	id := srv.AddExportJob(lcGroup, lcCluster, &atlas.ExportJob{
		SnapshotID: lcSnapshot, ExportBucketID: lcBucket, State: atlas.ExportStateQueued,
		ExportStatus: &atlas.ExportStatus{TotalCollections: 3},
	})

	var seen []*atlas.ExportJob
	job, err := c.Exports.Wait(context.Background(), lcGroup, lcCluster, id, &atlas.WaitOptions{
		PollInterval: time.Millisecond,
		OnProgress: func(j *atlas.ExportJob) {
			seen = append(seen, j)
			srv.AdvanceExport(id) // the next poll sees the next step
		},
	})
	require.NoError(t, err)
	require.NotNil(t, job)
	assert.Equal(t, atlas.ExportStateSuccessful, job.State)
	assert.False(t, job.FinishedAt.IsZero())
	assert.Equal(t, &atlas.ExportStatus{ExportedCollections: 3, TotalCollections: 3}, job.ExportStatus)

	assert.Equal(t, []lcPoll{
		{atlas.ExportStateQueued, 0},
		{atlas.ExportStateInProgress, 0},
		{atlas.ExportStateInProgress, 1},
		{atlas.ExportStateInProgress, 2},
		{atlas.ExportStateSuccessful, 3},
	}, lcPolls(seen), "OnProgress sees every poll, the collections climbing")
	assert.Same(t, job, seen[len(seen)-1], "the last poll is the result")
	assert.Equal(t, len(seen), srv.Requests(atlastest.RouteGetExport), "one OnProgress call per poll")
}

func TestWaitEndsWithTheFailureReason(t *testing.T) {
	reason := atlas.StateReason{ErrorCode: "EXPORT_BUCKET_ACCESS_DENIED", Message: "Access to the S3 bucket was denied."}
	for _, tc := range []struct {
		name   string
		end    func(srv *atlastest.Server, id string)
		state  atlas.ExportState
		reason *atlas.StateReason
	}{
		{"failed", func(srv *atlastest.Server, id string) { srv.FailExport(id, reason) }, atlas.ExportStateFailed, &reason},
		{"cancelled", func(srv *atlastest.Server, id string) { srv.CancelExport(id) }, atlas.ExportStateCancelled, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, c, _ := lcFake(t)
			id := srv.AddExportJob(lcGroup, lcCluster, &atlas.ExportJob{
				State: atlas.ExportStateInProgress, ExportStatus: &atlas.ExportStatus{ExportedCollections: 1, TotalCollections: 4},
			})
			polls := 0
			job, err := c.Exports.Wait(context.Background(), lcGroup, lcCluster, id, &atlas.WaitOptions{
				PollInterval: time.Millisecond,
				OnProgress: func(*atlas.ExportJob) {
					if polls++; polls == 2 {
						tc.end(srv, id)
					}
				},
			})
			require.ErrorIs(t, err, atlas.ErrExportFailed)
			var failed *atlas.ExportFailedError
			require.ErrorAs(t, err, &failed)
			assert.Equal(t, tc.reason, failed.Job.StateReason)
			assert.Equal(t, tc.state, failed.Job.State)
			require.NotNil(t, job, "the job comes back with the error")
			assert.Equal(t, tc.state, job.State)
			assert.Equal(t, tc.reason, job.StateReason)
			assert.Contains(t, err.Error(), string(tc.state))
			if tc.reason != nil {
				assert.Contains(t, err.Error(), reason.ErrorCode)
				assert.Contains(t, err.Error(), reason.Message)
			}
			assert.Equal(t, 3, polls, "the poll after the failure is the last")
		})
	}
}

func TestWaitKeepsWaitingThroughAnUnknownState(t *testing.T) {
	srv, c, _ := lcFake(t)
	job := &atlas.ExportJob{State: "Paused", ExportStatus: &atlas.ExportStatus{ExportedCollections: 1, TotalCollections: 2}}
	job.ID = srv.AddExportJob(lcGroup, lcCluster, job)

	var states []atlas.ExportState
	got, err := c.Exports.Wait(context.Background(), lcGroup, lcCluster, job.ID, &atlas.WaitOptions{
		PollInterval: time.Millisecond,
		MaxInterval:  time.Millisecond,
		OnProgress: func(j *atlas.ExportJob) {
			states = append(states, j.State)
			if len(states) == 3 {
				done := *job
				done.State = atlas.ExportStateSuccessful
				srv.AddExportJob(lcGroup, lcCluster, &done) // replaces the job
			}
		},
	})
	require.NoError(t, err)
	assert.Equal(t, atlas.ExportStateSuccessful, got.State)
	assert.Equal(t, []atlas.ExportState{"Paused", "Paused", "Paused", atlas.ExportStateSuccessful}, states)
}

func TestWaitEndsPromptlyAtTheDeadline(t *testing.T) {
	for _, tc := range []struct {
		name  string
		opts  atlas.WaitOptions
		ctx   time.Duration // the context's timeout; zero for none
		fault *atlastest.Fault
	}{
		// A poll interval far longer than the test: Wait must not sleep through the deadline.
		{name: "context deadline while sleeping", opts: atlas.WaitOptions{PollInterval: time.Hour}, ctx: 50 * time.Millisecond},
		{name: "MaxWait while sleeping", opts: atlas.WaitOptions{PollInterval: time.Hour, MaxWait: 50 * time.Millisecond}},
		// A server that holds the poll's answer back far longer than the test.
		{name: "context deadline during a poll", opts: atlas.WaitOptions{PollInterval: time.Millisecond}, ctx: 50 * time.Millisecond,
			fault: &atlastest.Fault{Route: atlastest.RouteGetExport, Delay: time.Hour, Times: 1000}},
		// Many quick polls of a job that never moves.
		{name: "context deadline among quick polls", opts: atlas.WaitOptions{PollInterval: time.Millisecond, MaxInterval: 2 * time.Millisecond}, ctx: 50 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, c, _ := lcFake(t)
			id := srv.AddExportJob(lcGroup, lcCluster, &atlas.ExportJob{State: atlas.ExportStateQueued})
			ctx := context.Background()
			if tc.ctx > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tc.ctx)
				defer cancel()
			}
			if tc.fault != nil {
				srv.InjectFault(*tc.fault)
			}
			polls := 0
			opts := tc.opts
			opts.OnProgress = func(j *atlas.ExportJob) {
				polls++
				assert.Equal(t, atlas.ExportStateQueued, j.State)
			}

			start := time.Now()
			job, err := c.Exports.Wait(ctx, lcGroup, lcCluster, id, &opts)
			took := time.Since(start)
			assert.Nil(t, job)
			require.ErrorIs(t, err, context.DeadlineExceeded)
			assert.NotErrorIs(t, err, atlas.ErrExportFailed)
			assert.Less(t, took, 10*time.Second, "Wait returned promptly, not after the poll interval or the server's delay")
			if tc.fault == nil {
				assert.Positive(t, polls, "the first poll is immediate")
			} else {
				assert.Zero(t, polls, "the only poll never got an answer")
			}
		})
	}
}

func TestWaitRefusesBadArgumentsWithoutARequest(t *testing.T) {
	for _, tc := range []struct {
		name     string
		exportID string
		opts     *atlas.WaitOptions
	}{
		{"bad export id", "0123", nil},
		{"negative interval", lcSnapshot, &atlas.WaitOptions{PollInterval: -time.Second}},
		{"cap below interval", lcSnapshot, &atlas.WaitOptions{PollInterval: time.Minute, MaxInterval: time.Second}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, c, _ := lcFake(t)
			job, err := c.Exports.Wait(context.Background(), lcGroup, lcCluster, tc.exportID, tc.opts)
			assert.Nil(t, job)
			require.ErrorIs(t, err, atlas.ErrInvalidArgument)
			assert.Zero(t, srv.Requests(""))
		})
	}
}

func TestWaitReturnsAFailedPollsError(t *testing.T) {
	srv, c, _ := lcFake(t)
	// An export job that does not exist: a 404 is not retried and ends the wait.
	job, err := c.Exports.Wait(context.Background(), lcGroup, lcCluster, lcSnapshot, &atlas.WaitOptions{PollInterval: time.Millisecond})
	assert.Nil(t, job)
	require.ErrorIs(t, err, atlas.ErrNotFound)
	var apiErr *atlas.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "EXPORT_JOB_NOT_FOUND", apiErr.ErrorCode)
	assert.Equal(t, 1, srv.Requests(atlastest.RouteGetExport))
}

// TestLifecycleOverDigest runs create, list and wait with an API key, the other auth scheme,
// and checks that the digest handshake does not create a second job.
func TestLifecycleOverDigest(t *testing.T) {
	srv := atlastest.NewServer(atlastest.WithAutoAdvance())
	t.Cleanup(srv.Close)
	srv.AddCluster(lcGroup, lcCluster)
	c, err := atlas.NewClient(atlas.WithBaseURL(srv.URL), atlas.WithDigest(srv.PublicKey, srv.PrivateKey))
	require.NoError(t, err)
	ctx := context.Background()

	created, err := c.Exports.Create(ctx, lcGroup, lcCluster, &atlas.CreateExportJobRequest{SnapshotID: lcSnapshot, ExportBucketID: lcBucket})
	require.NoError(t, err)
	page, err := c.Exports.List(ctx, lcGroup, lcCluster, nil)
	require.NoError(t, err)
	assert.Equal(t, 1, page.TotalCount, "one job, though the first POST met a digest challenge")
	require.Len(t, page.Results, 1)
	assert.Equal(t, created.ID, page.Results[0].ID)

	done, err := c.Exports.Wait(ctx, lcGroup, lcCluster, created.ID, &atlas.WaitOptions{PollInterval: time.Millisecond})
	require.NoError(t, err)
	assert.Equal(t, atlas.ExportStateSuccessful, done.State)
	assert.Equal(t, 1, srv.DigestChallenges(), "the challenge was reused")
}
