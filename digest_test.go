package atlas_test

import (
	"context"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
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

// HTTP digest (RFC 7616) with an API key: the fake's real digest, an independent
// verification of every algorithm, and servers that misbehave.

const digestRealm = "MMS Public API"

// digestServer guards a handler with HTTP digest as Atlas does (MD5, qop=auth) and checks
// every response with its own computation, independent of the client's and the fake's.
type digestServer struct {
	user, password, opaque string

	mu     sync.Mutex
	nonces map[string]*nonceState // every nonce issued

	requests, challenges, stale, accepted atomic.Int64
}

type nonceState struct {
	expired bool
	seen    map[string]bool // nonce counts used, to refuse a replay
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

// expireNonces makes every nonce issued so far stale.
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
	d.nonces[nonce] = &nonceState{seen: map[string]bool{}}
	d.mu.Unlock()
	d.challenges.Add(1)
	if stale {
		d.stale.Add(1)
	}
	w.Header().Set("WWW-Authenticate", fmt.Sprintf(
		`Digest realm="%s", domain="", nonce="%s", algorithm=MD5, qop="auth", stale=%t, opaque="%s"`,
		digestRealm, nonce, stale, d.opaque))
	writeJSON(w, http.StatusUnauthorized, `{"error":401,"errorCode":"UNAUTHORIZED","reason":"Unauthorized"}`)
}

// verify checks the Authorization header: response = MD5(HA1:nonce:nc:cnonce:auth:HA2) with
// HA1 = MD5(user:realm:password) and HA2 = MD5(method:uri). stale reports a correct response
// to an expired nonce, which RFC 7616 answers with stale=true.
func (d *digestServer) verify(r *http.Request) (ok, stale bool) {
	rest, found := strings.CutPrefix(r.Header.Get("Authorization"), "Digest ")
	if !found {
		return false, false
	}
	p := parseDigestParams(rest)
	if len(p["nc"]) != 8 || p["cnonce"] == "" || p["username"] != d.user || p["realm"] != digestRealm ||
		p["qop"] != "auth" || !strings.EqualFold(p["algorithm"], "MD5") || p["opaque"] != d.opaque || p["uri"] != r.RequestURI {
		return false, false
	}
	ha1 := md5Hex(d.user + ":" + digestRealm + ":" + d.password)
	ha2 := md5Hex(r.Method + ":" + p["uri"])
	if p["response"] != md5Hex(strings.Join([]string{ha1, p["nonce"], p["nc"], p["cnonce"], "auth", ha2}, ":")) {
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
	case n.seen[p["nc"]]:
		return false, false // a replayed nonce count
	}
	n.seen[p["nc"]] = true
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
		}
		out[strings.ToLower(strings.TrimSpace(key))] = strings.TrimSpace(val)
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
	t.Parallel()
	got := parseDigestParams(`username="a b", realm="MMS Public API", nc=00000001, qop=auth, uri="/x?a=1,2", response="ff"`)
	assert.Equal(t, map[string]string{
		"username": "a b", "realm": "MMS Public API", "nc": "00000001", "qop": "auth", "uri": "/x?a=1,2", "response": "ff",
	}, got)
}

func TestDigestSignaturesVerifyIndependently(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	d := newDigestServer(testPublicKey, testPrivateKey)
	srv.Mux.Handle(jobPath, d.wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, []string{atlas.MediaType}, r.Header.Values("Accept"))
		assert.Equal(t, "atlas-go/"+atlas.Version, r.Header.Get("User-Agent"))
		serveJob(w, r)
	})))
	c := newClient(t, srv, atlas.WithDigest(testPublicKey, testPrivateKey))

	for range 3 {
		require.NoError(t, getTestJob(t.Context(), c))
	}
	assert.EqualValues(t, 3, d.accepted.Load())
	assert.EqualValues(t, 1, d.challenges.Load(), "one challenge, then reused with rising nonce counts")

	d.expireNonces()
	require.NoError(t, getTestJob(t.Context(), c))
	assert.EqualValues(t, 1, d.stale.Load(), "the stale nonce was answered without an error")
	assert.EqualValues(t, 4, d.accepted.Load())
}

