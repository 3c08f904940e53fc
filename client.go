package atlas

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/time/rate"
)

// Version is this SDK's version, sent in the User-Agent as atlas-go/Version.
const Version = "0.1.0"

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

// Body caps: whatever a server sends, a client reads no more than this.
const (
	// MaxResponseBytes caps a successful response body; a larger one fails with ErrBodyTooLarge.
	MaxResponseBytes = 32 << 20
	// MaxErrorBytes caps how much of an error response is read into an APIError.
	MaxErrorBytes = 64 << 10
)

// Client talks to the Atlas Administration API. Build it with NewClient; after that it is
// immutable and safe for concurrent use by many goroutines.
type Client struct {
	// Exports has the export-job operations.
	Exports *ExportsService

	base      string // scheme://host[/prefix], no trailing slash
	hc        *http.Client
	userAgent string
	auth      authKind
	account   *serviceAccount // set for WithServiceAccount, to drop a refused token
	retry     RetryPolicy
	limiter   *rate.Limiter
	logger    *slog.Logger
	sleep     func(ctx context.Context, d time.Duration) error
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
		if err := opt(&s); err != nil {
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

	baseTransport := http.RoundTripper(nil)
	var timeout time.Duration
	var jar http.CookieJar
	if s.httpClient != nil {
		baseTransport, timeout, jar = s.httpClient.Transport, s.httpClient.Timeout, s.httpClient.Jar
	}
	if baseTransport == nil {
		baseTransport = newDefaultTransport()
	}
	ua := userAgent(s.userAgent)
	c := &Client{
		base:      base,
		userAgent: ua,
		auth:      s.creds.kinds[0],
		retry:     retry,
		limiter:   s.limiter,
		logger:    s.logger,
		sleep:     sleepContext,
	}
	var transport http.RoundTripper
	switch c.auth {
	case authAccessToken:
		transport = &bearerTransport{base: baseTransport, tokens: staticToken(s.creds.accessToken)}
	case authTokenSource:
		transport = &bearerTransport{base: baseTransport, tokens: userTokenSource{src: s.creds.tokenSource}}
	case authServiceAccount:
		// The token grant goes out without auth but with our User-Agent and redirect refusal.
		grants := &http.Client{Transport: &userAgentTransport{base: baseTransport, userAgent: ua}, Timeout: timeout, CheckRedirect: refuseRedirect}
		c.account = newServiceAccount(s.creds.user, s.creds.password, base+tokenPath, grants)
		transport = &bearerTransport{base: baseTransport, tokens: c.account}
	case authDigest:
		transport = newDigestTransport(s.creds.user, s.creds.password, baseTransport)
	}
	c.hc = &http.Client{Transport: transport, Timeout: timeout, Jar: jar, CheckRedirect: refuseRedirect}
	c.Exports = &ExportsService{client: c}
	return c, nil
}

// Format prints a Client without any credential, whatever the verb: only its base URL and
// the kind of auth it uses.
func (c Client) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "atlas.Client{base: %s, auth: %s}", c.base, c.auth)
}

// checkBaseURL validates a base URL and returns it without a trailing slash. Its errors
// name the URL without user info, which could hold a password.
func checkBaseURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", invalid("WithBaseURL", "not a URL")
	}
	shown := u.Redacted()
	switch {
	case u.User != nil:
		return "", invalid("WithBaseURL", "user info is not allowed in the base URL ("+shown+"): use an auth option")
	case u.Host == "" || u.Hostname() == "":
		return "", invalid("WithBaseURL", "no host in "+shown)
	case u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
		return "", invalid("WithBaseURL", "a query or fragment is not allowed in "+shown)
	case u.Scheme == "https":
	case u.Scheme == "http":
		if !isLoopback(u.Hostname()) {
			return "", invalid("WithBaseURL", "plain http is only allowed to a loopback host, not "+shown)
		}
	default:
		return "", invalid("WithBaseURL", "the scheme must be https (or http to loopback) in "+shown)
	}
	return strings.TrimSuffix(u.Scheme+"://"+u.Host+u.EscapedPath(), "/"), nil
}

// isLoopback reports whether host is localhost, 127.0.0.0/8 or ::1.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// userAgent builds the User-Agent header.
func userAgent(product string) string {
	ua := "atlas-go/" + Version
	if product != "" {
		ua = product + " " + ua
	}
	return ua
}

// defaultMaxConns caps the default transport's connections to the API host.
const defaultMaxConns = 64

