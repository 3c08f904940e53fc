package atlas

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// Where Atlas grants and revokes service-account tokens, relative to the base URL.
const (
	tokenPath  = "/api/oauth/token"
	revokePath = "/api/oauth/revoke"
)

// minGrantInterval bounds grants: the token endpoint allows about ten a minute per service
// account, shared by every process using it. A token is kept at least this long, even when
// the API refuses it or the endpoint gave it no usable lifetime, and a grant refused for its
// credentials is not tried again sooner. So a client grants at most twice a minute, plus the
// renewal of a token about to expire.
const minGrantInterval = 30 * time.Second

// untilRefused is the lifetime of a token granted without expires_in, and the longest kept.
const untilRefused = 365 * 24 * time.Hour

// maxTokenAnswer caps the token endpoint's answer; a token is a few hundred bytes.
const maxTokenAnswer = 64 << 10

// serviceAccount is the token provider of WithServiceAccount. x/oauth2's clientcredentials
// speaks the protocol (form, Basic credentials, answer parsing); ReuseTokenSourceWithExpiry
// caches the token; this file keeps the policy around them: when to renew, when a refused
// token may be replaced, how often a grant may be asked for, the token cache and Close.
type serviceAccount struct {
	conf      sealed[*clientcredentials.Config] // the client ID and secret; ClientSecret is an exported field
	revokeURL string
	base      http.RoundTripper // the client's transport, without auth
	userAgent []string
	timeout   time.Duration // bounds each grant and revocation, as it bounds an attempt
	now       func() time.Time
	logger    *slog.Logger
	cache     TokenCache // nil without WithTokenCache
	cacheKey  string
	// ctx is the client's: grants run under it, not under the context of the caller that
	// happened to start them, so that an impatient caller does not waste a grant. Close
	// cancels it.
	ctx    context.Context
	cancel context.CancelFunc
	st     sealed[*accountState] // tokens, out of reflection's reach
}

// accountState is what a serviceAccount learns as it runs.
type accountState struct {
	mu        sync.Mutex
	reuse     oauth2.TokenSource // ReuseTokenSourceWithExpiry over s; replaced to drop a token
	call      *tokenCall         // the reuse source's Token call in flight, nil when none
	last      *bearer            // the reuse source's latest token, taken without a call until renew
	renew     time.Time
	held      map[string]heldToken // tokens used and not expired, for the 401 rule and Close
	refusal   *GrantError          // the last grant's failure, handed out until refusedTo
	refusedTo time.Time
	dead      string // the last token dropped after a 401: a cache still holding it is not believed
}

// heldToken is what the client knows of a token it granted or loaded from a cache.
type heldToken struct {
	grantedAt time.Time
	expiry    time.Time // zero when the endpoint gave no lifetime
	revoke    bool      // granted here and not shared through a cache: Close revokes it
}

// newServiceAccount is the token provider for the client ID and secret in creds (user and
// password), granting at base over transport.
func newServiceAccount(creds credentials, base string, userAgent []string, transport http.RoundTripper,
	timeout time.Duration, logger *slog.Logger) *serviceAccount {
	ctx, cancel := context.WithCancel(context.Background())
	s := &serviceAccount{
		revokeURL: base + revokePath,
		conf: seal(&clientcredentials.Config{
			ClientID: creds.user, ClientSecret: creds.password.get(), TokenURL: base + tokenPath,
			AuthStyle: oauth2.AuthStyleInHeader,
		}),
		base: transport, userAgent: userAgent, timeout: timeout,
		now: time.Now, logger: logger, cache: creds.cache,
		ctx: ctx, cancel: cancel,
	}
	if creds.now != nil {
		s.now = creds.now
	}
	if s.cache != nil {
		sum := sha256.Sum256([]byte(base + "\n" + creds.user))
		s.cacheKey = hex.EncodeToString(sum[:])
	}
	st := &accountState{held: map[string]heldToken{}}
	st.reuse = s.newReuse()
	s.st = seal(st)
	return s
}

// newReuse is a fresh token cache: ReuseTokenSource has no way to forget a token, so dropping
// one means building a new one. Each token's Expiry is its renewal time (see Token); the early
// expiry is a nanosecond because ReuseTokenSource takes zero to mean its default of 10 s.
func (s *serviceAccount) newReuse() oauth2.TokenSource {
	return oauth2.ReuseTokenSourceWithExpiry(nil, s, time.Nanosecond)
}

