package atlas_test

// Tests of the two waiters, ExportsService.Wait and SnapshotsService.Wait: the poller they
// share (backoff, reset on progress, the context and MaxWait, bad options) through both, then
// what each returns for its terminal states.

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/atlas-exports/atlas"
	"github.com/atlas-exports/atlas/atlastest"
)

// waitOpts are the options both waiters take.
type waitOpts struct {
	poll, max, maxWait time.Duration
	onProgress         func(state string)
}

// waiter is one of the two waiters, driven the same way as the other.
type waiter struct {
	name    string
	route   string // each poll is one request on it
	idParam string
	// add stores something unfinished to wait for and returns its id; advance moves it one
	// step, a change the waiter sees as progress.
	add     func(f *fixture) string
	advance func(f *fixture, id string)
	// unknown stores something in a state this SDK does not know; finish replaces it with
	// a finished one.
	unknown func(f *fixture) string
	finish  func(f *fixture, id string)
	// wait runs the waiter and returns the state of what it returned ("" for nothing).
	wait func(ctx context.Context, c *atlas.Client, id string, o waitOpts) (string, error)
}

var waiters = []waiter{{
	name: "export job", route: atlastest.RouteGetExport, idParam: "exportID",
	add: func(f *fixture) string {
		return f.srv.AddExportJob(testGroupID, testCluster, &atlas.ExportJob{
			ExportBucketID: testBucket, State: atlas.ExportStateQueued, ExportStatus: &atlas.ExportStatus{TotalCollections: 50},
		})
	},
	advance: func(f *fixture, id string) { f.srv.AdvanceExport(id) },
	unknown: func(f *fixture) string {
		return f.srv.AddExportJob(testGroupID, testCluster, &atlas.ExportJob{ExportBucketID: testBucket, State: "Paused"})
	},
	finish: func(f *fixture, id string) {
		f.srv.AddExportJob(testGroupID, testCluster, &atlas.ExportJob{ID: id, ExportBucketID: testBucket, State: atlas.ExportStateSuccessful})
	},
	wait: func(ctx context.Context, c *atlas.Client, id string, o waitOpts) (string, error) {
		opts := &atlas.WaitOptions{PollInterval: o.poll, MaxInterval: o.max, MaxWait: o.maxWait}
		state := func(j *atlas.ExportJob) string { return string(j.State) }
		return runWait(o, state, &opts.OnProgress, func() (*atlas.ExportJob, error) {
			return c.Exports.Wait(ctx, testGroupID, testCluster, id, opts)
		})
	},
}, {
	name: "snapshot", route: atlastest.RouteGetSnapshot, idParam: "snapshotID",
	add: func(f *fixture) string {
		return f.srv.AddSnapshot(testGroupID, testCluster, &atlas.Snapshot{Status: atlas.SnapshotStatusQueued})
	},
	advance: func(f *fixture, id string) { f.srv.AdvanceSnapshot(id) },
	unknown: func(f *fixture) string {
		return f.srv.AddSnapshot(testGroupID, testCluster, &atlas.Snapshot{Status: "archiving"})
	},
	finish: func(f *fixture, id string) { f.srv.AddSnapshot(testGroupID, testCluster, &atlas.Snapshot{ID: id}) },
	wait: func(ctx context.Context, c *atlas.Client, id string, o waitOpts) (string, error) {
		opts := &atlas.SnapshotWaitOptions{PollInterval: o.poll, MaxInterval: o.max, MaxWait: o.maxWait}
		state := func(s *atlas.Snapshot) string { return string(s.Status) }
		return runWait(o, state, &opts.OnProgress, func() (*atlas.Snapshot, error) {
			return c.Snapshots.Wait(ctx, testGroupID, testCluster, id, opts)
		})
	},
}}

// startWaiting sets up the fake with something of w's to wait for, and a context the test
// may cancel.
func startWaiting(t *testing.T, w waiter) (*fixture, string, context.Context, context.CancelFunc) {
	t.Helper()
	f := setup(t)
	ctx, cancel := context.WithCancel(t.Context())
	t.Cleanup(cancel)
	return f, w.add(f), ctx, cancel
}

