package atlas

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/icholy/digest"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// tokenPath is where Atlas grants service-account tokens, relative to the base URL.
const tokenPath = "/api/oauth/token"

// secret is a credential held in memory. Printed on its own, with any fmt verb, it shows as
// [redacted]. fmt cannot call methods on unexported struct fields, so the structs holding
// secrets are never printed either: Client has its own Format.
type secret string

// Format prints the secret redacted, whatever the verb.
func (secret) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte("[redacted]")) }

// authKind names the credential a client was built with.
type authKind int

const (
	authNone authKind = iota
	authAccessToken
	authTokenSource
	authServiceAccount
	authDigest
)

// String names the auth mode for errors and Client's printed form.
func (k authKind) String() string {
	switch k {
	case authAccessToken:
		return "access token"
	case authTokenSource:
		return "token source"
	case authServiceAccount:
		return "service account"
	case authDigest:
		return "digest"
	}
	return "none"
}

// credentials is what the auth options collected; NewClient checks that exactly one was set.
type credentials struct {
	kinds       []authKind
	accessToken secret
	tokenSource oauth2.TokenSource
	user        string // client ID or public key
	password    secret // client secret or private key
}

// tokenProvider is a source of bearer tokens that honours a context.
type tokenProvider interface {
	token(ctx context.Context) (string, error)
}

// staticToken is a token the caller already holds.
type staticToken secret

func (t staticToken) token(context.Context) (string, error) { return string(t), nil }

// userTokenSource adapts a caller's oauth2.TokenSource, which takes no context.
type userTokenSource struct{ src oauth2.TokenSource }

func (u userTokenSource) token(ctx context.Context) (string, error) {
	tok, err := u.src.Token()
	if err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		return "", fmt.Errorf("atlas: token source: %w", err)
	}
	if tok == nil || tok.AccessToken == "" {
		return "", errors.New("atlas: token source returned an empty token")
	}
	return tok.AccessToken, nil
}

// bearerTransport adds "Authorization: Bearer" to each request, on a clone.
type bearerTransport struct {
	base   http.RoundTripper
	tokens tokenProvider
}

// RoundTrip implements http.RoundTripper.
func (t *bearerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	tok, err := t.tokens.token(req.Context())
	if err != nil {
		if req.Body != nil {
			_ = req.Body.Close()
		}
		return nil, err
	}
	r2 := req.Clone(req.Context())
	r2.Header.Set("Authorization", "Bearer "+tok)
	return t.base.RoundTrip(r2)
}

// userAgentTransport sets the SDK's User-Agent on requests it does not build itself: the
// service-account token grant, which x/oauth2 sends.
type userAgentTransport struct {
	base      http.RoundTripper
	userAgent string
}

// RoundTrip implements http.RoundTripper.
func (t *userAgentTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r2 := req.Clone(req.Context())
	r2.Header.Set("User-Agent", t.userAgent)
	r2.Header.Set("Accept", "application/json")
	return t.base.RoundTrip(r2)
}

// serviceAccount grants OAuth 2.0 client-credentials tokens and shares one cached token among
// every goroutine of a client. At most one grant is in flight: the token endpoint allows about
// ten grants a minute and a service account at most 100 live tokens.
type serviceAccount struct {
	cfg    clientcredentials.Config
	hc     *http.Client  // base transport, no auth, no redirects
	grant  chan struct{} // a one-slot semaphore that a waiting caller can abandon with its context
	now    func() time.Time
	mu     sync.Mutex
	cached *oauth2.Token
	renew  time.Time // when the cached token should be renewed
}

func newServiceAccount(clientID string, clientSecret secret, tokenURL string, hc *http.Client) *serviceAccount {
	return &serviceAccount{
		cfg: clientcredentials.Config{
			ClientID:     clientID,
			ClientSecret: string(clientSecret),
			TokenURL:     tokenURL,
			AuthStyle:    oauth2.AuthStyleInHeader,
		},
		hc:    hc,
		grant: make(chan struct{}, 1),
		now:   time.Now,
	}
}

