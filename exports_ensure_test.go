package atlas_test

// Tests of ExportsService.Ensure, and of what each export operation costs in requests.

import (
	"net/http"
	"strconv"
	"testing"

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
