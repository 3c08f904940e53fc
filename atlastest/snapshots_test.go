package atlastest_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/atlas-exports/atlas"
	"github.com/atlas-exports/atlas/atlastest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// snapshotsURL is the test cluster's snapshots path plus a suffix.
func snapshotsURL(srv *atlastest.Server, suffix string) string {
	return srv.URL + groupPath + "/clusters/" + cluster + "/backup/snapshots" + suffix
}

func TestAddSnapshotDefaultsAndCopies(t *testing.T) {
	t.Parallel()
	clk := atlastest.NewClock(epoch)
	srv := newServer(t, atlastest.WithClock(clk.Now))
	snap := &atlas.Snapshot{CopyRegions: []string{"US_EAST_1"}}
	id := srv.AddSnapshot(groupID, "New", snap)
	assert.Regexp(t, `^[a-f0-9]{24}$`, id)
	assert.Empty(t, snap.ID, "the caller's snapshot is not modified")
	snap.CopyRegions[0] = "changed"

	got, ok := srv.Snapshot(groupID, "New", id)
	require.True(t, ok)
	assert.Equal(t, &atlas.Snapshot{ID: id, Status: atlas.SnapshotStatusCompleted, SnapshotType: "scheduled", Type: "replicaSet",
		ReplicaSetName: "New", CreatedAt: epoch, CopyRegions: []string{"US_EAST_1"}}, got)
	got.CopyRegions[0] = "changed too"
	again, _ := srv.Snapshot(groupID, "New", id)
	assert.Equal(t, "US_EAST_1", again.CopyRegions[0])
	_, ok = srv.Snapshot(groupID, cluster, id)
	assert.False(t, ok, "the snapshot lives in its own cluster only")

	// Given fields stay; the same id again replaces, also across clusters.
	at := epoch.Add(-time.Hour)
	srv.AddSnapshot(groupID, cluster, &atlas.Snapshot{ID: id, Status: atlas.SnapshotStatusQueued, Type: "shardedCluster", CreatedAt: at})
	assert.Empty(t, srv.Snapshots(groupID, "New"))
	moved, ok := srv.Snapshot(groupID, cluster, id)
	require.True(t, ok)
	assert.Equal(t, atlas.SnapshotStatusQueued, moved.Status)
	assert.Equal(t, at, moved.CreatedAt)
	assert.Empty(t, moved.ReplicaSetName, "sharded snapshots get no replica set name")
	assert.Nil(t, srv.Snapshots(groupID, "Missing"))
}

