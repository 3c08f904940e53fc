package atlas_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/atlas-exports/atlas"
	"github.com/atlas-exports/atlas/atlastest"
)

// Service accounts: the client-credentials grant, the shared token, its renewal, the re-grant
// after a 401 and the bounds on grants. Renewal times and the token endpoint's answer are
// table-tested in serviceaccount_internal_test.go.

// tokenServer is an independent token endpoint at /api/oauth/token: it checks the HTTP Basic
// client credentials and the form body on the wire, counts grants, and guards API handlers
// with the tokens it granted.
type tokenServer struct {
	t         *testing.T
	expiresIn any // sent as is; nil leaves it out
	grants    atomic.Int64
	calls     atomic.Int64 // every request, refused ones too

	mu    sync.Mutex
	valid map[string]bool
}

// newTokenServer registers the token endpoint on srv.
func newTokenServer(t *testing.T, srv *server, expiresIn any) *tokenServer {
	ts := &tokenServer{t: t, expiresIn: expiresIn, valid: map[string]bool{}}
	srv.Mux.HandleFunc("/api/oauth/token", ts.grant)
	return ts
}

func (ts *tokenServer) grant(w http.ResponseWriter, r *http.Request) {
	t := ts.t
	ts.calls.Add(1)
	assert.Equal(t, http.MethodPost, r.Method)
	assert.Equal(t, "application/x-www-form-urlencoded", r.Header.Get("Content-Type"))
	assert.Equal(t, "application/json", r.Header.Get("Accept"))
	assert.Equal(t, "atlas-go/"+atlas.Version, r.Header.Get("User-Agent"))
	assert.NoError(t, r.ParseForm())
	assert.Equal(t, "client_credentials", r.PostForm.Get("grant_type"))
	assert.Len(t, r.PostForm, 1, "the secret goes in the Basic header, not the body")
	id, secret, ok := r.BasicAuth()
	if !ok || id != testClientID || secret != testSecret {
		writeJSON(w, http.StatusUnauthorized, `{"error":"invalid_client","error_description":"Invalid credentials","echo":"raw-body-canary-91ad"}`)
		return
	}
	tok := fmt.Sprintf("sa-token-%d-%s", ts.grants.Add(1), randomHex(4))
	ts.mu.Lock()
	ts.valid[tok] = true
	ts.mu.Unlock()
	answer := map[string]any{"access_token": tok, "token_type": "Bearer"}
	if ts.expiresIn != nil {
		answer["expires_in"] = ts.expiresIn
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(answer)
}

// wrap serves next only to a request that carries a granted bearer token.
func (ts *tokenServer) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		ts.mu.Lock()
		valid := ok && ts.valid[tok]
		ts.mu.Unlock()
		if !valid {
			writeJSON(w, http.StatusUnauthorized, `{"error":401,"errorCode":"UNAUTHORIZED"}`)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// saFake starts the fake on a clock the test moves, with a service-account client whose
// token clock is the same one.
func saFake(t *testing.T, opts ...atlastest.Option) (*atlastest.Server, *atlas.Client, *atlastest.Clock) {
	t.Helper()
	clock := atlastest.NewClock(time.Now())
	srv := authFake(t, append([]atlastest.Option{atlastest.WithClock(clock.Now)}, opts...)...)
	c := authClient(t, srv.URL, atlas.WithServiceAccount(testClientID, testSecret), atlas.WithClock(clock.Now))
	return srv, c, clock
}

func TestServiceAccountGrantOnTheWire(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	ts := newTokenServer(t, srv, 3600)
	srv.Mux.Handle(jobPath, ts.wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		assert.Regexp(t, `^Bearer sa-token-1-`, r.Header.Get("Authorization"))
		serveJob(w, r)
	})))
	c := newClient(t, srv, atlas.WithServiceAccount(testClientID, testSecret))
	for range 3 {
		require.NoError(t, getTestJob(t.Context(), c))
	}
	assert.EqualValues(t, 1, ts.calls.Load(), "one grant, then the cached token")

	// A refused grant quotes nothing the endpoint sent besides its OAuth error.
	bad := newClient(t, srv, atlas.WithServiceAccount(testClientID, "canary-wrong-secret-e3f0"))
	err := getTestJob(t.Context(), bad)
	require.ErrorIs(t, err, atlas.ErrUnauthorized)
	assertNoSecret(t, err, "canary-wrong-secret-e3f0", "raw-body-canary-91ad")
}

