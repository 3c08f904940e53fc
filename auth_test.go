package atlas_test

import (
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/atlas-exports/atlas"
)

// Credentials; the secrets are canaries that tests search for in output.
const (
	testPublicKey  = "abcdefgh"
	testPrivateKey = "canary-private-key-7d21e0"
	testClientID   = "mdb_sa_id_0123456789abcdef01234567"
	testSecret     = "canary-client-secret-51b8c4"
)

// --- HTTP digest -------------------------------------------------------------------------

const digestRealm = "MMS Public API"

// digestServer guards a handler with HTTP digest as Atlas does (RFC 7616, MD5, qop=auth) and
// checks every response with its own computation, independent of the client's library.
type digestServer struct {
	user, password string
	opaque         string

	mu     sync.Mutex
	nonces map[string]*nonceState // every nonce issued

	requests   atomic.Int64 // every request
	challenges atomic.Int64 // 401s with a fresh challenge
	stale      atomic.Int64 // of which stale=true
	accepted   atomic.Int64 // requests whose response verified
}

type nonceState struct {
	expired bool
	seen    map[uint32]bool // nonce counts used, to refuse a replay
}

func newDigestServer(user, password string) *digestServer {
	return &digestServer{user: user, password: password, opaque: randomHex(16), nonces: map[string]*nonceState{}}
}

// wrap serves next only to requests with a valid digest response.
func (d *digestServer) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d.requests.Add(1)
		ok, stale := d.verify(r)
		if !ok {
			d.challenge(w, stale)
			return
		}
		d.accepted.Add(1)
		next.ServeHTTP(w, r)
	})
}

// expireNonces makes every nonce issued so far stale, as the server does after a while.
func (d *digestServer) expireNonces() {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, n := range d.nonces {
		n.expired = true
	}
}

func (d *digestServer) challenge(w http.ResponseWriter, stale bool) {
	nonce := randomHex(16)
	d.mu.Lock()
	d.nonces[nonce] = &nonceState{seen: map[uint32]bool{}}
	d.mu.Unlock()
	d.challenges.Add(1)
	if stale {
		d.stale.Add(1)
	}
	w.Header().Set("WWW-Authenticate", fmt.Sprintf(
		`Digest realm="%s", domain="", nonce="%s", algorithm=MD5, qop="auth", stale=%t, opaque="%s"`,
		digestRealm, nonce, stale, d.opaque))
	writeJSON(w, http.StatusUnauthorized, unauthorizedBody)
}