// runWait runs a waiter with o's OnProgress set through onProgress, and returns the state of
// what it returned ("" for nothing).
func runWait[T any](o waitOpts, state func(*T) string, onProgress *func(*T), wait func() (*T, error)) (string, error) {
	if o.onProgress != nil {
		*onProgress = func(v *T) { o.onProgress(state(v)) }
	}
	v, err := wait()
	if v == nil {
		return "", err
	}
	return state(v), err
}

// TestWaitIntervalGrowsWhileNothingChangesAndResetsOnProgress records the waits between polls: the
// interval grows by half while nothing changes, up to the cap, and returns to the poll
// interval after a change.
func TestWaitIntervalGrowsWhileNothingChangesAndResetsOnProgress(t *testing.T) {
	t.Parallel()
	const s, ms = time.Second, time.Millisecond
	for _, tc := range []struct {
		name    string
		opts    waitOpts
		changed int // the thing moves during this wait, so the poll after it sees a change
		want    []time.Duration
	}{
		{"defaults", waitOpts{}, 7, []time.Duration{10 * s, 15 * s, 22500 * ms, 33750 * ms, 50625 * ms, 60 * s, 60 * s, 10 * s, 15 * s}},
		{"set", waitOpts{poll: 2 * s, max: 5 * s}, 5, []time.Duration{2 * s, 3 * s, 4500 * ms, 5 * s, 5 * s, 2 * s, 3 * s}},
		{"a poll interval over the default cap", waitOpts{poll: 2 * time.Minute}, 2, []time.Duration{2 * time.Minute, 2 * time.Minute, 2 * time.Minute, 2 * time.Minute}},
	} {
		for _, w := range waiters {
			t.Run(w.name+"/"+tc.name, func(t *testing.T) {
				f, id, ctx, cancel := startWaiting(t, w)
				var waits []time.Duration
				atlas.SetSleep(f.client, func(ctx context.Context, d time.Duration) error {
					waits = append(waits, d) // the waiter calls it from the caller's goroutine
					switch len(waits) {
					case tc.changed:
						w.advance(f, id)
					case len(tc.want):
						cancel()
					}
					return ctx.Err()
				})
				_, err := w.wait(ctx, f.client, id, tc.opts)
				require.ErrorIs(t, err, context.Canceled)
				assert.Equal(t, tc.want, waits)
				assert.Equal(t, len(waits), f.srv.Requests(w.route), "one poll before each wait")
			})
		}
	}
}

// TestWaitPollsPerMinute counts the polls of something that does not change, with the
// defaults (PollInterval 10s, MaxInterval 60s), on a fake clock that each wait advances: the
// numbers the README quotes.
func TestWaitPollsPerMinute(t *testing.T) {
	t.Parallel() // slow under -race, and shares nothing with other tests
	for _, tc := range []struct {
		horizon time.Duration
		polls   int
	}{
		{time.Minute, 4},       // at 0, 10s, 25s and 47.5s
		{2 * time.Minute, 5},   // and at 1m21.25s
		{10 * time.Minute, 13}, // then 2m11.875s, and once a minute after that
		{time.Hour, 63},
	} {
		require.Equal(t, tc.polls, pollsWithin(tc.horizon, atlas.DefaultPollInterval, atlas.DefaultMaxInterval), "the policy's own count")
		for _, w := range waiters {
			t.Run(w.name+"/"+tc.horizon.String(), func(t *testing.T) {
				f, id, ctx, cancel := startWaiting(t, w)
				var clock time.Duration
				atlas.SetSleep(f.client, func(ctx context.Context, d time.Duration) error {
					if clock += d; clock >= tc.horizon {
						cancel()
					}
					return ctx.Err()
				})
				state, err := w.wait(ctx, f.client, id, waitOpts{})
				require.ErrorIs(t, err, context.Canceled)
				assert.NotEmpty(t, state, "the last poll comes back with the error")
				assert.Equal(t, tc.polls, f.srv.Requests(w.route))
			})
		}
	}
}

