package atlas_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
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
)

// fastRetry retries quickly; the waits are recorded by recordSleeps, never spent.
var fastRetry = atlas.RetryPolicy{MaxAttempts: 3, MinBackoff: 10 * time.Millisecond, MaxBackoff: 40 * time.Millisecond}

// errorBody is an ApiError document for status.
func errorBody(status int, code string) string {
	return fmt.Sprintf(`{"error":%d,"errorCode":%q,"reason":%q,"detail":"test"}`, status, code, http.StatusText(status))
}

// sequence answers the n-th request with steps[n], and the last step ever after.
func sequence(steps ...http.HandlerFunc) http.HandlerFunc {
	var n atomic.Int64
	return func(w http.ResponseWriter, r *http.Request) {
		i := min(int(n.Add(1))-1, len(steps)-1)
		steps[i](w, r)
	}
}

// status answers with status and an ApiError body, and the given headers.
func status(code int, headers ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		for i := 0; i+1 < len(headers); i += 2 {
			w.Header().Set(headers[i], headers[i+1])
		}
		writeJSON(w, code, errorBody(code, strings.ToUpper(strings.ReplaceAll(http.StatusText(code), " ", "_"))))
	}
}

// dropConnection closes the connection without answering, as a crashing proxy does.
func dropConnection(w http.ResponseWriter, _ *http.Request) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(err)
	}
	_ = conn.Close()
}

func TestGetRetriedOnTransientStatus(t *testing.T) {
	for _, code := range []int{429, 500, 502, 503, 504} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			srv := newServer(t)
			srv.Mux.HandleFunc(jobPath, status(code))
			c := newClient(t, srv, atlas.WithAccessToken(testToken), atlas.WithRetry(fastRetry))
			slept := recordSleeps(c)

			job, err := c.Exports.Get(t.Context(), testGroupID, testCluster, testExportID)
			assert.Nil(t, job)
			var apiErr *atlas.APIError
			require.ErrorAs(t, err, &apiErr, "the last attempt's typed error")
			assert.Equal(t, code, apiErr.StatusCode)
			if code == 429 {
				assert.ErrorIs(t, err, atlas.ErrRateLimited)
				assert.NotErrorIs(t, err, atlas.ErrServer)
			} else {
				assert.ErrorIs(t, err, atlas.ErrServer)
				assert.NotErrorIs(t, err, atlas.ErrRateLimited)
			}
			assert.EqualValues(t, fastRetry.MaxAttempts, srv.Requests())
			waits := slept.Waits()
			require.Len(t, waits, fastRetry.MaxAttempts-1, "a wait between attempts, none after the last")
			for _, w := range waits {
				assert.GreaterOrEqual(t, w, fastRetry.MinBackoff)
				assert.LessOrEqual(t, w, fastRetry.MaxBackoff)
			}
		})
	}
}

func TestGetRetriedThenSucceeds(t *testing.T) {
	srv := newServer(t)
	srv.Mux.HandleFunc(jobPath, sequence(dropConnection, status(503), status(429), serveJob))
	c := newClient(t, srv, atlas.WithAccessToken(testToken), atlas.WithRetry(atlas.RetryPolicy{MaxAttempts: 4, MinBackoff: time.Millisecond}))
	slept := recordSleeps(c)

	job, err := c.Exports.Get(t.Context(), testGroupID, testCluster, testExportID)
	require.NoError(t, err)
	assert.Equal(t, testExportID, job.ID)
	assert.EqualValues(t, 4, srv.Requests())
	assert.Len(t, slept.Waits(), 3)
}

func TestGetNotRetriedOnPermanentStatus(t *testing.T) {
	for _, code := range []int{400, 401, 403, 404, 409, 501, 505} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			srv := newServer(t)
			srv.Mux.HandleFunc(jobPath, status(code))
			c := newClient(t, srv, atlas.WithAccessToken(testToken), atlas.WithRetry(fastRetry))
			slept := recordSleeps(c)
			_, err := c.Exports.Get(t.Context(), testGroupID, testCluster, testExportID)
			var apiErr *atlas.APIError
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, code, apiErr.StatusCode)
			assert.EqualValues(t, 1, srv.Requests())
			assert.Empty(t, slept.Waits())
		})
	}
}