func TestDigestSteadyStateIsOneRequestPerCall(t *testing.T) {
	t.Parallel() // slow under -race, and shares nothing with other tests
	srv := authFake(t)
	c := authClient(t, srv.URL, atlas.WithDigest(testPublicKey, testPrivateKey))

	require.NoError(t, getTestJob(t.Context(), c))
	assert.Equal(t, 2, srv.Requests(atlastest.RouteGetExport), "the first call fetches the challenge")
	for range 10 {
		require.NoError(t, getTestJob(t.Context(), c))
	}
	assert.Equal(t, 12, srv.Requests(atlastest.RouteGetExport), "then one request per call")
	getTogether(t, c, 50)
	assert.Equal(t, 62, srv.Requests(atlastest.RouteGetExport), "from many goroutines at once too")
	assert.Equal(t, 1, srv.DigestChallenges())

	srv.ExpireNonces()
	require.NoError(t, getTestJob(t.Context(), c))
	assert.Equal(t, 64, srv.Requests(atlastest.RouteGetExport), "a stale nonce costs one extra request")
	assert.Equal(t, 2, srv.DigestChallenges())
	require.NoError(t, getTestJob(t.Context(), c))
	assert.Equal(t, 65, srv.Requests(atlastest.RouteGetExport), "and the new nonce is reused")
}

func TestDigestWrongKeyCostsTwoRequestsPerCall(t *testing.T) {
	t.Parallel()
	srv := authFake(t)
	const wrongKey = "canary-wrong-key-0c7a"
	c := authClient(t, srv.URL, atlas.WithDigest(testPublicKey, wrongKey))

	err := getTestJob(t.Context(), c)
	require.ErrorIs(t, err, atlas.ErrUnauthorized)
	assert.Equal(t, 2, srv.Requests(atlastest.RouteGetExport), "the challenge, one signed request, no more")
	assertNoSecret(t, err, wrongKey)

	// A later call signs with the challenge it holds, is refused with a new one, and answers
	// that once: a refusal that is not stale is final.
	err = getTestJob(t.Context(), c)
	require.ErrorIs(t, err, atlas.ErrUnauthorized)
	assert.Equal(t, 4, srv.Requests(atlastest.RouteGetExport))
	assertNoSecret(t, err, wrongKey)
	printed := fmt.Sprintf("%v %+v %#v", c, c, c)
	assert.NotContains(t, printed, wrongKey)
}

func TestDigestCreateIsSignedWithItsBody(t *testing.T) {
	t.Parallel()
	srv := authFake(t)
	c := authClient(t, srv.URL, atlas.WithDigest(testPublicKey, testPrivateKey))

	// A fresh client: the body goes out with the unsigned request that fetches the challenge,
	// and again, whole, with the signed one.
	job, err := c.Exports.Create(t.Context(), testGroupID, testCluster,
		&atlas.CreateExportJobRequest{SnapshotID: testSnapshot, ExportBucketID: testBucket})
	require.NoError(t, err)
	assert.Equal(t, 2, srv.Requests(atlastest.RouteCreateExport))
	stored, ok := srv.ExportJob(testGroupID, testCluster, job.ID)
	require.True(t, ok)
	assert.Equal(t, testSnapshot, stored.SnapshotID)
	assert.Equal(t, testBucket, stored.ExportBucketID)
	assert.Len(t, srv.ExportJobs(testGroupID, testCluster), 2, "the test job and this one: created once")
}

// Nonces good for one request each, under 64 concurrent calls, twice: every stale answer is
// answered again, a bounded number of times (at most 3 requests a call), and every call
// succeeds: the last answer is signed with a nonce no other call knows.
func TestDigestUnderLoadWithShortLivedNonces(t *testing.T) {
	t.Parallel() // slow under -race, and shares nothing with other tests
	const n = 64
	srv := authFake(t, atlastest.WithNonceUses(1))
	c := authClient(t, srv.URL, atlas.WithDigest(testPublicKey, testPrivateKey))

	getTogether(t, c, n) // cold
	getTogether(t, c, n) // with a nonce every call has used
	requests := srv.Requests(atlastest.RouteGetExport)
	t.Logf("%d calls, nonces of one use: %d requests, %d challenges", 2*n, requests, srv.DigestChallenges())
	assert.LessOrEqual(t, requests, 3*2*n, "each call answered a bounded number of stale challenges")

	// Wrong credentials under the same server are still reported at once.
	bad := authClient(t, srv.URL, atlas.WithDigest(testPublicKey, "canary-wrong-key-5e1d"))
	before := srv.Requests(atlastest.RouteGetExport)
	require.ErrorIs(t, getTestJob(t.Context(), bad), atlas.ErrUnauthorized)
	assert.Equal(t, 2, srv.Requests(atlastest.RouteGetExport)-before, "one challenge and one signed request")
}

