package atlas_test

// Tests of SnapshotsService. List and All are in paging_test.go with the other lists; the
// polling of Wait, shared with the export waiter, is in wait_test.go.

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/atlas-exports/atlas"
	"github.com/atlas-exports/atlas/atlastest"
)

const (
	shardedPath  = snapshotsPath + "/shardedCluster"
	shardedsPath = snapshotsPath + "/shardedClusters"
	testSharded  = "5e4f3a2b1c0d9e8f7a6b5c4d"
)

// addSharded stores a sharded-cluster snapshot testSharded beside the fixture's replica-set one.
func addSharded(f *fixture) {
	f.srv.AddSnapshot(testGroupID, testCluster, &atlas.Snapshot{
		ID: testSharded, Type: "shardedCluster", ConfigServerType: "EMBEDDED",
		Members:     []atlas.SnapshotMember{{ID: testOtherID, CloudProvider: atlas.CloudProviderAWS, ReplicaSetName: "shard-0"}},
		SnapshotIDs: []string{testOtherID},
		CreatedAt:   testCreatedAt.Add(time.Hour),
	})
}

func TestSnapshotsGet(t *testing.T) {
	t.Parallel()
	f := setup(t)
	snap, err := f.client.Snapshots.Get(t.Context(), testGroupID, testCluster, testSnapshot)
	require.NoError(t, err)
	assert.Equal(t, &atlas.Snapshot{
		ID: testSnapshot, Status: atlas.SnapshotStatusCompleted, SnapshotType: "scheduled", Type: "replicaSet",
		ReplicaSetName: testCluster, CreatedAt: testCreatedAt,
		Links: []atlas.Link{{Href: f.srv.URL + snapshotsPath + "/" + testSnapshot, Rel: "self"}},
	}, snap)
	assertSent(t, f.wire.only(t), http.MethodGet, snapshotsPath+"/"+testSnapshot, "application/vnd.atlas.2023-01-01+json", "")

	snap, err = f.client.Snapshots.Get(t.Context(), testGroupID, testCluster, testOtherID)
	assert.Nil(t, snap)
	require.ErrorIs(t, err, atlas.ErrNotFound)
	assertAPIError(t, err, http.StatusNotFound, "SNAPSHOT_NOT_FOUND")
}

func TestSnapshotsReplicaSetAndShardedAreKeptApart(t *testing.T) {
	t.Parallel()
	f := setup(t)
	addSharded(f)
	ctx := t.Context()

	sharded, err := f.client.Snapshots.GetSharded(ctx, testGroupID, testCluster, testSharded)
	require.NoError(t, err)
	assert.Equal(t, "shardedCluster", sharded.Type)
	assert.Equal(t, "EMBEDDED", sharded.ConfigServerType)
	assert.Equal(t, []string{testOtherID}, sharded.SnapshotIDs)
	assert.Equal(t, "shard-0", sharded.Members[0].ReplicaSetName)
	assert.Empty(t, sharded.ReplicaSetName, "no replica-set fields on a sharded snapshot")

	page, err := f.client.Snapshots.ListSharded(ctx, testGroupID, testCluster, &atlas.ListOptions{})
	require.NoError(t, err)
	_, err = f.client.Snapshots.ListSharded(ctx, testGroupID, testCluster, &atlas.ListOptions{ItemsPerPage: 10})
	require.ErrorIs(t, err, atlas.ErrInvalidArgument, "the API declares no paging for this list")
	assert.Equal(t, []string{testSharded}, pageIDs(page, snapshotID).ids)
	page, err = f.client.Snapshots.List(ctx, testGroupID, testCluster, nil)
	require.NoError(t, err)
	assert.Equal(t, []string{testSnapshot}, pageIDs(page, snapshotID).ids)

	_, err = f.client.Snapshots.Get(ctx, testGroupID, testCluster, testSharded)
	assert.ErrorIs(t, err, atlas.ErrNotFound, "a sharded snapshot is not a replica-set one")
	_, err = f.client.Snapshots.GetSharded(ctx, testGroupID, testCluster, testSnapshot)
	assert.ErrorIs(t, err, atlas.ErrNotFound, "nor the other way round")

	sent := f.wire.requests()
	require.Len(t, sent, 5)
	assertSent(t, sent[0], http.MethodGet, shardedPath+"/"+testSharded, atlas.MediaType, "")
	assertSent(t, sent[1], http.MethodGet, shardedsPath, atlas.MediaType, "")
	assertSent(t, sent[2], http.MethodGet, snapshotsPath, atlas.MediaType, "")
}