// newDefaultTransport is a transport tuned for one API host under concurrency, with timeouts
// so that no request hangs forever even without a context deadline.
//
// MaxConnsPerHost equals MaxIdleConnsPerHost so that connections are opened once and reused:
// without the cap, a request issued just before the previous response's connection returns to
// the idle pool dials another, and a pool already full closes the surplus, so busy clients keep
// dialing (70-80 connections per 10,000 calls from 64 goroutines, see bench/). With it, a call
// beyond the 64th in flight waits for a connection instead, which its context can end.
func newDefaultTransport() *http.Transport {
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 60 * time.Second,
		ExpectContinueTimeout: 1 * time.Second,
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   defaultMaxConns,
		MaxConnsPerHost:       defaultMaxConns,
	}
}

// refuseRedirect refuses every redirect: the API does not redirect, and auth added by a
// RoundTripper would be sent again to wherever the redirect points.
func refuseRedirect(req *http.Request, _ []*http.Request) error {
	return fmt.Errorf("%w: the server redirected to %s", ErrRedirect, req.URL.Redacted())
}

// request is one API call: everything do needs to send it and read the answer.
type request struct {
	method string
	path   string // escaped, starting with /api/
	query  url.Values
	body   []byte // JSON, nil for none
	// retryUnsafe marks a request that must not be repeated once it may have reached the
	// server (a POST that creates something).
	retryUnsafe bool
}

// do sends r, retrying as the policy allows, and decodes a 2xx body into out. Every error is typed: an
// *APIError for a non-2xx status, the context's error when it ended, ErrInvalidResponse for a
// 2xx body that is not the promised document.
func (c *Client) do(ctx context.Context, r request, out any) error {
	target := c.base + r.path
	if len(r.query) > 0 {
		target += "?" + r.query.Encode()
	}
	reauthorized := false
	for attempt := 1; ; attempt++ {
		if c.limiter != nil {
			if err := c.limiter.Wait(ctx); err != nil {
				if ctx.Err() == nil {
					// The limiter refuses up front a wait that would pass the deadline.
					err = fmt.Errorf("client rate limit: the wait would pass the deadline: %w", context.DeadlineExceeded)
				}
				return c.contextError(ctx, r, err)
			}
		}
		start := time.Now()
		resp, err := c.send(ctx, r, target)
		var (
			failure    error
			status     int
			retryable  bool
			retryAfter time.Duration
		)
		switch {
		case err != nil && ctx.Err() != nil:
			c.logAttempt(ctx, r, attempt, 0, time.Since(start), 0)
			return c.contextError(ctx, r, ctx.Err())
		case err != nil:
			failure = fmt.Errorf("atlas: %s %s: %w", r.method, r.path, err)
			retryable = retryableError(failure, r.retryUnsafe)
			retryAfter = grantRetryAfter(failure)
		case resp.StatusCode >= 200 && resp.StatusCode <= 299:
			c.logAttempt(ctx, r, attempt, resp.StatusCode, time.Since(start), 0)
			return decodeResponse(resp, r, out)
		default:
			sentToken := bearerToken(resp.Request)
			apiErr := newAPIError(resp, MaxErrorBytes)
			apiErr.redact(sentToken)
			closeBody(resp)
			if resp.StatusCode == http.StatusUnauthorized && c.account != nil && !reauthorized {
				// A revoked token or clock skew: drop the token, grant once more, repeat once.
				// The repeat does not count against the retry budget.
				reauthorized = true
				c.account.invalidate(sentToken)
				c.logAttempt(ctx, r, attempt, resp.StatusCode, time.Since(start), 0)
				attempt--
				continue
			}
			failure, status = apiErr, resp.StatusCode
			retryable = !r.retryUnsafe && retryableStatus(resp.StatusCode)
			retryAfter = apiErr.RetryAfter
		}
		wait, again := c.nextWait(ctx, attempt, retryable, retryAfter)
		c.logAttempt(ctx, r, attempt, status, time.Since(start), wait)
		if !again {
			return failure
		}
		if err := c.sleep(ctx, wait); err != nil {
			return c.contextError(ctx, r, err)
		}
	}
}

