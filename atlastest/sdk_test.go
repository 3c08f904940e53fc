package atlastest_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/atlas-exports/atlas"
	"github.com/atlas-exports/atlas/atlastest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fastRetry keeps the SDK's backoff short; the fake's faults decide what is retried.
var fastRetry = atlas.WithRetry(atlas.RetryPolicy{MaxAttempts: 4, MinBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond})

// newSDK builds an SDK client against the fake whose traffic goes through the schema checks.
func newSDK(t *testing.T, srv *atlastest.Server, opts ...atlas.Option) *atlas.Client {
	t.Helper()
	opts = append([]atlas.Option{atlas.WithBaseURL(srv.URL), atlas.WithHTTPClient(newClient(t)), fastRetry}, opts...)
	c, err := atlas.NewClient(opts...)
	require.NoError(t, err)
	return c
}

func TestSDKDigestReusesTheChallenge(t *testing.T) {
	t.Parallel()
	srv := newServer(t, atlastest.WithNonceUses(5))
	id := srv.AddExportJob(groupID, cluster, &atlas.ExportJob{ExportBucketID: bucket, State: atlas.ExportStateQueued})
	c := newSDK(t, srv, atlas.WithDigest(srv.PublicKey, srv.PrivateKey))
	for range 10 {
		j, err := c.Exports.Get(t.Context(), groupID, cluster, id)
		require.NoError(t, err)
		assert.Equal(t, id, j.ID)
	}
	// The first challenge, then one stale re-challenge when the nonce wears out after five
	// uses: each costs one extra round trip, and no call asks twice.
	assert.Equal(t, 2, srv.DigestChallenges())
	assert.Equal(t, 12, srv.Requests(atlastest.RouteGetExport))
}

func TestSDKServiceAccountCachesItsToken(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	c := newSDK(t, srv, atlas.WithServiceAccount(srv.ClientID, srv.ClientSecret))
	for range 5 {
		_, err := c.Exports.List(t.Context(), groupID, cluster, nil)
		require.NoError(t, err)
	}
	assert.Equal(t, 1, srv.TokenGrants(), "one token serves every call")
	// Renewal and the re-grant after a refused token need the SDK's own clock moved too; the
	// root package's serviceaccount_test.go tests them against this fake.
}

func TestSDKErrors(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	const denied = "aaaaaaaaaaaaaaaaaaaaaaaa"
	srv.AddCluster(denied, cluster)
	srv.SetAccess(denied, atlastest.AccessNone)
	c := newSDK(t, srv, atlas.WithServiceAccount(srv.ClientID, srv.ClientSecret))
	ctx := t.Context()

	_, err := c.Exports.Get(ctx, groupID, cluster, "dddddddddddddddddddddddd")
	require.ErrorIs(t, err, atlas.ErrNotFound)
	var apiErr *atlas.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "EXPORT_JOB_NOT_FOUND", apiErr.ErrorCode)

	_, err = c.Exports.List(ctx, "cccccccccccccccccccccccc", cluster, nil)
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "GROUP_NOT_FOUND", apiErr.ErrorCode)

	_, err = c.Exports.List(ctx, denied, cluster, nil)
	assert.ErrorIs(t, err, atlas.ErrForbidden)

	bad := newSDK(t, srv, atlas.WithServiceAccount(srv.ClientID, "wrong"))
	_, err = bad.Exports.List(ctx, groupID, cluster, nil)
	assert.ErrorIs(t, err, atlas.ErrUnauthorized)

	badKey := newSDK(t, srv, atlas.WithDigest(srv.PublicKey, "wrong"))
	_, err = badKey.Exports.List(ctx, groupID, cluster, nil)
	assert.ErrorIs(t, err, atlas.ErrUnauthorized)
}