// pollsWithin counts the polls in [0, horizon) of the policy as documented: the first at
// once, the next after poll, each wait half again as long as the one before, up to max.
func pollsWithin(horizon, poll, max time.Duration) int {
	polls, at, wait := 0, time.Duration(0), poll
	for ; at < horizon; at += wait {
		if polls++; polls > 1 {
			wait = min(wait+wait/2, max)
		}
	}
	return polls
}

func TestWaitEndsWithTheContextOrMaxWait(t *testing.T) {
	for _, tc := range []struct {
		name     string
		ctx      time.Duration // the caller's deadline; zero for none
		maxWait  time.Duration
		held     bool   // the fake holds every poll's answer back
		cancel   bool   // the caller cancels during the third wait; else each wait is an hour
		says     string // what the error says ended the wait
		is       error
		returned bool // the thing as last seen comes back with the error
	}{
		{name: "cancelled while waiting", cancel: true, says: "the context ended", is: context.Canceled, returned: true},
		{name: "deadline while waiting", ctx: 20 * time.Millisecond, says: "the context ended", is: context.DeadlineExceeded, returned: true},
		{name: "deadline before MaxWait", ctx: 20 * time.Millisecond, maxWait: time.Hour, says: "the context ended", is: context.DeadlineExceeded, returned: true},
		{name: "MaxWait while waiting", maxWait: 20 * time.Millisecond, says: "MaxWait of 20ms passed", is: context.DeadlineExceeded, returned: true},
		{name: "MaxWait before the deadline", ctx: time.Hour, maxWait: 20 * time.Millisecond, says: "MaxWait of 20ms passed", is: context.DeadlineExceeded, returned: true},
		{name: "MaxWait during the first poll", maxWait: 20 * time.Millisecond, held: true, says: "MaxWait of 20ms passed", is: context.DeadlineExceeded},
		{name: "deadline during the first poll", ctx: 20 * time.Millisecond, held: true, says: "the context ended", is: context.DeadlineExceeded},
	} {
		for _, w := range waiters {
			t.Run(w.name+"/"+tc.name, func(t *testing.T) {
				f, id, ctx, cancel := startWaiting(t, w)
				// Grant the token and open the connection first, so that the first poll is
				// quick next to the 20ms the cases allow before the wait must end.
				_, err := f.client.Exports.List(ctx, testGroupID, testCluster, nil)
				require.NoError(t, err)
				if tc.ctx > 0 {
					ctx, cancel = context.WithTimeout(ctx, tc.ctx)
					defer cancel()
				}
				if tc.held {
					f.srv.InjectFault(atlastest.Fault{Route: w.route, Delay: time.Hour, Times: 1000})
				}
				sleeps := 0
				atlas.SetSleep(f.client, func(ctx context.Context, d time.Duration) error {
					if !tc.cancel {
						return atlas.SleepContext(ctx, d) // an hour: only the end of ctx ends it
					}
					if sleeps++; sleeps == 3 {
						cancel()
					}
					return ctx.Err()
				})

				start := time.Now()
				state, err := w.wait(ctx, f.client, id, waitOpts{poll: time.Hour, maxWait: tc.maxWait})
				assert.Less(t, time.Since(start), 10*time.Second, "ended at once, not after the interval or the held answer")
				require.ErrorIs(t, err, tc.is)
				assert.Contains(t, err.Error(), tc.says)
				assert.Contains(t, err.Error(), "waiting for "+w.name+" "+id)
				assert.NotErrorIs(t, err, atlas.ErrExportFailed)
				if tc.returned {
					assert.NotEmpty(t, state, "the last poll's answer comes back with the error")
				} else {
					assert.Empty(t, state, "no poll was answered")
				}
			})
		}
	}
}

