package atlas_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/atlas-exports/atlas"
	"github.com/atlas-exports/atlas/atlastest"
)

// Bearer auth: a token the caller holds (WithAccessToken) or a source of them
// (WithTokenSource). Service accounts are in serviceaccount_test.go, digest in digest_test.go.

// Credentials; the secrets are canaries that tests search for in output.
const (
	testPublicKey  = "abcdefgh"
	testPrivateKey = "canary-private-key-7d21e0"
	testClientID   = "mdb_sa_id_0123456789abcdef01234567"
	testSecret     = "canary-client-secret-51b8c4"
)

// authFake starts the fake holding the test job, snapshot and bucket, accepting the test
// credentials; it closes with the test.
func authFake(t *testing.T, opts ...atlastest.Option) *atlastest.Server {
	t.Helper()
	srv := atlastest.NewServer(append([]atlastest.Option{
		atlastest.WithAPIKey(testPublicKey, testPrivateKey),
		atlastest.WithServiceAccount(testClientID, testSecret),
	}, opts...)...)
	t.Cleanup(srv.Close)
	srv.AddExportJob(testGroupID, testCluster, &atlas.ExportJob{ID: testExportID, State: atlas.ExportStateQueued})
	// What a create names must exist: the fake is strict, as Atlas is.
	srv.AddSnapshot(testGroupID, testCluster, &atlas.Snapshot{ID: testSnapshot, Status: atlas.SnapshotStatusCompleted})
	srv.AddExportBucket(testGroupID, &atlas.ExportBucket{ID: testBucket, CloudProvider: atlas.CloudProviderAWS, BucketName: "auth-tests", IAMRoleID: testSnapshot})
	return srv
}

// authClient builds a client for the server at base with opts.
func authClient(t *testing.T, base string, opts ...atlas.Option) *atlas.Client {
	t.Helper()
	c, err := atlas.NewClient(append([]atlas.Option{atlas.WithBaseURL(base)}, opts...)...)
	require.NoError(t, err)
	return c
}

// getTestJob reads the test job with c.
func getTestJob(ctx context.Context, c *atlas.Client) error {
	_, err := c.Exports.Get(ctx, testGroupID, testCluster, testExportID)
	return err
}

// grantAtFake gets a token from the fake's token endpoint as a user's own OAuth client would,
// for the modes where the caller brings the token.
func grantAtFake(ctx context.Context, srv *atlastest.Server) (string, error) {
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	cfg := clientcredentials.Config{
		ClientID: srv.ClientID, ClientSecret: srv.ClientSecret,
		TokenURL: srv.URL + "/api/oauth/token", AuthStyle: oauth2.AuthStyleInHeader,
	}
	tok, err := cfg.Token(context.WithValue(ctx, oauth2.HTTPClient, &http.Client{Transport: tr}))
	if err != nil {
		return "", err
	}
	return tok.AccessToken, nil
}

// tokenFunc is an oauth2.TokenSource made of a function.
type tokenFunc func() (*oauth2.Token, error)

func (f tokenFunc) Token() (*oauth2.Token, error) { return f() }

// assertNoSecret checks that no printed form of err holds any of secrets.
func assertNoSecret(t *testing.T, err error, secrets ...string) {
	t.Helper()
	require.Error(t, err)
	printed := fmt.Sprintf("%s\n%v\n%+v\n%#v", err.Error(), err, err, err)
	for _, s := range secrets {
		assert.NotContains(t, printed, s)
	}
}

// bodyMeter is a transport that counts how many bytes the client reads of each response
// body, in the order the responses came.
type bodyMeter struct {
	base  http.RoundTripper
	mu    sync.Mutex
	reads []*atomic.Int64
}

func (m *bodyMeter) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := m.base.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	n := new(atomic.Int64)
	m.mu.Lock()
	m.reads = append(m.reads, n)
	m.mu.Unlock()
	resp.Body = meteredBody{ReadCloser: resp.Body, n: n}
	return resp, nil
}

// Reads returns the bytes read of each response so far.
func (m *bodyMeter) Reads() []int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]int64, len(m.reads))
	for i, n := range m.reads {
		out[i] = n.Load()
	}
	return out
}

// hostileBody answers with status, after head has set the headers, and then a body that never
// ends, or that stops after a few bytes (stall) and never goes on while the request lasts.
func hostileBody(t *testing.T, status int, head func(http.Header), stall bool) http.HandlerFunc {
	quit := make(chan struct{})
	t.Cleanup(func() { close(quit) }) // before the server's Close, which waits for handlers
	chunk := bytes.Repeat([]byte(`{"access_token":"`), 1<<10)
	return func(w http.ResponseWriter, r *http.Request) {
		if head != nil {
			head(w.Header())
		}
		w.WriteHeader(status)
		if stall {
			_, _ = w.Write(chunk[:10])
			http.NewResponseController(w).Flush()
			select {
			case <-r.Context().Done():
			case <-quit:
			}
			return
		}
		for r.Context().Err() == nil {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}
}

// requireEndsWithContext calls call with a context that ends after d, and requires that it
// returns that context's error within seconds, whatever the server or a token source still
// holds.
func requireEndsWithContext(t *testing.T, d time.Duration, call func(context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), d)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- call(ctx) }()
	select {
	case err := <-done:
		require.ErrorIs(t, err, context.DeadlineExceeded)
	case <-time.After(5 * time.Second):
		require.Fail(t, "the call outlived its context by seconds")
	}
}

type meteredBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (b meteredBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	return n, err
}

func TestAccessTokenIsSentAsBearerAndNeverReplaced(t *testing.T) {
	t.Parallel()
	srv := authFake(t)
	tok, err := grantAtFake(t.Context(), srv)
	require.NoError(t, err)
	c := authClient(t, srv.URL, atlas.WithAccessToken(tok))

	require.NoError(t, getTestJob(t.Context(), c), "the fake accepted the token as a bearer token")
	assert.Equal(t, 1, srv.Requests(atlastest.RouteGetExport))

	srv.RevokeTokens()
	err = getTestJob(t.Context(), c)
	require.ErrorIs(t, err, atlas.ErrUnauthorized)
	assert.Equal(t, 2, srv.Requests(atlastest.RouteGetExport), "a refused token the caller holds is not sent again")
	assert.Equal(t, 1, srv.TokenGrants(), "the client grants nothing of its own")
	assertNoSecret(t, err, tok)
}

func TestTokenSourceIsAskedOnEveryRequest(t *testing.T) {
	t.Parallel()
	srv := authFake(t)
	var calls atomic.Int64
	c := authClient(t, srv.URL, atlas.WithTokenSource(tokenFunc(func() (*oauth2.Token, error) {
		calls.Add(1)
		tok, err := grantAtFake(context.Background(), srv)
		return &oauth2.Token{AccessToken: tok}, err
	})))
	for range 3 {
		require.NoError(t, getTestJob(t.Context(), c))
	}
	assert.EqualValues(t, 3, calls.Load(), "caching is the source's job (oauth2.ReuseTokenSource)")
	assert.Equal(t, 3, srv.Requests(atlastest.RouteGetExport))
}

func TestTokenSourceWithoutATokenSendsNothing(t *testing.T) {
	t.Parallel()
	boom := errors.New("vault is sealed")
	for name, tt := range map[string]struct {
		token *oauth2.Token
		err   error
	}{
		"error":       {err: boom},
		"nil token":   {},
		"empty token": {token: &oauth2.Token{TokenType: "Bearer"}},
	} {
		t.Run(name, func(t *testing.T) {
			srv := authFake(t)
			c := authClient(t, srv.URL, atlas.WithTokenSource(tokenFunc(func() (*oauth2.Token, error) { return tt.token, tt.err })))
			err := getTestJob(t.Context(), c)
			require.Error(t, err)
			if tt.err != nil {
				require.ErrorIs(t, err, tt.err)
			}
			assert.Contains(t, err.Error(), "token source")
			assert.Zero(t, srv.Requests(""), "no token, no request")
		})
	}
}

// A caller's TokenSource takes no context, and one may block (a vault that does not answer).
// A call still ends with its own context; callers who wait share the one Token call in
// flight, and its goroutine ends when Token returns.
func TestTokenSourceThatBlocksDoesNotHoldTheCall(t *testing.T) {
	t.Parallel() // slow under -race, and shares nothing with other tests
	srv := authFake(t)
	tok, err := grantAtFake(t.Context(), srv)
	require.NoError(t, err)
	started, release := make(chan struct{}, 4), make(chan struct{})
	var unblock sync.Once
	t.Cleanup(func() { unblock.Do(func() { close(release) }) }) // even when the test fails early
	var calls atomic.Int64
	c := authClient(t, srv.URL, atlas.WithTokenSource(tokenFunc(func() (*oauth2.Token, error) {
		calls.Add(1)
		started <- struct{}{}
		<-release
		return &oauth2.Token{AccessToken: tok}, nil
	})))

	patient := make(chan error, 1)
	go func() { patient <- getTestJob(t.Context(), c) }()
	<-started
	requireEndsWithContext(t, 300*time.Millisecond, func(ctx context.Context) error { return getTestJob(ctx, c) })
	select {
	case err := <-patient:
		require.Fail(t, "a call without a token returned", "%v", err)
	default: // Token is still blocked
	}

	unblock.Do(func() { close(release) })
	require.NoError(t, <-patient, "the caller without a deadline got the token when Token returned")
	assert.EqualValues(t, 1, calls.Load(), "both callers shared one Token call")
	assert.Equal(t, 1, srv.Requests(atlastest.RouteGetExport), "the abandoned call sent nothing")
}
