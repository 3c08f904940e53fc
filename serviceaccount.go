package atlas

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// tokenPath is where Atlas grants service-account tokens, relative to the base URL.
const tokenPath = "/api/oauth/token"

// minGrantInterval bounds grants: the token endpoint allows about ten a minute per service
// account, shared by every process using it. A token is kept at least this long, even when
// the API refuses it or the endpoint gave it no usable lifetime, and a grant refused for its
// credentials is not tried again sooner. So a client grants at most twice a minute, plus the
// renewal of a token about to expire.
const minGrantInterval = 30 * time.Second

// untilRefused is the lifetime of a token granted without expires_in.
const untilRefused = 100 * 365 * 24 * time.Hour

// maxTokenAnswer caps the token endpoint's answer; a token is a few hundred bytes.
const maxTokenAnswer = 64 << 10

// serviceAccount grants OAuth 2.0 client-credentials tokens and shares one cached token among
// every goroutine of a client. At most one grant is in flight.
type serviceAccount struct {
	clientID  string
	secret    sealed[string]
	tokenURL  string
	userAgent []string
	base      http.RoundTripper // no auth; do's redirect refusal applies by construction
	now       func() time.Time
	grant     chan struct{} // a one-slot semaphore that a waiting caller can abandon
	cache     sealed[*tokenCache]
}

// tokenCache is the granted token and what the bounds need to know about it.
type tokenCache struct {
	mu        sync.Mutex
	tok       *bearer
	grantedAt time.Time
	renewAt   time.Time
	refusal   *GrantError // the last grant's refusal for its credentials, if recent
	refusedAt time.Time
}

func newServiceAccount(clientID string, secret sealed[string], tokenURL string, userAgent []string, base http.RoundTripper) *serviceAccount {
	return &serviceAccount{
		clientID: clientID, secret: secret, tokenURL: tokenURL, userAgent: userAgent,
		base: base, now: time.Now,
		grant: make(chan struct{}, 1),
		cache: seal(&tokenCache{}),
	}
}

// fresh returns the cached token while it is fresh, the recent refusal of a grant, or
// neither.
func (s *serviceAccount) fresh() (*bearer, error) {
	c := s.cache.get()
	c.mu.Lock()
	defer c.mu.Unlock()
	now := s.now()
	if c.tok != nil && now.Before(c.renewAt) {
		return c.tok, nil
	}
	if c.refusal != nil && now.Sub(c.refusedAt) < minGrantInterval {
		return nil, c.refusal
	}
	return nil, nil
}

// token returns the cached token, granting a new one when it is missing or about to expire.
func (s *serviceAccount) token(ctx context.Context) (*bearer, error) {
	if tok, err := s.fresh(); tok != nil || err != nil {
		return tok, err
	}
	select {
	case s.grant <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-s.grant }()
	// Another goroutine may have granted while this one waited.
	if tok, err := s.fresh(); tok != nil || err != nil {
		return tok, err
	}
	start := s.now()
	tok, lifetime, err := s.request(ctx)
	c := s.cache.get()
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		var grantErr *GrantError
		if errors.As(err, &grantErr) && !grantErr.Temporary() {
			c.refusal, c.refusedAt = grantErr, start
		}
		return nil, err
	}
	c.tok, c.grantedAt, c.refusal = tok, start, nil
	c.renewAt = renewAt(start, lifetime)
	return tok, nil
}

// renewAt picks when to renew a token granted at start with the given lifetime: a minute
// before it expires, or a quarter of its lifetime before for short-lived tokens, but never
// sooner than minGrantInterval after the grant.
func renewAt(start time.Time, lifetime time.Duration) time.Time {
	margin := min(time.Minute, lifetime/4)
	return start.Add(max(lifetime-margin, minGrantInterval))
}

// refused drops tok when it is the cached token and has been in use for minGrantInterval: a
// token the API refuses right after its grant would be refused again (a missing role, say),
// and granting on every call would exhaust the endpoint's budget.
func (s *serviceAccount) refused(tok string) bool {
	c := s.cache.get()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.tok == nil || c.tok.token != tok {
		return true // already replaced: repeat with the new one
	}
	if s.now().Sub(c.grantedAt) < minGrantInterval {
		return false
	}
	c.tok = nil
	return true
}

func (s *serviceAccount) current() string {
	c := s.cache.get()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.tok == nil {
		return ""
	}
	return c.tok.token
}

// tokenAnswer is the token endpoint's success document. expires_in comes as a number or, from
// some servers, a string holding one.
type tokenAnswer struct {
	AccessToken string          `json:"access_token"`
	TokenType   string          `json:"token_type"`
	ExpiresIn   json.RawMessage `json:"expires_in"`
}

