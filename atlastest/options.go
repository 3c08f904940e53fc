package atlastest

import (
	"net"
	"time"

	"golang.org/x/time/rate"
)

// Option configures a Server. Options are applied in order by NewServer; a later option
// overrides an earlier one.
type Option func(*config)

// config is everything NewServer needs before it starts serving.
type config struct {
	publicKey, privateKey  string
	clientID, clientSecret string
	tokenLifetime          time.Duration
	nonceLifetime          time.Duration
	nonceUses              int
	now                    func() time.Time
	apiLimit               rate.Limit
	apiBurst               int
	tokenLimit             rate.Limit
	tokenBurst             int
	liveTokenLimit         int
	autoAdvance            bool
	lenientExports         bool
	stepInterval           time.Duration
	totalCollections       int32
	listener               net.Listener
	sparse                 bool // WithSparseResponses, in sparse.go
}

// Defaults. The token lifetime is the one Atlas grants; the nonce lifetime is short enough
// that a long-running test sees a stale re-challenge, long enough that a normal one does not.
const (
	defaultTokenLifetime    = time.Hour
	defaultGrantsPerMinute  = 10  // Atlas's grants a minute per IP address and client
	defaultLiveTokenLimit   = 100 // Atlas's live tokens per service account
	defaultNonceLifetime    = 5 * time.Minute
	defaultTotalCollections = 3
)

// WithAPIKey sets the programmatic API key (digest user name and password) the server
// accepts instead of a generated one.
func WithAPIKey(publicKey, privateKey string) Option {
	return func(c *config) { c.publicKey, c.privateKey = publicKey, privateKey }
}

// WithServiceAccount sets the service account (OAuth client id and secret) the server accepts
// instead of a generated one.
func WithServiceAccount(clientID, clientSecret string) Option {
	return func(c *config) { c.clientID, c.clientSecret = clientID, clientSecret }
}

// WithTokenLifetime sets how long an access token lives (default one hour, as Atlas grants).
// The token endpoint reports it as expires_in, rounded down to whole seconds.
func WithTokenLifetime(d time.Duration) Option {
	return func(c *config) { c.tokenLifetime = d }
}

// WithNonceLifetime sets how long a digest nonce stays fresh (default five minutes). A request
// with a correct response for an older nonce is re-challenged with stale=true.
func WithNonceLifetime(d time.Duration) Option {
	return func(c *config) { c.nonceLifetime = d }
}

// WithNonceUses sets how many requests one digest nonce may authenticate before it goes stale;
// zero (the default) means 10,000, so that the nonce counts the server keeps stay bounded.
func WithNonceUses(n int) Option {
	return func(c *config) { c.nonceUses = n }
}

// WithClock makes the server read time from now instead of time.Now. It drives token and
// nonce expiry, the rate limiters, timestamps on jobs and WithStepInterval progress. Pass a
// Clock's Now method to control time from a test. Fault delays always use real time.
func WithClock(now func() time.Time) Option {
	return func(c *config) { c.now = now }
}

// WithRateLimit limits the API routes (everything but the OAuth endpoints) with a token bucket of burst requests refilled
// at r per second. A refused request gets 429 RATE_LIMITED with Retry-After; every answer to an
// authenticated request carries RateLimit-Limit (the burst) and RateLimit-Remaining. Without
// this option there is no limit and no RateLimit-* header.
func WithRateLimit(r rate.Limit, burst int) Option {
	return func(c *config) { c.apiLimit, c.apiBurst = r, burst }
}

// WithTokenRateLimit limits grants at the token endpoint with a token bucket of burst grants
// refilled at r per second. The default is Atlas's limit, ten a minute per client id:
// WithTokenRateLimit(rate.Every(6*time.Second), 10). A refused grant gets Atlas's answer: 429
// with errorCode RATE_LIMITED, the detail "Resource /api/oauth/token is limited to <burst>
// requests every 1 minutes." and Retry-After. WithTokenRateLimit(rate.Inf, 0) turns the limit
// off, for tests that grant more than Atlas allows.
func WithTokenRateLimit(r rate.Limit, burst int) Option {
	return func(c *config) { c.tokenLimit, c.tokenBurst = r, burst }
}

// WithLiveTokenLimit sets how many live tokens (granted, neither expired nor revoked) the
// service account may hold. The default is Atlas's 100; past it, the token endpoint answers
// 403 with OAuth error access_denied and "Access Token limit reached. Please use the existing
// Access Tokens or create a new Service Account.", as Atlas does. Zero or less turns the limit
// off.
func WithLiveTokenLimit(n int) Option {
	return func(c *config) { c.liveTokenLimit = n }
}

// WithAutoAdvance makes every GET of one export job, or of one snapshot, advance it one step
// before it is answered, so a client polling it sees it finish: a job as AdvanceExport moves
// it, a snapshot queued, inProgress, completed as AdvanceSnapshot does. Listing moves nothing.
// See Server.SetAutoAdvance.
func WithAutoAdvance() Option {
	return func(c *config) { c.autoAdvance = true }
}

// WithStepInterval makes unfinished export jobs and snapshots advance one step per d of
// server-clock time since they were created, taken or added. Steps are computed when one is
// read (or, for a snapshot, exported), so with a Clock the test decides when time passes; zero
// (the default) turns it off.
func WithStepInterval(d time.Duration) Option {
	return func(c *config) { c.stepInterval = d }
}

// WithTotalCollections sets exportStatus.totalCollections of jobs created through the API
// (default 3). A job needs totalCollections+1 steps to go from Queued to Successful.
func WithTotalCollections(n int32) Option {
	return func(c *config) { c.totalCollections = n }
}

// WithLenientExports makes creating an export job skip the checks Atlas makes, and the fake
// makes by default: that the snapshot exists in the cluster (else 404 SNAPSHOT_NOT_FOUND), that
// the export bucket exists in the project (else 404 EXPORT_BUCKET_NOT_FOUND) and that the
// snapshot is completed (else 400 CANNOT_EXPORT_INCOMPLETE_SNAPSHOT). With it, any well-formed
// ids are accepted, for tests that do not seed snapshots and buckets.
func WithLenientExports() Option {
	return func(c *config) { c.lenientExports = true }
}

// WithListener makes the server accept connections on l instead of a new listener on a random
// loopback port. The server closes l when it is closed. cmd/atlasfake uses it to serve on a
// chosen address.
func WithListener(l net.Listener) Option {
	return func(c *config) { c.listener = l }
}
