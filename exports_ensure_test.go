package atlas_test

// Tests of ExportsService.Ensure, and of what each export operation costs in requests.

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/atlas-exports/atlas"
	"github.com/atlas-exports/atlas/atlastest"
)

var ensureReq = &atlas.CreateExportJobRequest{SnapshotID: testSnapshot, ExportBucketID: testBucket}

func TestExportsEnsureReturnsAnExistingJobUnlessItFailed(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		state atlas.ExportState
		reuse bool
	}{
		{atlas.ExportStateQueued, true},
		{atlas.ExportStateInProgress, true},
		{atlas.ExportStateSuccessful, true},
		{"Paused", true}, // a state this SDK does not know may still export: not repeated
		{atlas.ExportStateFailed, false},
		{atlas.ExportStateCancelled, false},
	} {
		t.Run(string(tc.state), func(t *testing.T) {
			f := setup(t)
			// Jobs of the same snapshot to another bucket, and of another snapshot to the
			// same bucket, are other exports.
			f.srv.AddExportJob(testGroupID, testCluster, &atlas.ExportJob{SnapshotID: testSnapshot, ExportBucketID: testOtherID, State: atlas.ExportStateSuccessful})
			f.srv.AddExportJob(testGroupID, testCluster, &atlas.ExportJob{SnapshotID: testOtherID, ExportBucketID: testBucket, State: atlas.ExportStateSuccessful})
			existing := f.srv.AddExportJob(testGroupID, testCluster, &atlas.ExportJob{SnapshotID: testSnapshot, ExportBucketID: testBucket, State: tc.state})

			job, err := f.client.Exports.Ensure(t.Context(), testGroupID, testCluster, ensureReq)
			require.NoError(t, err)
			assert.Equal(t, 1, f.srv.Requests(atlastest.RouteListExports))
			if tc.reuse {
				assert.Equal(t, existing, job.ID)
				assert.Equal(t, tc.state, job.State)
				assert.Zero(t, f.srv.Requests(atlastest.RouteCreateExport), "no createExport request")
				return
			}
			assert.NotEqual(t, existing, job.ID)
			assert.Equal(t, atlas.ExportStateQueued, job.State)
			assert.Equal(t, 1, f.srv.Requests(atlastest.RouteCreateExport))
			assert.Len(t, f.srv.ExportJobs(testGroupID, testCluster), 4)
		})
	}
}

func TestExportsEnsureCreatesWhenThereIsNone(t *testing.T) {
	t.Parallel()
	f := setup(t)
	job, err := f.client.Exports.Ensure(t.Context(), testGroupID, testCluster, &atlas.CreateExportJobRequest{
		SnapshotID: testSnapshot, ExportBucketID: testBucket, CustomData: []atlas.Label{{Key: "run", Value: "nightly"}},
	})
	require.NoError(t, err)
	assert.Equal(t, atlas.ExportStateQueued, job.State)

	sent := f.wire.requests()
	require.Len(t, sent, 2)
	assertSent(t, sent[0], http.MethodGet, exportsPath, atlas.MediaType, "")
	assert.Equal(t, "500", sent[0].Query.Get("itemsPerPage"), "the largest pages, for the fewest requests")
	assertSent(t, sent[1], http.MethodPost, exportsPath, atlas.MediaType,
		`{"snapshotId":"`+testSnapshot+`","exportBucketId":"`+testBucket+`","customData":[{"key":"run","value":"nightly"}]}`)

	again, err := f.client.Exports.Ensure(t.Context(), testGroupID, testCluster, ensureReq)
	require.NoError(t, err)
	assert.Equal(t, job.ID, again.ID, "a second Ensure finds the first's job")
	assert.Equal(t, 1, f.srv.Requests(atlastest.RouteCreateExport))
}

func TestExportsEnsureWalksEveryPage(t *testing.T) {
	t.Parallel() // slow under -race, and shares nothing with other tests
	f := setup(t)
	other := atlas.ExportJob{SnapshotID: testOtherID, ExportBucketID: testBucket, State: atlas.ExportStateSuccessful}
	f.addJobs(600, other)
	existing := f.srv.AddExportJob(testGroupID, testCluster, &atlas.ExportJob{SnapshotID: testSnapshot, ExportBucketID: testBucket})
	f.addJobs(600, other)

	job, err := f.client.Exports.Ensure(t.Context(), testGroupID, testCluster, ensureReq)
	require.NoError(t, err)
	assert.Equal(t, existing, job.ID, "found on the second page")
	assert.Equal(t, 2, f.srv.Requests(atlastest.RouteListExports), "and the third was not fetched")
	assert.Zero(t, f.srv.Requests(atlastest.RouteCreateExport))
	for i, s := range f.wire.requests() {
		assert.Equal(t, strconv.Itoa(i+1), s.Query.Get("pageNum"))
	}
}