func TestMaxAttemptsOneMeansOneRequest(t *testing.T) {
	for name, h := range map[string]http.HandlerFunc{
		"503":                status(503),
		"429 with a wait":    status(429, "Retry-After", "1"),
		"dropped connection": dropConnection,
	} {
		t.Run(name, func(t *testing.T) {
			srv := newServer(t)
			srv.Mux.HandleFunc(jobPath, h)
			c := newClient(t, srv, atlas.WithAccessToken(testToken), atlas.WithRetry(atlas.RetryPolicy{MaxAttempts: 1}))
			slept := recordSleeps(c)
			job, err := c.Exports.Get(t.Context(), testGroupID, testCluster, testExportID)
			assert.Nil(t, job)
			require.Error(t, err)
			assert.EqualValues(t, 1, srv.Requests())
			assert.Empty(t, slept.Waits())
		})
	}
}

func TestDefaultRetryPolicy(t *testing.T) {
	srv := newServer(t)
	srv.Mux.HandleFunc(jobPath, status(500))
	c := newClient(t, srv)
	slept := recordSleeps(c)
	_, err := c.Exports.Get(t.Context(), testGroupID, testCluster, testExportID)
	require.ErrorIs(t, err, atlas.ErrServer)
	assert.EqualValues(t, atlas.DefaultMaxAttempts, srv.Requests())
	waits := slept.Waits()
	require.Len(t, waits, atlas.DefaultMaxAttempts-1)
	assert.Equal(t, atlas.DefaultMinBackoff, waits[0], "the first wait is the minimum")
	for _, w := range waits {
		assert.GreaterOrEqual(t, w, atlas.DefaultMinBackoff)
		assert.LessOrEqual(t, w, atlas.DefaultMaxBackoff)
	}
}

func TestBackoffGrowsWithinBounds(t *testing.T) {
	policy := atlas.RetryPolicy{MaxAttempts: 8, MinBackoff: 100 * time.Millisecond, MaxBackoff: time.Second}
	// Jitter makes one run prove little about the ceiling; many runs make it likely that
	// each attempt's waits spread over their whole range.
	const runs = 40
	ceilings := []time.Duration{100, 200, 400, 800, 1000, 1000, 1000} // ms, per attempt
	maxSeen := make([]time.Duration, len(ceilings))
	for range runs {
		srv := newServer(t)
		srv.Mux.HandleFunc(jobPath, status(503))
		c := newClient(t, srv, atlas.WithAccessToken(testToken), atlas.WithRetry(policy))
		slept := recordSleeps(c)
		_, err := c.Exports.Get(t.Context(), testGroupID, testCluster, testExportID)
		require.ErrorIs(t, err, atlas.ErrServer)
		waits := slept.Waits()
		require.Len(t, waits, len(ceilings))
		for i, w := range waits {
			assert.GreaterOrEqual(t, w, policy.MinBackoff, "attempt %d", i+1)
			assert.LessOrEqual(t, w, ceilings[i]*time.Millisecond, "attempt %d", i+1)
			maxSeen[i] = max(maxSeen[i], w)
		}
	}
	// With full jitter, the later attempts do wait longer than the first.
	assert.Equal(t, policy.MinBackoff, maxSeen[0])
	assert.Greater(t, maxSeen[len(maxSeen)-1], 500*time.Millisecond)
}

func TestRetryAfterIsAFloor(t *testing.T) {
	tests := []struct {
		name     string
		h        http.HandlerFunc
		min, max time.Duration
	}{
		{"429 seconds", status(429, "Retry-After", "3"), 3 * time.Second, 3 * time.Second},
		{"503 seconds", status(503, "Retry-After", "2"), 2 * time.Second, 2 * time.Second},
		{"429 HTTP date", func(w http.ResponseWriter, r *http.Request) {
			status(429, "Retry-After", time.Now().Add(30*time.Second).UTC().Format(http.TimeFormat))(w, r)
		}, 28 * time.Second, 30 * time.Second},
		{"under the backoff", status(429, "Retry-After", "0"), fastRetry.MinBackoff, fastRetry.MaxBackoff},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			srv.Mux.HandleFunc(jobPath, sequence(tt.h, serveJob))
			c := newClient(t, srv, atlas.WithAccessToken(testToken), atlas.WithRetry(fastRetry))
			slept := recordSleeps(c)
			_, err := c.Exports.Get(t.Context(), testGroupID, testCluster, testExportID)
			require.NoError(t, err)
			waits := slept.Waits()
			require.Len(t, waits, 1)
			assert.GreaterOrEqual(t, waits[0], tt.min)
			assert.LessOrEqual(t, waits[0], tt.max)
			assert.EqualValues(t, 2, srv.Requests())
		})
	}
}

