package atlas

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// Version is this SDK's version, sent in the User-Agent as atlas-go/Version.
const Version = "0.2.0"

// Resource versions. Atlas versions each operation separately by a date in the media type;
// every request sends its operation's own as Accept, and as Content-Type of its body.
const (
	// MediaType is the 2023-01-01 resource version: export jobs, snapshots, and deleting an
	// export bucket.
	MediaType = "application/vnd.atlas.2023-01-01+json"
	// MediaTypeExportBuckets is the 2024-05-30 resource version: listing, reading, creating and
	// updating export buckets.
	MediaTypeExportBuckets = "application/vnd.atlas.2024-05-30+json"
)

// DefaultBaseURL is the Atlas Administration API's address.
const DefaultBaseURL = "https://cloud.mongodb.com"

// Client talks to the Atlas Administration API. Build it with NewClient or NewClientFromEnv;
// after that it is immutable and safe for concurrent use by many goroutines. Its credentials
// are out of reach of fmt, reflection-based printers and diffs.
type Client struct {
	// Exports has the export-job operations.
	Exports *ExportsService
	// ExportBuckets has the export-bucket operations.
	ExportBuckets *ExportBucketsService
	// Snapshots has the replica-set and sharded-cluster snapshot operations.
	Snapshots *SnapshotsService

	base     string       // scheme://host[/prefix], no trailing slash
	hc       *http.Client // carries every attempt: auth over the base transport, timeout, jar, redirects refused
	auth     authKind
	headers  headerValues
	redactor redactor
	retry    RetryPolicy
	limiter  *rate.Limiter
	logger   *slog.Logger
	sleep    func(ctx context.Context, d time.Duration) error
	jitter   func(n time.Duration) time.Duration
	closed   atomic.Bool
	close    func(ctx context.Context) error // a service account's revocations; nil for other modes
}

// Format prints a Client without any credential, whatever the verb: only its base URL and
// the kind of auth it uses.
func (c *Client) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "atlas.Client{base: %s, auth: %s}", c.base, c.auth)
}

// NewClient builds a Client. Exactly one auth option is required: WithServiceAccount,
// WithDigest, WithAccessToken or WithTokenSource. Every problem with the options is reported
// here, as an error wrapping ErrInvalidArgument; a client that was built is ready to use.
func NewClient(opts ...Option) (*Client, error) {
	s := settings{baseURL: DefaultBaseURL}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt.apply(&s); err != nil {
			return nil, err
		}
	}
	base, err := checkBaseURL(s.baseURL)
	if err != nil {
		return nil, err
	}
	switch len(s.creds.kinds) {
	case 0:
		return nil, invalid("auth", "no auth option: use one of WithServiceAccount, WithDigest, WithAccessToken or WithTokenSource")
	case 1:
	default:
		return nil, invalid("auth", fmt.Sprintf("%d auth options given (%s and %s): use exactly one", len(s.creds.kinds), s.creds.kinds[0], s.creds.kinds[1]))
	}
	retry := s.retry.withDefaults()
	if retry.MinBackoff > retry.MaxBackoff {
		return nil, invalid("WithRetry", "MinBackoff is greater than MaxBackoff")
	}
	c := &Client{
		base: base,
		auth: s.creds.kinds[0],
		headers: headerValues{
			userAgent: []string{userAgent(s.userAgent)},
			versions:  map[string][]string{MediaType: {MediaType}, MediaTypeExportBuckets: {MediaTypeExportBuckets}},
		},
		retry:   retry,
		limiter: s.limiter,
		logger:  s.logger,
		sleep:   sleepContext,
		jitter:  randomJitter,
	}
	// The SDK's own client: the caller's *http.Client lends its Transport, Timeout and Jar and
	// is never modified.
	c.hc = &http.Client{Timeout: DefaultAttemptTimeout, CheckRedirect: refuseRedirect}
	transport := http.RoundTripper(newDefaultTransport())
	if hc := s.httpClient; hc != nil {
		if hc.Timeout > 0 {
			c.hc.Timeout = hc.Timeout
		}
		if hc.Transport != nil {
			transport = hc.Transport
		}
		c.hc.Jar = hc.Jar
	}
	c.hc.Transport, c.redactor = c.authenticate(s.creds, transport)
	c.Exports = &ExportsService{client: c}
	c.ExportBuckets = &ExportBucketsService{client: c}
	c.Snapshots = &SnapshotsService{client: c}
	return c, nil
}