// verify checks the Authorization header. stale reports a correct response to an expired
// nonce, which RFC 7616 answers with stale=true so the client retries without asking the user.
func (d *digestServer) verify(r *http.Request) (ok, stale bool) {
	rest, found := strings.CutPrefix(r.Header.Get("Authorization"), "Digest ")
	if !found {
		return false, false
	}
	p := parseDigestParams(rest)
	nc, err := strconv.ParseUint(p["nc"], 16, 32)
	if err != nil || len(p["nc"]) != 8 || p["cnonce"] == "" {
		return false, false
	}
	if p["username"] != d.user || p["realm"] != digestRealm || p["qop"] != "auth" ||
		!strings.EqualFold(p["algorithm"], "MD5") || p["opaque"] != d.opaque || p["uri"] != r.RequestURI {
		return false, false
	}
	ha1 := md5Hex(d.user + ":" + digestRealm + ":" + d.password)
	ha2 := md5Hex(r.Method + ":" + p["uri"])
	want := md5Hex(strings.Join([]string{ha1, p["nonce"], p["nc"], p["cnonce"], "auth", ha2}, ":"))
	if p["response"] != want {
		return false, false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	n, known := d.nonces[p["nonce"]]
	switch {
	case !known:
		return false, false
	case n.expired:
		return false, true
	case n.seen[uint32(nc)]:
		return false, false // a replayed nonce count
	}
	n.seen[uint32(nc)] = true
	return true, false
}

// parseDigestParams splits `k=v, k="quoted, value"` into a map.
func parseDigestParams(s string) map[string]string {
	out := map[string]string{}
	for s = strings.TrimSpace(s); s != ""; s = strings.TrimLeft(s, ", ") {
		key, rest, ok := strings.Cut(s, "=")
		if !ok {
			break
		}
		key = strings.ToLower(strings.TrimSpace(key))
		var val string
		if strings.HasPrefix(rest, `"`) {
			var b strings.Builder
			i := 1
			for ; i < len(rest) && rest[i] != '"'; i++ {
				if rest[i] == '\\' && i+1 < len(rest) {
					i++
				}
				b.WriteByte(rest[i])
			}
			val, s = b.String(), rest[min(i+1, len(rest)):]
		} else {
			val, s, _ = strings.Cut(rest, ",")
			val = strings.TrimSpace(val)
		}
		out[key] = val
	}
	return out
}

func md5Hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func TestParseDigestParams(t *testing.T) {
	got := parseDigestParams(`username="a b", realm="MMS Public API", nc=00000001, qop=auth, uri="/x?a=1,2", response="ff"`)
	assert.Equal(t, map[string]string{
		"username": "a b", "realm": "MMS Public API", "nc": "00000001", "qop": "auth", "uri": "/x?a=1,2", "response": "ff",
	}, got)
}

func TestDigestReusesTheChallenge(t *testing.T) {
	srv := newServer(t)
	d := newDigestServer(testPublicKey, testPrivateKey)
	srv.Mux.Handle(jobPath, d.wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, []string{atlas.MediaType}, r.Header.Values("Accept"))
		assert.Equal(t, "atlas-go/"+atlas.Version, r.Header.Get("User-Agent"))
		serveJob(w, r)
	})))
	c := newClient(t, srv, atlas.WithDigest(testPublicKey, testPrivateKey))

	const n = 5
	for range n {
		job, err := c.Exports.Get(t.Context(), testGroupID, testCluster, testExportID)
		require.NoError(t, err)
		assert.Equal(t, testExportID, job.ID)
	}
	assert.EqualValues(t, 1, d.challenges.Load(), "one challenge, then reused")
	assert.EqualValues(t, n+1, d.requests.Load(), "N calls cost N+1 round trips")
	assert.EqualValues(t, n, d.accepted.Load())

	// The server expires its nonces: the next call meets stale=true and recovers with one
	// extra round trip, without an error.
	d.expireNonces()
	_, err := c.Exports.Get(t.Context(), testGroupID, testCluster, testExportID)
	require.NoError(t, err)
	assert.EqualValues(t, 1, d.stale.Load(), "the server answered stale=true once")
	assert.EqualValues(t, 2, d.challenges.Load())
	assert.EqualValues(t, n+3, d.requests.Load(), "a stale nonce costs one extra round trip")

	// And the new challenge is reused in turn.
	_, err = c.Exports.Get(t.Context(), testGroupID, testCluster, testExportID)
	require.NoError(t, err)
	assert.EqualValues(t, n+4, d.requests.Load())
	assert.EqualValues(t, n+2, d.accepted.Load())
}

func TestDigestWrongKey(t *testing.T) {
	srv := newServer(t)
	d := newDigestServer(testPublicKey, testPrivateKey)
	srv.Mux.Handle(jobPath, d.wrap(http.HandlerFunc(serveJob)))
	c := newClient(t, srv, atlas.WithDigest(testPublicKey, "canary-wrong-key-0c7a"))

	job, err := c.Exports.Get(t.Context(), testGroupID, testCluster, testExportID)
	assert.Nil(t, job)
	require.ErrorIs(t, err, atlas.ErrUnauthorized)
	assert.NotContains(t, err.Error(), "canary-wrong-key-0c7a")
	assert.Zero(t, d.accepted.Load(), "the server's own check refused the wrong key")
	assert.EqualValues(t, 2, d.requests.Load(), "the challenge, then one signed attempt; a 401 is not retried")
}

func TestDigestCreateSendsTheBodyWithTheSignedRequest(t *testing.T) {
	srv := newServer(t)
	d := newDigestServer(testPublicKey, testPrivateKey)
	const body = `{"snapshotId":"` + testSnapshot + `","exportBucketId":"` + testBucket + `"}`
	srv.Mux.Handle(exportsPath, d.wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, http.MethodPost, r.Method)
		testBody(t, r, body)
		writeJSON(w, http.StatusOK, jobJSON)
	})))
	c := newClient(t, srv, atlas.WithDigest(testPublicKey, testPrivateKey))

	job, err := c.Exports.Create(t.Context(), testGroupID, testCluster,
		&atlas.CreateExportJobRequest{SnapshotID: testSnapshot, ExportBucketID: testBucket})
	require.NoError(t, err)
	assert.Equal(t, testExportID, job.ID)
	assert.EqualValues(t, 1, d.accepted.Load(), "the export was created once")
}