func TestSnapshotsAnswerAboutAnotherSnapshotIsInvalidResponse(t *testing.T) {
	t.Parallel()
	doc := `{"id":"` + testOtherID + `","status":"completed"}`
	t.Run("Get", func(t *testing.T) {
		assertAnotherIDRefused(t, doc, func(c *atlas.Client) (any, error) {
			return c.Snapshots.Get(t.Context(), testGroupID, testCluster, testSnapshot)
		})
	})
	t.Run("GetSharded", func(t *testing.T) {
		assertAnotherIDRefused(t, doc, func(c *atlas.Client) (any, error) {
			return c.Snapshots.GetSharded(t.Context(), testGroupID, testCluster, testSnapshot)
		})
	})
}

func TestSnapshotsTake(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		req  *atlas.TakeSnapshotRequest
		body string
	}{
		{"nil request", nil, `{}`},
		{"empty request", &atlas.TakeSnapshotRequest{}, `{}`},
		{"description and retention", &atlas.TakeSnapshotRequest{Description: "before the migration", RetentionInDays: 7},
			`{"description":"before the migration","retentionInDays":7}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := setup(t)
			snap, err := f.client.Snapshots.Take(t.Context(), testGroupID, testCluster, tc.req)
			require.NoError(t, err)
			assertSent(t, f.wire.only(t), http.MethodPost, snapshotsPath, "application/vnd.atlas.2023-01-01+json", tc.body)
			assert.Len(t, snap.ID, 24)
			assert.Equal(t, atlas.SnapshotStatusQueued, snap.Status)
			assert.Equal(t, "onDemand", snap.SnapshotType)
			if tc.req != nil && tc.req.RetentionInDays > 0 {
				assert.Equal(t, 7*24*time.Hour, snap.ExpiresAt.Sub(snap.CreatedAt))
			}
			_, ok := f.srv.Snapshot(testGroupID, testCluster, snap.ID)
			assert.True(t, ok, "the fake holds it")
		})
	}
}

func TestSnapshotsRefuseBadArgumentsWithoutARequest(t *testing.T) {
	t.Parallel()
	type call = func(ctx context.Context, c *atlas.Client, group, cluster, id string) (any, error)
	calls := map[string]call{
		"Get": func(ctx context.Context, c *atlas.Client, g, cl, id string) (any, error) {
			return c.Snapshots.Get(ctx, g, cl, id)
		},
		"GetSharded": func(ctx context.Context, c *atlas.Client, g, cl, id string) (any, error) {
			return c.Snapshots.GetSharded(ctx, g, cl, id)
		},
		"Wait": func(ctx context.Context, c *atlas.Client, g, cl, id string) (any, error) {
			return c.Snapshots.Wait(ctx, g, cl, id, nil)
		},
		"List": func(ctx context.Context, c *atlas.Client, g, cl, _ string) (any, error) {
			return c.Snapshots.List(ctx, g, cl, nil)
		},
		"ListSharded": func(ctx context.Context, c *atlas.Client, g, cl, _ string) (any, error) {
			return c.Snapshots.ListSharded(ctx, g, cl, nil)
		},
		"Take": func(ctx context.Context, c *atlas.Client, g, cl, _ string) (any, error) {
			return c.Snapshots.Take(ctx, g, cl, nil)
		},
		"Latest": func(ctx context.Context, c *atlas.Client, g, cl, _ string) (any, error) {
			return c.Snapshots.Latest(ctx, g, cl)
		},
	}
	var nilCtx context.Context
	for name, call := range calls {
		for _, tc := range []struct {
			name                  string
			ctx                   context.Context
			group, cluster, param string
		}{
			{"nil context", nilCtx, testGroupID, testCluster, "ctx"},
			{"bad group", t.Context(), testGroupID[1:], testCluster, "groupID"},
			{"bad cluster", t.Context(), testGroupID, "Cluster_0", "clusterName"},
		} {
			t.Run(name+"/"+tc.name, func(t *testing.T) {
				f := setup(t)
				got, err := call(tc.ctx, f.client, tc.group, tc.cluster, testSnapshot)
				assert.Nil(t, got)
				assertNothingSent(t, f, err, tc.param)
			})
		}
	}
	for name, call := range map[string]call{"Get": calls["Get"], "GetSharded": calls["GetSharded"], "Wait": calls["Wait"]} {
		t.Run(name+"/bad snapshot id", func(t *testing.T) {
			f := setup(t)
			got, err := call(t.Context(), f.client, testGroupID, testCluster, "latest")
			assert.Nil(t, got)
			assertNothingSent(t, f, err, "snapshotID")
		})
	}
	t.Run("Take/negative retention", func(t *testing.T) {
		f := setup(t)
		snap, err := f.client.Snapshots.Take(t.Context(), testGroupID, testCluster, &atlas.TakeSnapshotRequest{RetentionInDays: -1})
		assert.Nil(t, snap)
		assertNothingSent(t, f, err, "RetentionInDays")
	})
}

func TestSnapshotsLatest(t *testing.T) {
	t.Parallel()
	f := setup(t) // testSnapshot: completed, taken at testCreatedAt
	add := func(status atlas.SnapshotStatus, age time.Duration) string {
		return f.srv.AddSnapshot(testGroupID, testCluster, &atlas.Snapshot{Status: status, CreatedAt: testCreatedAt.Add(-age)})
	}
	add(atlas.SnapshotStatusCompleted, 48*time.Hour)
	newest := add(atlas.SnapshotStatusCompleted, -24*time.Hour) // listed before a newer, unfinished one
	add(atlas.SnapshotStatusCompleted, time.Hour)
	add(atlas.SnapshotStatusInProgress, -72*time.Hour)
	add(atlas.SnapshotStatusFailed, -96*time.Hour)
	add("archiving", -120*time.Hour) // a status this SDK does not know is not completed
	addSharded(f)                    // newer and completed, but of the other kind

	snap, err := f.client.Snapshots.Latest(t.Context(), testGroupID, testCluster)
	require.NoError(t, err)
	assert.Equal(t, newest, snap.ID)
	s := f.wire.only(t)
	assertSent(t, s, http.MethodGet, snapshotsPath, atlas.MediaType, "")
	assert.Equal(t, "500", s.Query.Get("itemsPerPage"), "the largest pages, for the fewest requests")
}

func TestSnapshotsLatestWithoutACompletedSnapshotIsNotFound(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.srv.FailSnapshot(testSnapshot)
	f.srv.AddSnapshot(testGroupID, testCluster, &atlas.Snapshot{Status: atlas.SnapshotStatusQueued})
	snap, err := f.client.Snapshots.Latest(t.Context(), testGroupID, testCluster)
	assert.Nil(t, snap)
	require.ErrorIs(t, err, atlas.ErrNotFound)
	assert.Contains(t, err.Error(), "no completed snapshot")
	var reqErr *atlas.RequestError
	require.ErrorAs(t, err, &reqErr)
	assert.Equal(t, snapshotsPath, reqErr.Path)
}

// TestSnapshotsLatestRequests counts what Latest costs, the number the README quotes: one
// request per 500 snapshots.
func TestSnapshotsLatestRequests(t *testing.T) {
	t.Parallel() // slow under -race, and shares nothing with other tests
	for _, tc := range []struct{ snapshots, requests int }{{1, 1}, {500, 1}, {501, 2}, {1000, 2}, {1001, 3}} {
		f := setup(t)
		for range tc.snapshots - 1 {
			f.srv.AddSnapshot(testGroupID, testCluster, &atlas.Snapshot{CreatedAt: testCreatedAt.Add(-time.Hour)})
		}
		snap, err := f.client.Snapshots.Latest(t.Context(), testGroupID, testCluster)
		require.NoError(t, err)
		assert.Equal(t, testSnapshot, snap.ID)
		assert.Equal(t, tc.requests, f.srv.Requests(atlastest.RouteListSnapshots), "%d snapshots", tc.snapshots)
		assert.Equal(t, tc.requests, f.srv.Requests("")-f.srv.Requests(atlastest.RouteToken), "no other request")
	}
}