// current returns the cached token while it is fresh, or "".
func (s *serviceAccount) current() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cached == nil || !s.now().Before(s.renew) {
		return ""
	}
	return s.cached.AccessToken
}

// token returns the cached token, granting a new one when it is missing or about to expire.
func (s *serviceAccount) token(ctx context.Context) (string, error) {
	if tok := s.current(); tok != "" {
		return tok, nil
	}
	select {
	case s.grant <- struct{}{}:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	defer func() { <-s.grant }()
	// Another goroutine may have granted while this one waited.
	if tok := s.current(); tok != "" {
		return tok, nil
	}
	start := s.now()
	tok, err := s.cfg.Token(context.WithValue(ctx, oauth2.HTTPClient, s.hc))
	if err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		return "", tokenGrantError(err, s.credentialForms()...)
	}
	if tok.AccessToken == "" {
		return "", errors.New("atlas: service account token grant returned no access token")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cached = tok
	s.renew = renewAt(start, tok.Expiry)
	return tok.AccessToken, nil
}

// renewAt picks when to renew a token granted at start: a minute before it expires, or a
// quarter of its lifetime before for short-lived tokens. A token without expiry lasts until
// the server refuses it.
func renewAt(start, expiry time.Time) time.Time {
	if expiry.IsZero() {
		return time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	margin := min(time.Minute, expiry.Sub(start)/4)
	return expiry.Add(-margin)
}

// invalidate drops the cached token if it is still tok, so that the next call grants anew.
// A token another goroutine has already replaced is left alone.
func (s *serviceAccount) invalidate(tok string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cached != nil && (tok == "" || s.cached.AccessToken == tok) {
		s.cached = nil
	}
}

// tokenGrantError turns a failed grant into an error that carries the status but never the
// token endpoint's raw body: x/oauth2's RetrieveError prints the whole response. The fields
// it keeps from the body (error code, reason, description) have every secret redacted, in
// case the endpoint repeats the credentials it was sent.
func tokenGrantError(err error, secrets ...string) error {
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.Response == nil {
		// x/oauth2's other errors are transport errors and parse failures, which name
		// no part of the body.
		return fmt.Errorf("atlas: service account token grant failed: %w", err)
	}
	ae := &APIError{
		StatusCode: re.Response.StatusCode,
		Method:     http.MethodPost,
		Path:       tokenPath,
		ErrorCode:  re.ErrorCode,
		Detail:     re.ErrorDescription,
		RetryAfter: parseRetryAfter(re.Response.Header.Get("Retry-After"), time.Now()),
		RateLimit:  parseRateLimit(re.Response.Header),
	}
	var doc apiErrorBody
	if json.NewDecoder(bytes.NewReader(re.Body)).Decode(&doc) == nil && doc.ErrorCode != "" {
		ae.ErrorCode, ae.Reason, ae.Detail = doc.ErrorCode, doc.Reason, doc.Detail
	}
	ae.redact(secrets...)
	return fmt.Errorf("atlas: service account token grant failed: %w", ae)
}

// credentialForms is the client secret in every form the token endpoint receives it: as is,
// query-escaped, and inside the HTTP Basic credential x/oauth2 builds from both halves.
func (s *serviceAccount) credentialForms() []string {
	id, secret := url.QueryEscape(s.cfg.ClientID), url.QueryEscape(s.cfg.ClientSecret)
	return []string{s.cfg.ClientSecret, secret, base64.StdEncoding.EncodeToString([]byte(id + ":" + secret))}
}

// newDigestTransport signs requests with HTTP digest (RFC 7616) and reuses the server's
// challenge, so that steady-state calls take one round trip instead of two.
func newDigestTransport(publicKey string, privateKey secret, base http.RoundTripper) http.RoundTripper {
	return &digest.Transport{
		Username:  publicKey,
		Password:  string(privateKey),
		Transport: base,
	}
}

// bearerToken returns the token a sent request carried, or "".
func bearerToken(req *http.Request) string {
	if req == nil {
		return ""
	}
	tok, ok := strings.CutPrefix(req.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return ""
	}
	return tok
}