func TestWaitReturnsAFailedPollsError(t *testing.T) {
	t.Parallel()
	for _, w := range waiters {
		t.Run(w.name+"/first poll", func(t *testing.T) {
			f := setup(t)
			state, err := w.wait(t.Context(), f.client, testOtherID, waitOpts{})
			assert.Empty(t, state)
			require.ErrorIs(t, err, atlas.ErrNotFound)
			assert.Equal(t, 1, f.srv.Requests(w.route), "a 404 is not retried")
		})
		t.Run(w.name+"/later poll", func(t *testing.T) {
			f := setup(t)
			id := w.add(f)
			polls := 0
			state, err := w.wait(t.Context(), f.client, id, waitOpts{onProgress: func(string) {
				if polls++; polls == 2 {
					f.srv.InjectFault(atlastest.Fault{Route: w.route, Status: 503, Times: 100})
				}
			}})
			assert.NotEmpty(t, state, "the last poll's answer comes back with the error")
			require.ErrorIs(t, err, atlas.ErrServer)
			assert.Equal(t, 2+atlas.DefaultMaxAttempts, f.srv.Requests(w.route), "two polls, then the attempts of the third")
		})
	}
}

func TestWaitRefusesBadOptionsWithoutARequest(t *testing.T) {
	t.Parallel()
	var nilCtx context.Context
	ended, cancel := context.WithCancel(t.Context())
	cancel()
	for _, tc := range []struct {
		name  string
		ctx   context.Context
		id    string
		opts  waitOpts
		param string
	}{
		{"nil context", nilCtx, testExportID, waitOpts{}, "ctx"},
		{"bad id", t.Context(), "0123", waitOpts{}, ""},
		{"negative poll interval", t.Context(), testExportID, waitOpts{poll: -time.Second}, "WaitOptions"},
		{"negative cap", t.Context(), testExportID, waitOpts{max: -time.Second}, "WaitOptions"},
		{"negative MaxWait", t.Context(), testExportID, waitOpts{maxWait: -time.Second}, "WaitOptions"},
		{"cap below the interval", t.Context(), testExportID, waitOpts{poll: time.Minute, max: time.Second}, "WaitOptions"},
		// The arguments come first: a refused id is not a wait that ended (issue 19).
		{"bad id, ended context", ended, "0123", waitOpts{}, ""},
		{"bad id, 1ns MaxWait", t.Context(), "0123", waitOpts{maxWait: time.Nanosecond}, ""},
		{"a secret for an id, ended context", ended, testToken, waitOpts{maxWait: time.Nanosecond}, ""},
		{"bad id and bad options", t.Context(), testToken, waitOpts{poll: -time.Second}, ""},
	} {
		for _, w := range waiters {
			t.Run(w.name+"/"+tc.name, func(t *testing.T) {
				f := setup(t)
				state, err := w.wait(tc.ctx, f.client, tc.id, tc.opts)
				assert.Empty(t, state)
				param := tc.param
				if param == "" {
					param = w.idParam
				}
				assertNothingSent(t, f, err, param)
				assert.NotContains(t, err.Error(), tc.id, "a refused id is not repeated")
			})
		}
	}
}

// TestWaitChecksTheGroupAndClusterFirst: both waiters refuse a bad group or cluster as
// ErrInvalidArgument, whatever the context and MaxWait, and never repeat it.
func TestWaitChecksTheGroupAndClusterFirst(t *testing.T) {
	t.Parallel()
	ended, cancel := context.WithCancel(t.Context())
	cancel()
	for _, tc := range []struct {
		group, cluster, param string
	}{
		{testToken, testCluster, "groupID"},
		{testGroupID, "bad/" + testToken, "clusterName"},
	} {
		t.Run(tc.param, func(t *testing.T) {
			f := setup(t)
			job, err := f.client.Exports.Wait(ended, tc.group, tc.cluster, testExportID, &atlas.WaitOptions{MaxWait: time.Nanosecond})
			assert.Nil(t, job)
			assertNothingSent(t, f, err, tc.param)
			assert.NotContains(t, err.Error(), testToken)
			snap, err := f.client.Snapshots.Wait(ended, tc.group, tc.cluster, testSnapshot, &atlas.SnapshotWaitOptions{MaxWait: time.Nanosecond})
			assert.Nil(t, snap)
			assertNothingSent(t, f, err, tc.param)
			assert.NotContains(t, err.Error(), testToken)
		})
	}
}

