package atlas_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
	"golang.org/x/time/rate"

	"github.com/atlas-exports/atlas"
	"github.com/atlas-exports/atlas/atlastest"
)

// oauthWire is a base transport that records the requests sent to the revocation endpoint.
type oauthWire struct {
	base    http.RoundTripper
	mu      sync.Mutex
	revokes []url.Values
	basic   []string
}

func (w *oauthWire) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Path == "/api/oauth/revoke" {
		body, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		_ = req.Body.Close()
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, err
		}
		id, secret, _ := req.BasicAuth()
		w.mu.Lock()
		w.revokes = append(w.revokes, form)
		w.basic = append(w.basic, id+":"+secret)
		w.mu.Unlock()
		req = req.Clone(req.Context())
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	return w.base.RoundTrip(req)
}

// Close revokes every live token the client granted, renewals included, on the wire as RFC
// 7009 asks; a second Close sends nothing; calls after it fail at once and send nothing.
func TestCloseRevokesGrantedTokens(t *testing.T) {
	t.Parallel()
	srv, _, clock := saFake(t)
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	rec := &oauthWire{base: tr}
	c := authClient(t, srv.URL, atlas.WithServiceAccount(testClientID, testSecret), atlas.WithClock(clock.Now),
		atlas.WithHTTPClient(&http.Client{Transport: rec}))
	require.NoError(t, getTestJob(t.Context(), c))
	clock.Advance(59 * time.Minute) // renewal: the first token still lives a minute
	require.NoError(t, getTestJob(t.Context(), c))
	require.Equal(t, 2, srv.TokenGrants())
	require.Equal(t, 2, srv.LiveTokens())

	require.NoError(t, c.Close(t.Context()))
	assert.Equal(t, 2, srv.TokenRevocations())
	assert.Zero(t, srv.LiveTokens(), "no live token left behind")
	require.Len(t, rec.revokes, 2)
	for i, form := range rec.revokes {
		assert.Equal(t, []string{"access_token"}, form["token_type_hint"])
		assert.Len(t, form["token"], 1)
		assert.Equal(t, testClientID+":"+testSecret, rec.basic[i], "client credentials in Basic auth")
	}

	requests := srv.Requests("")
	require.NoError(t, c.Close(t.Context()), "a second Close")
	err := getTestJob(t.Context(), c)
	require.ErrorIs(t, err, atlas.ErrClosed)
	assert.Equal(t, requests, srv.Requests(""), "nothing sent after Close")
}

// A token that expired is not revoked, and a client that never granted sends nothing.
func TestCloseRevokesOnlyLiveTokens(t *testing.T) {
	t.Parallel()
	srv, c, clock := saFake(t)
	require.NoError(t, getTestJob(t.Context(), c))
	clock.Advance(time.Hour)
	require.NoError(t, c.Close(t.Context()))
	assert.Zero(t, srv.Requests(atlastest.RouteRevoke))

	idle := authClient(t, srv.URL, atlas.WithServiceAccount(testClientID, testSecret))
	require.NoError(t, idle.Close(t.Context()))
	assert.Zero(t, srv.Requests(atlastest.RouteRevoke))
}

// A refused revocation is Close's error, without the secret or the token.
func TestCloseErrorHoldsNoCredential(t *testing.T) {
	t.Parallel()
	srv, c, _ := saFake(t)
	require.NoError(t, getTestJob(t.Context(), c))
	srv.InjectFault(atlastest.Fault{Route: atlastest.RouteRevoke, Status: http.StatusInternalServerError,
		Body: []byte(`{"echo":"` + testSecret + `"}`)})
	err := c.Close(t.Context())
	require.ErrorIs(t, err, atlas.ErrServer)
	assertNoSecret(t, err, testSecret)
	assert.Equal(t, 1, srv.LiveTokens(), "the revocation failed")
}

// A revocation that cannot reach the endpoint is Close's error too, without a credential or
// the raw URL.
func TestCloseWithTheEndpointGone(t *testing.T) {
	t.Parallel()
	srv, c, _ := saFake(t)
	require.NoError(t, getTestJob(t.Context(), c))
	srv.Close()
	err := c.Close(t.Context()) // a refused dial, or EOF on the connection the server closed
	require.Error(t, err)
	assert.Contains(t, err.Error(), "revoking a token")
	assertNoSecret(t, err, testSecret)
	assert.NotContains(t, err.Error(), "/api/oauth/revoke", "*url.Error's raw URL is not repeated")
}