// A nonce can go stale again before the client answers. icholy/digest answers the first stale
// refusal itself, with one request; the SDK answers a second one with the nonce it brought, with
// one more. A third is final.
func TestDigestStaleNoncesAreAnsweredABoundedNumberOfTimes(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		again    int // how many stale answers the server makes stale again at once
		requests int // the call's
		ok       bool
	}{
		{0, 2, true},  // stale once: one extra request
		{1, 3, true},  // twice in a row: two
		{2, 3, false}, // three times: the stale refusal is the answer
		{9, 3, false}, // always
	} {
		t.Run(strconv.Itoa(tt.again), func(t *testing.T) {
			srv := authFake(t)
			var again atomic.Int64
			front := newDigestFront(t, srv, false, func(resp *http.Response) {
				if strings.Contains(resp.Header.Get("WWW-Authenticate"), "stale=true") && again.Add(1) <= int64(tt.again) {
					srv.ExpireNonces()
				}
			})
			c := authClient(t, front.URL, atlas.WithDigest(testPublicKey, testPrivateKey))
			require.NoError(t, getTestJob(t.Context(), c))
			before := srv.Requests(atlastest.RouteGetExport)

			srv.ExpireNonces()
			err := getTestJob(t.Context(), c)
			if tt.ok {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, atlas.ErrUnauthorized)
			}
			assert.Equal(t, tt.requests, srv.Requests(atlastest.RouteGetExport)-before)
		})
	}
}

// digestFront is a server in front of the fake. It can hold the first request it gets until
// open is called, so a test can act while that request is in flight, and it shows every
// answer to a function before the client gets it.
type digestFront struct {
	URL     string
	arrived chan struct{} // closed when the first request came in
	release chan struct{}
	once    sync.Once
}

func newDigestFront(t *testing.T, srv *atlastest.Server, holdFirst bool, answered func(*http.Response)) *digestFront {
	t.Helper()
	target, err := url.Parse(srv.URL)
	require.NoError(t, err)
	tr := &http.Transport{MaxIdleConnsPerHost: 64} // as many as the client's own transport keeps
	proxy := &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) { pr.SetURL(target) }, Transport: tr}
	if answered != nil {
		proxy.ModifyResponse = func(resp *http.Response) error { answered(resp); return nil }
	}
	f := &digestFront{arrived: make(chan struct{}), release: make(chan struct{})}
	var first atomic.Bool
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if holdFirst && first.CompareAndSwap(false, true) {
			close(f.arrived)
			select {
			case <-f.release:
			case <-r.Context().Done():
				return
			}
		}
		proxy.ServeHTTP(w, r)
	}))
	f.URL = server.URL
	t.Cleanup(func() {
		f.open()
		server.Close()
		tr.CloseIdleConnections()
	})
	return f
}

func (f *digestFront) open() { f.once.Do(func() { close(f.release) }) }

// A fresh client's first calls, all at once: one fetches the challenge and the others wait
// for it, each only as long as its own context allows.
func TestDigestColdBurstFetchesOneChallenge(t *testing.T) {
	t.Parallel() // slow under -race, and shares nothing with other tests
	for _, n := range []int{64, 256} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			srv := authFake(t)
			front := newDigestFront(t, srv, true, nil)
			c := authClient(t, front.URL, atlas.WithDigest(testPublicKey, testPrivateKey))

			errs := make(chan error, n)
			go func() { errs <- getTestJob(t.Context(), c) }()
			<-front.arrived // the first call's unsigned request is held at the server
			for range n - 1 {
				go func() { errs <- getTestJob(t.Context(), c) }()
			}
			// A waiter leaves with its own context while the challenge is still in flight.
			requireEndsWithContext(t, 100*time.Millisecond, func(ctx context.Context) error { return getTestJob(ctx, c) })

			front.open()
			for range n {
				require.NoError(t, <-errs)
			}
			t.Logf("%d concurrent first calls: %d challenges, %d requests", n, srv.DigestChallenges(), srv.Requests(atlastest.RouteGetExport))
			assert.LessOrEqual(t, srv.DigestChallenges(), 2)
			assert.LessOrEqual(t, srv.Requests(atlastest.RouteGetExport), n+2, "one request per call, and the challenge's")
		})
	}
}

