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

// progress is what a client sees of a job at one poll.
type progress struct {
	State    atlas.ExportState
	Exported int32
}

func seen(j *atlas.ExportJob) progress {
	p := progress{State: j.State}
	if j.ExportStatus != nil {
		p.Exported = j.ExportStatus.ExportedCollections
	}
	return p
}

var fullSchedule = []progress{
	{atlas.ExportStateInProgress, 0},
	{atlas.ExportStateInProgress, 1},
	{atlas.ExportStateSuccessful, 2},
}

func TestAdvanceToSuccessful(t *testing.T) {
	t.Parallel()
	clk := atlastest.NewClock(epoch)
	srv := newServer(t, atlastest.WithClock(clk.Now))
	id := srv.AddExportJob(groupID, cluster, &atlas.ExportJob{ExportBucketID: bucket, State: atlas.ExportStateQueued,
		ExportStatus: &atlas.ExportStatus{TotalCollections: 2}})
	hc := newClient(t)
	token := bearerToken(t, hc, srv)

	var got []progress
	for {
		clk.Advance(time.Minute)
		state, ok := srv.AdvanceExport(id)
		require.True(t, ok)
		j := readJob(t, bearerGet(t, hc, exportsURL(srv, id), token))
		require.Equal(t, state, j.State)
		got = append(got, seen(j))
		if j.State.IsTerminal() {
			assert.Equal(t, epoch.Add(3*time.Minute), j.FinishedAt)
			break
		}
		assert.True(t, j.FinishedAt.IsZero())
	}
	assert.Equal(t, fullSchedule, got)

	state, _ := srv.AdvanceExport(id)
	assert.Equal(t, atlas.ExportStateSuccessful, state, "a finished job stays finished")
	_, ok := srv.AdvanceExport("ffffffffffffffffffffffff")
	assert.False(t, ok)
}

func TestAutoAdvancePerPoll(t *testing.T) {
	t.Parallel()
	srv := newServer(t, atlastest.WithAutoAdvance())
	id := srv.AddExportJob(groupID, cluster, &atlas.ExportJob{ExportBucketID: bucket, State: atlas.ExportStateQueued,
		ExportStatus: &atlas.ExportStatus{TotalCollections: 2}})
	d := newDigest(t, srv)

	// Listing and the challenge round trip do not advance; each answered GET does.
	resp := d.get(exportsURL(srv, ""))
	drain(resp)
	var got []progress
	for range 4 {
		got = append(got, seen(readJob(t, d.get(exportsURL(srv, id)))))
	}
	assert.Equal(t, append(fullSchedule, fullSchedule[2]), got)

	srv.SetAutoAdvance(false)
	other := srv.AddExportJob(groupID, cluster, &atlas.ExportJob{ExportBucketID: bucket, State: atlas.ExportStateQueued})
	assert.Equal(t, atlas.ExportStateQueued, readJob(t, d.get(exportsURL(srv, other))).State)
}

func TestStepIntervalFollowsTheClock(t *testing.T) {
	t.Parallel()
	clk := atlastest.NewClock(epoch)
	srv := newServer(t, atlastest.WithClock(clk.Now), atlastest.WithStepInterval(10*time.Second))
	id := srv.AddExportJob(groupID, cluster, &atlas.ExportJob{ExportBucketID: bucket, State: atlas.ExportStateQueued,
		ExportStatus: &atlas.ExportStatus{TotalCollections: 2}})
	at := func() progress {
		j, ok := srv.ExportJob(groupID, cluster, id)
		require.True(t, ok)
		return seen(j)
	}
	assert.Equal(t, progress{atlas.ExportStateQueued, 0}, at())
	clk.Advance(9 * time.Second)
	assert.Equal(t, progress{atlas.ExportStateQueued, 0}, at())
	clk.Advance(time.Second)
	assert.Equal(t, fullSchedule[0], at())
	clk.Advance(time.Hour) // owed many steps: the job finishes, and finishes once
	assert.Equal(t, fullSchedule[2], at())
	j, _ := srv.ExportJob(groupID, cluster, id)
	assert.Equal(t, epoch.Add(time.Hour+10*time.Second), j.FinishedAt)
}