func TestServiceAccountSecretWithReservedCharacters(t *testing.T) {
	t.Parallel()
	const secret = "s3cr:t+/%20 &="
	srv := authFake(t, atlastest.WithServiceAccount(testClientID, secret))
	c := authClient(t, srv.URL, atlas.WithServiceAccount(testClientID, secret))
	require.NoError(t, getTestJob(t.Context(), c), "the id and secret are form-encoded before Basic (RFC 6749 2.3.1)")
}

func TestServiceAccountOneGrantForFiftyGoroutines(t *testing.T) {
	t.Parallel()
	srv, c, _ := saFake(t)
	getTogether(t, c, 50)
	assert.Equal(t, 1, srv.Requests(atlastest.RouteToken), "fifty goroutines share one grant")
	assert.Equal(t, 50, srv.Requests(atlastest.RouteGetExport))
}

func TestServiceAccountRenewsBeforeExpiry(t *testing.T) {
	t.Parallel()
	srv, c, clock := saFake(t) // tokens live an hour
	require.NoError(t, getTestJob(t.Context(), c))
	clock.Advance(30 * time.Minute)
	require.NoError(t, getTestJob(t.Context(), c))
	assert.Equal(t, 1, srv.TokenGrants(), "half-way through its life the token is reused")

	clock.Advance(29*time.Minute + 30*time.Second)
	require.NoError(t, getTestJob(t.Context(), c))
	assert.Equal(t, 2, srv.TokenGrants(), "within a minute of expiry it is renewed")
	require.NoError(t, getTestJob(t.Context(), c))
	assert.Equal(t, 2, srv.TokenGrants(), "and the new one is reused")
	assert.Equal(t, 4, srv.Requests(atlastest.RouteGetExport), "no call was refused")
}

// A token the API refuses is replaced only once it has been in use for MinGrantInterval:
// one refused right after its grant would be refused again (a missing role, say).
func TestServiceAccountRefusedTokenIsReplacedOnlyOnceItIsOld(t *testing.T) {
	t.Parallel()
	srv, c, clock := saFake(t)
	require.NoError(t, getTestJob(t.Context(), c))
	srv.RevokeTokens()

	err := getTestJob(t.Context(), c)
	require.ErrorIs(t, err, atlas.ErrUnauthorized, "a fresh token's refusal is the answer")
	assert.Equal(t, 1, srv.TokenGrants())
	assert.Equal(t, 2, srv.Requests(atlastest.RouteGetExport), "and the call is not repeated")

	clock.Advance(atlas.MinGrantInterval)
	require.NoError(t, getTestJob(t.Context(), c))
	assert.Equal(t, 2, srv.TokenGrants(), "an old token's refusal costs one grant")
	assert.Equal(t, 4, srv.Requests(atlastest.RouteGetExport), "and one repeat")

	// A refused create is repeated once too, with its whole body: it was not acted on.
	srv.RevokeTokens()
	clock.Advance(atlas.MinGrantInterval)
	job, err := c.Exports.Create(t.Context(), testGroupID, testCluster,
		&atlas.CreateExportJobRequest{SnapshotID: testSnapshot, ExportBucketID: testBucket})
	require.NoError(t, err)
	assert.Equal(t, 3, srv.TokenGrants())
	assert.Equal(t, 2, srv.Requests(atlastest.RouteCreateExport))
	stored, ok := srv.ExportJob(testGroupID, testCluster, job.ID)
	require.True(t, ok)
	assert.Equal(t, testSnapshot, stored.SnapshotID)
}

func TestServiceAccountConcurrentRefusalsRegrantOnce(t *testing.T) {
	t.Parallel() // slow under -race, and shares nothing with other tests
	srv, c, clock := saFake(t)
	require.NoError(t, getTestJob(t.Context(), c))
	clock.Advance(atlas.MinGrantInterval)
	srv.RevokeTokens()

	// Fifty callers meet the revoked token; a 401 drops it only while it is the one cached.
	getTogether(t, c, 50)
	assert.Equal(t, 2, srv.TokenGrants())
}