// exportPoll is what OnProgress saw of a job at one poll.
type exportPoll struct {
	state    atlas.ExportState
	exported int32
}

func TestExportsWaitReportsProgressUntilSuccess(t *testing.T) {
	t.Parallel()
	f := setup(t)
	id := f.srv.AddExportJob(testGroupID, testCluster, &atlas.ExportJob{
		SnapshotID: testSnapshot, ExportBucketID: testBucket, State: atlas.ExportStateQueued,
		ExportStatus: &atlas.ExportStatus{TotalCollections: 3},
	})
	var seen []*atlas.ExportJob
	job, err := f.client.Exports.Wait(t.Context(), testGroupID, testCluster, id, &atlas.WaitOptions{
		OnProgress: func(j *atlas.ExportJob) {
			seen = append(seen, j)
			f.srv.AdvanceExport(id) // the next poll sees the next step
		},
	})
	require.NoError(t, err)
	assert.Equal(t, atlas.ExportStateSuccessful, job.State)
	assert.False(t, job.FinishedAt.IsZero())
	assert.Equal(t, &atlas.ExportStatus{ExportedCollections: 3, TotalCollections: 3}, job.ExportStatus)

	polls := make([]exportPoll, len(seen))
	for i, j := range seen {
		polls[i] = exportPoll{j.State, j.ExportStatus.ExportedCollections}
	}
	assert.Equal(t, []exportPoll{
		{atlas.ExportStateQueued, 0},
		{atlas.ExportStateInProgress, 0},
		{atlas.ExportStateInProgress, 1},
		{atlas.ExportStateInProgress, 2},
		{atlas.ExportStateSuccessful, 3},
	}, polls, "OnProgress sees every poll, the collections climbing")
	assert.Same(t, job, seen[len(seen)-1], "the last poll is the result")
	assert.Equal(t, len(seen), f.srv.Requests(atlastest.RouteGetExport), "one OnProgress call per poll")
}

func TestExportsWaitEndsWithTheFailureReason(t *testing.T) {
	t.Parallel()
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
			f := setup(t)
			id := f.srv.AddExportJob(testGroupID, testCluster, &atlas.ExportJob{
				State: atlas.ExportStateInProgress, ExportStatus: &atlas.ExportStatus{ExportedCollections: 1, TotalCollections: 4},
			})
			polls := 0
			job, err := f.client.Exports.Wait(t.Context(), testGroupID, testCluster, id, &atlas.WaitOptions{
				OnProgress: func(*atlas.ExportJob) {
					if polls++; polls == 2 {
						tc.end(f.srv, id)
					}
				},
			})
			require.ErrorIs(t, err, atlas.ErrExportFailed)
			var failed *atlas.ExportFailedError
			require.ErrorAs(t, err, &failed)
			assert.Equal(t, tc.state, failed.Job.State)
			assert.Equal(t, tc.reason, failed.Job.StateReason)
			require.NotNil(t, job, "the job comes back with the error")
			assert.Same(t, failed.Job, job)
			assert.Contains(t, err.Error(), string(tc.state))
			if tc.reason != nil {
				assert.Contains(t, err.Error(), reason.ErrorCode)
				assert.Contains(t, err.Error(), reason.Message)
			}
			assert.Equal(t, 3, polls, "the poll after the failure is the last")
		})
	}
}