func TestRetryAfterOverAMinuteIsNotWaitedFor(t *testing.T) {
	srv := newServer(t)
	srv.Mux.HandleFunc(jobPath, status(429, "Retry-After", "120", "RateLimit-Limit", "100", "RateLimit-Remaining", "0"))
	c := newClient(t, srv, atlas.WithAccessToken(testToken), atlas.WithRetry(fastRetry))
	slept := recordSleeps(c)
	_, err := c.Exports.Get(t.Context(), testGroupID, testCluster, testExportID)
	require.ErrorIs(t, err, atlas.ErrRateLimited)
	var apiErr *atlas.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 2*time.Minute, apiErr.RetryAfter, "the caller learns how long the server asked for")
	assert.Equal(t, &atlas.RateLimit{Limit: 100, Remaining: 0}, apiErr.RateLimit)
	assert.EqualValues(t, 1, srv.Requests())
	assert.Empty(t, slept.Waits())
}

func TestRetryWaitPastTheDeadlineIsNotStarted(t *testing.T) {
	srv := newServer(t)
	srv.Mux.HandleFunc(jobPath, status(503, "Retry-After", "30"))
	c := newClient(t, srv, atlas.WithAccessToken(testToken), atlas.WithRetry(fastRetry))
	slept := recordSleeps(c)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	_, err := c.Exports.Get(ctx, testGroupID, testCluster, testExportID)
	require.ErrorIs(t, err, atlas.ErrServer, "the server's answer, not a deadline the caller has not reached")
	assert.EqualValues(t, 1, srv.Requests())
	assert.Empty(t, slept.Waits())
}

func TestGetRetriedAfterDroppedConnection(t *testing.T) {
	srv := newServer(t)
	srv.Mux.HandleFunc(jobPath, sequence(dropConnection, dropConnection, serveJob))
	c := newClient(t, srv, atlas.WithAccessToken(testToken), atlas.WithRetry(fastRetry))
	slept := recordSleeps(c)
	job, err := c.Exports.Get(t.Context(), testGroupID, testCluster, testExportID)
	require.NoError(t, err)
	assert.Equal(t, testExportID, job.ID)
	assert.EqualValues(t, 3, srv.Requests())
	assert.Len(t, slept.Waits(), 2)

	// Always dropped: the last connection error comes back, untyped as an APIError.
	srv2 := newServer(t)
	srv2.Mux.HandleFunc(jobPath, dropConnection)
	c2 := newClient(t, srv2, atlas.WithAccessToken(testToken), atlas.WithRetry(fastRetry))
	recordSleeps(c2)
	_, err = c2.Exports.Get(t.Context(), testGroupID, testCluster, testExportID)
	require.Error(t, err)
	var apiErr *atlas.APIError
	assert.False(t, errors.As(err, &apiErr))
	assert.EqualValues(t, fastRetry.MaxAttempts, srv2.Requests())
}

func TestCreateIsNeverRepeated(t *testing.T) {
	const body = `{"snapshotId":"` + testSnapshot + `","exportBucketId":"` + testBucket + `","customData":[{"key":"k","value":"v"}]}`
	for name, h := range map[string]http.HandlerFunc{
		"500":                  status(500),
		"502":                  status(502),
		"503 with Retry-After": status(503, "Retry-After", "1"),
		"429 with Retry-After": status(429, "Retry-After", "1"),
		"dropped connection":   dropConnection,
	} {
		t.Run(name, func(t *testing.T) {
			srv := newServer(t)
			var created atomic.Int64
			srv.Mux.HandleFunc(exportsPath, func(w http.ResponseWriter, r *http.Request) {
				created.Add(1)
				testWire(t, r, http.MethodPost, "Bearer "+testToken)
				testBody(t, r, body)
				h(w, r)
			})
			c := newClient(t, srv, atlas.WithAccessToken(testToken), atlas.WithRetry(fastRetry))
			slept := recordSleeps(c)
			job, err := c.Exports.Create(t.Context(), testGroupID, testCluster, &atlas.CreateExportJobRequest{
				SnapshotID: testSnapshot, ExportBucketID: testBucket, CustomData: []atlas.Label{{Key: "k", Value: "v"}},
			})
			assert.Nil(t, job)
			require.Error(t, err)
			assert.EqualValues(t, 1, created.Load(), "a create that may have reached the server is not repeated")
			assert.EqualValues(t, 1, srv.Requests())
			assert.Empty(t, slept.Waits())
		})
	}
}