func TestFailAndCancel(t *testing.T) {
	t.Parallel()
	clk := atlastest.NewClock(epoch)
	srv := newServer(t, atlastest.WithClock(clk.Now))
	hc := newClient(t)
	token := bearerToken(t, hc, srv)
	id := srv.AddExportJob(groupID, cluster, &atlas.ExportJob{ExportBucketID: bucket, State: atlas.ExportStateInProgress,
		ExportStatus: &atlas.ExportStatus{ExportedCollections: 1, TotalCollections: 4}})
	clk.Advance(time.Minute)
	reason := atlas.StateReason{ErrorCode: "EXPORT_BUCKET_ACCESS_DENIED", Message: "Atlas cannot write to the bucket."}
	require.True(t, srv.FailExport(id, reason))

	j := readJob(t, bearerGet(t, hc, exportsURL(srv, id), token))
	assert.Equal(t, atlas.ExportStateFailed, j.State)
	assert.Equal(t, &reason, j.StateReason)
	assert.Equal(t, epoch.Add(time.Minute), j.FinishedAt)
	assert.Equal(t, int32(1), j.ExportStatus.ExportedCollections, "progress stays where it stopped")

	other := srv.AddExportJob(groupID, cluster, &atlas.ExportJob{ExportBucketID: bucket, State: atlas.ExportStateQueued})
	require.True(t, srv.CancelExport(other))
	j = readJob(t, bearerGet(t, hc, exportsURL(srv, other), token))
	assert.Equal(t, atlas.ExportStateCancelled, j.State)
	assert.Nil(t, j.StateReason)

	assert.False(t, srv.FailExport("ffffffffffffffffffffffff", reason))
	assert.False(t, srv.CancelExport("ffffffffffffffffffffffff"))
}

func TestAdvanceAll(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	a := srv.AddExportJob(groupID, cluster, &atlas.ExportJob{ExportBucketID: bucket, State: atlas.ExportStateQueued})
	b := srv.AddExportJob(groupID, "Other", &atlas.ExportJob{ExportBucketID: bucket, State: atlas.ExportStateInProgress})
	srv.AddExportJob(groupID, cluster, &atlas.ExportJob{ExportBucketID: bucket, State: atlas.ExportStateSuccessful})
	srv.AddExportJob(groupID, cluster, &atlas.ExportJob{ExportBucketID: bucket, State: "Archiving"}) // unknown: left alone
	assert.Equal(t, 2, srv.AdvanceAll())
	ja, _ := srv.ExportJob(groupID, cluster, a)
	jb, _ := srv.ExportJob(groupID, "Other", b)
	assert.Equal(t, atlas.ExportStateInProgress, ja.State)
	assert.Equal(t, atlas.ExportStateSuccessful, jb.State, "a job without exportStatus finishes in one step")
	assert.Equal(t, 1, srv.AdvanceAll())
	assert.Equal(t, 0, srv.AdvanceAll())
}

func TestCreatedJobRunsToCompletion(t *testing.T) {
	t.Parallel()
	srv := newServer(t, atlastest.WithAutoAdvance(), atlastest.WithTotalCollections(1))
	seedExportable(t, srv)
	d := newDigest(t, srv)
	body := []byte(`{"snapshotId":"` + snapshot + `","exportBucketId":"` + bucket + `"}`)
	j := readJob(t, d.do(http.MethodPost, exportsURL(srv, ""), body, http.Header{"Content-Type": {"application/json"}}))
	assert.Equal(t, atlas.ExportStateQueued, j.State)
	polls := 0
	for !j.State.IsTerminal() {
		polls++
		j = readJob(t, d.get(exportsURL(srv, j.ID)))
	}
	assert.Equal(t, 2, polls, "totalCollections+1 steps")
	assert.Equal(t, atlas.ExportStateSuccessful, j.State)
	assert.Equal(t, &atlas.ExportStatus{ExportedCollections: 1, TotalCollections: 1}, j.ExportStatus)
}