// Clients that hold nothing to revoke close too: nothing is sent, and calls after fail.
func TestCloseOtherAuthModes(t *testing.T) {
	t.Parallel()
	srv := authFake(t, atlastest.WithTokenRateLimit(rate.Inf, 0))
	tok, err := grantAtFake(t.Context(), srv)
	require.NoError(t, err)
	for name, auth := range map[string]atlas.Option{
		"digest":       atlas.WithDigest(testPublicKey, testPrivateKey),
		"access token": atlas.WithAccessToken(tok),
		"token source": atlas.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: tok})),
	} {
		t.Run(name, func(t *testing.T) {
			c := authClient(t, srv.URL, auth)
			require.NoError(t, getTestJob(t.Context(), c))
			before := srv.Requests("")
			require.NoError(t, c.Close(t.Context()))
			require.NoError(t, c.Close(t.Context()))
			require.ErrorIs(t, getTestJob(t.Context(), c), atlas.ErrClosed)
			assert.Equal(t, before, srv.Requests(""))
		})
	}
	assert.Zero(t, srv.TokenRevocations())
}

// Issue 20's measured scenario: 150 runs without a cache (new client, one call, Close), with
// the grant rate limit raised so that they can run in a minute: live tokens never above 1.
func TestRunsWithoutACacheLeaveNoLiveToken(t *testing.T) {
	t.Parallel()
	srv := authFake(t, atlastest.WithTokenRateLimit(rate.Inf, 0))
	most := 0
	for range 150 {
		c := authClient(t, srv.URL, atlas.WithServiceAccount(testClientID, testSecret))
		require.NoError(t, getTestJob(t.Context(), c))
		most = max(most, srv.LiveTokens())
		require.NoError(t, c.Close(t.Context()))
	}
	assert.Equal(t, 150, srv.TokenGrants())
	assert.Equal(t, 150, srv.TokenRevocations())
	assert.Equal(t, 1, most)
	assert.Zero(t, srv.LiveTokens())
}

// Issue 20's measured scenario: 11 runs in a minute without a cache. Atlas, and the fake by
// default, grant ten a minute: the 11th is refused with 429 RATE_LIMITED. With retries on (the
// default), it waits the Retry-After the endpoint sent, 6 s, and then succeeds.
func TestElevenRunsInAMinute(t *testing.T) {
	t.Parallel()
	clock := atlastest.NewClock(time.Now())
	srv := authFake(t, atlastest.WithClock(clock.Now))
	run := func(opts ...atlas.Option) (*atlas.Client, error) {
		c := authClient(t, srv.URL, append([]atlas.Option{atlas.WithServiceAccount(testClientID, testSecret), atlas.WithClock(clock.Now)}, opts...)...)
		err := getTestJob(t.Context(), c)
		require.NoError(t, c.Close(t.Context()))
		return c, err
	}
	for range 10 {
		_, err := run()
		require.NoError(t, err)
	}
	_, err := run(atlas.WithRetry(atlas.RetryPolicy{MaxAttempts: 1}))
	require.ErrorIs(t, err, atlas.ErrRateLimited)
	var grantErr *atlas.GrantError
	require.ErrorAs(t, err, &grantErr)
	assert.Equal(t, 6*time.Second, grantErr.RetryAfter)
	var apiErr *atlas.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "RATE_LIMITED", apiErr.ErrorCode)
	assert.Equal(t, 10, srv.TokenGrants())

	c := authClient(t, srv.URL, atlas.WithServiceAccount(testClientID, testSecret), atlas.WithClock(clock.Now))
	var waits []time.Duration
	atlas.SetSleep(c, func(_ context.Context, d time.Duration) error {
		waits = append(waits, d)
		clock.Advance(d)
		return nil
	})
	require.NoError(t, getTestJob(t.Context(), c))
	require.NoError(t, c.Close(t.Context()))
	assert.Equal(t, []time.Duration{6 * time.Second}, waits)
	assert.Equal(t, 11, srv.TokenGrants())
}

// A call waiting between attempts when Close runs sends nothing more: its next attempt fails
// with ErrClosed.
func TestCloseStopsACallBetweenAttempts(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	srv.Mux.HandleFunc(jobPath, func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusServiceUnavailable, `{"error":503,"errorCode":"SERVICE_UNAVAILABLE"}`)
	})
	c := newClient(t, srv, atlas.WithAccessToken(testToken))
	atlas.SetSleep(c, func(ctx context.Context, _ time.Duration) error {
		require.NoError(t, c.Close(ctx)) // Close lands while the call waits to retry
		return nil
	})
	_, err := c.Exports.Get(t.Context(), testGroupID, testCluster, testExportID)
	require.ErrorIs(t, err, atlas.ErrClosed)
	assert.Equal(t, int64(1), srv.Requests(), "no attempt after Close")
}
