package atlas_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"math"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"

	"github.com/atlas-exports/atlas"
	"github.com/atlas-exports/atlas/atlastest"
)

// These tests prove that do applies the retry policy's decisions (retry_test.go tables the
// decisions themselves), waits for the rate limiter, and logs one record per attempt.

// fastRetry retries quickly; the waits are recorded by recordSleeps, never spent.
var fastRetry = atlas.RetryPolicy{MaxAttempts: 3, MinBackoff: 10 * time.Millisecond, MaxBackoff: 40 * time.Millisecond}

// fakeWithJob starts the fake holding the test job and returns it with a service-account
// client for it, with opts added.
func fakeWithJob(t *testing.T, opts ...atlas.Option) (*atlastest.Server, *atlas.Client) {
	t.Helper()
	srv := atlastest.NewServer()
	t.Cleanup(srv.Close)
	srv.AddExportJob(testGroupID, testCluster, &atlas.ExportJob{ID: testExportID, SnapshotID: testSnapshot, ExportBucketID: testBucket, State: atlas.ExportStateQueued})
	// The fake is strict, as Atlas is: an export needs a completed snapshot and a bucket.
	srv.AddSnapshot(testGroupID, testCluster, &atlas.Snapshot{ID: testSnapshot, Status: atlas.SnapshotStatusCompleted})
	srv.AddExportBucket(testGroupID, &atlas.ExportBucket{ID: testBucket, CloudProvider: atlas.CloudProviderAWS, BucketName: "tests", IAMRoleID: testSnapshot})
	c, err := atlas.NewClient(append([]atlas.Option{atlas.WithBaseURL(srv.URL), atlas.WithServiceAccount(srv.ClientID, srv.ClientSecret)}, opts...)...)
	require.NoError(t, err)
	return srv, c
}

var createReq = &atlas.CreateExportJobRequest{SnapshotID: testSnapshot, ExportBucketID: testBucket}

func TestDoRetriesAsThePolicyDecides(t *testing.T) {
	t.Parallel() // slow under -race, and shares nothing with other tests
	type call struct {
		route string
		run   func(*atlas.Client) error
	}
	get := call{atlastest.RouteGetExport, func(c *atlas.Client) error {
		_, err := c.Exports.Get(t.Context(), testGroupID, testCluster, testExportID)
		return err
	}}
	create := call{atlastest.RouteCreateExport, func(c *atlas.Client) error {
		_, err := c.Exports.Create(t.Context(), testGroupID, testCluster, createReq)
		return err
	}}
	tests := []struct {
		name       string
		call       call
		status     int
		retryAfter time.Duration
		attempts   int
		sentinel   error
	}{
		{"GET 429", get, 429, 0, 3, atlas.ErrRateLimited},
		{"GET 500", get, 500, 0, 3, atlas.ErrServer},
		{"GET 502", get, 502, 0, 3, atlas.ErrServer},
		{"GET 503 with Retry-After", get, 503, 2 * time.Second, 3, atlas.ErrServer},
		{"GET 504", get, 504, 0, 3, atlas.ErrServer},
		{"GET 400", get, 400, 0, 1, nil},
		{"GET 401", get, 401, 0, 1, atlas.ErrUnauthorized},
		{"GET 403", get, 403, 0, 1, atlas.ErrForbidden},
		{"GET 404", get, 404, 0, 1, atlas.ErrNotFound},
		{"GET 409", get, 409, 0, 1, nil},
		{"GET 501", get, 501, 0, 1, atlas.ErrServer},
		{"GET 505", get, 505, 0, 1, atlas.ErrServer},
		// A 429 is a refusal before any work: a create is repeated too (issue 11).
		{"POST 429 with Retry-After", create, 429, time.Second, 3, atlas.ErrRateLimited},
		// A 5xx may come after the server acted: a duplicate export costs money.
		{"POST 500", create, 500, 0, 1, atlas.ErrServer},
		{"POST 502", create, 502, 0, 1, atlas.ErrServer},
		{"POST 503 with Retry-After", create, 503, time.Second, 1, atlas.ErrServer},
		{"POST 504", create, 504, 0, 1, atlas.ErrServer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, c := fakeWithJob(t, atlas.WithRetry(fastRetry))
			slept := recordSleeps(c)
			srv.InjectFault(atlastest.Fault{Route: tt.call.route, Status: tt.status, RetryAfter: tt.retryAfter, Times: 10})

			err := tt.call.run(c)
			var apiErr *atlas.APIError
			require.ErrorAs(t, err, &apiErr, "the last attempt's typed error")
			assert.Equal(t, tt.status, apiErr.StatusCode)
			if tt.sentinel != nil {
				assert.ErrorIs(t, err, tt.sentinel)
			}
			assert.Equal(t, tt.attempts, srv.Requests(tt.call.route))
			waits := slept.Waits()
			require.Len(t, waits, tt.attempts-1, "a wait between attempts, none after the last")
			for _, w := range waits {
				assert.GreaterOrEqual(t, w, max(fastRetry.MinBackoff, tt.retryAfter), "Retry-After is a floor")
				assert.LessOrEqual(t, w, max(fastRetry.MaxBackoff, tt.retryAfter))
			}
			assert.Len(t, srv.ExportJobs(testGroupID, testCluster), 1, "no job was created")
		})
	}
}

