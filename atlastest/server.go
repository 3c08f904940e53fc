package atlastest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Server is an in-memory fake of the Atlas Administration API's Cloud Backup export workflow
// (export jobs, export buckets, replica-set and sharded-cluster snapshots) and of the OAuth
// token endpoints, listening on a loopback address. Its methods are safe for concurrent
// use, also while requests are being served.
type Server struct {
	// URL is the base URL of the server, such as http://127.0.0.1:40123, without a trailing
	// slash. Point a client's base URL here.
	URL string
	// PublicKey and PrivateKey are the programmatic API key the server accepts with HTTP
	// digest authentication.
	PublicKey, PrivateKey string
	// ClientID and ClientSecret are the service account the server accepts at the token
	// endpoint.
	//
	// These fields report what NewServer chose; changing them does not change what the
	// server accepts (use WithAPIKey and WithServiceAccount).
	ClientID, ClientSecret string

	cfg    config
	now    func() time.Time
	orgID  string
	opaque string
	http   *http.Server
	served chan struct{}      // closed when the serve loop has returned
	conns  sync.WaitGroup     // connections not yet closed: Close waits for their goroutines
	stop   context.CancelFunc // cancels every request context on Close

	// mu guards everything below. Handlers hold it only while they touch state, never while
	// they wait (fault delays) or write to the network.
	mu           sync.Mutex
	closed       bool
	inflight     sync.WaitGroup
	groups       map[string]*group
	jobs         map[string]*jobRecord
	snapshots    map[string]*snapshotRecord
	buckets      map[string]*bucketRecord
	nonces       map[string]*nonce
	nonceOrder   []string
	tokens       map[string]time.Time // access token -> expiry
	prunes       struct{ tokens int } // map sizes at which pruneMap next scans
	requests     map[string]int
	challenges   int
	grants       int
	revocations  int
	faults       []*pendingFault
	apiLimiter   *rate.Limiter
	tokenLimiter *rate.Limiter
	autoAdvance  bool
	access       map[string]Access
}

// NewServer starts a fake Atlas on a random loopback port (or on WithListener's listener) and
// returns it; call Close when done. Credentials not set by options are generated. Like
// httptest.NewServer, it panics if it cannot listen.
func NewServer(opts ...Option) *Server {
	cfg := config{
		tokenLifetime:    defaultTokenLifetime,
		nonceLifetime:    defaultNonceLifetime,
		now:              time.Now,
		totalCollections: defaultTotalCollections,
		tokenLimit:       rate.Every(time.Minute / defaultGrantsPerMinute),
		tokenBurst:       defaultGrantsPerMinute,
		liveTokenLimit:   defaultLiveTokenLimit,
	}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.publicKey == "" {
		cfg.publicKey = randomLetters(8)
	}
	if cfg.privateKey == "" {
		cfg.privateKey = randomUUID()
	}
	if cfg.clientID == "" {
		cfg.clientID = "mdb_sa_id_" + newObjectID()
	}
	if cfg.clientSecret == "" {
		cfg.clientSecret = "mdb_sa_sk_" + randomLetters(40)
	}
	ln := cfg.listener
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			panic(fmt.Sprintf("atlastest: failed to listen on a loopback port: %v", err))
		}
	}

	ctx, stop := context.WithCancel(context.Background())
	s := &Server{
		URL:          "http://" + ln.Addr().String(),
		PublicKey:    cfg.publicKey,
		PrivateKey:   cfg.privateKey,
		ClientID:     cfg.clientID,
		ClientSecret: cfg.clientSecret,
		cfg:          cfg,
		now:          cfg.now,
		orgID:        newObjectID(),
		opaque:       hex.EncodeToString(randomBytes(16)),
		served:       make(chan struct{}),
		stop:         stop,
		groups:       map[string]*group{},
		jobs:         map[string]*jobRecord{},
		snapshots:    map[string]*snapshotRecord{},
		buckets:      map[string]*bucketRecord{},
		nonces:       map[string]*nonce{},
		tokens:       map[string]time.Time{},
		requests:     map[string]int{},
		autoAdvance:  cfg.autoAdvance,
	}
	if cfg.apiBurst > 0 {
		s.apiLimiter = rate.NewLimiter(cfg.apiLimit, cfg.apiBurst)
	}
	if cfg.tokenBurst > 0 {
		s.tokenLimiter = rate.NewLimiter(cfg.tokenLimit, cfg.tokenBurst)
	}
	s.http = &http.Server{
		Handler:           s.routes(),
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return ctx },
		ConnState:         s.trackConn,
	}
	go func() {
		defer close(s.served)
		_ = s.http.Serve(ln) // returns http.ErrServerClosed once Close or Shutdown runs
	}()
	return s
}

