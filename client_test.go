package atlas_test

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/atlas-exports/atlas"
)

func TestNewClientRefuses(t *testing.T) {
	token := atlas.WithAccessToken(testToken)
	tests := []struct {
		name  string
		opts  []atlas.Option
		param string
	}{
		{"no auth", nil, "auth"},
		{"no auth, other options", []atlas.Option{atlas.WithUserAgent("x/1")}, "auth"},
		{"two auth", []atlas.Option{token, atlas.WithDigest(testPublicKey, testPrivateKey)}, "auth"},
		{"the same auth twice", []atlas.Option{token, token}, "auth"},
		{"all four auth", []atlas.Option{token, atlas.WithDigest(testPublicKey, testPrivateKey),
			atlas.WithServiceAccount(testClientID, testSecret), atlas.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "t"}))}, "auth"},
		{"empty access token", []atlas.Option{atlas.WithAccessToken("")}, "WithAccessToken"},
		{"nil token source", []atlas.Option{atlas.WithTokenSource(nil)}, "WithTokenSource"},
		{"service account without secret", []atlas.Option{atlas.WithServiceAccount(testClientID, "")}, "WithServiceAccount"},
		{"service account without id", []atlas.Option{atlas.WithServiceAccount("", testSecret)}, "WithServiceAccount"},
		{"digest without private key", []atlas.Option{atlas.WithDigest(testPublicKey, "")}, "WithDigest"},
		{"digest without public key", []atlas.Option{atlas.WithDigest("", testPrivateKey)}, "WithDigest"},
		{"nil http client", []atlas.Option{token, atlas.WithHTTPClient(nil)}, "WithHTTPClient"},
		{"nil logger", []atlas.Option{token, atlas.WithLogger(nil)}, "WithLogger"},
		{"user agent with CR", []atlas.Option{token, atlas.WithUserAgent("x/1\r\nX-Evil: 1")}, "WithUserAgent"},
		{"user agent with LF", []atlas.Option{token, atlas.WithUserAgent("x/1\nX-Evil: 1")}, "WithUserAgent"},
		{"user agent with NUL", []atlas.Option{token, atlas.WithUserAgent("x/1\x00")}, "WithUserAgent"},
		{"user agent with ESC", []atlas.Option{token, atlas.WithUserAgent("x/1 \x1b[31m")}, "WithUserAgent"},
		{"user agent with DEL", []atlas.Option{token, atlas.WithUserAgent("x/1\x7f")}, "WithUserAgent"},
		{"negative attempts", []atlas.Option{token, atlas.WithRetry(atlas.RetryPolicy{MaxAttempts: -1})}, "WithRetry"},
		{"negative backoff", []atlas.Option{token, atlas.WithRetry(atlas.RetryPolicy{MinBackoff: -time.Second})}, "WithRetry"},
		{"min over max backoff", []atlas.Option{token, atlas.WithRetry(atlas.RetryPolicy{MinBackoff: 2 * time.Second, MaxBackoff: time.Second})}, "WithRetry"},
		{"zero rate", []atlas.Option{token, atlas.WithRateLimit(0, 1)}, "WithRateLimit"},
		{"zero burst", []atlas.Option{token, atlas.WithRateLimit(1, 0)}, "WithRateLimit"},
		{"base URL not a URL", []atlas.Option{token, atlas.WithBaseURL("://nope")}, "WithBaseURL"},
		{"base URL empty", []atlas.Option{token, atlas.WithBaseURL("")}, "WithBaseURL"},
		{"base URL relative", []atlas.Option{token, atlas.WithBaseURL("/api")}, "WithBaseURL"},
		{"base URL without scheme", []atlas.Option{token, atlas.WithBaseURL("cloud.mongodb.com")}, "WithBaseURL"},
		{"base URL ftp", []atlas.Option{token, atlas.WithBaseURL("ftp://cloud.mongodb.com")}, "WithBaseURL"},
		{"base URL with query", []atlas.Option{token, atlas.WithBaseURL("https://cloud.mongodb.com/?envelope=true")}, "WithBaseURL"},
		{"base URL with empty query", []atlas.Option{token, atlas.WithBaseURL("https://cloud.mongodb.com/?")}, "WithBaseURL"},
		{"base URL with fragment", []atlas.Option{token, atlas.WithBaseURL("https://cloud.mongodb.com/#x")}, "WithBaseURL"},
		{"base URL without host", []atlas.Option{token, atlas.WithBaseURL("https:///api")}, "WithBaseURL"},
		{"base URL with only a port", []atlas.Option{token, atlas.WithBaseURL("https://:443")}, "WithBaseURL"},
		{"http to a public host", []atlas.Option{token, atlas.WithBaseURL("http://cloud.mongodb.com")}, "WithBaseURL"},
		{"http to a private address", []atlas.Option{token, atlas.WithBaseURL("http://10.0.0.7:8080")}, "WithBaseURL"},
		{"http to a name that starts like loopback", []atlas.Option{token, atlas.WithBaseURL("http://127.0.0.1.nip.io")}, "WithBaseURL"},
		{"http to a localhost subdomain", []atlas.Option{token, atlas.WithBaseURL("http://localhost.example.com")}, "WithBaseURL"},
		{"http to the unspecified address", []atlas.Option{token, atlas.WithBaseURL("http://0.0.0.0:8080")}, "WithBaseURL"},
		{"http to an IPv6 non-loopback", []atlas.Option{token, atlas.WithBaseURL("http://[fe80::1]:8080")}, "WithBaseURL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := atlas.NewClient(tt.opts...)
			assert.Nil(t, c)
			require.ErrorIs(t, err, atlas.ErrInvalidArgument)
			var argErr *atlas.InvalidArgumentError
			require.ErrorAs(t, err, &argErr)
			assert.Equal(t, tt.param, argErr.Name)
			for _, secret := range []string{testToken, testPrivateKey, testSecret} {
				assert.NotContains(t, err.Error(), secret)
			}
		})
	}
}