// An API that refuses every token (a key without the role, clocks that disagree) costs one
// grant per MinGrantInterval, however many calls are made: the endpoint allows about ten
// grants a minute per service account, shared by every process using it.
func TestServiceAccountGrantsAreBoundedWhenTheAPIRefusesEveryToken(t *testing.T) {
	t.Parallel() // slow under -race, and shares nothing with other tests
	srv, c, clock := saFake(t)
	srv.InjectFault(atlastest.Fault{Route: atlastest.RouteGetExport, Status: http.StatusUnauthorized, Times: 1000})
	calls := func() {
		t.Helper()
		for range 100 {
			err := getTestJob(t.Context(), c)
			var apiErr *atlas.APIError
			require.ErrorAs(t, err, &apiErr, "the API's refusal is the answer")
			require.Equal(t, http.StatusUnauthorized, apiErr.StatusCode)
		}
	}
	calls()
	assert.Equal(t, 1, srv.TokenGrants(), "100 calls within MinGrantInterval")
	assert.Equal(t, 100, srv.Requests(atlastest.RouteGetExport), "none repeated")

	clock.Advance(atlas.MinGrantInterval)
	calls()
	assert.Equal(t, 2, srv.TokenGrants(), "one more once the token is old")
	assert.Equal(t, 201, srv.Requests(atlastest.RouteGetExport), "the call that re-granted repeated once")
}

// A token without a usable lifetime (expires_in zero or negative) is kept MinGrantInterval,
// not granted anew on every call.
func TestServiceAccountTokenWithoutALifetimeIsKept(t *testing.T) {
	t.Parallel() // slow under -race, and shares nothing with other tests
	for _, expiresIn := range []any{0, -5, "0"} {
		t.Run(fmt.Sprint(expiresIn), func(t *testing.T) {
			srv := newServer(t)
			ts := newTokenServer(t, srv, expiresIn)
			srv.Mux.Handle(jobPath, ts.wrap(http.HandlerFunc(serveJob)))
			clock := atlastest.NewClock(time.Now())
			c := newClient(t, srv, atlas.WithServiceAccount(testClientID, testSecret), atlas.WithClock(clock.Now))
			for range 100 {
				require.NoError(t, getTestJob(t.Context(), c))
			}
			assert.EqualValues(t, 1, ts.grants.Load())
			clock.Advance(atlas.MinGrantInterval)
			require.NoError(t, getTestJob(t.Context(), c))
			assert.EqualValues(t, 2, ts.grants.Load())
		})
	}
}

// A grant refused for its credentials is a *GrantError that matches the endpoint's status,
// and is not asked again for MinGrantInterval: calls fail at once with the same error.
func TestServiceAccountRefusedGrantFailsFast(t *testing.T) {
	t.Parallel()
	srv, _, clock := saFake(t)
	const wrongSecret = "canary-wrong-secret-a4d9"
	c := authClient(t, srv.URL, atlas.WithServiceAccount(testClientID, wrongSecret), atlas.WithClock(clock.Now))

	err := getTestJob(t.Context(), c)
	var grantErr *atlas.GrantError
	require.ErrorAs(t, err, &grantErr)
	require.ErrorIs(t, err, atlas.ErrUnauthorized)
	var apiErr *atlas.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusUnauthorized, apiErr.StatusCode)
	assert.Equal(t, "invalid_client", apiErr.ErrorCode)
	assert.False(t, grantErr.Temporary())
	for _, other := range []error{atlas.ErrForbidden, atlas.ErrNotFound, atlas.ErrServer, atlas.ErrRateLimited, atlas.ErrInvalidResponse} {
		assert.NotErrorIs(t, err, other)
	}
	assertNoSecret(t, err, wrongSecret)
	assert.Equal(t, 1, srv.Requests(atlastest.RouteToken), "not retried")
	assert.Zero(t, srv.Requests(atlastest.RouteGetExport), "without a token nothing is sent to the API")

	for range 5 {
		var again *atlas.GrantError
		require.ErrorAs(t, getTestJob(t.Context(), c), &again)
		assert.Equal(t, grantErr, again, "the same refusal (copied to carry the hint)")
	}
	assert.Equal(t, 1, srv.Requests(atlastest.RouteToken), "the refusal is remembered")

	clock.Advance(atlas.MinGrantInterval)
	require.ErrorIs(t, getTestJob(t.Context(), c), atlas.ErrUnauthorized)
	assert.Equal(t, 2, srv.Requests(atlastest.RouteToken), "and asked again after MinGrantInterval")
}