// token returns the token to send now: the reuse source's latest until its renewal time,
// else its next answer, fetched in one goroutine shared by every caller waiting for it.
func (s *serviceAccount) token(ctx context.Context) (*bearer, error) {
	st := s.st.get()
	st.mu.Lock()
	if st.last != nil {
		if s.now().Before(st.renew) {
			b := st.last
			st.mu.Unlock()
			return b, nil
		}
		// Due for renewal. The reuse source would say so too, but by the wall clock, which a
		// test's clock may run ahead of: the client's clock decides, dropping the token.
		st.reuse, st.last = s.newReuse(), nil
	}
	call := st.call
	if call == nil {
		reuse := st.reuse
		call = startCall(reuse.Token, func(c *tokenCall) {
			st.mu.Lock()
			defer st.mu.Unlock()
			st.call = nil
			if c.err == nil && st.reuse == reuse { // else dropped meanwhile
				st.last, st.renew = c.tok, c.expiry
			}
		})
		st.call = call
	}
	st.mu.Unlock()
	return call.wait(ctx)
}

// refused drops tok when it is the current token and has been in use for minGrantInterval: a
// token the API refuses right after its grant would be refused again (a missing role, say),
// and granting on every call would exhaust the endpoint's budget. A dropped token is dropped
// from the cache too, so that no other run is handed it, within the caller's context.
func (s *serviceAccount) refused(ctx context.Context, tok string) bool {
	st := s.st.get()
	st.mu.Lock()
	if st.last == nil || st.last.token != tok {
		st.mu.Unlock()
		return true // already replaced: repeat with the new one
	}
	if h, ok := st.held[tok]; ok && s.now().Sub(h.grantedAt) < minGrantInterval {
		st.mu.Unlock()
		return false
	}
	st.reuse, st.last, st.dead = s.newReuse(), nil, tok
	st.mu.Unlock()
	if s.cache != nil {
		_ = s.cacheCall(ctx, "drop", cacheCallTimeout, tok, func(ctx context.Context) error {
			return s.cache.Drop(ctx, s.cacheKey, tok)
		})
	}
	return true
}

func (s *serviceAccount) current() string {
	st := s.st.get()
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.last == nil {
		return ""
	}
	return st.last.token
}

// Token is the source beneath the reuse source: the recent refusal, a token from the cache,
// or a new grant. Each token's Expiry is set to its renewal time, so that the reuse source
// asks again then, and a token without a usable lifetime is kept minGrantInterval.
func (s *serviceAccount) Token() (*oauth2.Token, error) {
	if s.ctx.Err() != nil {
		return nil, ErrClosed
	}
	st := s.st.get()
	st.mu.Lock()
	if st.refusal != nil && s.now().Before(st.refusedTo) {
		err := st.refusal
		st.mu.Unlock()
		return nil, err
	}
	dead := st.dead
	st.mu.Unlock()
	if s.cache != nil {
		var unlock func()
		_ = s.cacheCall(s.ctx, "lock", cacheLockTimeout, "", func(ctx context.Context) (err error) {
			unlock, err = s.cache.Lock(ctx, s.cacheKey)
			return err
		})
		if unlock != nil {
			defer unlock()
		}
		if tok := s.load(dead); tok != nil {
			return tok, nil
		}
	}
	start := s.now()
	tok, lifetime, err := s.grant()
	if err != nil {
		var grantErr *GrantError
		if errors.As(err, &grantErr) {
			st.mu.Lock()
			st.refusal, st.refusedTo = grantErr, start.Add(refusalKept(grantErr))
			st.mu.Unlock()
		}
		return nil, err
	}
	shared := s.cache != nil && lifetime > 0 && s.store(tok, start, lifetime)
	s.hold(tok, heldToken{grantedAt: start, expiry: expiry(start, lifetime), revoke: !shared})
	return &oauth2.Token{AccessToken: tok, TokenType: "Bearer", Expiry: renewAt(start, lifetime)}, nil
}

// hold records a token the client now uses, and forgets those that expired.
func (s *serviceAccount) hold(tok string, h heldToken) {
	st := s.st.get()
	st.mu.Lock()
	defer st.mu.Unlock()
	now := s.now()
	for k, v := range st.held {
		if !v.expiry.IsZero() && !now.Before(v.expiry) {
			delete(st.held, k)
		}
	}
	st.held[tok] = h
	st.refusal = nil
}