func TestReplicaSetAndShardedSnapshotsStayApart(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	hc := newClient(t)
	token := bearerToken(t, hc, srv)
	rs1 := srv.AddSnapshot(groupID, cluster, &atlas.Snapshot{MongodVersion: "8.0.4"})
	sh := srv.AddSnapshot(groupID, cluster, &atlas.Snapshot{Type: "shardedCluster", ConfigServerType: "EMBEDDED",
		ReplicaSetName: "stray", CopyRegions: []string{"stray"}, // fields of the other type, which its route must not send
		Members:     []atlas.SnapshotMember{{ID: sharded, CloudProvider: atlas.CloudProviderAWS, ReplicaSetName: "shard-0"}},
		SnapshotIDs: []string{sharded}})
	rs2 := srv.AddSnapshot(groupID, cluster, &atlas.Snapshot{Members: []atlas.SnapshotMember{{ID: sharded}}}) // stray too

	var page atlas.SnapshotPage
	readOK(t, bearerGet(t, hc, snapshotsURL(srv, ""), token), v2023, &page)
	require.Len(t, page.Results, 2)
	assert.Equal(t, []string{rs1, rs2}, []string{page.Results[0].ID, page.Results[1].ID})
	assert.Equal(t, 2, page.TotalCount)
	assert.Nil(t, page.Results[1].Members)
	assert.Equal(t, snapshotsURL(srv, "/"+rs1), page.Results[0].Links[0].Href)

	var shardedPage atlas.SnapshotPage // a fresh one: decoding into used results would merge fields
	readOK(t, bearerGet(t, hc, snapshotsURL(srv, "/shardedClusters"), token), v2023, &shardedPage)
	require.Len(t, shardedPage.Results, 1)
	got := shardedPage.Results[0]
	assert.Equal(t, sh, got.ID)
	assert.Equal(t, "shardedCluster", got.Type)
	assert.Equal(t, []string{sharded}, got.SnapshotIDs)
	assert.Empty(t, got.ReplicaSetName)
	assert.Nil(t, got.CopyRegions)
	assert.Equal(t, snapshotsURL(srv, "/shardedCluster/"+sh), got.Links[0].Href)
	assert.Equal(t, 1, srv.Requests(atlastest.RouteListShardedSnapshots))
	assert.Zero(t, srv.Requests(atlastest.RouteGetSnapshot), "shardedClusters is not a snapshot id")

	var shSnap, rsSnap atlas.Snapshot
	readOK(t, bearerGet(t, hc, snapshotsURL(srv, "/shardedCluster/"+sh), token), v2023, &shSnap)
	assert.Equal(t, "EMBEDDED", shSnap.ConfigServerType)
	readOK(t, bearerGet(t, hc, snapshotsURL(srv, "/"+rs1), token), v2023, &rsSnap)
	assert.Equal(t, "8.0.4", rsSnap.MongodVersion)
	requireAPIError(t, bearerGet(t, hc, snapshotsURL(srv, "/"+sh), token), http.StatusNotFound, "SNAPSHOT_NOT_FOUND")
	requireAPIError(t, bearerGet(t, hc, snapshotsURL(srv, "/shardedCluster/"+rs1), token), http.StatusNotFound, "SNAPSHOT_NOT_FOUND")

	// Sharded-cluster snapshots come on one page: the operation has no paging parameters.
	for range 120 {
		srv.AddSnapshot(groupID, cluster, &atlas.Snapshot{Type: "shardedCluster"})
	}
	var all atlas.SnapshotPage
	readOK(t, bearerGet(t, hc, snapshotsURL(srv, "/shardedClusters?itemsPerPage=1"), token), v2023, &all)
	assert.Len(t, all.Results, 121)
}

func TestTakeSnapshot(t *testing.T) {
	t.Parallel()
	clk := atlastest.NewClock(epoch)
	srv := newServer(t, atlastest.WithClock(clk.Now))
	seedExportable(t, srv)
	hc := newClient(t)
	token := bearerToken(t, hc, srv)
	take := func(body string) *http.Response {
		return bearerDo(t, hc, http.MethodPost, snapshotsURL(srv, ""), token, body, "Content-Type", v2023)
	}

	var snap atlas.Snapshot
	readOK(t, take(`{"description":"before the upgrade","retentionInDays":3,"links":[]}`), v2023, &snap)
	assert.Regexp(t, `^[a-f0-9]{24}$`, snap.ID)
	assert.Equal(t, atlas.SnapshotStatusQueued, snap.Status)
	assert.Equal(t, "onDemand", snap.SnapshotType)
	assert.Equal(t, "replicaSet", snap.Type)
	assert.Equal(t, "before the upgrade", snap.Description)
	assert.Equal(t, epoch, snap.CreatedAt)
	assert.Equal(t, epoch.Add(72*time.Hour), snap.ExpiresAt)
	assert.Equal(t, snapshotsURL(srv, "/"+snap.ID), snap.Links[0].Href)
	stored, ok := srv.Snapshot(groupID, cluster, snap.ID)
	require.True(t, ok)
	assert.Equal(t, cluster, stored.ReplicaSetName)

	var bare atlas.Snapshot
	readOK(t, take(`{}`), v2023, &bare)
	assert.True(t, bare.ExpiresAt.IsZero(), "no retention asked, none invented")

	for body, field := range map[string]string{
		`{"retentionInDays":0}`: "retentionInDays", `{"retentionInDays":"3"}`: "retentionInDays",
		`{"retentionInDays":1.5}`: "retentionInDays", `{"description":7}`: "description",
		`{"frequencyType":"daily"}`: "frequencyType",
	} {
		e := requireAPIError(t, take(body), http.StatusBadRequest, "VALIDATION_ERROR")
		assert.Equal(t, field, e.BadRequestDetail.Fields[0].Field, body)
	}
	requireAPIError(t, take(`[]`), http.StatusBadRequest, "MALFORMED_JSON")
	assert.Len(t, srv.Snapshots(groupID, cluster), 3, "the seeded one and the two taken")
}