func TestServiceAccountGrantRetriedAfterServerError(t *testing.T) {
	t.Parallel()
	srv, c, _ := saFake(t)
	srv.InjectFault(atlastest.Fault{Route: atlastest.RouteToken, Status: http.StatusServiceUnavailable})
	slept := recordSleeps(c)

	// A failed grant happens before the request is sent, so even a create may be retried.
	_, err := c.Exports.Create(t.Context(), testGroupID, testCluster,
		&atlas.CreateExportJobRequest{SnapshotID: testSnapshot, ExportBucketID: testBucket})
	require.NoError(t, err)
	assert.Equal(t, 2, srv.Requests(atlastest.RouteToken))
	assert.Equal(t, 1, srv.Requests(atlastest.RouteCreateExport))
	assert.Len(t, slept.Waits(), 1)
}

func TestServiceAccountGrantHonoursRetryAfter(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		retryAfter time.Duration
		waits      []time.Duration
		grants     int
	}{
		{6 * time.Second, []time.Duration{6 * time.Second}, 1},
		{10 * time.Minute, nil, 0}, // over a minute: not waited for, the caller gets the 429
	} {
		t.Run(tt.retryAfter.String(), func(t *testing.T) {
			srv, c, clock := saFake(t)
			srv.InjectFault(atlastest.Fault{Route: atlastest.RouteToken, Status: http.StatusTooManyRequests, RetryAfter: tt.retryAfter})
			var slept []time.Duration
			atlas.SetSleep(c, func(_ context.Context, d time.Duration) error {
				slept = append(slept, d)
				clock.Advance(d) // the wait passes on the client's clock too
				return nil
			})

			err := getTestJob(t.Context(), c)
			if tt.grants == 0 {
				require.ErrorIs(t, err, atlas.ErrRateLimited)
				var grantErr *atlas.GrantError
				require.ErrorAs(t, err, &grantErr)
				assert.Equal(t, tt.retryAfter, grantErr.RetryAfter)
				assert.True(t, grantErr.Temporary())
			} else {
				require.NoError(t, err)
			}
			assert.Equal(t, tt.waits, slept)
			assert.Equal(t, tt.grants, srv.TokenGrants())
		})
	}
}

// A grant refused with a wait is not asked for again before the wait has passed, by any
// caller: the token endpoint's budget is shared by every run of the service account.
func TestServiceAccountKeepsARateLimitedGrantsWait(t *testing.T) {
	t.Parallel()
	srv, _, clock := saFake(t)
	c := authClient(t, srv.URL, atlas.WithServiceAccount(testClientID, testSecret), atlas.WithClock(clock.Now),
		atlas.WithRetry(atlas.RetryPolicy{MaxAttempts: 1}))
	srv.InjectFault(atlastest.Fault{Route: atlastest.RouteToken, Status: http.StatusTooManyRequests, RetryAfter: 30 * time.Second})
	for range 20 {
		err := getTestJob(t.Context(), c)
		require.ErrorIs(t, err, atlas.ErrRateLimited)
	}
	assert.Equal(t, 1, srv.Requests(atlastest.RouteToken), "20 calls inside the wait: one grant request")
	clock.Advance(30 * time.Second)
	require.NoError(t, getTestJob(t.Context(), c))
	assert.Equal(t, 2, srv.Requests(atlastest.RouteToken))
}

func TestServiceAccountGrantEndsWithTheContext(t *testing.T) {
	t.Parallel() // slow under -race, and shares nothing with other tests
	srv := authFake(t)
	srv.InjectFault(atlastest.Fault{Route: atlastest.RouteToken, Delay: time.Hour, Times: 10}) // never answers
	// Grants in flight are counted on the client's side: the server notices an abandoned
	// request only some time after the client has moved on.
	grants := &inFlightTransport{base: &http.Transport{}}
	t.Cleanup(grants.base.(*http.Transport).CloseIdleConnections)
	c := authClient(t, srv.URL, atlas.WithServiceAccount(testClientID, testSecret), atlas.WithHTTPClient(&http.Client{Transport: grants}))

	// Callers waiting behind the grant in flight end with their own contexts too.
	getImpatiently(t, c, 5, 50*time.Millisecond)
	assert.Zero(t, srv.Requests(atlastest.RouteGetExport))
	assert.EqualValues(t, 1, grants.max.Load(), "at most one grant in flight at a time")
}