// authenticate wraps base with the client's auth, and returns the redactor that hides every
// credential it holds.
func (c *Client) authenticate(creds credentials, base http.RoundTripper) (http.RoundTripper, redactor) {
	switch c.auth {
	case authAccessToken:
		tokens := staticToken{b: seal(newBearer(creds.accessToken.get()))}
		return &bearerAuth{base: base, tokens: tokens}, redactor{secrets: func() []string { return []string{tokens.current()} }}
	case authTokenSource:
		tokens := &userTokenSource{src: creds.tokenSource}
		return &bearerAuth{base: base, tokens: tokens}, redactor{secrets: func() []string { return []string{tokens.current()} }}
	case authServiceAccount:
		account := newServiceAccount(creds, c.base, c.headers.userAgent, base, c.hc.Timeout, c.logger)
		c.close = account.close
		return &bearerAuth{base: base, tokens: account}, redactor{secrets: func() []string {
			return append(account.secretForms(), account.current())
		}}
	default:
		password := creds.password
		return newDigestAuth(creds.user, password, base), redactor{secrets: func() []string { return []string{password.get()} }}
	}
}

// headerValues are the header values every request shares, built once: net/http only reads
// them.
type headerValues struct {
	userAgent []string
	versions  map[string][]string
}

// mediaType returns the header value of a resource version.
func (h headerValues) mediaType(v string) []string {
	if s, ok := h.versions[v]; ok {
		return s
	}
	return []string{v}
}

// do sends r, retrying as the policy allows, and decodes a 2xx body into out (or discards it
// when out is nil). Every error is a *RequestError around an *APIError for a non-2xx status,
// the context's error when it ended, or an error wrapping ErrInvalidResponse,
// ErrBodyTooLarge or ErrRedirect.
func (c *Client) do(ctx context.Context, r *request, out any) error {
	if ctx == nil {
		return invalid("ctx", "is nil")
	}
	if c.hc == nil {
		return invalid("client", "was not built by NewClient or NewClientFromEnv")
	}
	target := c.base + r.path
	if len(r.query) > 0 {
		target += "?" + r.query.Encode()
	}
	for attempt := 1; ; attempt++ {
		if c.closed.Load() { // before every attempt: a call waiting to retry sends nothing after Close
			return c.fail(r, ErrClosed, "")
		}
		if err := ctx.Err(); err != nil { // a call that has ended starts no grant or challenge
			return c.fail(r, err, "")
		}
		if err := c.waitLimiter(ctx); err != nil {
			return c.fail(r, err, "")
		}
		start := time.Now()
		o, sentToken, err := c.attempt(ctx, r, target, out)
		if err == nil {
			c.logAttempt(ctx, r, attempt, o.status, time.Since(start), 0)
			return nil
		}
		if ctx.Err() != nil {
			c.logAttempt(ctx, r, attempt, o.status, time.Since(start), 0)
			return c.fail(r, ctx.Err(), "")
		}
		wait, again := c.retry.decide(attemptState{attempt: attempt, mode: r.mode, timeLeft: timeLeft(ctx)}, o, c.jitter)
		c.logAttempt(ctx, r, attempt, o.status, time.Since(start), wait)
		if !again {
			return c.fail(r, retried(err, attempt), sentToken)
		}
		if err := c.sleep(ctx, wait); err != nil {
			return c.fail(r, err, "")
		}
	}
}