// nextWait decides whether a failed attempt is tried again and after how long. It gives up when
// the attempts are spent, the failure is not retryable, the server asks for more than
// maxRetryAfter, or the wait would outlast the context's deadline: then the caller gets the
// server's own answer now rather than a deadline error later.
func (c *Client) nextWait(ctx context.Context, attempt int, retryable bool, retryAfter time.Duration) (time.Duration, bool) {
	if !retryable || attempt >= c.retry.MaxAttempts || retryAfter > maxRetryAfter {
		return 0, false
	}
	wait := c.backoff(attempt, retryAfter)
	if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < wait {
		return 0, false
	}
	return wait, true
}

// send makes one attempt.
func (c *Client) send(ctx context.Context, r request, target string) (*http.Response, error) {
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, target, body)
	if err != nil {
		return nil, err
	}
	req.Header["Accept"] = []string{MediaType}
	req.Header["User-Agent"] = []string{c.userAgent}
	if r.body != nil {
		req.Header["Content-Type"] = []string{MediaType}
	}
	return c.hc.Do(req)
}

// contextError reports that the caller's context ended, wrapping its error so that
// errors.Is(err, context.DeadlineExceeded) holds.
func (c *Client) contextError(ctx context.Context, r request, err error) error {
	if ctx.Err() != nil {
		err = ctx.Err()
	}
	return fmt.Errorf("atlas: %s %s: %w", r.method, r.path, err)
}

// logAttempt writes one debug record for an attempt. It never logs headers or bodies.
func (c *Client) logAttempt(ctx context.Context, r request, attempt, status int, took, wait time.Duration) {
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

// closeBody drains a little of what is left, so the connection can be reused, and closes.
func closeBody(resp *http.Response) {
	_, _ = io.CopyN(io.Discard, resp.Body, 4<<10)
	_ = resp.Body.Close()
}

// decodeResponse decodes a 2xx body into out, reading at most MaxResponseBytes, and closes it.
func decodeResponse(resp *http.Response, r request, out any) error {
	defer closeBody(resp)
	fail := func(err error) error {
		return fmt.Errorf("atlas: %s %s: %d response: %w: %w", r.method, r.path, resp.StatusCode, ErrInvalidResponse, err)
	}
	body, err := readBody(resp.Body, resp.ContentLength, MaxResponseBytes)
	if err != nil {
		return fail(err)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return fail(errors.New("empty body"))
	}
	// Unmarshal, unlike a Decoder, also refuses data after the document: a body with
	// anything after its JSON is not what was promised.
	if err := json.Unmarshal(body, out); err != nil {
		return fail(err)
	}
	return nil
}

// readBody returns the whole body when it is at most limit bytes, and an error wrapping
// ErrBodyTooLarge that names the cap when it is longer, having held about limit bytes at most
// either way. A body of known length is read into one allocation. One of unknown length is
// read into chunks that grow but are never copied while reading: refusing an endless body
// then costs the cap once, where a doubling buffer (json.Decoder's, io.ReadAll's) allocates
// up to four times the cap before it can tell.
func readBody(r io.Reader, length, limit int64) ([]byte, error) {
	if length > limit {
		return nil, fmt.Errorf("%w: Content-Length %d is over the %d-byte cap", ErrBodyTooLarge, length, limit)
	}
	next := int64(16 << 10)
	if length >= 0 {
		next = length + 1 // the extra byte shows whether more follows than was announced
	}
	var chunks [][]byte
	var total int64
	for {
		chunk := make([]byte, min(next, limit+1-total))
		n, err := fill(r, chunk)
		total += int64(n)
		chunks = append(chunks, chunk[:n])
		if total > limit {
			return nil, fmt.Errorf("%w: over the %d-byte cap", ErrBodyTooLarge, limit)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		next = min(2*next, 1<<20)
	}
	if len(chunks) == 1 {
		return chunks[0], nil
	}
	return bytes.Join(chunks, nil), nil
}

// fill reads into p until it is full or the reader fails; io.EOF means the body ended.
func fill(r io.Reader, p []byte) (int, error) {
	n := 0
	for n < len(p) {
		k, err := r.Read(p[n:])
		n += k
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// doJSON runs r and returns the decoded document. A body of JSON null is an error, so that a
// caller never gets a nil result with a nil error.
func doJSON[T any](ctx context.Context, c *Client, r request) (*T, error) {
	var out *T
	if err := c.do(ctx, r, &out); err != nil {
		return nil, err
	}
	if out == nil {
		return nil, fmt.Errorf("atlas: %s %s: %w: the body is JSON null", r.method, r.path, ErrInvalidResponse)
	}
	return out, nil
}