func TestDoRetriesUntilItSucceeds(t *testing.T) {
	t.Parallel()
	srv, c := fakeWithJob(t, atlas.WithRetry(atlas.RetryPolicy{MaxAttempts: 4, MinBackoff: time.Millisecond}))
	slept := recordSleeps(c)
	for _, f := range []atlastest.Fault{{Status: 502}, {Status: 503}, {Status: 429, RetryAfter: 3 * time.Second}} {
		f.Route = atlastest.RouteGetExport
		srv.InjectFault(f)
	}
	job, err := c.Exports.Get(t.Context(), testGroupID, testCluster, testExportID)
	require.NoError(t, err)
	assert.Equal(t, testExportID, job.ID)
	assert.Equal(t, 4, srv.Requests(atlastest.RouteGetExport))
	waits := slept.Waits()
	require.Len(t, waits, 3)
	assert.Equal(t, 3*time.Second, waits[2], "the wait the server asked for, over a backoff of milliseconds")
}

func TestCreateRepeatedAfterA429CreatesOneJob(t *testing.T) {
	t.Parallel()
	srv, c := fakeWithJob(t, atlas.WithRetry(fastRetry))
	slept := recordSleeps(c)
	srv.InjectFault(atlastest.Fault{Route: atlastest.RouteCreateExport, Status: http.StatusTooManyRequests, RetryAfter: 2 * time.Second})

	job, err := c.Exports.Create(t.Context(), testGroupID, testCluster, createReq)
	require.NoError(t, err)
	assert.Equal(t, 2, srv.Requests(atlastest.RouteCreateExport))
	assert.Equal(t, []time.Duration{2 * time.Second}, slept.Waits())
	assert.Len(t, srv.ExportJobs(testGroupID, testCluster), 2, "the test job and one new one")
	_, ok := srv.ExportJob(testGroupID, testCluster, job.ID)
	assert.True(t, ok)
}

// dropConnection closes the connection without answering, as a crashing proxy does. A test
// server of its own is needed: on the fake, a dropped connection that the client reused is
// retried by net/http itself, which would blur the counts.
func dropConnection(w http.ResponseWriter, _ *http.Request) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err == nil {
		_ = conn.Close()
	}
}

func TestDroppedConnection(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name     string
		create   bool
		attempts int
	}{
		{"a read is repeated", false, 3},
		{"a create that may have arrived is not", true, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			srv.Mux.HandleFunc("/", dropConnection)
			c := newClient(t, srv, atlas.WithAccessToken(testToken), atlas.WithRetry(fastRetry))
			slept := recordSleeps(c)
			var err error
			if tt.create {
				_, err = c.Exports.Create(t.Context(), testGroupID, testCluster, createReq)
			} else {
				_, err = c.Exports.Get(t.Context(), testGroupID, testCluster, testExportID)
			}
			require.Error(t, err)
			var apiErr *atlas.APIError
			assert.NotErrorAs(t, err, &apiErr, "no response, so no APIError")
			assert.EqualValues(t, tt.attempts, srv.Requests())
			assert.Len(t, slept.Waits(), tt.attempts-1)
		})
	}
}

