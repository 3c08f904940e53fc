package atlas_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"

	"github.com/atlas-exports/atlas"
	"github.com/atlas-exports/atlas/atlastest"
)

// These tests drive the retry and rate-limit behaviour, and Wait's backoff, against the
// atlastest fake's own faults, as a user's integration test would. The re-grant after a 401 is
// in serviceaccount_test.go.

// rsFake starts the fake holding the test job, with a service-account client whose backoff
// waits are recorded, not slept.
func rsFake(t *testing.T, opts ...atlastest.Option) (*atlastest.Server, *atlas.Client, *sleeps) {
	t.Helper()
	srv := authFake(t, opts...)
	c := authClient(t, srv.URL, atlas.WithServiceAccount(testClientID, testSecret))
	return srv, c, recordSleeps(c)
}

func TestFakeRetryAfterIsWaitedForThenTheGetSucceeds(t *testing.T) {
	srv, c, slept := rsFake(t)
	srv.InjectFault(atlastest.Fault{Route: atlastest.RouteGetExport, Status: http.StatusTooManyRequests, RetryAfter: 7 * time.Second})

	job, err := c.Exports.Get(t.Context(), testGroupID, testCluster, testExportID)
	require.NoError(t, err)
	assert.Equal(t, testExportID, job.ID)
	assert.Equal(t, 2, srv.Requests(atlastest.RouteGetExport))
	require.Len(t, slept.Waits(), 1)
	assert.GreaterOrEqual(t, slept.Waits()[0], 7*time.Second, "Retry-After is a floor on the wait")
}

func TestFakeServerErrorsExhaustTheAttempts(t *testing.T) {
	srv, c, slept := rsFake(t)
	srv.InjectFault(atlastest.Fault{Route: atlastest.RouteGetExport, Status: http.StatusBadGateway, Times: atlas.DefaultMaxAttempts})

	job, err := c.Exports.Get(t.Context(), testGroupID, testCluster, testExportID)
	require.ErrorIs(t, err, atlas.ErrServer)
	assert.Nil(t, job)
	assert.Equal(t, atlas.DefaultMaxAttempts, srv.Requests(atlastest.RouteGetExport))
	assert.Len(t, slept.Waits(), atlas.DefaultMaxAttempts-1)
}

func TestFakeClientRateLimitKeepsAFleetInsideTheServersBudget(t *testing.T) {
	// The fake allows bursts of 3 and refills one every 50ms. Six goroutines at once overrun
	// it; the same six behind a client limit of one request per 100ms do not.
	fleet := func(t *testing.T, opts ...atlas.Option) (refused int) {
		srv := authFake(t, atlastest.WithRateLimit(20, 3))
		c := authClient(t, srv.URL, append([]atlas.Option{atlas.WithServiceAccount(testClientID, testSecret),
			atlas.WithRetry(atlas.RetryPolicy{MaxAttempts: 1})}, opts...)...)
		// Grant the token first, so the fleet's requests leave as the limiter releases them
		// rather than all together once the grant is done.
		require.NoError(t, getTestJob(t.Context(), c))

		var wg sync.WaitGroup
		var mu sync.Mutex
		for range 6 {
			wg.Go(func() {
				if err := getTestJob(t.Context(), c); err != nil {
					assert.ErrorIs(t, err, atlas.ErrRateLimited)
					mu.Lock()
					refused++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		return refused
	}
	assert.Positive(t, fleet(t), "without a client limit the fleet collects 429s")
	assert.Zero(t, fleet(t, atlas.WithRateLimit(rate.Limit(10), 1)), "with one, it stays inside the budget")
}

func TestFakeRateLimitWithoutAClientLimitIsTypedAndCarriesTheHeaders(t *testing.T) {
	srv, c, _ := rsFake(t, atlastest.WithRateLimit(0.001, 2))
	for range 2 {
		require.NoError(t, getTestJob(t.Context(), c))
	}
	err := getTestJob(t.Context(), c)
	require.ErrorIs(t, err, atlas.ErrRateLimited)
	var apiErr *atlas.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusTooManyRequests, apiErr.StatusCode)
	assert.Greater(t, apiErr.RetryAfter, time.Minute, "the fake asks for more than the client waits")
	require.NotNil(t, apiErr.RateLimit)
	assert.Equal(t, atlas.RateLimit{Limit: 2, Remaining: 0}, *apiErr.RateLimit)
	assert.Equal(t, 3, srv.Requests(atlastest.RouteGetExport), "a Retry-After over a minute is not waited for")
}

func TestWaitBacksOffWhileNothingChangesAndResetsOnProgress(t *testing.T) {
	srv, c, _ := rsFake(t)
	var waits []time.Duration
	atlas.SetSleep(c, func(_ context.Context, d time.Duration) error {
		waits = append(waits, d) // Wait calls it from the caller's goroutine
		if len(waits) >= 5 {
			srv.AdvanceExport(testExportID) // the job moves only after five unchanged polls
		}
		return nil
	})

	job, err := c.Exports.Wait(t.Context(), testGroupID, testCluster, testExportID, &atlas.WaitOptions{
		PollInterval: 10 * time.Second,
		MaxInterval:  30 * time.Second,
	})
	require.NoError(t, err)
	assert.Equal(t, atlas.ExportStateSuccessful, job.State)
	require.GreaterOrEqual(t, len(waits), 6)
	assert.Equal(t, []time.Duration{
		10 * time.Second,         // first wait: PollInterval
		15 * time.Second,         // unchanged: grows by half
		22500 * time.Millisecond, // unchanged again
		30 * time.Second,         // capped at MaxInterval
		30 * time.Second,         // stays at the cap
		10 * time.Second,         // the job moved: back to PollInterval
	}, waits[:6])
}