// Twelve callers whose deadlines end before a slow token endpoint answers share one grant,
// which goes on without them: the next caller gets its token (issue 19's abandoned grants).
func TestServiceAccountImpatientCallersShareOneGrant(t *testing.T) {
	t.Parallel()
	srv, c, _ := saFake(t)
	srv.InjectFault(atlastest.Fault{Route: atlastest.RouteToken, Delay: 300 * time.Millisecond})
	getImpatiently(t, c, 12, 100*time.Millisecond)
	require.NoError(t, getTestJob(t.Context(), c), "a patient caller joins the grant in flight")
	assert.Equal(t, 1, srv.Requests(atlastest.RouteToken))
	assert.Equal(t, 1, srv.TokenGrants())
	assert.Equal(t, 1, srv.Requests(atlastest.RouteGetExport))
}

// A token is renewed at the documented time: a minute before it expires, a quarter of its
// lifetime before for short ones, never sooner than MinGrantInterval after its grant.
func TestServiceAccountRenewalTime(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ lifetime, renew time.Duration }{
		{time.Hour, 59 * time.Minute},
		{10 * time.Minute, 9 * time.Minute},
		{2 * time.Minute, 90 * time.Second},
		{40 * time.Second, atlas.MinGrantInterval},
	} {
		t.Run(tt.lifetime.String(), func(t *testing.T) {
			t.Parallel()
			srv, c, clock := saFake(t, atlastest.WithTokenLifetime(tt.lifetime))
			require.NoError(t, getTestJob(t.Context(), c))
			clock.Advance(tt.renew - time.Second)
			require.NoError(t, getTestJob(t.Context(), c))
			assert.Equal(t, 1, srv.TokenGrants(), "a second before the renewal time")
			clock.Advance(time.Second)
			require.NoError(t, getTestJob(t.Context(), c))
			assert.Equal(t, 2, srv.TokenGrants(), "at the renewal time")
		})
	}
}

// inFlightTransport records the most requests it ever carried at once.
type inFlightTransport struct {
	base     http.RoundTripper
	now, max atomic.Int64
}

func (f *inFlightTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	n := f.now.Add(1)
	defer f.now.Add(-1)
	for m := f.max.Load(); n > m && !f.max.CompareAndSwap(m, n); m = f.max.Load() {
	}
	return f.base.RoundTrip(r)
}

// A token endpoint that answers 200 with something other than a bearer token: the grant
// fails with ErrInvalidResponse, quoting nothing of the answer, which may echo a credential.
func TestServiceAccountAnswerThatIsNoToken(t *testing.T) {
	t.Parallel()
	const granted = "canary-granted-token-6b1f"
	for name, body := range map[string]string{
		"html":                    "<html><body>Sign in</body></html>",
		"no access_token":         `{"token_type":"bearer","expires_in":3600}`,
		"empty access_token":      `{"access_token":"","token_type":"bearer"}`,
		"not bearer":              `{"access_token":"` + granted + `","token_type":"mac","expires_in":3600}`,
		"null":                    `null`,
		"empty":                   ``,
		"secret in expires_in":    `{"access_token":"` + granted + `","token_type":"bearer","expires_in":"` + testSecret + `"}`,
		"token with a line break": `{"access_token":"` + granted + `\r\nX-Evil: 1","token_type":"bearer"}`,
		// Bytes a header cannot carry, or that RFC 6750's b64token does not allow: each would
		// fail every call for the token's lifetime if it were kept.
		"token with \\x01":  `{"access_token":"` + granted + `\u0001","token_type":"bearer"}`,
		"token with DEL":    `{"access_token":"` + granted + `\u007f","token_type":"bearer"}`,
		"token with ESC":    `{"access_token":"\u001b[31m` + granted + `","token_type":"bearer"}`,
		"token with \\v":    `{"access_token":"` + granted + `\u000b","token_type":"bearer"}`,
		"token with space":  `{"access_token":"` + granted + ` x","token_type":"bearer"}`,
		"token with quote":  `{"access_token":"` + granted + `\"","token_type":"bearer"}`,
		"token of = only":   `{"access_token":"==","token_type":"bearer"}`,
		"token not ASCII":   `{"access_token":"` + granted + `é","token_type":"bearer"}`,
		"200 with an error": `{"error":"invalid_client","error_description":"` + testSecret + `"}`,
	} {
		t.Run(name, func(t *testing.T) {
			srv, c, clock := saFake(t)
			ctype := "application/json"
			if strings.HasPrefix(body, "<") {
				ctype = "text/html"
			}
			srv.InjectFault(atlastest.Fault{Route: atlastest.RouteToken, Status: http.StatusOK, Body: []byte(body),
				Header: http.Header{"Content-Type": {ctype}}})

			err := getTestJob(t.Context(), c)
			require.ErrorIs(t, err, atlas.ErrInvalidResponse)
			var grantErr *atlas.GrantError
			require.ErrorAs(t, err, &grantErr)
			assertNoSecret(t, err, granted, testSecret)
			assert.Zero(t, srv.Requests(atlastest.RouteGetExport))

			// The answer is not kept: the next grant, MinGrantInterval later, is used.
			require.ErrorIs(t, getTestJob(t.Context(), c), atlas.ErrInvalidResponse, "remembered, not asked again at once")
			assert.Equal(t, 1, srv.Requests(atlastest.RouteToken))
			clock.Advance(atlas.MinGrantInterval)
			require.NoError(t, getTestJob(t.Context(), c))
			assert.Equal(t, 1, srv.Requests(atlastest.RouteGetExport))
		})
	}
}