func TestDigestConcurrent(t *testing.T) {
	srv := newServer(t)
	d := newDigestServer(testPublicKey, testPrivateKey)
	srv.Mux.Handle(jobPath, d.wrap(http.HandlerFunc(serveJob)))
	c := newClient(t, srv, atlas.WithDigest(testPublicKey, testPrivateKey))
	// One call first, so the 50 share its challenge.
	_, err := c.Exports.Get(t.Context(), testGroupID, testCluster, testExportID)
	require.NoError(t, err)

	const n = 50
	getTogether(t, c, n)
	assert.EqualValues(t, n+1, d.accepted.Load())
	assert.EqualValues(t, 1, d.challenges.Load(), "every goroutine reused the one challenge")
	assert.EqualValues(t, n+2, d.requests.Load())
}

// --- Service accounts (OAuth 2.0 client credentials) --------------------------------------

// tokenServer is Atlas' token endpoint at /api/oauth/token plus a guard for API handlers
// that accepts only the tokens it granted and has not revoked.
type tokenServer struct {
	t         *testing.T
	expiresIn int
	grants    atomic.Int64 // successful grants
	calls     atomic.Int64 // every request to the token endpoint
	refuseAll atomic.Bool  // the API refuses every token

	mu    sync.Mutex
	valid map[string]bool
}

// newTokenServer registers the token endpoint on srv.
func newTokenServer(t *testing.T, srv *server, expiresIn int) *tokenServer {
	ts := &tokenServer{t: t, expiresIn: expiresIn, valid: map[string]bool{}}
	srv.Mux.HandleFunc("/api/oauth/token", ts.grant)
	return ts
}

func (ts *tokenServer) grant(w http.ResponseWriter, r *http.Request) {
	t := ts.t
	ts.calls.Add(1)
	assert.Equal(t, http.MethodPost, r.Method)
	assert.Equal(t, "application/x-www-form-urlencoded", r.Header.Get("Content-Type"))
	assert.Equal(t, "atlas-go/"+atlas.Version, r.Header.Get("User-Agent"))
	assert.NoError(t, r.ParseForm())
	assert.Equal(t, "client_credentials", r.PostForm.Get("grant_type"))
	assert.Empty(t, r.PostForm.Get("client_secret"), "the secret goes in the Basic header, not the body")
	id, secret, ok := r.BasicAuth()
	if !ok || id != testClientID || secret != testSecret {
		writeJSON(w, http.StatusUnauthorized, `{"error":"invalid_client","error_description":"Invalid credentials","echo":"raw-body-canary-91ad"}`)
		return
	}
	tok := fmt.Sprintf("sa-token-%d-%s", ts.grants.Add(1), randomHex(4))
	ts.mu.Lock()
	ts.valid[tok] = true
	ts.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": ts.expiresIn})
}

// revoke makes the API refuse tok, as when a token is revoked or the clocks disagree.
func (ts *tokenServer) revoke(tok string) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	delete(ts.valid, tok)
}

// tokens lists the tokens that the API accepts.
func (ts *tokenServer) tokens() []string {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	var out []string
	for tok := range ts.valid {
		out = append(out, tok)
	}
	return out
}

// wrap serves next only to a request that carries a granted bearer token.
func (ts *tokenServer) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		ts.mu.Lock()
		valid := ok && ts.valid[tok]
		ts.mu.Unlock()
		if !valid || ts.refuseAll.Load() {
			writeJSON(w, http.StatusUnauthorized, unauthorizedBody)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// apiCounter counts the requests that reach an API handler.
func apiCounter(n *atomic.Int64, next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		next(w, r)
	}
}