func TestExportsEnsureDoesNotCreateWhenTheListFails(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.srv.InjectFault(atlastest.Fault{Route: atlastest.RouteListExports, Status: http.StatusForbidden})
	job, err := f.client.Exports.Ensure(t.Context(), testGroupID, testCluster, ensureReq)
	assert.Nil(t, job)
	require.ErrorIs(t, err, atlas.ErrForbidden)
	assert.Zero(t, f.srv.Requests(atlastest.RouteCreateExport), "it cannot know that there is none")
}

// TestExportsRequestsPerOperation counts what each export operation costs at the server, the
// numbers the README quotes: one request per Get, List and Create; one per page for All; for
// Ensure, one per page of 500 jobs it reads, plus one create when it finds none.
func TestExportsRequestsPerOperation(t *testing.T) {
	t.Parallel() // slow under -race, and shares nothing with other tests
	job := atlas.ExportJob{SnapshotID: testOtherID, ExportBucketID: testBucket, State: atlas.ExportStateSuccessful}
	all := func(t *testing.T, f *fixture, ids []string) {
		got := collect(t, f.client.Exports.All(t.Context(), testGroupID, testCluster, &atlas.ListOptions{ItemsPerPage: 3}), jobID)
		assert.Equal(t, ids, got)
	}
	ensure := func(t *testing.T, f *fixture, _ []string) {
		_, err := f.client.Exports.Ensure(t.Context(), testGroupID, testCluster, ensureReq)
		require.NoError(t, err)
	}
	for _, tc := range []struct {
		name  string
		jobs  int // stored before the call, none of them the export Ensure looks for
		call  func(t *testing.T, f *fixture, ids []string)
		lists int // listExports requests
		other int // requests on the operation's other route, getExport or createExport
	}{
		{"Get", 1, func(t *testing.T, f *fixture, ids []string) {
			_, err := f.client.Exports.Get(t.Context(), testGroupID, testCluster, ids[0])
			require.NoError(t, err)
		}, 0, 1},
		{"List", 7, func(t *testing.T, f *fixture, _ []string) {
			_, err := f.client.Exports.List(t.Context(), testGroupID, testCluster, &atlas.ListOptions{ItemsPerPage: 3})
			require.NoError(t, err)
		}, 1, 0},
		{"All of 7 in pages of 3", 7, all, 3, 0},
		{"All of 6 in pages of 3", 6, all, 2, 0},
		{"Create", 0, func(t *testing.T, f *fixture, _ []string) {
			_, err := f.client.Exports.Create(t.Context(), testGroupID, testCluster, ensureReq)
			require.NoError(t, err)
		}, 0, 1},
		{"Ensure among 0 jobs", 0, ensure, 1, 1},
		{"Ensure among 500 jobs", 500, ensure, 1, 1},
		{"Ensure among 501 jobs", 501, ensure, 2, 1},
		{"Ensure among 1001 jobs", 1001, ensure, 3, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := setup(t)
			tc.call(t, f, f.addJobs(tc.jobs, job))
			assert.Equal(t, tc.lists, f.srv.Requests(atlastest.RouteListExports), "listExports")
			assert.Equal(t, tc.other, f.srv.Requests(atlastest.RouteGetExport)+f.srv.Requests(atlastest.RouteCreateExport))
			assert.Equal(t, tc.lists+tc.other, f.srv.Requests("")-f.srv.Requests(atlastest.RouteToken), "no other request")
		})
	}
}

// slowList is an API whose export-job list answers only when release is closed (or the
// request's context ends), always without the jobs created since: a list that lags. Each
// create makes a new job.
type slowList struct {
	release         chan struct{}
	lists, creates  atomic.Int32
	listed, created chan struct{} // a list request arrived; a create did (buffered, never block)
}