func TestSnapshotProgress(t *testing.T) {
	t.Parallel()
	srv := newServer(t, atlastest.WithAutoAdvance())
	d := newDigest(t, srv)
	rs := srv.AddSnapshot(groupID, cluster, &atlas.Snapshot{Status: atlas.SnapshotStatusQueued})
	sh := srv.AddSnapshot(groupID, cluster, &atlas.Snapshot{Status: atlas.SnapshotStatusQueued, Type: "shardedCluster"})
	status := func(url string) atlas.SnapshotStatus {
		t.Helper()
		var snap atlas.Snapshot
		readOK(t, d.get(url), v2023, &snap)
		return snap.Status
	}

	// Listing and the challenge round trip move nothing; each answered GET of one does.
	drain(d.get(snapshotsURL(srv, "")))
	drain(d.get(snapshotsURL(srv, "/shardedClusters")))
	var seen []atlas.SnapshotStatus
	for range 3 {
		seen = append(seen, status(snapshotsURL(srv, "/"+rs)))
	}
	assert.Equal(t, []atlas.SnapshotStatus{"inProgress", "completed", "completed"}, seen)
	assert.Equal(t, atlas.SnapshotStatusInProgress, status(snapshotsURL(srv, "/shardedCluster/"+sh)))

	srv.SetAutoAdvance(false)
	assert.Equal(t, atlas.SnapshotStatusInProgress, status(snapshotsURL(srv, "/shardedCluster/"+sh)))
	next, ok := srv.AdvanceSnapshot(sh)
	assert.True(t, ok)
	assert.Equal(t, atlas.SnapshotStatusCompleted, next)
	next, _ = srv.AdvanceSnapshot(sh)
	assert.Equal(t, atlas.SnapshotStatusCompleted, next, "a completed snapshot stays")
	assert.True(t, srv.FailSnapshot(sh))
	next, _ = srv.AdvanceSnapshot(sh)
	assert.Equal(t, atlas.SnapshotStatusFailed, next, "a failed snapshot stays")
	assert.Equal(t, atlas.SnapshotStatusFailed, status(snapshotsURL(srv, "/shardedCluster/"+sh)))
	_, ok = srv.AdvanceSnapshot(missing)
	assert.False(t, ok)
	assert.False(t, srv.FailSnapshot(missing))
	assert.Zero(t, srv.AdvanceAll(), "AdvanceAll moves export jobs only")
}

func TestSnapshotStepIntervalFollowsTheClock(t *testing.T) {
	t.Parallel()
	clk := atlastest.NewClock(epoch)
	srv := newServer(t, atlastest.WithClock(clk.Now), atlastest.WithStepInterval(10*time.Second))
	seedExportable(t, srv)
	id := srv.AddSnapshot(groupID, cluster, &atlas.Snapshot{Status: atlas.SnapshotStatusQueued})
	at := func() atlas.SnapshotStatus {
		s, ok := srv.Snapshot(groupID, cluster, id)
		require.True(t, ok)
		return s.Status
	}
	assert.Equal(t, atlas.SnapshotStatusQueued, at())
	clk.Advance(10 * time.Second)
	assert.Equal(t, atlas.SnapshotStatusInProgress, at())

	// Exporting it counts the steps owed too: refused now, accepted once the clock has moved.
	hc := newClient(t)
	token := bearerToken(t, hc, srv)
	body := `{"snapshotId":"` + id + `","exportBucketId":"` + bucket + `"}`
	requireAPIError(t, bearerDo(t, hc, http.MethodPost, exportsURL(srv, ""), token, body, "Content-Type", v2023),
		http.StatusBadRequest, "CANNOT_EXPORT_INCOMPLETE_SNAPSHOT")
	clk.Advance(10 * time.Second)
	readJob(t, bearerDo(t, hc, http.MethodPost, exportsURL(srv, ""), token, body, "Content-Type", v2023))
	assert.Equal(t, atlas.SnapshotStatusCompleted, at())
}