// A fresh client's first call that gives up before the challenge comes does not leave the
// others waiting: the next call fetches it.
func TestDigestFirstCallGivingUpLetsTheNextFetch(t *testing.T) {
	t.Parallel()
	srv := authFake(t)
	front := newDigestFront(t, srv, true, nil)
	c := authClient(t, front.URL, atlas.WithDigest(testPublicKey, testPrivateKey))

	first, giveUp := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- getTestJob(first, c) }()
	<-front.arrived // the first call's unsigned request is held at the server
	giveUp()
	require.ErrorIs(t, <-done, context.Canceled)

	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	require.NoError(t, getTestJob(ctx, c))
	assert.Equal(t, 1, srv.DigestChallenges())
}

// A 401 whose body never ends, or stalls: the call ends within a second, having read no more
// than 4 KiB of each 401, the final refusal's included.
func TestDigestHostile401BodiesAreReadALittle(t *testing.T) {
	t.Parallel() // slow under -race, and shares nothing with other tests
	challenge := func(stale bool) func(http.Header) {
		return func(h http.Header) {
			h.Set("WWW-Authenticate", fmt.Sprintf(`Digest realm="%s", nonce="%s", algorithm=MD5, qop="auth", stale=%t`,
				digestRealm, randomHex(8), stale))
		}
	}
	for _, tt := range []struct {
		name     string
		stale    bool
		requests int
	}{{"refused", false, 2}, {"stale every time", true, 3}} {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			srv.Mux.Handle("/", hostileBody(t, http.StatusUnauthorized, challenge(tt.stale), false))
			meter := &bodyMeter{base: srv.Client().Transport}
			c := newClient(t, srv, atlas.WithDigest(testPublicKey, testPrivateKey), atlas.WithHTTPClient(&http.Client{Transport: meter}))

			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
			defer cancel()
			start := time.Now()
			require.ErrorIs(t, getTestJob(ctx, c), atlas.ErrUnauthorized, "the call ended with the refusal, before its context")
			assert.Less(t, time.Since(start), time.Second)
			reads := meter.Reads()
			assert.Len(t, reads, tt.requests)
			for _, n := range reads {
				assert.LessOrEqual(t, n, int64(4<<10), "a 401's body is read 4 KiB at most")
			}
		})
	}
	t.Run("stalls", func(t *testing.T) {
		srv := newServer(t)
		srv.Mux.Handle("/", hostileBody(t, http.StatusUnauthorized, challenge(false), true))
		c := newClient(t, srv, atlas.WithDigest(testPublicKey, testPrivateKey))
		requireEndsWithContext(t, 300*time.Millisecond, func(ctx context.Context) error { return getTestJob(ctx, c) })
	})
}

// digestResponse is this test's own computation of a digest response (RFC 7616 section
// 3.4.1), independent of the SDK's and icholy/digest's.
func digestResponse(algorithm, user, realm, password, method, uri, nonce, nc, cnonce string, qopAuth bool) string {
	h := func(s string) string {
		if strings.HasPrefix(algorithm, "SHA-256") {
			sum := sha256.Sum256([]byte(s))
			return hex.EncodeToString(sum[:])
		}
		sum := md5.Sum([]byte(s))
		return hex.EncodeToString(sum[:])
	}
	ha1 := h(user + ":" + realm + ":" + password)
	if strings.HasSuffix(algorithm, "-sess") {
		ha1 = h(ha1 + ":" + nonce + ":" + cnonce)
	}
	ha2 := h(method + ":" + uri)
	if !qopAuth {
		return h(ha1 + ":" + nonce + ":" + ha2) // RFC 2069's form, for a challenge without qop
	}
	return h(ha1 + ":" + nonce + ":" + nc + ":" + cnonce + ":auth:" + ha2)
}