// refusalKept is how long a failed grant is handed to every caller instead of granting again:
// a refusal for the credentials minGrantInterval, since asking again would be refused too; an
// endpoint that asked for a wait (a 429 or a 5xx with Retry-After) the wait it asked for, so
// that callers do not spend the grant budget it is defending. Other failures are not kept: the
// retry policy spaces the next grant.
func refusalKept(err *GrantError) time.Duration {
	if !err.Temporary() {
		return minGrantInterval
	}
	return err.RetryAfter
}

// expiry is when a token granted at start with lifetime expires; zero when unknown: no
// expires_in, or one of zero or less, which says nothing of when the server ends the token,
// so that Close still revokes it.
func expiry(start time.Time, lifetime time.Duration) time.Time {
	if lifetime <= 0 || lifetime >= untilRefused {
		return time.Time{}
	}
	return start.Add(lifetime)
}

// renewAt picks when to renew a token granted at start with the given lifetime: a minute
// before it expires, or a quarter of its lifetime before for short-lived tokens, but never
// sooner than minGrantInterval after the grant.
func renewAt(start time.Time, lifetime time.Duration) time.Time {
	margin := min(time.Minute, lifetime/4)
	return start.Add(max(lifetime-margin, minGrantInterval))
}

// grantTransport adds the SDK's headers to the OAuth endpoints' requests, without modifying
// the request it is given, and caps the answer: x/oauth2 reads up to 1 MiB. Each grant has its
// own, which records what x/oauth2 reports only as text: why reading the answer failed, or that
// it was longer than the cap.
type grantTransport struct {
	base      http.RoundTripper
	userAgent []string
	readErr   error
}

// RoundTrip implements http.RoundTripper, on a clone of req.
func (t *grantTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context())
	r.Header["Accept"] = []string{"application/json"}
	r.Header["User-Agent"] = t.userAgent
	resp, err := t.base.RoundTrip(r)
	if err == nil {
		resp.Body = &cappedBody{ReadCloser: resp.Body, left: maxTokenAnswer, t: t}
	}
	return resp, err
}

// cappedBody ends a body after maxTokenAnswer bytes, as if it ended there, and records in t
// why a read failed, or that the body was longer.
type cappedBody struct {
	io.ReadCloser
	left int64
	t    *grantTransport
}

// Read implements io.Reader.
func (b *cappedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		var one [1]byte
		if n, _ := b.ReadCloser.Read(one[:]); n > 0 {
			b.t.readErr = &bodyTooLargeError{length: -1, limit: maxTokenAnswer}
		}
		return 0, io.EOF
	}
	n, err := b.ReadCloser.Read(p[:min(int64(len(p)), b.left)])
	b.left -= int64(n)
	if err != nil && err != io.EOF {
		b.t.readErr = err
	}
	return n, err
}

// httpClient is a client of the OAuth endpoints: the SDK's transport, its redirect refusal
// and its attempt timeout.
func (s *serviceAccount) httpClient() (*http.Client, *grantTransport) {
	t := &grantTransport{base: s.base, userAgent: s.userAgent}
	return &http.Client{Transport: t, CheckRedirect: refuseRedirect, Timeout: s.timeout}, t
}

// grant asks the token endpoint for a token. Its errors are *GrantError, none quoting the
// endpoint's answer beyond its redacted error fields.
func (s *serviceAccount) grant() (string, time.Duration, error) {
	hc, read := s.httpClient()
	ctx := context.WithValue(s.ctx, oauth2.HTTPClient, hc)
	tok, err := s.conf.get().Token(ctx)
	invalidAnswer := func(why string) error {
		return &GrantError{Err: fmt.Errorf("%w: the token endpoint's answer %s", ErrInvalidResponse, why)}
	}
	var retrieveErr *oauth2.RetrieveError
	var urlErr *url.Error
	switch {
	case errors.As(err, &retrieveErr) && retrieveErr.Response != nil && retrieveErr.Response.StatusCode/100 != 2:
		return "", 0, s.refusal(retrieveErr)
	case read.readErr != nil:
		return "", 0, &GrantError{Err: read.readErr}
	case s.ctx.Err() != nil:
		return "", 0, ErrClosed
	case errors.As(err, &urlErr):
		return "", 0, &GrantError{Err: urlErr.Err} // its own text has the raw URL
	case err != nil:
		// x/oauth2 quotes what it could not parse, which may echo a credential.
		return "", 0, invalidAnswer("is not a token document")
	case tok.TokenType != "" && !strings.EqualFold(tok.TokenType, "bearer"):
		return "", 0, invalidAnswer("is not a bearer token")
	case !b64token(tok.AccessToken):
		return "", 0, invalidAnswer("holds a token that a header cannot carry")
	}
	// x/oauth2 turns expires_in into an Expiry by the wall clock, zero for 0 and in the past
	// for a negative value; the lifetime is read back from it.
	lifetime := untilRefused
	if tok.Extra("expires_in") != nil {
		lifetime = 0
		if !tok.Expiry.IsZero() {
			lifetime = min(max(time.Until(tok.Expiry).Round(time.Second), 0), untilRefused)
		}
	}
	return tok.AccessToken, lifetime, nil
}