func TestCreateRetriedWhenTheConnectionWasNeverMade(t *testing.T) {
	t.Parallel()
	// A port that was just free: connecting is refused, so the request certainly never left.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())

	var dials atomic.Int64
	dialer := &net.Dialer{}
	transport := &http.Transport{DialContext: func(ctx context.Context, network, a string) (net.Conn, error) {
		dials.Add(1)
		return dialer.DialContext(ctx, network, a)
	}}
	c, err := atlas.NewClient(atlas.WithBaseURL("http://"+addr), atlas.WithAccessToken(testToken),
		atlas.WithHTTPClient(&http.Client{Transport: transport}), atlas.WithRetry(fastRetry))
	require.NoError(t, err)
	slept := recordSleeps(c)
	_, err = c.Exports.Create(t.Context(), testGroupID, testCluster, createReq)
	var opErr *net.OpError
	require.ErrorAs(t, err, &opErr)
	assert.Equal(t, "dial", opErr.Op)
	assert.EqualValues(t, fastRetry.MaxAttempts, dials.Load())
	assert.Len(t, slept.Waits(), fastRetry.MaxAttempts-1)
}

func TestDoGivesUpAtOnce(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name           string
		fault          atlastest.Fault
		timeout        time.Duration
		sentinel       error
		wantRetryAfter time.Duration
		wantRateLimit  *atlas.RateLimit
	}{
		{"Retry-After over a minute", atlastest.Fault{Status: 429, RetryAfter: 2 * time.Minute,
			Header: http.Header{"Ratelimit-Limit": {"100"}, "Ratelimit-Remaining": {"0"}}}, 0, atlas.ErrRateLimited, 2 * time.Minute, &atlas.RateLimit{Limit: 100, Remaining: 0}},
		// Too large for an int64: a server asking for forever is not asking for nothing.
		{"Retry-After past int64", atlastest.Fault{Status: 429, Header: http.Header{"Retry-After": {"99999999999999999999"}}}, 0, atlas.ErrRateLimited, math.MaxInt64, nil},
		// The caller gets the server's answer rather than a deadline error 30 s later.
		{"a wait past the deadline", atlastest.Fault{Status: 503, RetryAfter: 30 * time.Second}, 10 * time.Second, atlas.ErrServer, 30 * time.Second, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, c := fakeWithJob(t, atlas.WithRetry(fastRetry))
			slept := recordSleeps(c)
			tt.fault.Route, tt.fault.Times = atlastest.RouteGetExport, 10
			srv.InjectFault(tt.fault)
			ctx := t.Context()
			if tt.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.timeout)
				defer cancel()
			}
			job, err := c.Exports.Get(ctx, testGroupID, testCluster, testExportID)
			assert.Nil(t, job)
			require.ErrorIs(t, err, tt.sentinel)
			var apiErr *atlas.APIError
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, tt.wantRetryAfter, apiErr.RetryAfter, "the caller learns how long the server asked for")
			assert.Equal(t, tt.wantRateLimit, apiErr.RateLimit)
			assert.Equal(t, 1, srv.Requests(atlastest.RouteGetExport))
			assert.Empty(t, slept.Waits())
		})
	}
}

func TestMaxAttemptsOneMeansOneRequest(t *testing.T) {
	t.Parallel()
	for _, f := range []atlastest.Fault{{Status: 503}, {Status: 429, RetryAfter: time.Second}} {
		srv, c := fakeWithJob(t, atlas.WithRetry(atlas.RetryPolicy{MaxAttempts: 1}))
		slept := recordSleeps(c)
		f.Route = atlastest.RouteGetExport
		srv.InjectFault(f)
		_, err := c.Exports.Get(t.Context(), testGroupID, testCluster, testExportID)
		require.Error(t, err)
		assert.Equal(t, 1, srv.Requests(atlastest.RouteGetExport), "status %d", f.Status)
		assert.Empty(t, slept.Waits())
	}
}

