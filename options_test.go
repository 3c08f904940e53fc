package atlas_test

import (
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
	"golang.org/x/time/rate"

	"github.com/atlas-exports/atlas"
	"github.com/atlas-exports/atlas/atlastest"
)

// Base URLs are checked in baseurl_test.go.

func TestNewClientRefuses(t *testing.T) {
	t.Parallel()
	token := atlas.WithAccessToken(canaryAccessToken)
	digest := atlas.WithDigest(canaryPublicKey, canaryPrivateKey)
	tests := []struct {
		name  string
		opts  []atlas.Option
		param string
	}{
		{"no auth", nil, "auth"},
		{"no auth, other options", []atlas.Option{atlas.WithUserAgent("x/1")}, "auth"},
		{"two auth", []atlas.Option{token, digest}, "auth"},
		{"the same auth twice", []atlas.Option{token, token}, "auth"},
		{"all four auth", []atlas.Option{token, digest, atlas.WithServiceAccount(canaryClientID, canaryClientSecret),
			atlas.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "t"}))}, "auth"},
		{"empty access token", []atlas.Option{atlas.WithAccessToken("")}, "WithAccessToken"},
		{"nil token source", []atlas.Option{atlas.WithTokenSource(nil)}, "WithTokenSource"},
		{"service account without secret", []atlas.Option{atlas.WithServiceAccount(canaryClientID, "")}, "WithServiceAccount"},
		{"service account without id", []atlas.Option{atlas.WithServiceAccount("", canaryClientSecret)}, "WithServiceAccount"},
		{"digest without private key", []atlas.Option{atlas.WithDigest(canaryPublicKey, "")}, "WithDigest"},
		{"digest without public key", []atlas.Option{atlas.WithDigest("", canaryPrivateKey)}, "WithDigest"},
		{"access token ending with LF", []atlas.Option{atlas.WithAccessToken(canaryAccessToken + "\n")}, "WithAccessToken"},
		{"access token ending with CRLF", []atlas.Option{atlas.WithAccessToken(canaryAccessToken + "\r\n")}, "WithAccessToken"},
		{"access token with ESC", []atlas.Option{atlas.WithAccessToken(canaryAccessToken + "\x1b")}, "WithAccessToken"},
		{"access token with tab", []atlas.Option{atlas.WithAccessToken("\t" + canaryAccessToken)}, "WithAccessToken"},
		{"client id ending with LF", []atlas.Option{atlas.WithServiceAccount(canaryClientID+"\n", canaryClientSecret)}, "WithServiceAccount"},
		{"client secret with CR", []atlas.Option{atlas.WithServiceAccount(canaryClientID, canaryClientSecret+"\rX")}, "WithServiceAccount"},
		{"public key with NUL", []atlas.Option{atlas.WithDigest(canaryPublicKey+"\x00", canaryPrivateKey)}, "WithDigest"},
		{"private key ending with LF", []atlas.Option{atlas.WithDigest(canaryPublicKey, canaryPrivateKey+"\n")}, "WithDigest"},
		{"private key with DEL", []atlas.Option{atlas.WithDigest(canaryPublicKey, canaryPrivateKey+"\x7f")}, "WithDigest"},
		{"nil http client", []atlas.Option{token, atlas.WithHTTPClient(nil)}, "WithHTTPClient"},
		{"nil logger", []atlas.Option{token, atlas.WithLogger(nil)}, "WithLogger"},
		{"user agent with CR", []atlas.Option{token, atlas.WithUserAgent("x/1\r\nX-Evil: 1")}, "WithUserAgent"},
		{"user agent with LF", []atlas.Option{token, atlas.WithUserAgent("x/1\nX-Evil: 1")}, "WithUserAgent"},
		{"user agent with NUL", []atlas.Option{token, atlas.WithUserAgent("x/1\x00")}, "WithUserAgent"},
		{"user agent with ESC", []atlas.Option{token, atlas.WithUserAgent("x/1 \x1b[31m")}, "WithUserAgent"},
		{"user agent with DEL", []atlas.Option{token, atlas.WithUserAgent("x/1\x7f")}, "WithUserAgent"},
		{"negative attempts", []atlas.Option{token, atlas.WithRetry(atlas.RetryPolicy{MaxAttempts: -1})}, "WithRetry"},
		{"negative backoff", []atlas.Option{token, atlas.WithRetry(atlas.RetryPolicy{MinBackoff: -time.Second})}, "WithRetry"},
		{"negative max backoff", []atlas.Option{token, atlas.WithRetry(atlas.RetryPolicy{MaxBackoff: -time.Second})}, "WithRetry"},
		{"min over max backoff", []atlas.Option{token, atlas.WithRetry(atlas.RetryPolicy{MinBackoff: 2 * time.Second, MaxBackoff: time.Second})}, "WithRetry"},
		{"zero rate", []atlas.Option{token, atlas.WithRateLimit(0, 1)}, "WithRateLimit"},
		{"negative rate", []atlas.Option{token, atlas.WithRateLimit(-1, 1)}, "WithRateLimit"},
		{"zero burst", []atlas.Option{token, atlas.WithRateLimit(1, 0)}, "WithRateLimit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := atlas.NewClient(tt.opts...)
			assert.Nil(t, c)
			require.ErrorIs(t, err, atlas.ErrInvalidArgument)
			var argErr *atlas.InvalidArgumentError
			require.ErrorAs(t, err, &argErr)
			assert.Equal(t, tt.param, argErr.Name)
			assertNoCanary(t, err.Error())
		})
	}
}

