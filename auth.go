package atlas

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
)

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
	accessToken sealed[string]
	tokenSource sealed[oauth2.TokenSource]
	user        string           // client ID or public key
	password    sealed[string]   // client secret or private key
	cache       TokenCache       // WithTokenCache's, for a service account
	now         func() time.Time // the service account's clock; time.Now unless a test sets one
}

// bearer is a token with its Authorization header value, built once per token: requests
// share the header's slice, which net/http only reads.
type bearer struct {
	token  string
	header []string
}

func newBearer(token string) *bearer {
	return &bearer{token: token, header: []string{"Bearer " + token}}
}

// tokenProvider is a source of bearer tokens that honours a context and owns its recovery.
type tokenProvider interface {
	// token returns the token to send now.
	token(ctx context.Context) (*bearer, error)
	// refused is told that the API answered 401 to tok. It reports whether another token
	// can now be had, which makes the request worth repeating once.
	refused(ctx context.Context, tok string) bool
	// current is the token held now, "" when none: the redactor hides it.
	current() string
}

// staticToken is a token the caller already holds; a refusal cannot be recovered from.
type staticToken struct{ b sealed[*bearer] }

func (t staticToken) token(context.Context) (*bearer, error) { return t.b.get(), nil }
func (t staticToken) refused(context.Context, string) bool   { return false }
func (t staticToken) current() string                        { return t.b.get().token }

// userTokenSource adapts a caller's oauth2.TokenSource, whose Token takes no context: one
// Token call at a time, shared by every caller waiting for it (see tokenCall).
type userTokenSource struct {
	src  sealed[oauth2.TokenSource] // the caller's source holds tokens reflection could reach
	mu   sync.Mutex
	call *tokenCall // the Token call in flight; nil when none
	last sealed[*bearer]
}

func (u *userTokenSource) token(ctx context.Context) (*bearer, error) {
	u.mu.Lock()
	call := u.call
	if call == nil {
		call = startCall(u.src.get().Token, func(call *tokenCall) {
			u.mu.Lock()
			defer u.mu.Unlock()
			u.call = nil
			if call.err != nil {
				call.err = fmt.Errorf("token source: %w", call.err)
			} else {
				u.last = seal(call.tok)
			}
		})
		u.call = call
	}
	u.mu.Unlock()
	return call.wait(ctx)
}

func (u *userTokenSource) refused(context.Context, string) bool { return false }

func (u *userTokenSource) current() string {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.last.get == nil {
		return ""
	}
	return u.last.get().token
}

// tokenCall is one Token call of an oauth2.TokenSource. Token takes no context, so the call
// runs in a goroutine of its own, shared by every caller waiting for it, each as long as its
// own context allows: a caller whose context ends returns at once, and the call goes on until
// Token returns, its result kept for the callers that follow.
type tokenCall struct {
	done   chan struct{} // closed once the fields below are set
	tok    *bearer
	expiry time.Time
	err    error
}

// startCall starts fetch in a goroutine; after sees the result before any waiter does.
func startCall(fetch func() (*oauth2.Token, error), after func(*tokenCall)) *tokenCall {
	call := &tokenCall{done: make(chan struct{})}
	go func() {
		defer close(call.done)
		tok, err := fetch()
		switch {
		case err != nil:
			call.err = err
		case tok == nil || tok.AccessToken == "":
			call.err = errors.New("token source returned an empty token")
		default:
			call.tok, call.expiry = newBearer(tok.AccessToken), tok.Expiry
		}
		after(call)
	}()
	return call
}

// wait returns the call's result, or ctx's error if ctx ends first.
func (call *tokenCall) wait(ctx context.Context) (*bearer, error) {
	select {
	case <-call.done:
		return call.tok, call.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// bearerAuth sends requests with "Authorization: Bearer" and recovers from a refused token
// when its provider can: the request is repeated once with a new token. As net/http's
// RoundTripper contract asks, it sends a clone with the header set and never modifies the
// request it is given.
type bearerAuth struct {
	base   http.RoundTripper
	tokens tokenProvider
}

// RoundTrip implements http.RoundTripper.
func (a *bearerAuth) RoundTrip(req *http.Request) (*http.Response, error) {
	tok, err := a.tokens.token(req.Context())
	if err != nil {
		closeRequestBody(req)
		return nil, err
	}
	first := req.Clone(req.Context())
	first.Header["Authorization"] = tok.header
	resp, err := a.base.RoundTrip(first)
	if err != nil || resp.StatusCode != http.StatusUnauthorized || !a.tokens.refused(req.Context(), tok.token) {
		return resp, err
	}
	again, ok := replayable(req)
	if !ok {
		return resp, nil
	}
	discard(resp)
	if tok, err = a.tokens.token(req.Context()); err != nil {
		closeRequestBody(again)
		return nil, err
	}
	again.Header["Authorization"] = tok.header
	return a.base.RoundTrip(again)
}

// CloseIdleConnections closes the idle connections of the transport beneath.
func (a *bearerAuth) CloseIdleConnections() { closeIdle(a.base) }

// replayable returns a copy of req that can be sent again, with a fresh body.
func replayable(req *http.Request) (*http.Request, bool) {
	again := req.Clone(req.Context())
	if req.Body == nil || req.Body == http.NoBody {
		return again, true
	}
	if req.GetBody == nil {
		return nil, false
	}
	body, err := req.GetBody()
	if err != nil {
		return nil, false
	}
	again.Body = body
	return again, true
}

// closeRequestBody closes a request's body, as a RoundTripper must even when it fails.
func closeRequestBody(req *http.Request) {
	if req.Body != nil {
		_ = req.Body.Close()
	}
}

// sentBearer returns the bearer token a sent request carried, or "".
func sentBearer(req *http.Request) string {
	if req == nil {
		return ""
	}
	tok, ok := strings.CutPrefix(req.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return ""
	}
	return tok
}