func TestDefaultRetryPolicy(t *testing.T) {
	t.Parallel()
	srv, c := fakeWithJob(t)
	slept := recordSleeps(c)
	srv.InjectFault(atlastest.Fault{Route: atlastest.RouteGetExport, Status: 500, Times: 10})
	_, err := c.Exports.Get(t.Context(), testGroupID, testCluster, testExportID)
	require.ErrorIs(t, err, atlas.ErrServer)
	assert.Equal(t, atlas.DefaultMaxAttempts, srv.Requests(atlastest.RouteGetExport))
	waits := slept.Waits()
	require.Len(t, waits, atlas.DefaultMaxAttempts-1)
	assert.Equal(t, atlas.DefaultMinBackoff, waits[0], "the first wait is the minimum")
	for _, w := range waits {
		assert.GreaterOrEqual(t, w, atlas.DefaultMinBackoff)
		assert.LessOrEqual(t, w, atlas.DefaultMaxBackoff)
	}
}

func TestBackoffSleepEndsWithTheContext(t *testing.T) {
	t.Parallel()
	srv, c := fakeWithJob(t, atlas.WithRetry(atlas.RetryPolicy{MaxAttempts: 3, MinBackoff: time.Hour, MaxBackoff: time.Hour}))
	srv.InjectFault(atlastest.Fault{Route: atlastest.RouteGetExport, Status: 503})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	sleeping := make(chan time.Duration, 1)
	atlas.SetSleep(c, func(ctx context.Context, d time.Duration) error {
		sleeping <- d
		return atlas.SleepContext(ctx, d) // the real sleep
	})

	done := make(chan error, 1)
	go func() {
		_, err := c.Exports.Get(ctx, testGroupID, testCluster, testExportID)
		done <- err
	}()
	assert.Equal(t, time.Hour, <-sleeping)
	cancel()
	select {
	case err := <-done:
		require.ErrorIs(t, err, context.Canceled)
	case <-time.After(10 * time.Second): // a watchdog, not synchronisation: the hour-long sleep ignored the context
		t.Fatal("the backoff sleep did not end with the context")
	}
	assert.Equal(t, 1, srv.Requests(atlastest.RouteGetExport))
}

func TestWithRateLimit(t *testing.T) {
	t.Parallel()
	// One request an hour: the grant is not limited, the first Get passes on the burst, the
	// second must wait past any short deadline.
	srv, c := fakeWithJob(t, atlas.WithRateLimit(rate.Every(time.Hour), 1))
	_, err := c.Exports.Get(t.Context(), testGroupID, testCluster, testExportID)
	require.NoError(t, err)

	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	job, err := c.Exports.Get(ctx, testGroupID, testCluster, testExportID)
	assert.Nil(t, job)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Equal(t, 1, srv.Requests(atlastest.RouteGetExport), "the limited request was not sent")

	// Shared by every goroutine: a cancelled caller does not free a token for the next.
	cancelled, cancel2 := context.WithCancel(t.Context())
	cancel2()
	_, err = c.Exports.Get(cancelled, testGroupID, testCluster, testExportID)
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, 1, srv.Requests(atlastest.RouteGetExport))
}

// logRecord is one JSON record of the client's debug log.
type logRecord struct {
	Level    string `json:"level"`
	Msg      string `json:"msg"`
	Method   string `json:"method"`
	Path     string `json:"path"`
	Status   int    `json:"status"`
	Attempt  int    `json:"attempt"`
	Wait     int64  `json:"wait"`
	Duration *int64 `json:"duration"`
}