// Every algorithm the client answers, checked on the wire against the test's own computation,
// which the example of RFC 7616 section 3.9.1 checks first.
func TestDigestAnswersEveryAlgorithmAsRFC7616Computes(t *testing.T) {
	t.Parallel()
	const (
		user, password = "Mufasa", "Circle of Life"
		realm          = "http-auth@example.org"
		nonce          = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v"
		opaque         = "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"
	)
	rfc := func(algorithm string) string {
		return digestResponse(algorithm, user, realm, password, "GET", "/dir/index.html", nonce,
			"00000001", "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", true)
	}
	require.Equal(t, "8ca523f5e9506fed4657c9700eebdbec", rfc("MD5"))
	require.Equal(t, "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1", rfc("SHA-256"))

	for _, tt := range []struct{ algorithm, qop string }{
		{"MD5", "auth, auth-int"}, {"SHA-256", "auth, auth-int"}, {"MD5-sess", "auth"}, {"SHA-256-sess", "auth"},
		{"MD5", "auth-int, auth"}, // auth, which the client answers, listed second
		{"MD5", ""},               // RFC 2069's form
	} {
		t.Run(tt.algorithm+" "+tt.qop, func(t *testing.T) {
			t.Parallel()
			challenge := `Digest realm="` + realm + `", algorithm=` + tt.algorithm + `, nonce="` + nonce + `", opaque="` + opaque + `"`
			if tt.qop != "" {
				challenge += `, qop="` + tt.qop + `"`
			}
			var mu sync.Mutex
			var counts []string
			srv := newServer(t)
			srv.Mux.HandleFunc(jobPath, func(w http.ResponseWriter, r *http.Request) {
				auth, signed := strings.CutPrefix(r.Header.Get("Authorization"), "Digest ")
				if !signed {
					w.Header().Set("WWW-Authenticate", challenge)
					writeJSON(w, http.StatusUnauthorized, `{"error":401,"errorCode":"UNAUTHORIZED"}`)
					return
				}
				p := parseDigestParams(auth)
				assert.Equal(t, user, p["username"])
				assert.Equal(t, realm, p["realm"])
				assert.Equal(t, nonce, p["nonce"])
				assert.Equal(t, opaque, p["opaque"])
				assert.Equal(t, r.RequestURI, p["uri"])
				assert.Equal(t, tt.algorithm, p["algorithm"])
				if tt.qop == "" {
					assert.NotContains(t, p, "qop")
				} else {
					assert.Equal(t, "auth", p["qop"])
					assert.NotEmpty(t, p["cnonce"])
				}
				want := digestResponse(tt.algorithm, user, realm, password, r.Method, r.RequestURI, nonce, p["nc"], p["cnonce"], tt.qop != "")
				if p["response"] != want {
					writeJSON(w, http.StatusUnauthorized, `{"error":401,"errorCode":"UNAUTHORIZED"}`)
					return
				}
				mu.Lock()
				counts = append(counts, p["nc"])
				mu.Unlock()
				serveJob(w, r)
			})
			c := newClient(t, srv, atlas.WithDigest(user, password))

			require.NoError(t, getTestJob(t.Context(), c))
			require.NoError(t, getTestJob(t.Context(), c))
			assert.EqualValues(t, 3, srv.Requests(), "one challenge, then one request per call")
			if tt.qop != "" {
				assert.Equal(t, []string{"00000001", "00000002"}, counts, "nonce counts rise")
			}
		})
	}
}

// A challenge the client cannot answer, whether it cannot be parsed, lacks what signing needs
// or names an unknown algorithm, is the server's 401: an *APIError matching ErrUnauthorized,
// after the one request that brought it, and no parser's message.
func TestDigestUnanswerableChallengesAreUnauthorized(t *testing.T) {
	t.Parallel()
	for name, header := range map[string]string{
		"unterminated quote": `Digest realm="r, nonce="n`,
		"garbage":            `Digest ,,=,"=`,
		"no nonce":           `Digest realm="r", qop="auth"`,
		"no realm":           `Digest nonce="n", qop="auth"`,
		"unknown algorithm":  `Digest realm="r", nonce="n", algorithm=SHA-1, qop="auth"`,
		"unknown qop":        `Digest realm="r", nonce="n", qop="auth-conf"`,
		"another scheme":     `Basic realm="r"`,
		"none":               ``,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t)
			srv.Mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
				if header != "" {
					w.Header().Set("WWW-Authenticate", header)
				}
				writeJSON(w, http.StatusUnauthorized, `{"error":401,"errorCode":"UNAUTHORIZED","reason":"Unauthorized"}`)
			})
			c := newClient(t, srv, atlas.WithDigest(testPublicKey, testPrivateKey))

			for calls := int64(1); calls <= 2; calls++ {
				err := getTestJob(t.Context(), c)
				require.ErrorIs(t, err, atlas.ErrUnauthorized)
				var apiErr *atlas.APIError
				require.ErrorAs(t, err, &apiErr)
				assert.Equal(t, http.StatusUnauthorized, apiErr.StatusCode)
				assert.NotContains(t, err.Error(), "digest:", "the library's message")
				assert.Equal(t, calls, srv.Requests(), "one request a call")
			}
		})
	}
}