func TestNewClientBaseURLUserInfoNotEchoed(t *testing.T) {
	c, err := atlas.NewClient(atlas.WithAccessToken(testToken), atlas.WithBaseURL("https://admin:canary-url-password-6e1f@cloud.mongodb.com"))
	assert.Nil(t, c)
	require.ErrorIs(t, err, atlas.ErrInvalidArgument)
	assert.NotContains(t, err.Error(), "canary-url-password-6e1f")
}

func TestNewClientAcceptsBaseURLs(t *testing.T) {
	for _, base := range []string{
		"https://cloud.mongodb.com",
		"https://cloud.mongodb.com/",
		"https://cloud-qa.mongodb.com:8443/prefix",
		"http://127.0.0.1:1",
		"http://127.5.6.7",
		"http://localhost:8080",
		"http://LOCALHOST:8080/",
		"http://[::1]:8080",
	} {
		c, err := atlas.NewClient(atlas.WithBaseURL(base), atlas.WithAccessToken(testToken))
		require.NoError(t, err, base)
		assert.NotNil(t, c.Exports, base)
		assert.Contains(t, fmt.Sprint(c), strings.TrimSuffix(base, "/"))
	}
	// A nil option is skipped, so optional settings can be built conditionally.
	c, err := atlas.NewClient(nil, atlas.WithAccessToken(testToken), nil)
	require.NoError(t, err)
	assert.Equal(t, "atlas.Client{base: "+atlas.DefaultBaseURL+", auth: access token}", fmt.Sprint(c))
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
	defaultClient := *http.DefaultClient
	defaultTransport := http.DefaultTransport

	srv := newServer(t)
	srv.Mux.HandleFunc(jobPath, func(w http.ResponseWriter, r *http.Request) {
		testWire(t, r, http.MethodGet, "Bearer "+testToken)
		serveJob(w, r)
	})
	var plainAuth atomic.Value
	srv.Mux.HandleFunc("/plain", func(_ http.ResponseWriter, r *http.Request) {
		plainAuth.Store(r.Header.Get("Authorization"))
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

	// Using the caller's client directly sends no credential: nothing was installed in it.
	resp, err := caller.Get(srv.URL + "/plain")
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, "", plainAuth.Load())

	assert.Equal(t, defaultClient, *http.DefaultClient, "http.DefaultClient untouched")
	assert.Same(t, defaultTransport, http.DefaultTransport, "http.DefaultTransport untouched")
}

func TestWithHTTPClientTimeoutApplies(t *testing.T) {
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
	require.Error(t, err)
	var timeout interface{ Timeout() bool }
	require.ErrorAs(t, err, &timeout)
	assert.True(t, timeout.Timeout())
	assert.EqualValues(t, 1, srv.Requests())
}

// failingTransport fails every request: it stands in for http.DefaultTransport to prove
// that the SDK never uses it.
type failingTransport struct{ n atomic.Int64 }

func (f *failingTransport) RoundTrip(*http.Request) (*http.Response, error) {
	f.n.Add(1)
	return nil, fmt.Errorf("http.DefaultTransport was used")
}

func TestDefaultTransportIsTheSDKsOwn(t *testing.T) {
	// Not parallel: it swaps a global, and restores it before any parallel test runs.
	saved := http.DefaultTransport
	failing := &failingTransport{}
	http.DefaultTransport = failing
	t.Cleanup(func() { http.DefaultTransport = saved })

	srv := newServer(t)
	srv.Mux.HandleFunc(jobPath, serveJob)
	ts := newTokenServer(t, srv, 3600)
	for name, opt := range map[string]atlas.Option{
		"access token":    atlas.WithAccessToken(testToken),
		"service account": atlas.WithServiceAccount(testClientID, testSecret),
		"digest":          atlas.WithDigest(testPublicKey, testPrivateKey),
		// A caller's client without a Transport means the SDK's default, not http.DefaultTransport.
		"caller's client without transport": atlas.WithHTTPClient(&http.Client{}),
	} {
		opts := []atlas.Option{opt, atlas.WithRetry(atlas.RetryPolicy{MaxAttempts: 1})}
		if strings.HasPrefix(name, "caller") {
			opts = append(opts, atlas.WithAccessToken(testToken))
		}
		c := newClient(t, srv, opts...)
		_, err := c.Exports.Get(t.Context(), testGroupID, testCluster, testExportID)
		require.NoError(t, err, name)
	}
	assert.Zero(t, failing.n.Load())
	assert.EqualValues(t, 1, ts.grants.Load())
}

func TestClientPrintsNoSecret(t *testing.T) {
	srv := newServer(t)
	tests := map[string]struct {
		opt  atlas.Option
		auth string
	}{
		"access token":    {atlas.WithAccessToken(testToken), "access token"},
		"token source":    {atlas.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: testToken})), "token source"},
		"service account": {atlas.WithServiceAccount(testClientID, testSecret), "service account"},
		"digest":          {atlas.WithDigest(testPublicKey, testPrivateKey), "digest"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			c := newClient(t, srv, tt.opt)
			want := "atlas.Client{base: " + srv.URL + ", auth: " + tt.auth + "}"
			for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
				for _, v := range []any{c, *c, []*atlas.Client{c}, struct{ C *atlas.Client }{c}, c.Exports, *c.Exports} {
					got := fmt.Sprintf(verb, v)
					for _, secret := range []string{testToken, testSecret, testPrivateKey} {
						require.NotContains(t, got, secret, "%s of %T", verb, v)
					}
				}
				assert.Equal(t, want, fmt.Sprintf(verb, c), verb)
				assert.Equal(t, want, fmt.Sprintf(verb, *c), verb)
			}
			// An Option is a func: printing one shows no more than its address.
			for _, verb := range []string{"%v", "%+v", "%#v"} {
				got := fmt.Sprintf(verb, tt.opt)
				for _, secret := range []string{testToken, testSecret, testPrivateKey} {
					assert.NotContains(t, got, secret, verb)
				}
			}
		})
	}
}