// debugLog returns a logger that writes JSON debug records to buf.
func debugLog(buf *bytes.Buffer) atlas.Option {
	return atlas.WithLogger(slog.New(slog.NewJSONHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
}

func TestWithLoggerOneRecordPerAttempt(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	srv, c := fakeWithJob(t, debugLog(&buf), atlas.WithRetry(fastRetry))
	slept := recordSleeps(c)
	srv.InjectFault(atlastest.Fault{Route: atlastest.RouteGetExport, Status: 503})
	srv.InjectFault(atlastest.Fault{Route: atlastest.RouteGetExport, Status: 502})

	_, err := c.Exports.Get(t.Context(), testGroupID, testCluster, testExportID)
	require.NoError(t, err)

	var records []logRecord
	for dec := json.NewDecoder(&buf); dec.More(); {
		var r logRecord
		require.NoError(t, dec.Decode(&r))
		records = append(records, r)
	}
	require.Len(t, records, 3)
	waits := slept.Waits()
	require.Len(t, waits, 2)
	for i, want := range []struct {
		status int
		wait   time.Duration
	}{{503, waits[0]}, {502, waits[1]}, {200, 0}} {
		r := records[i]
		assert.Equal(t, "DEBUG", r.Level)
		assert.Equal(t, "atlas request", r.Msg)
		assert.Equal(t, http.MethodGet, r.Method)
		assert.Equal(t, jobPath, r.Path)
		assert.Equal(t, want.status, r.Status)
		assert.Equal(t, i+1, r.Attempt)
		assert.Equal(t, want.wait, time.Duration(r.Wait))
		if assert.NotNil(t, r.Duration, "duration") {
			assert.Positive(t, *r.Duration)
		}
	}
	for _, s := range []string{srv.ClientSecret, srv.ClientID, "Bearer", "Basic", "Authorization"} {
		assert.NotContains(t, buf.String(), s)
	}
}

func TestWithLoggerNeverLogsCredentials(t *testing.T) {
	t.Parallel()
	// A 500, then the credential refused: each attempt is logged, none with a credential.
	for name, tt := range map[string]struct {
		opt     func(*atlastest.Server) atlas.Option
		secrets []string
	}{
		"access token": {func(*atlastest.Server) atlas.Option { return atlas.WithAccessToken(testToken) }, []string{testToken}},
		"digest": {func(s *atlastest.Server) atlas.Option { return atlas.WithDigest(s.PublicKey, "wrong-"+s.PrivateKey) },
			[]string{"wrong-", "Digest", "nonce"}},
	} {
		t.Run(name, func(t *testing.T) {
			srv := atlastest.NewServer()
			t.Cleanup(srv.Close)
			srv.InjectFault(atlastest.Fault{Route: atlastest.RouteGetExport, Status: 500})
			var buf bytes.Buffer
			c, err := atlas.NewClient(atlas.WithBaseURL(srv.URL), tt.opt(srv), debugLog(&buf), atlas.WithRetry(fastRetry))
			require.NoError(t, err)
			recordSleeps(c)
			_, err = c.Exports.Get(t.Context(), testGroupID, testCluster, testExportID)
			require.ErrorIs(t, err, atlas.ErrUnauthorized)
			assert.Equal(t, 2, strings.Count(buf.String(), "atlas request"), buf.String())
			for _, s := range tt.secrets {
				assert.NotContains(t, buf.String(), s)
			}
		})
	}
}

func TestWithLoggerRespectsTheLevel(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	_, c := fakeWithJob(t, atlas.WithLogger(slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))))
	_, err := c.Exports.Get(t.Context(), testGroupID, testCluster, testExportID)
	require.NoError(t, err)
	assert.Empty(t, buf.String(), "debug records stay out of an info logger")
}

func TestNoLoggingWithoutALogger(t *testing.T) {
	// Not parallel: it swaps slog's default, and restores it before any parallel test runs.
	// slog.Default must not receive the SDK's records unless the caller asked for them.
	var buf bytes.Buffer
	saved := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
	t.Cleanup(func() { slog.SetDefault(saved) })

	_, c := fakeWithJob(t)
	_, err := c.Exports.Get(t.Context(), testGroupID, testCluster, testExportID)
	require.NoError(t, err)
	assert.Empty(t, buf.String())
}