// recorder is a caller's base transport that keeps every request it is given, and a copy of
// its headers as they were when it was given.
type recorder struct {
	base http.RoundTripper
	mu   sync.Mutex
	reqs []*http.Request
	sent []http.Header
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	r.reqs = append(r.reqs, req)
	r.sent = append(r.sent, req.Header.Clone())
	r.mu.Unlock()
	return r.base.RoundTrip(req)
}

// The SDK never modifies a request once it has handed it on (net/http's RoundTripper contract):
// every attempt the caller's transport sees is a request of its own, whose headers are still
// those it was sent with once the call is over, through a challenge, a nonce stale twice in a
// row (icholy/digest's answer, then the SDK's) and a refusal.
func TestDigestNeverModifiesARequestItHandedOn(t *testing.T) {
	t.Parallel()
	srv := authFake(t)
	var stale atomic.Int64
	front := newDigestFront(t, srv, false, func(resp *http.Response) {
		if strings.Contains(resp.Header.Get("WWW-Authenticate"), "stale=true") && stale.Add(1) == 1 {
			srv.ExpireNonces() // the nonce this answer brings is stale too
		}
	})
	transport := &http.Transport{}
	t.Cleanup(transport.CloseIdleConnections)
	rec := &recorder{base: transport}
	hc := atlas.WithHTTPClient(&http.Client{Transport: rec})
	c := authClient(t, front.URL, atlas.WithDigest(testPublicKey, testPrivateKey), hc)

	require.NoError(t, getTestJob(t.Context(), c)) // the challenge, then signed
	srv.ExpireNonces()
	_, err := c.Exports.Create(t.Context(), testGroupID, testCluster, // stale, stale, then accepted
		&atlas.CreateExportJobRequest{SnapshotID: testSnapshot, ExportBucketID: testBucket})
	require.NoError(t, err)
	bad := authClient(t, front.URL, atlas.WithDigest(testPublicKey, "canary-wrong-key-93fe"), hc)
	require.ErrorIs(t, getTestJob(t.Context(), bad), atlas.ErrUnauthorized) // the challenge, then refused

	require.Len(t, rec.reqs, 7)
	for i, req := range rec.reqs {
		for _, other := range rec.reqs[:i] {
			assert.NotSame(t, other, req, "request %d is one the SDK sent before", i)
		}
		assert.Equal(t, rec.sent[i], req.Header, "request %d was modified after it was handed on", i)
		signed := strings.HasPrefix(rec.sent[i].Get("Authorization"), "Digest ")
		assert.Equal(t, i != 0 && i != 5, signed, "request %d: only a fresh client's first is unsigned", i)
	}
}

// FuzzDigestChallenge answers a fresh client with any WWW-Authenticate value, to its unsigned
// request and its signed ones alike: the call never panics, ends in at most 3 requests and
// with the 401, never with a parser's error.
func FuzzDigestChallenge(f *testing.F) {
	for _, s := range []string{
		`Digest realm="MMS Public API", domain="", nonce="q1w/E+r=", algorithm=MD5, qop="auth", stale=false, opaque="op"`,
		`Digest realm="a \"b\"", nonce=n, qop="auth-int, auth", algorithm=SHA-256-sess, stale=true`,
		`Digest realm="r, nonce="n`,
		`digest REALM=r, Nonce=n, QOP=AUTH`,
		`Basic realm="x"`,
		`Digest ,,=,"=\`,
	} {
		f.Add(s)
	}
	var header atomic.Value
	var requests atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		requests.Add(1)
		w.Header().Set("WWW-Authenticate", header.Load().(string))
		writeJSON(w, http.StatusUnauthorized, `{"error":401,"errorCode":"UNAUTHORIZED"}`)
	}))
	f.Cleanup(srv.Close)
	hc := atlas.WithHTTPClient(srv.Client()) // one transport: a client each would keep connections each
	f.Fuzz(func(t *testing.T, value string) {
		if strings.ContainsFunc(value, func(r rune) bool { return r < ' ' && r != '\t' || r == 0x7f }) {
			t.Skip("not a header value a server can send")
		}
		header.Store(value)
		requests.Store(0)
		c, err := atlas.NewClient(atlas.WithBaseURL(srv.URL), atlas.WithDigest(testPublicKey, testPrivateKey), hc)
		require.NoError(t, err)
		err = getTestJob(t.Context(), c)
		require.ErrorIs(t, err, atlas.ErrUnauthorized)
		assert.NotContains(t, err.Error(), "digest:")
		assert.LessOrEqual(t, requests.Load(), int64(3))
	})
}