func TestServiceAccountOneGrantForFiftyGoroutines(t *testing.T) {
	srv := newServer(t)
	ts := newTokenServer(t, srv, 3600)
	var apiCalls atomic.Int64
	srv.Mux.Handle(jobPath, ts.wrap(apiCounter(&apiCalls, func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, []string{atlas.MediaType}, r.Header.Values("Accept"))
		assert.Equal(t, "atlas-go/"+atlas.Version, r.Header.Get("User-Agent"))
		serveJob(w, r)
	})))
	c := newClient(t, srv, atlas.WithServiceAccount(testClientID, testSecret))

	const n = 50
	getTogether(t, c, n)
	assert.EqualValues(t, 1, ts.grants.Load(), "fifty goroutines share one grant")
	assert.EqualValues(t, 1, ts.calls.Load())
	assert.EqualValues(t, n, apiCalls.Load())
}

func TestServiceAccountRenewsBeforeExpiry(t *testing.T) {
	srv := newServer(t)
	ts := newTokenServer(t, srv, 3600)
	var seen []string
	var mu sync.Mutex
	srv.Mux.Handle(jobPath, ts.wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Header.Get("Authorization"))
		mu.Unlock()
		serveJob(w, r)
	})))
	c := newClient(t, srv, atlas.WithServiceAccount(testClientID, testSecret))
	// The token's expiry comes from the real clock (x/oauth2 adds expires_in to time.Now);
	// the client decides when to renew by its own, which the test moves forward.
	var offset atomic.Int64
	atlas.SetTokenClock(c, func() time.Time { return time.Now().Add(time.Duration(offset.Load())) })

	get := func() {
		t.Helper()
		_, err := c.Exports.Get(t.Context(), testGroupID, testCluster, testExportID)
		require.NoError(t, err)
	}
	get()
	offset.Store(int64(30 * time.Minute))
	get()
	assert.EqualValues(t, 1, ts.grants.Load(), "half-way through its life the token is reused")

	offset.Store(int64(59*time.Minute + 30*time.Second))
	get()
	assert.EqualValues(t, 2, ts.grants.Load(), "within a minute of expiry the token is renewed")
	get()
	assert.EqualValues(t, 2, ts.grants.Load(), "and the new one is reused")

	require.Len(t, seen, 4)
	assert.Equal(t, seen[0], seen[1])
	assert.NotEqual(t, seen[1], seen[2])
	assert.Equal(t, seen[2], seen[3])
}

func TestServiceAccountRegrantsOnceAfter401(t *testing.T) {
	srv := newServer(t)
	ts := newTokenServer(t, srv, 3600)
	var apiCalls atomic.Int64
	srv.Mux.Handle(jobPath, apiCounter(&apiCalls, ts.wrap(http.HandlerFunc(serveJob)).ServeHTTP))
	c := newClient(t, srv, atlas.WithServiceAccount(testClientID, testSecret))

	_, err := c.Exports.Get(t.Context(), testGroupID, testCluster, testExportID)
	require.NoError(t, err)
	require.Len(t, ts.tokens(), 1)

	// The token is revoked: the API's 401 drops it, one new grant, one repeat, success.
	ts.revoke(ts.tokens()[0])
	job, err := c.Exports.Get(t.Context(), testGroupID, testCluster, testExportID)
	require.NoError(t, err)
	assert.Equal(t, testExportID, job.ID)
	assert.EqualValues(t, 2, ts.grants.Load())
	assert.EqualValues(t, 3, apiCalls.Load())

	// The API refuses every token: the repeat is made once, and its 401 is the answer.
	ts.refuseAll.Store(true)
	job, err = c.Exports.Get(t.Context(), testGroupID, testCluster, testExportID)
	assert.Nil(t, job)
	require.ErrorIs(t, err, atlas.ErrUnauthorized)
	var apiErr *atlas.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusUnauthorized, apiErr.StatusCode)
	assert.Equal(t, "NOT_ORG_GROUP_CREATOR", apiErr.ErrorCode)
	assert.EqualValues(t, 3, ts.grants.Load(), "exactly one new grant per refused call")
	assert.EqualValues(t, 5, apiCalls.Load(), "the refused call was repeated once")
}