// A token endpoint whose answer never ends, or stalls: the grant reads 64 KiB at most, and
// ends when the caller's context does.
func TestServiceAccountHostileTokenAnswersAreBounded(t *testing.T) {
	t.Parallel() // slow under -race, and shares nothing with other tests
	const maxTokenAnswer = 64 << 10
	for name, tt := range map[string]struct {
		status int
		is     error
	}{
		"2xx":   {http.StatusOK, atlas.ErrBodyTooLarge},
		"error": {http.StatusInternalServerError, atlas.ErrServer},
	} {
		t.Run(name+" endless", func(t *testing.T) {
			srv := newServer(t)
			srv.Mux.Handle("/api/oauth/token", hostileBody(t, tt.status, nil, false))
			meter := &bodyMeter{base: srv.Client().Transport}
			c := newClient(t, srv, atlas.WithServiceAccount(testClientID, testSecret),
				atlas.WithHTTPClient(&http.Client{Transport: meter}), atlas.WithRetry(atlas.RetryPolicy{MaxAttempts: 1}))
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
			defer cancel()
			err := getTestJob(ctx, c)
			require.ErrorIs(t, err, tt.is)
			require.ErrorAs(t, err, new(*atlas.GrantError))
			reads := meter.Reads()
			require.Len(t, reads, 1)
			assert.LessOrEqual(t, reads[0], int64(maxTokenAnswer+1))
		})
		t.Run(name+" stalls", func(t *testing.T) {
			srv := newServer(t)
			srv.Mux.Handle("/api/oauth/token", hostileBody(t, tt.status, nil, true))
			c := newClient(t, srv, atlas.WithServiceAccount(testClientID, testSecret))
			requireEndsWithContext(t, 200*time.Millisecond, func(ctx context.Context) error { return getTestJob(ctx, c) })
		})
	}
}

// A token endpoint that redirects: the grant fails with ErrRedirect, shown without the raw
// URL that net/http's *url.Error carries, and without the redirect's query.
func TestServiceAccountGrantRedirectShowsNoRawURL(t *testing.T) {
	t.Parallel()
	srv, c, _ := saFake(t)
	const canary = "canary-query-secret-0d4e"
	srv.InjectFault(atlastest.Fault{Route: atlastest.RouteToken, Status: http.StatusFound,
		Header: http.Header{"Location": {srv.URL + "/elsewhere?apikey=" + canary}}})
	err := getTestJob(t.Context(), c)
	require.ErrorIs(t, err, atlas.ErrRedirect)
	require.ErrorAs(t, err, new(*atlas.GrantError))
	assertNoSecret(t, err, canary, `Post "`, testSecret)
	assert.Equal(t, 1, srv.Requests(atlastest.RouteToken))
}