func TestSDKCreateAndWait(t *testing.T) {
	t.Parallel()
	srv := newServer(t, atlastest.WithAutoAdvance())
	seedExportable(t, srv)
	c := newSDK(t, srv, atlas.WithDigest(srv.PublicKey, srv.PrivateKey))
	ctx := t.Context()
	job, err := c.Exports.Create(ctx, groupID, cluster, &atlas.CreateExportJobRequest{
		SnapshotID: snapshot, ExportBucketID: bucket, CustomData: []atlas.Label{{Key: "k", Value: "v"}}})
	require.NoError(t, err)
	assert.Equal(t, atlas.ExportStateQueued, job.State)

	var seenStates []atlas.ExportState
	done, err := c.Exports.Wait(ctx, groupID, cluster, job.ID, &atlas.WaitOptions{
		PollInterval: time.Millisecond, MaxInterval: time.Millisecond,
		OnProgress: func(j *atlas.ExportJob) { seenStates = append(seenStates, j.State) },
	})
	require.NoError(t, err)
	assert.Equal(t, atlas.ExportStateSuccessful, done.State)
	assert.Equal(t, []atlas.ExportState{"InProgress", "InProgress", "InProgress", "Successful"}, seenStates)

	other, err := c.Exports.Create(ctx, groupID, cluster, &atlas.CreateExportJobRequest{SnapshotID: snapshot, ExportBucketID: bucket})
	require.NoError(t, err)
	reason := atlas.StateReason{ErrorCode: "EXPORT_BUCKET_ACCESS_DENIED", Message: "no write access"}
	srv.FailExport(other.ID, reason)
	_, err = c.Exports.Wait(ctx, groupID, cluster, other.ID, &atlas.WaitOptions{PollInterval: time.Millisecond})
	require.ErrorIs(t, err, atlas.ErrExportFailed)
	var failed *atlas.ExportFailedError
	require.ErrorAs(t, err, &failed)
	assert.Equal(t, &reason, failed.Job.StateReason)
}

func TestSDKPagesThroughAll(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	for range 250 {
		srv.AddExportJob(groupID, cluster, &atlas.ExportJob{ExportBucketID: bucket})
	}
	c := newSDK(t, srv, atlas.WithServiceAccount(srv.ClientID, srv.ClientSecret))
	n := 0
	for j, err := range c.Exports.All(t.Context(), groupID, cluster, &atlas.ListOptions{ItemsPerPage: 100}) {
		require.NoError(t, err)
		require.NotEmpty(t, j.ID)
		n++
	}
	assert.Equal(t, 250, n)
	assert.Equal(t, 3, srv.Requests(atlastest.RouteListExports))
}

func TestSDKRetriesFaults(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	id := srv.AddExportJob(groupID, cluster, &atlas.ExportJob{ExportBucketID: bucket})
	c := newSDK(t, srv, atlas.WithServiceAccount(srv.ClientID, srv.ClientSecret))
	ctx := t.Context()

	srv.InjectFault(atlastest.Fault{Route: atlastest.RouteGetExport, Times: 2, Status: http.StatusServiceUnavailable})
	_, err := c.Exports.Get(ctx, groupID, cluster, id)
	require.NoError(t, err)
	assert.Equal(t, 3, srv.Requests(atlastest.RouteGetExport))

	srv.ResetCounters()
	srv.InjectFault(atlastest.Fault{Route: atlastest.RouteGetExport, Drop: true})
	_, err = c.Exports.Get(ctx, groupID, cluster, id)
	require.NoError(t, err)
	assert.Equal(t, 2, srv.Requests(atlastest.RouteGetExport))

	// A create is not repeated: the 503 comes back to the caller.
	srv.InjectFault(atlastest.Fault{Route: atlastest.RouteCreateExport, Status: http.StatusServiceUnavailable})
	_, err = c.Exports.Create(ctx, groupID, cluster, &atlas.CreateExportJobRequest{SnapshotID: snapshot, ExportBucketID: bucket})
	require.ErrorIs(t, err, atlas.ErrServer)
	assert.Equal(t, 1, srv.Requests(atlastest.RouteCreateExport))

	// A slow answer ends with the caller's context.
	srv.InjectFault(atlastest.Fault{Route: atlastest.RouteGetExport, Delay: time.Hour, Times: 10})
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	_, err = c.Exports.Get(short, groupID, cluster, id)
	assert.True(t, errors.Is(err, context.DeadlineExceeded), "got %v", err)
	srv.ClearFaults()
}

func TestSDKSeesRateLimit(t *testing.T) {
	t.Parallel()
	srv := newServer(t, atlastest.WithRateLimit(0, 1)) // one request, never refilled
	c := newSDK(t, srv, atlas.WithServiceAccount(srv.ClientID, srv.ClientSecret),
		atlas.WithRetry(atlas.RetryPolicy{MaxAttempts: 1}))
	_, err := c.Exports.List(t.Context(), groupID, cluster, nil)
	require.NoError(t, err)
	_, err = c.Exports.List(t.Context(), groupID, cluster, nil)
	require.ErrorIs(t, err, atlas.ErrRateLimited)
	var apiErr *atlas.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, time.Minute, apiErr.RetryAfter)
	require.NotNil(t, apiErr.RateLimit)
	assert.Equal(t, atlas.RateLimit{Limit: 1, Remaining: 0}, *apiErr.RateLimit)
}