func TestServiceAccountBadSecret(t *testing.T) {
	srv := newServer(t)
	ts := newTokenServer(t, srv, 3600)
	var apiCalls atomic.Int64
	srv.Mux.Handle(jobPath, apiCounter(&apiCalls, serveJob))
	const wrongSecret = "canary-wrong-secret-e3f0"
	c := newClient(t, srv, atlas.WithServiceAccount(testClientID, wrongSecret))

	job, err := c.Exports.Get(t.Context(), testGroupID, testCluster, testExportID)
	assert.Nil(t, job)
	require.ErrorIs(t, err, atlas.ErrUnauthorized)
	for _, s := range []error{atlas.ErrForbidden, atlas.ErrNotFound, atlas.ErrServer, atlas.ErrRateLimited} {
		assert.NotErrorIs(t, err, s)
	}
	msg := fmt.Sprintf("%v %+v %#v", err, err, err)
	assert.NotContains(t, msg, wrongSecret)
	assert.NotContains(t, msg, "raw-body-canary-91ad", "the token endpoint's raw body stays out of the error")
	assert.Zero(t, ts.grants.Load())
	assert.EqualValues(t, 1, ts.calls.Load(), "a refused grant is not retried")
	assert.Zero(t, apiCalls.Load(), "without a token nothing is sent to the API")
}

func TestServiceAccountGrantRetriedAfterServerError(t *testing.T) {
	srv := newServer(t)
	ts := &tokenServer{t: t, expiresIn: 3600, valid: map[string]bool{}}
	var failures atomic.Int64
	failures.Store(1)
	srv.Mux.HandleFunc("/api/oauth/token", func(w http.ResponseWriter, r *http.Request) {
		if failures.Add(-1) >= 0 {
			writeJSON(w, http.StatusServiceUnavailable, `{"error":"temporarily_unavailable"}`)
			return
		}
		ts.grant(w, r)
	})
	srv.Mux.Handle(jobPath, ts.wrap(http.HandlerFunc(serveJob)))
	c := newClient(t, srv, atlas.WithServiceAccount(testClientID, testSecret))
	slept := recordSleeps(c)

	// A failed grant happens before the request is sent, so the call is retried after a wait.
	_, err := c.Exports.Get(t.Context(), testGroupID, testCluster, testExportID)
	require.NoError(t, err)
	assert.EqualValues(t, 1, ts.grants.Load())
	assert.Len(t, slept.Waits(), 1)
}

// --- Bearer tokens the caller holds ------------------------------------------------------

func TestAccessTokenOnTheWire(t *testing.T) {
	srv := newServer(t)
	srv.Mux.HandleFunc(jobPath, func(w http.ResponseWriter, r *http.Request) {
		testWire(t, r, http.MethodGet, "Bearer "+testToken)
		serveJob(w, r)
	})
	c := newClient(t, srv, atlas.WithAccessToken(testToken))
	_, err := c.Exports.Get(t.Context(), testGroupID, testCluster, testExportID)
	require.NoError(t, err)
	assert.EqualValues(t, 1, srv.Requests())
}

// countingSource is an oauth2.TokenSource that hands out numbered tokens.
type countingSource struct {
	n   atomic.Int64
	err error
}

func (s *countingSource) Token() (*oauth2.Token, error) {
	if s.err != nil {
		return nil, s.err
	}
	return &oauth2.Token{AccessToken: fmt.Sprintf("source-token-%d", s.n.Add(1)), TokenType: "Bearer"}, nil
}

func TestTokenSourceOnTheWire(t *testing.T) {
	srv := newServer(t)
	var want atomic.Int64
	srv.Mux.HandleFunc(jobPath, func(w http.ResponseWriter, r *http.Request) {
		testWire(t, r, http.MethodGet, fmt.Sprintf("Bearer source-token-%d", want.Add(1)))
		serveJob(w, r)
	})
	src := &countingSource{}
	c := newClient(t, srv, atlas.WithTokenSource(src))
	for range 2 {
		_, err := c.Exports.Get(t.Context(), testGroupID, testCluster, testExportID)
		require.NoError(t, err)
	}
	assert.EqualValues(t, 2, src.n.Load(), "the source is asked on every request; caching is its job")
	assert.EqualValues(t, 2, srv.Requests())
}