// b64token reports whether tok is an RFC 6750 b64token, the only tokens a Bearer header
// carries: visible ASCII letters, digits and -._~+/ then any '='.
func b64token(tok string) bool {
	body := strings.TrimRight(tok, "=")
	if body == "" {
		return false
	}
	for _, c := range []byte(body) {
		ok := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~+/", c) >= 0
		if !ok {
			return false
		}
	}
	return true
}

// refusal turns the token endpoint's non-2xx answer into a *GrantError holding an *APIError.
// The endpoint answers with OAuth's {"error", "error_description"} or with an Atlas ApiError.
func (s *serviceAccount) refusal(e *oauth2.RetrieveError) error {
	apiErr := newAPIError(e.Response, e.Body, func(text string) string { return s.redact(text) })
	if apiErr.ErrorCode == "" && e.ErrorCode != "" {
		apiErr.ErrorCode, apiErr.Detail, apiErr.Body = s.redact(e.ErrorCode), s.redact(e.ErrorDescription), nil
	}
	return &GrantError{RetryAfter: apiErr.RetryAfter, Err: apiErr}
}

// secretForms is the client secret in every form the grant and revocation send it.
func (s *serviceAccount) secretForms() []string {
	conf := s.conf.get()
	return secretForms(conf.ClientID, conf.ClientSecret)
}

// redact hides the client secret, in every form, and extra from a text.
func (s *serviceAccount) redact(text string, extra ...string) string {
	return redactor{secrets: s.secretForms}.redact(text, extra...)
}

// close revokes every live token this client granted and did not share through a cache, and
// closes idle connections. A grant in flight is cancelled and waited for first, so that a
// token it brings is revoked too.
func (s *serviceAccount) close(ctx context.Context) error {
	s.cancel()
	st := s.st.get()
	st.mu.Lock()
	call := st.call
	st.mu.Unlock()
	if call != nil {
		select {
		case <-call.done:
		case <-ctx.Done():
		}
	}
	st.mu.Lock()
	now := s.now()
	var live []string
	for tok, h := range st.held {
		if h.revoke && (h.expiry.IsZero() || now.Before(h.expiry)) {
			live = append(live, tok)
		}
	}
	clear(st.held)
	st.reuse, st.last = s.newReuse(), nil // the revoked tokens are handed to nobody
	st.mu.Unlock()
	var errs []error
	for _, tok := range live {
		if err := s.revoke(ctx, tok); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// revoke asks the endpoint to revoke tok (RFC 7009), with the client's credentials in Basic
// auth as the grant sends them.
func (s *serviceAccount) revoke(ctx context.Context, tok string) error {
	form := url.Values{"token": {tok}, "token_type_hint": {"access_token"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.revokeURL, strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	conf := s.conf.get()
	req.SetBasicAuth(url.QueryEscape(conf.ClientID), url.QueryEscape(conf.ClientSecret))
	hc, _ := s.httpClient()
	resp, err := hc.Do(req)
	if err != nil {
		var urlErr *url.Error
		if errors.As(err, &urlErr) {
			err = urlErr.Err
		}
		return fmt.Errorf("atlas: revoking a token: %w", redactor{}.error(err, tok))
	}
	if resp.StatusCode/100 == 2 {
		discard(resp)
		return nil
	}
	body := readErrorBody(resp, MaxErrorBytes)
	return fmt.Errorf("atlas: revoking a token: %w", newAPIError(resp, body, func(text string) string {
		return s.redact(text, tok)
	}))
}