// TestCredentialErrorsSayWhatIsWrong: a credential with a trailing line break, the common case
// of a value read from a file, is told apart from one holding another control character, and
// the error names which half of a pair it is.
func TestCredentialErrorsSayWhatIsWrong(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		opt  atlas.Option
		want string
	}{
		{atlas.WithAccessToken(canaryAccessToken + "\n"), "the token ends with a line break"},
		{atlas.WithAccessToken(canaryAccessToken + "\x1b[0m"), "the token holds a line break or another control character"},
		{atlas.WithServiceAccount(canaryClientID, canaryClientSecret+"\r\n"), "the client secret ends with a line break"},
		{atlas.WithDigest(canaryPublicKey+"\n", canaryPrivateKey), "the public key ends with a line break"},
		{atlas.WithDigest(canaryPublicKey, canaryPrivateKey+"\nX"), "the private key holds a line break"},
	} {
		_, err := atlas.NewClient(tc.opt)
		require.ErrorIs(t, err, atlas.ErrInvalidArgument)
		assert.Contains(t, err.Error(), tc.want)
		assertNoCanary(t, err.Error())
	}
}

func TestNewClientSkipsNilOptions(t *testing.T) {
	t.Parallel()
	// A nil option is skipped, so optional settings can be built conditionally.
	c, err := atlas.NewClient(nil, atlas.WithAccessToken(canaryAccessToken), nil)
	require.NoError(t, err)
	assert.Equal(t, "atlas.Client{base: "+atlas.DefaultBaseURL+", auth: access token}", fmt.Sprint(c))
	assert.NotNil(t, c.Exports)
	assert.NotNil(t, c.ExportBuckets)
	assert.NotNil(t, c.Snapshots)
}

// countingTransport counts the requests it carries and remembers the last Authorization.
type countingTransport struct {
	base http.RoundTripper
	n    atomic.Int64
	auth atomic.Value
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	c.auth.Store(r.Header.Get("Authorization"))
	return c.base.RoundTrip(r)
}

func TestWithHTTPClientUsesButNeverModifiesTheCallersClient(t *testing.T) {
	t.Parallel()
	defaultClient := *http.DefaultClient
	defaultTransport := http.DefaultTransport

	srv := newServer(t)
	srv.Mux.HandleFunc(jobPath, func(w http.ResponseWriter, r *http.Request) {
		testWire(t, r, http.MethodGet, "Bearer "+testToken)
		http.SetCookie(w, &http.Cookie{Name: "session", Value: "s1", Path: "/"})
		serveJob(w, r)
	})
	var plainAuth, plainCookie atomic.Value
	srv.Mux.HandleFunc("/plain", func(_ http.ResponseWriter, r *http.Request) {
		plainAuth.Store(r.Header.Get("Authorization"))
		plainCookie.Store(r.Header.Get("Cookie"))
	})
	rt := &countingTransport{base: srv.Client().Transport}
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	caller := &http.Client{Transport: rt, Timeout: 7 * time.Second, Jar: jar}
	c := newClient(t, srv, atlas.WithAccessToken(testToken), atlas.WithHTTPClient(caller))
	_, err = c.Exports.Get(t.Context(), testGroupID, testCluster, testExportID)
	require.NoError(t, err)

	assert.EqualValues(t, 1, rt.n.Load(), "the caller's transport carries the requests")
	assert.Equal(t, "Bearer "+testToken, rt.auth.Load(), "auth wraps the caller's transport")
	assert.Same(t, rt, caller.Transport, "the caller's Transport is not replaced")
	assert.Equal(t, 7*time.Second, caller.Timeout)
	assert.Same(t, jar, caller.Jar)
	assert.Nil(t, caller.CheckRedirect, "the SDK's redirect policy is its own, not set on the caller's client")

	// Using the caller's client directly sends no credential, and the cookie the API set,
	// which the SDK kept in the caller's jar.
	resp, err := caller.Get(srv.URL + "/plain")
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, "", plainAuth.Load())
	assert.Equal(t, "session=s1", plainCookie.Load())

	assert.Equal(t, defaultClient, *http.DefaultClient, "http.DefaultClient untouched")
	assert.Same(t, defaultTransport, http.DefaultTransport, "http.DefaultTransport untouched")
}