func TestTokenSourceError(t *testing.T) {
	srv := newServer(t)
	srv.Mux.HandleFunc("/", serveJob)
	boom := errors.New("vault is sealed")
	c := newClient(t, srv, atlas.WithTokenSource(&countingSource{err: boom}))
	job, err := c.Exports.Get(t.Context(), testGroupID, testCluster, testExportID)
	assert.Nil(t, job)
	require.ErrorIs(t, err, boom)
	assert.Zero(t, srv.Requests(), "no token, no request")
}

func TestServiceAccountGrantHonoursRetryAfter(t *testing.T) {
	// The token endpoint is rate limited (about ten grants a minute) and says how long to wait.
	for _, tt := range []struct {
		retryAfter string
		waits      []time.Duration
		grants     int64
	}{
		{"6", []time.Duration{6 * time.Second}, 1},
		{"600", nil, 0}, // over a minute: not waited for, the caller gets the 429
	} {
		t.Run(tt.retryAfter, func(t *testing.T) {
			srv := newServer(t)
			ts := &tokenServer{t: t, expiresIn: 3600, valid: map[string]bool{}}
			var calls atomic.Int64
			srv.Mux.HandleFunc("/api/oauth/token", func(w http.ResponseWriter, r *http.Request) {
				if calls.Add(1) == 1 {
					w.Header().Set("Retry-After", tt.retryAfter)
					writeJSON(w, http.StatusTooManyRequests, `{"error":"rate_limited"}`)
					return
				}
				ts.grant(w, r)
			})
			srv.Mux.Handle(jobPath, ts.wrap(http.HandlerFunc(serveJob)))
			c := newClient(t, srv, atlas.WithServiceAccount(testClientID, testSecret))
			slept := recordSleeps(c)

			_, err := c.Exports.Get(t.Context(), testGroupID, testCluster, testExportID)
			if tt.grants == 0 {
				require.ErrorIs(t, err, atlas.ErrRateLimited)
				var apiErr *atlas.APIError
				require.ErrorAs(t, err, &apiErr)
				assert.Equal(t, 10*time.Minute, apiErr.RetryAfter)
			} else {
				require.NoError(t, err)
			}
			assert.Equal(t, tt.waits, slept.Waits())
			assert.Equal(t, tt.grants, ts.grants.Load())
		})
	}
}

func TestServiceAccountConcurrentRevocationRegrantsOnce(t *testing.T) {
	srv := newServer(t)
	ts := newTokenServer(t, srv, 3600)
	srv.Mux.Handle(jobPath, ts.wrap(http.HandlerFunc(serveJob)))
	c := newClient(t, srv, atlas.WithServiceAccount(testClientID, testSecret))
	_, err := c.Exports.Get(t.Context(), testGroupID, testCluster, testExportID)
	require.NoError(t, err)
	ts.revoke(ts.tokens()[0])

	// Fifty callers meet the revoked token; each 401 drops it only if it is still the one
	// cached, so together they cause one new grant, not fifty.
	const n = 50
	getTogether(t, c, n)
	assert.EqualValues(t, 2, ts.grants.Load())
}

func TestServiceAccountGrantEndsWithTheContext(t *testing.T) {
	srv := newServer(t)
	released := make(chan struct{})
	t.Cleanup(func() { close(released) })
	srv.Mux.HandleFunc("/api/oauth/token", func(_ http.ResponseWriter, r *http.Request) {
		select { // a token endpoint that never answers
		case <-r.Context().Done():
		case <-released:
		}
	})
	var apiCalls atomic.Int64
	srv.Mux.HandleFunc(jobPath, apiCounter(&apiCalls, serveJob))
	// Grants in flight are counted on the client's side: the server notices an abandoned
	// request only some time after the client has moved on.
	grants := &inFlightTransport{base: srv.Client().Transport}
	c := newClient(t, srv, atlas.WithServiceAccount(testClientID, testSecret), atlas.WithHTTPClient(&http.Client{Transport: grants}))

	// Callers waiting behind the grant in flight end with their own contexts too.
	const n = 5
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
			defer cancel()
			_, errs[i] = c.Exports.Get(ctx, testGroupID, testCluster, testExportID)
		})
	}
	wg.Wait()
	for _, err := range errs {
		require.ErrorIs(t, err, context.DeadlineExceeded)
	}
	assert.Zero(t, apiCalls.Load())
	assert.EqualValues(t, 1, grants.max.Load(), "at most one grant in flight at a time")
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