// attempt sends r once through the client's *http.Client and reads the answer. It returns
// the outcome the retry policy weighs, the bearer token a refused request carried (for
// redaction; "" otherwise), and, when the attempt failed, the error the caller would get.
func (c *Client) attempt(ctx context.Context, r *request, target string, out any) (outcome, string, error) {
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, target, body)
	if err != nil {
		return outcome{err: err}, "", err
	}
	req.Header["Accept"] = c.headers.mediaType(r.version)
	req.Header["User-Agent"] = c.headers.userAgent
	if r.body != nil {
		req.Header["Content-Type"] = req.Header["Accept"]
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		// *url.Error's text repeats the whole URL; the request is named by RequestError.
		if ue := (*url.Error)(nil); errors.As(err, &ue) {
			err = ue.Err
		}
		err = c.timedOut(ctx, err)
		return outcome{err: err}, "", err
	}
	o := outcome{status: resp.StatusCode}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		// The server may echo the token the request carried, which the client may no longer
		// hold: it is hidden by name.
		sent := sentBearer(resp.Request)
		data := readErrorBody(resp, MaxErrorBytes)
		apiErr := newAPIError(resp, data, func(s string) string { return c.redactor.redact(s, sent) })
		o.retryAfter = apiErr.RetryAfter
		return o, sent, apiErr
	}
	if out == nil {
		discard(resp)
		return o, "", nil
	}
	data, err := readBody(resp, MaxResponseBytes)
	switch {
	case err == nil:
		err = decodeJSON(data, out, r.shape)
	case errors.Is(err, ErrBodyTooLarge):
	default:
		// The answer was cut off: the retry policy weighs it as it weighs a connection lost
		// before any answer.
		if err = c.timedOut(ctx, err); ctx.Err() == nil && !errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("%w: reading the body: %w", ErrInvalidResponse, err)
		}
		o.err = err
	}
	return o, "", err
}

// timedOut says so when err is the attempt timeout's doing, not the caller's context's: what
// net/http says of it names only its own field.
func (c *Client) timedOut(ctx context.Context, err error) error {
	if ctx.Err() != nil || !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return fmt.Errorf("no complete answer within the %v attempt timeout: %w", c.hc.Timeout, err)
}

// waitLimiter waits for the client's rate limiter, when it has one.
func (c *Client) waitLimiter(ctx context.Context) error {
	if c.limiter == nil {
		return nil
	}
	err := c.limiter.Wait(ctx)
	if err != nil && ctx.Err() == nil {
		// The limiter refuses up front a wait that would pass the deadline.
		err = fmt.Errorf("client rate limit: the wait would pass the deadline: %w", context.DeadlineExceeded)
	}
	return err
}

// fail wraps why r failed in a *RequestError, with every credential hidden from its text.
func (c *Client) fail(r *request, err error, sentToken string) error {
	return &RequestError{Method: r.method, Path: r.path, Err: c.redactor.error(withHint(err, c.auth), sentToken)}
}

// logAttempt writes one debug record for an attempt. It never logs headers or bodies.
func (c *Client) logAttempt(ctx context.Context, r *request, attempt, status int, took, wait time.Duration) {
	if c.logger == nil || !c.logger.Enabled(ctx, slog.LevelDebug) {
		return
	}
	c.logger.LogAttrs(ctx, slog.LevelDebug, "atlas request",
		slog.String("method", r.method),
		slog.String("path", r.path),
		slog.Int("status", status),
		slog.Int("attempt", attempt),
		slog.Duration("wait", wait),
		slog.Duration("duration", took),
	)
}

// Close ends the client. A service-account client revokes every token it granted that is
// still live, renewals included, except a token it stored in a WithTokenCache cache, which
// other runs share: POST {base}/api/oauth/revoke, one request per token (one, as a rule). Every
// client closes its transport's idle connections. Calls made after Close fail at once with an
// error matching ErrClosed, and send nothing. Close is idempotent: a second call sends nothing
// and returns nil. Its error, when a revocation failed, holds no credential.
func (c *Client) Close(ctx context.Context) error {
	if ctx == nil {
		return invalid("ctx", "is nil")
	}
	if c.hc == nil {
		return invalid("client", "was not built by NewClient or NewClientFromEnv")
	}
	if c.closed.Swap(true) {
		return nil
	}
	var err error
	if c.close != nil {
		err = c.close(ctx)
	}
	c.hc.CloseIdleConnections() // each auth transport passes it down to the base transport
	return err
}