func TestWithHTTPClientTimeoutApplies(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	released := make(chan struct{})
	t.Cleanup(func() { close(released) })
	srv.Mux.HandleFunc(jobPath, func(_ http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-released:
		}
	})
	c := newClient(t, srv, atlas.WithAccessToken(testToken),
		atlas.WithHTTPClient(&http.Client{Timeout: 50 * time.Millisecond}),
		atlas.WithRetry(atlas.RetryPolicy{MaxAttempts: 1}))
	job, err := c.Exports.Get(t.Context(), testGroupID, testCluster, testExportID)
	assert.Nil(t, job)
	var timeout interface{ Timeout() bool }
	require.ErrorAs(t, err, &timeout)
	assert.True(t, timeout.Timeout())
	assert.EqualValues(t, 1, srv.Requests())
}

func TestWithUserAgent(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	var got atomic.Value
	srv.Mux.HandleFunc(jobPath, func(w http.ResponseWriter, r *http.Request) {
		got.Store(r.Header.Values("User-Agent"))
		serveJob(w, r)
	})
	for _, tt := range []struct{ product, want string }{
		{"", "atlas-go/" + atlas.Version},
		{"backup-report/1.2", "backup-report/1.2 atlas-go/" + atlas.Version},
		{"  padded/3 ", "padded/3 atlas-go/" + atlas.Version},
		{"tabbed\t(linux; amd64)", "tabbed\t(linux; amd64) atlas-go/" + atlas.Version},
		{"ünïcode/1", "ünïcode/1 atlas-go/" + atlas.Version},
	} {
		c := newClient(t, srv, atlas.WithAccessToken(testToken), atlas.WithUserAgent(tt.product))
		_, err := c.Exports.Get(t.Context(), testGroupID, testCluster, testExportID)
		require.NoError(t, err)
		assert.Equal(t, []string{tt.want}, got.Load(), "product %q", tt.product)
	}
	assert.Regexp(t, `^\d+\.\d+\.\d+$`, atlas.Version)
}

// rateLimitedFake starts the fake holding the test job, with a service-account client whose backoff
// waits are recorded, not slept.
func rateLimitedFake(t *testing.T, opts ...atlastest.Option) (*atlastest.Server, *atlas.Client, *sleeps) {
	t.Helper()
	srv := authFake(t, opts...)
	c := authClient(t, srv.URL, atlas.WithServiceAccount(testClientID, testSecret))
	return srv, c, recordSleeps(c)
}

func TestFakeClientRateLimitKeepsAFleetInsideTheServersBudget(t *testing.T) {
	t.Parallel()
	// The fake allows bursts of 3 and refills one every 25ms. Six goroutines at once overrun
	// it; the same six behind a client limit of one request per 50ms do not.
	fleet := func(t *testing.T, opts ...atlas.Option) (refused int) {
		srv := authFake(t, atlastest.WithRateLimit(40, 3))
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
	assert.Zero(t, fleet(t, atlas.WithRateLimit(rate.Limit(20), 1)), "with one, it stays inside the budget")
}

func TestFakeRateLimitWithoutAClientLimitIsTypedAndCarriesTheHeaders(t *testing.T) {
	t.Parallel()
	srv, c, _ := rateLimitedFake(t, atlastest.WithRateLimit(0.001, 2))
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