func newSlowList() *slowList {
	return &slowList{release: make(chan struct{}), listed: make(chan struct{}, 100), created: make(chan struct{}, 100)}
}

func (s *slowList) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	switch r.Method {
	case http.MethodGet:
		s.lists.Add(1)
		s.listed <- struct{}{}
		select {
		case <-s.release:
		case <-r.Context().Done():
			return nil, r.Context().Err()
		}
		writeJSON(rec, http.StatusOK, `{"results":[],"totalCount":0}`)
	case http.MethodPost:
		n := s.creates.Add(1)
		s.created <- struct{}{}
		writeJSON(rec, http.StatusOK, fmt.Sprintf(`{"id":"%024x","snapshotId":%q,"exportBucketId":%q,"state":"Queued"}`, n, testSnapshot, testBucket))
	}
	res := rec.Result()
	res.Request = r
	return res, nil
}

func slowListClient(t *testing.T, s *slowList) *atlas.Client {
	c, err := atlas.NewClient(atlas.WithBaseURL("https://atlas.invalid"), atlas.WithAccessToken(testToken),
		atlas.WithHTTPClient(&http.Client{Transport: s}), atlas.WithRetry(atlas.RetryPolicy{MaxAttempts: 1}))
	require.NoError(t, err)
	return c
}

// TestExportsEnsureSharesOneOutcomeWithinAClient: eight goroutines that Ensure the same
// export on one client, against a list that answers slowly, create one export, and all get
// it. synctest.Wait lets the test know every goroutine is waiting before the list answers.
func TestExportsEnsureSharesOneOutcomeWithinAClient(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newSlowList()
		c := slowListClient(t, s)
		ids := make([]string, 8)
		var wg sync.WaitGroup
		for i := range ids {
			wg.Go(func() {
				job, err := c.Exports.Ensure(t.Context(), testGroupID, testCluster, ensureReq)
				if assert.NoError(t, err) {
					ids[i] = job.ID
				}
			})
		}
		synctest.Wait() // all eight are in Ensure: one in the list, seven waiting for it
		assert.EqualValues(t, 1, s.lists.Load(), "one walk")
		close(s.release)
		wg.Wait()
		assert.EqualValues(t, 1, s.creates.Load(), "one export")
		for _, id := range ids {
			assert.Equal(t, fmt.Sprintf("%024x", 1), id)
		}

		// Another export (another bucket) is not shared with this one.
		other := &atlas.CreateExportJobRequest{SnapshotID: testSnapshot, ExportBucketID: testOtherID}
		_, err := c.Exports.Ensure(t.Context(), testGroupID, testCluster, other)
		require.NoError(t, err)
		assert.EqualValues(t, 2, s.creates.Load())
	})
}

// TestExportsEnsureCallersWaitOnTheirOwnContext: a waiting caller whose context ends returns
// at once with its context's error; when the walking caller's context ends, a waiting caller
// starts over and ends with an outcome of its own.
func TestExportsEnsureCallersWaitOnTheirOwnContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newSlowList()
		c := slowListClient(t, s)
		first, cancelFirst := context.WithCancel(t.Context())
		impatient, cancelImpatient := context.WithCancel(t.Context())
		errs := make(chan error, 3)
		var jobID string
		var wg sync.WaitGroup
		ensure := func(ctx context.Context, keep bool) {
			job, err := c.Exports.Ensure(ctx, testGroupID, testCluster, ensureReq)
			if keep && err == nil {
				jobID = job.ID
			}
			errs <- err
		}
		wg.Go(func() { ensure(first, false) })
		<-s.listed // the first caller walks
		wg.Go(func() { ensure(impatient, false) })
		wg.Go(func() { ensure(t.Context(), true) })
		synctest.Wait()

		cancelImpatient()
		err := <-errs
		require.ErrorIs(t, err, context.Canceled, "the impatient caller returns on its own context")
		assert.EqualValues(t, 1, s.lists.Load(), "while the first still walks")

		cancelFirst()
		require.ErrorIs(t, <-errs, context.Canceled, "the first caller's context ended")
		<-s.listed // the patient caller starts over
		close(s.release)
		require.NoError(t, <-errs)
		wg.Wait()
		assert.Equal(t, fmt.Sprintf("%024x", 1), jobID)
		assert.EqualValues(t, 2, s.lists.Load())
		assert.EqualValues(t, 1, s.creates.Load())
	})
}