// trackConn counts connections so that Close returns only after the goroutine serving each
// one has ended; http.Server.Close alone does not wait for them, and goleak would notice.
func (s *Server) trackConn(_ net.Conn, state http.ConnState) {
	switch state {
	case http.StateNew:
		s.conns.Add(1)
	case http.StateHijacked, http.StateClosed:
		s.conns.Done()
	}
}

// Close stops the server at once: it closes the listener and every connection, cancels the
// context of requests still running (so fault delays end) and waits for their handlers to
// return. A connection the server is closing after a request whose body it did not read may
// hold Close up to half a second (net/http's reset-avoidance delay). Close may be called more
// than once.
func (s *Server) Close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	_ = s.http.Close()
	s.stop()
	<-s.served // no connection is accepted, so no conns.Add, after this
	s.inflight.Wait()
	s.conns.Wait()
}

// Shutdown stops the server gracefully: it stops accepting connections and waits for active
// requests to finish until ctx ends, then closes the server as Close does. It returns ctx's
// error if requests were still running when ctx ended.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.http.Shutdown(ctx)
	s.Close()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// Requests returns how many requests the server received for route (one of the Route
// constants, such as RouteGetExport), counting those answered by a fault or an error.
// Requests("") returns the total over all routes.
func (s *Server) Requests(route string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if route != "" {
		return s.requests[route]
	}
	n := 0
	for _, c := range s.requests {
		n += c
	}
	return n
}

// DigestChallenges returns how many digest challenges (WWW-Authenticate: Digest headers) the
// server has sent. A client that reuses its nonce sends one challenge's worth of extra round
// trips, not one per call.
func (s *Server) DigestChallenges() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.challenges
}

// TokenGrants returns how many access tokens the token endpoint has granted. A client that
// caches its token asks for one per token lifetime.
func (s *Server) TokenGrants() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.grants
}

// TokenRevocations returns how many live tokens the revocation endpoint has revoked.
func (s *Server) TokenRevocations() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.revocations
}

// LiveTokens returns how many granted tokens are live now: neither expired nor revoked. Atlas
// allows 100 per service account (see WithLiveTokenLimit).
func (s *Server) LiveTokens() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.liveTokens(s.now())
}

// ResetCounters sets Requests, DigestChallenges, TokenGrants and TokenRevocations back to
// zero. It leaves tokens, nonces, stored resources and faults as they are.
func (s *Server) ResetCounters() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.requests)
	s.challenges = 0
	s.grants = 0
	s.revocations = 0
}

// randomBytes returns n bytes from crypto/rand, which does not fail on supported platforms.
func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

// newObjectID returns a fresh 24-hex-digit id, the shape of Atlas ids.
func newObjectID() string {
	return hex.EncodeToString(randomBytes(12))
}

// randomLetters returns n random lowercase letters, the shape of an API public key.
func randomLetters(n int) string {
	const letters = "abcdefghijklmnopqrstuvwxyz"
	b := randomBytes(n)
	for i := range b {
		b[i] = letters[int(b[i])%len(letters)]
	}
	return string(b)
}

// randomUUID returns a random (version 4) UUID, the shape of an API private key.
func randomUUID() string {
	b := randomBytes(16)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
