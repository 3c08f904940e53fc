package atlas

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"

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
	user        string         // client ID or public key
	password    sealed[string] // client secret or private key
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
	refused(tok string) bool
	// current is the token held now, "" when none: the redactor hides it.
	current() string
}

// staticToken is a token the caller already holds; a refusal cannot be recovered from.
type staticToken struct{ b sealed[*bearer] }

func (t staticToken) token(context.Context) (*bearer, error) { return t.b.get(), nil }
func (t staticToken) refused(string) bool                    { return false }
func (t staticToken) current() string                        { return t.b.get().token }

// userTokenSource adapts a caller's oauth2.TokenSource, whose Token takes no context. One
// Token call at a time runs in its own goroutine, shared by every caller waiting for it; a
// caller whose context ends returns at once, and the call goes on until Token returns, its
// result then handed to whoever waits or dropped.
type userTokenSource struct {
	src  sealed[oauth2.TokenSource] // the caller's source holds tokens reflection could reach
	mu   sync.Mutex
	call *tokenCall // the Token call in flight; nil when none
	last sealed[*bearer]
}

// tokenCall is one Token call of a userTokenSource.
type tokenCall struct {
	done chan struct{} // closed when tok and err are set
	tok  *bearer
	err  error
}

func (u *userTokenSource) token(ctx context.Context) (*bearer, error) {
	u.mu.Lock()
	call := u.call
	if call == nil {
		call = &tokenCall{done: make(chan struct{})}
		u.call = call
		go u.run(call)
	}
	u.mu.Unlock()
	select {
	case <-call.done:
		return call.tok, call.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// run makes one Token call and hands its result to the callers waiting for it.
func (u *userTokenSource) run(call *tokenCall) {
	tok, err := u.src.get().Token()
	switch {
	case err != nil:
		call.err = fmt.Errorf("token source: %w", err)
	case tok == nil || tok.AccessToken == "":
		call.err = errors.New("token source returned an empty token")
	default:
		call.tok = newBearer(tok.AccessToken)
	}
	u.mu.Lock()
	u.call = nil
	if call.tok != nil {
		u.last = seal(call.tok)
	}
	u.mu.Unlock()
	close(call.done)
}

func (u *userTokenSource) refused(string) bool { return false }

func (u *userTokenSource) current() string {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.last.get == nil {
		return ""
	}
	return u.last.get().token
}

// bearerAuth sends requests with "Authorization: Bearer" and recovers from a refused token
// when its provider can: the request is repeated once with a new token. It sets the header
// on the request it is given, which do builds afresh for every attempt and never reuses.
type bearerAuth struct {
	base   http.RoundTripper
	tokens tokenProvider
}

// RoundTrip implements http.RoundTripper for requests built by do.
func (a *bearerAuth) RoundTrip(req *http.Request) (*http.Response, error) {
	tok, err := a.tokens.token(req.Context())
	if err != nil {
		closeRequestBody(req)
		return nil, err
	}
	req.Header["Authorization"] = tok.header
	resp, err := a.base.RoundTrip(req)
	if err != nil || resp.StatusCode != http.StatusUnauthorized || !a.tokens.refused(tok.token) {
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