func TestUserAgent(t *testing.T) {
	tests := []struct {
		product, want string
	}{
		{"", "atlas-go/" + atlas.Version},
		{"backup-report/1.2", "backup-report/1.2 atlas-go/" + atlas.Version},
		{"  padded/3 ", "padded/3 atlas-go/" + atlas.Version},
		{"tabbed\t(linux; amd64)", "tabbed\t(linux; amd64) atlas-go/" + atlas.Version},
		{"ünïcode/1", "ünïcode/1 atlas-go/" + atlas.Version},
	}
	for _, tt := range tests {
		srv := newServer(t)
		var got atomic.Value
		srv.Mux.HandleFunc(jobPath, func(w http.ResponseWriter, r *http.Request) {
			got.Store(r.Header.Values("User-Agent"))
			serveJob(w, r)
		})
		c := newClient(t, srv, atlas.WithAccessToken(testToken), atlas.WithUserAgent(tt.product))
		_, err := c.Exports.Get(t.Context(), testGroupID, testCluster, testExportID)
		require.NoError(t, err)
		assert.Equal(t, []string{tt.want}, got.Load(), "product %q", tt.product)
	}
	assert.Regexp(t, `^\d+\.\d+\.\d+$`, atlas.Version)
}

func TestNewClientDoesNotLogWithoutALogger(t *testing.T) {
	// slog.Default must not receive the SDK's records unless the caller asked for them.
	var buf strings.Builder
	saved := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
	t.Cleanup(func() { slog.SetDefault(saved) })

	srv := newServer(t)
	srv.Mux.HandleFunc(jobPath, serveJob)
	_, err := newClient(t, srv).Exports.Get(t.Context(), testGroupID, testCluster, testExportID)
	require.NoError(t, err)
	assert.Empty(t, buf.String())
}
