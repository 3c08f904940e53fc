package atlastest

import (
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// checkBearer accepts a token the token endpoint granted that is neither revoked nor expired.
func (s *Server) checkBearer(token string) (authResult, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	exp, ok := s.tokens[token]
	switch {
	case !ok:
		return authBearer, "Invalid or revoked access token."
	case !s.now().Before(exp):
		return authBearer, "The access token has expired."
	}
	return authOK, ""
}

// oauthError is the RFC 6749 §5.2 error body of the token and revocation endpoints.
type oauthError struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description,omitempty"`
}

// tokenResponse is the RFC 6749 §5.1 answer of the token endpoint.
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
}

// writeOAuthError answers a token or revocation request that failed.
func writeOAuthError(w http.ResponseWriter, r *http.Request, status int, code, desc string) {
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="`+digestRealm+`"`)
	}
	w.Header().Set("Cache-Control", "no-store")
	writeBody(w, r, status, mediaTypeJSON, oauthError{Error: code, ErrorDescription: desc})
}

// clientAuthenticated checks HTTP Basic client credentials. RFC 6749 §2.3.1 has clients
// form-encode the id and secret before Basic encoding them, so both are unescaped first.
func (s *Server) clientAuthenticated(r *http.Request) bool {
	id, secret, ok := r.BasicAuth()
	if !ok {
		return false
	}
	id, err1 := url.QueryUnescape(id)
	secret, err2 := url.QueryUnescape(secret)
	if err1 != nil || err2 != nil {
		return false
	}
	idOK := subtle.ConstantTimeCompare([]byte(id), []byte(s.cfg.clientID))
	secretOK := subtle.ConstantTimeCompare([]byte(secret), []byte(s.cfg.clientSecret))
	return idOK&secretOK == 1
}

// clientForm authenticates the service account of an OAuth request and parses its form; when
// either fails it answers with the OAuth error itself and reports false.
func (s *Server) clientForm(w http.ResponseWriter, r *http.Request) bool {
	if !s.clientAuthenticated(r) {
		writeOAuthError(w, r, http.StatusUnauthorized, "invalid_client", "Client authentication failed.")
		return false
	}
	if err := r.ParseForm(); err != nil {
		writeOAuthError(w, r, http.StatusBadRequest, "invalid_request", "The form body cannot be parsed.")
		return false
	}
	return true
}

// grantToken serves POST /api/oauth/token (client credentials grant).
func (s *Server) grantToken(w http.ResponseWriter, r *http.Request) {
	if !s.clientForm(w, r) {
		return
	}
	switch gt := r.PostForm.Get("grant_type"); gt {
	case "client_credentials":
	case "":
		writeOAuthError(w, r, http.StatusBadRequest, "invalid_request", "grant_type is required.")
		return
	default:
		writeOAuthError(w, r, http.StatusBadRequest, "unsupported_grant_type",
			fmt.Sprintf("Grant type %q is not supported.", gt))
		return
	}
	if !s.allowGrant(w, r) {
		return
	}
	token := base64.RawURLEncoding.EncodeToString(randomBytes(32))
	s.mu.Lock()
	now := s.now()
	pruneMap(s.tokens, &s.prunes.tokens, func(exp time.Time) bool { return !now.Before(exp) })
	if limit := s.cfg.liveTokenLimit; limit > 0 && s.liveTokens(now) >= limit {
		s.mu.Unlock()
		writeOAuthError(w, r, http.StatusForbidden, "access_denied",
			"Access Token limit reached. Please use the existing Access Tokens or create a new Service Account.")
		return
	}
	s.tokens[token] = now.Add(s.cfg.tokenLifetime)
	s.grants++
	s.mu.Unlock()

	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	writeBody(w, r, http.StatusOK, mediaTypeJSON, tokenResponse{
		AccessToken: token,
		TokenType:   "Bearer",
		ExpiresIn:   int64(s.cfg.tokenLifetime / time.Second),
	})
}

// revokeToken serves POST /api/oauth/revoke (RFC 7009): it answers 200 whether or not the
// token was known, so a client cannot probe for valid tokens.
func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request) {
	if !s.clientForm(w, r) {
		return
	}
	token := r.PostForm.Get("token")
	if token == "" {
		writeOAuthError(w, r, http.StatusBadRequest, "invalid_request", "token is required.")
		return
	}
	s.mu.Lock()
	if exp, ok := s.tokens[token]; ok && s.now().Before(exp) {
		s.revocations++
	}
	delete(s.tokens, token)
	s.mu.Unlock()
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
}

// RevokeTokens revokes every access token granted so far, as if an administrator had
// rotated the service account's secret; clients must fetch a new token.
func (s *Server) RevokeTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.tokens)
}

// allowGrant applies the grant rate limit, answering a refused grant as Atlas does: 429
// RATE_LIMITED with the limit in its detail, and Retry-After.
func (s *Server) allowGrant(w http.ResponseWriter, r *http.Request) bool {
	lim := s.tokenLimiter
	if lim == nil {
		return true
	}
	now := s.now()
	if lim.AllowN(now, 1) {
		return true
	}
	w.Header().Set("Retry-After", strconv.Itoa(retryAfterSeconds(lim.Limit(), lim.TokensAt(now))))
	writeAPIError(w, r, http.StatusTooManyRequests, "RATE_LIMITED",
		fmt.Sprintf("Resource %s is limited to %d requests every 1 minutes.", tokenPath, lim.Burst()))
	return false
}

// liveTokens counts the tokens neither expired nor revoked. Callers hold s.mu.
func (s *Server) liveTokens(now time.Time) int {
	n := 0
	for _, exp := range s.tokens {
		if now.Before(exp) {
			n++
		}
	}
	return n
}