// request makes one grant: POST {base}/api/oauth/token with HTTP Basic client credentials.
// Its errors are *GrantError, or the context's error; none quotes the endpoint's body.
func (s *serviceAccount) request(ctx context.Context) (*bearer, time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.tokenURL, strings.NewReader("grant_type=client_credentials"))
	if err != nil {
		return nil, 0, &GrantError{Err: err}
	}
	basic := url.QueryEscape(s.clientID) + ":" + url.QueryEscape(s.secret.get())
	req.Header["Authorization"] = []string{"Basic " + base64.StdEncoding.EncodeToString([]byte(basic))}
	req.Header["Content-Type"] = []string{"application/x-www-form-urlencoded"}
	req.Header["Accept"] = []string{"application/json"}
	req.Header["User-Agent"] = s.userAgent
	resp, err := s.base.RoundTrip(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, 0, ctx.Err()
		}
		return nil, 0, &GrantError{Err: err}
	}
	ok := resp.StatusCode >= 200 && resp.StatusCode <= 299
	var body []byte
	if ok {
		body, err = readBody(resp, maxTokenAnswer)
	} else {
		body = readErrorBody(resp, maxTokenAnswer)
	}
	switch {
	case err != nil && ctx.Err() != nil:
		return nil, 0, ctx.Err()
	case err != nil:
		return nil, 0, &GrantError{Err: err}
	case !ok:
		return nil, 0, grantRefusal(resp, body, s.redact)
	}
	return parseTokenAnswer(body)
}

// redact hides the client secret, in every form the grant sends it, from a refusal's text.
func (s *serviceAccount) redact(text string) string {
	return redactor{secrets: func() []string { return secretForms(s.clientID, s.secret.get()) }}.redact(text)
}

// grantRefusal turns the token endpoint's non-2xx answer into a *GrantError holding an
// *APIError. The endpoint answers with OAuth's {"error", "error_description"} or with an
// Atlas ApiError.
func grantRefusal(resp *http.Response, body []byte, redact func(string) string) error {
	if resp.StatusCode >= 300 && resp.StatusCode <= 399 {
		return &GrantError{Err: redirectError(resp)}
	}
	apiErr := newAPIError(resp, body, redact)
	var oauth struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if apiErr.ErrorCode == "" && json.Unmarshal(body, &oauth) == nil && oauth.Error != "" {
		apiErr.ErrorCode, apiErr.Detail, apiErr.Body = redact(oauth.Error), redact(oauth.Description), nil
	}
	return &GrantError{RetryAfter: apiErr.RetryAfter, Err: apiErr}
}

// parseTokenAnswer reads a 2xx answer of the token endpoint. Anything that is not a bearer
// token is ErrInvalidResponse; the error never quotes the answer, which may echo a secret.
func parseTokenAnswer(body []byte) (*bearer, time.Duration, error) {
	invalidAnswer := func(why string) error {
		return &GrantError{Err: fmt.Errorf("%w: the token endpoint's answer %s", ErrInvalidResponse, why)}
	}
	var ans tokenAnswer
	if json.Unmarshal(body, &ans) != nil {
		return nil, 0, invalidAnswer("is not a token document")
	}
	if ans.AccessToken == "" {
		return nil, 0, invalidAnswer("holds no access_token")
	}
	if ans.TokenType != "" && !strings.EqualFold(ans.TokenType, "bearer") {
		return nil, 0, invalidAnswer("is not a bearer token")
	}
	if strings.ContainsAny(ans.AccessToken, "\r\n\x00") {
		return nil, 0, invalidAnswer("holds a token with a control character")
	}
	lifetime, ok := parseExpiresIn(ans.ExpiresIn)
	if !ok {
		return nil, 0, invalidAnswer("has an expires_in that is not a number")
	}
	return newBearer(ans.AccessToken), lifetime, nil
}

// parseExpiresIn reads expires_in, a number of seconds or a string holding one. Absent, the
// token lasts until the API refuses it; not positive, it has no usable lifetime: zero, which
// keeps it minGrantInterval.
func parseExpiresIn(raw json.RawMessage) (time.Duration, bool) {
	s := strings.Trim(string(raw), `"`)
	if len(raw) == 0 || s == "null" {
		return untilRefused, true
	}
	secs, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, false
	}
	if secs <= 0 {
		return 0, true
	}
	return time.Duration(min(secs, float64(365*24*3600))) * time.Second, true
}