// TestExportsWaitFailureTextIsRedactedAndQuoted: a server that echoes the client's
// credentials, escape sequences and line breaks in a failed job's reason gets none of them
// into the error's text; the job keeps the reason as sent.
func TestExportsWaitFailureTextIsRedactedAndQuoted(t *testing.T) {
	t.Parallel()
	f := setup(t)
	id := f.srv.AddExportJob(testGroupID, testCluster, &atlas.ExportJob{State: atlas.ExportStateInProgress})
	_, err := f.client.Exports.Get(t.Context(), testGroupID, testCluster, id)
	require.NoError(t, err)
	token := strings.TrimPrefix(f.wire.only(t).Header.Get("Authorization"), "Bearer ")
	require.NotEmpty(t, token)
	message := "denied for " + token + " / " + f.srv.ClientSecret + "\x1b[2J\x1b]0;owned\x07\r\nlevel=ERROR msg=forged\u009b31m\x7f"
	f.srv.FailExport(id, atlas.StateReason{ErrorCode: "DENIED\x1b[5m", Message: message})

	job, err := f.client.Exports.Wait(t.Context(), testGroupID, testCluster, id, nil)
	require.ErrorIs(t, err, atlas.ErrExportFailed)
	text := err.Error()
	for _, leak := range []string{token, f.srv.ClientSecret, "\x1b", "\r", "\n", "\x07", "\u009b", "\x7f"} {
		assert.NotContains(t, text, leak)
	}
	assert.Contains(t, text, `denied for [redacted] / [redacted]\x1b[2J`, "the reason, redacted and quoted")
	assert.Contains(t, text, `("DENIED\x1b[5m")`)
	assert.Equal(t, message, job.StateReason.Message, "the job keeps what the server sent")
}

func TestSnapshotsWaitEndsFailed(t *testing.T) {
	t.Parallel()
	f := setup(t)
	id := f.srv.AddSnapshot(testGroupID, testCluster, &atlas.Snapshot{Status: atlas.SnapshotStatusInProgress})
	polls := 0
	snap, err := f.client.Snapshots.Wait(t.Context(), testGroupID, testCluster, id, &atlas.SnapshotWaitOptions{
		OnProgress: func(*atlas.Snapshot) {
			if polls++; polls == 2 {
				f.srv.FailSnapshot(id)
			}
		},
	})
	require.ErrorIs(t, err, atlas.ErrSnapshotFailed)
	var failed *atlas.SnapshotFailedError
	require.ErrorAs(t, err, &failed)
	require.NotNil(t, snap, "the snapshot comes back with the error")
	assert.Same(t, failed.Snapshot, snap)
	assert.Equal(t, atlas.SnapshotStatusFailed, snap.Status)
	assert.Equal(t, "atlas: snapshot "+id+" ended failed", err.Error())
	assert.False(t, errors.Is(err, atlas.ErrExportFailed), "a snapshot is not an export")
	assert.Equal(t, 3, polls, "the poll after the failure is the last")
}

func TestSnapshotsWaitEndsCompleted(t *testing.T) {
	t.Parallel()
	f := setup(t, atlastest.WithAutoAdvance())
	taken, err := f.client.Snapshots.Take(t.Context(), testGroupID, testCluster, nil)
	require.NoError(t, err)
	var seen []atlas.SnapshotStatus
	snap, err := f.client.Snapshots.Wait(t.Context(), testGroupID, testCluster, taken.ID, &atlas.SnapshotWaitOptions{
		OnProgress: func(s *atlas.Snapshot) { seen = append(seen, s.Status) },
	})
	require.NoError(t, err)
	assert.Equal(t, atlas.SnapshotStatusCompleted, snap.Status)
	assert.Equal(t, []atlas.SnapshotStatus{atlas.SnapshotStatusInProgress, atlas.SnapshotStatusCompleted}, seen)
	assert.Equal(t, 2, f.srv.Requests(atlastest.RouteGetSnapshot), "one poll per OnProgress call")
}

// TestWaitKeepsWaitingThroughAnUnknownState: a state from a newer server is not terminal.
func TestWaitKeepsWaitingThroughAnUnknownState(t *testing.T) {
	t.Parallel()
	for _, w := range waiters {
		t.Run(w.name, func(t *testing.T) {
			f := setup(t)
			id := w.unknown(f)
			var seen []string
			state, err := w.wait(t.Context(), f.client, id, waitOpts{onProgress: func(s string) {
				if seen = append(seen, s); len(seen) == 3 {
					w.finish(f, id)
				}
			}})
			require.NoError(t, err)
			require.Len(t, seen, 4)
			assert.Contains(t, []string{"Paused", "archiving"}, seen[0])
			assert.Equal(t, []string{seen[0], seen[0], seen[0], state}, seen)
			assert.Contains(t, []string{"Successful", "completed"}, state)
		})
	}
}