func TestCreateRetriedWhenTheConnectionWasNeverMade(t *testing.T) {
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
	_, err = c.Exports.Create(t.Context(), testGroupID, testCluster,
		&atlas.CreateExportJobRequest{SnapshotID: testSnapshot, ExportBucketID: testBucket})
	require.Error(t, err)
	var opErr *net.OpError
	require.ErrorAs(t, err, &opErr)
	assert.Equal(t, "dial", opErr.Op)
	assert.EqualValues(t, fastRetry.MaxAttempts, dials.Load())
	assert.Len(t, slept.Waits(), fastRetry.MaxAttempts-1)
}

func TestBackoffSleepEndsWithTheContext(t *testing.T) {
	srv := newServer(t)
	srv.Mux.HandleFunc(jobPath, status(503))
	c := newClient(t, srv, atlas.WithAccessToken(testToken),
		atlas.WithRetry(atlas.RetryPolicy{MaxAttempts: 3, MinBackoff: time.Hour, MaxBackoff: time.Hour}))
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
	assert.EqualValues(t, 1, srv.Requests())
}

func TestSleepContext(t *testing.T) {
	cancelled, cancel := context.WithCancel(t.Context())
	cancel()
	assert.ErrorIs(t, atlas.SleepContext(cancelled, time.Hour), context.Canceled)
	assert.ErrorIs(t, atlas.SleepContext(cancelled, 0), context.Canceled)
	assert.NoError(t, atlas.SleepContext(t.Context(), 0))
	assert.NoError(t, atlas.SleepContext(t.Context(), -time.Second))
	assert.NoError(t, atlas.SleepContext(t.Context(), time.Microsecond))
}

func TestWithRateLimit(t *testing.T) {
	srv := newServer(t)
	srv.Mux.HandleFunc(jobPath, serveJob)
	// One request an hour: the first passes on the burst, the second must wait past any
	// short deadline.
	c := newClient(t, srv, atlas.WithAccessToken(testToken), atlas.WithRateLimit(rate.Every(time.Hour), 1))
	_, err := c.Exports.Get(t.Context(), testGroupID, testCluster, testExportID)
	require.NoError(t, err)

	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	job, err := c.Exports.Get(ctx, testGroupID, testCluster, testExportID)
	assert.Nil(t, job)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.EqualValues(t, 1, srv.Requests(), "the limited request was not sent")

	// Shared by every goroutine: a cancelled caller does not free a token for the next.
	cancelled, cancel2 := context.WithCancel(t.Context())
	cancel2()
	_, err = c.Exports.Get(cancelled, testGroupID, testCluster, testExportID)
	require.ErrorIs(t, err, context.Canceled)
	assert.EqualValues(t, 1, srv.Requests())
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

func decodeLog(t *testing.T, buf *bytes.Buffer) []logRecord {
	t.Helper()
	var out []logRecord
	dec := json.NewDecoder(bytes.NewReader(buf.Bytes()))
	for dec.More() {
		var r logRecord
		require.NoError(t, dec.Decode(&r))
		out = append(out, r)
	}
	return out
}

func TestWithLoggerOneRecordPerAttempt(t *testing.T) {
	srv := newServer(t)
	ts := newTokenServer(t, srv, 3600)
	srv.Mux.Handle(jobPath, ts.wrap(sequence(status(503), status(502), serveJob)))
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c := newClient(t, srv, atlas.WithServiceAccount(testClientID, testSecret), atlas.WithLogger(logger), atlas.WithRetry(fastRetry))
	slept := recordSleeps(c)

	_, err := c.Exports.Get(t.Context(), testGroupID, testCluster, testExportID)
	require.NoError(t, err)

	records := decodeLog(t, &buf)
	require.Len(t, records, 3, buf.String())
	waits := slept.Waits()
	require.Len(t, waits, 2)
	for i, want := range []struct {
		status int
		wait   time.Duration
	}{{503, waits[0]}, {502, waits[1]}, {200, 0}} {
		r := records[i]
		assert.Equal(t, "DEBUG", r.Level)
		assert.Equal(t, http.MethodGet, r.Method)
		assert.Equal(t, jobPath, r.Path)
		assert.Equal(t, want.status, r.Status)
		assert.Equal(t, i+1, r.Attempt)
		assert.Equal(t, want.wait, time.Duration(r.Wait))
		if assert.NotNil(t, r.Duration, "duration") {
			assert.Positive(t, *r.Duration)
		}
	}

	// Nothing that authenticates appears, in any form.
	logged := buf.String()
	secrets := append([]string{testSecret, testClientID, "Bearer", "Basic", "Authorization"}, ts.tokens()...)
	for _, s := range secrets {
		assert.NotContains(t, logged, s)
	}
}

func TestWithLoggerNeverLogsCredentials(t *testing.T) {
	tests := map[string]struct {
		opt     atlas.Option
		secrets []string
		guard   func(http.Handler) http.Handler
	}{
		"access token": {atlas.WithAccessToken(testToken), []string{testToken}, nil},
		"digest": {atlas.WithDigest(testPublicKey, testPrivateKey), []string{testPrivateKey, "Digest", "nonce"},
			newDigestServer(testPublicKey, testPrivateKey).wrap},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			srv := newServer(t)
			var h http.Handler = sequence(status(500), status(401), serveJob)
			if tt.guard != nil {
				h = tt.guard(h)
			}
			srv.Mux.Handle(jobPath, h)
			var buf bytes.Buffer
			logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
			c := newClient(t, srv, tt.opt, atlas.WithLogger(logger), atlas.WithRetry(fastRetry))
			recordSleeps(c)
			_, err := c.Exports.Get(t.Context(), testGroupID, testCluster, testExportID)
			require.ErrorIs(t, err, atlas.ErrUnauthorized)
			require.NotEmpty(t, buf.String())
			for _, s := range tt.secrets {
				assert.NotContains(t, buf.String(), s)
			}
		})
	}
}

func TestWithLoggerRespectsTheLevel(t *testing.T) {
	srv := newServer(t)
	srv.Mux.HandleFunc(jobPath, serveJob)
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	c := newClient(t, srv, atlas.WithAccessToken(testToken), atlas.WithLogger(logger))
	_, err := c.Exports.Get(t.Context(), testGroupID, testCluster, testExportID)
	require.NoError(t, err)
	assert.Empty(t, buf.String(), "debug records stay out of an info logger")
}

func TestRetryPolicyDefaultsFitTheFieldsGiven(t *testing.T) {
	tests := []struct {
		name     string
		policy   atlas.RetryPolicy
		min, max time.Duration
	}{
		{"zero", atlas.RetryPolicy{}, atlas.DefaultMinBackoff, atlas.DefaultMaxBackoff},
		// Only a cap below the default minimum: the waits stay under the cap.
		{"max only, under the default min", atlas.RetryPolicy{MaxBackoff: 100 * time.Millisecond}, 100 * time.Millisecond, 100 * time.Millisecond},
		{"max only", atlas.RetryPolicy{MaxBackoff: 2 * time.Second}, atlas.DefaultMinBackoff, 2 * time.Second},
		// Only a minimum above the default cap: the cap rises to it.
		{"min only, over the default max", atlas.RetryPolicy{MinBackoff: 30 * time.Second}, 30 * time.Second, 30 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			srv.Mux.HandleFunc(jobPath, status(503))
			tt.policy.MaxAttempts = 6
			c := newClient(t, srv, atlas.WithAccessToken(testToken), atlas.WithRetry(tt.policy))
			slept := recordSleeps(c)
			_, err := c.Exports.Get(t.Context(), testGroupID, testCluster, testExportID)
			require.ErrorIs(t, err, atlas.ErrServer)
			waits := slept.Waits()
			require.Len(t, waits, 5)
			assert.Equal(t, tt.min, waits[0])
			for _, w := range waits {
				assert.GreaterOrEqual(t, w, tt.min)
				assert.LessOrEqual(t, w, tt.max)
			}
		})
	}
}
