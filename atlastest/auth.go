package atlastest

import (
	"cmp"
	"crypto/md5"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// digestRealm is the realm Atlas names in its digest challenges.
const digestRealm = "MMS Public API"

// MaxNonces is the most digest nonces a Server holds. Every request without credentials is
// challenged with a new nonce, so without a bound a flood of them would grow the server's
// memory for the nonces' lifetime. Past the bound the oldest nonce is dropped; a client that
// answers it is challenged again with stale=true, as when a nonce wears out, and recovers.
const MaxNonces = 4096

// nonce is one digest nonce the server issued.
type nonce struct {
	issued time.Time
	uses   int
	seen   map[uint64]bool // nonce counts already used: a repeat is a replay
}

// authResult says how a request's credentials fared.
type authResult int

const (
	authOK      authResult = iota
	authMissing            // no Authorization header
	authBad                // wrong or malformed credentials
	authStale              // a correct digest response for a nonce that wore out
	authBearer             // a bearer token that is unknown, revoked or expired
)

// authenticate checks the request's credentials and, when they fail, answers 401 itself.
// Digest failures and missing credentials carry a fresh challenge; a failed bearer token does
// not, because a service-account client cannot answer one.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) bool {
	res, detail := s.checkCredentials(r)
	if res == authOK {
		return true
	}
	if res != authBearer {
		w.Header().Set("WWW-Authenticate", s.challenge(res == authStale))
	}
	writeAPIError(w, r, http.StatusUnauthorized, "UNAUTHORIZED", detail)
	return false
}

// checkCredentials classifies the Authorization header and gives a detail message for failures.
func (s *Server) checkCredentials(r *http.Request) (authResult, string) {
	h := r.Header.Get("Authorization")
	scheme, rest, _ := strings.Cut(h, " ")
	switch {
	case h == "":
		return authMissing, "You are not authorized for this resource."
	case strings.EqualFold(scheme, "Digest"):
		return s.checkDigest(r, rest)
	case strings.EqualFold(scheme, "Bearer"):
		return s.checkBearer(strings.TrimSpace(rest))
	default:
		return authBad, fmt.Sprintf("Unsupported authorization scheme %q.", scheme)
	}
}

// challenge issues a new nonce and returns the WWW-Authenticate value carrying it.
func (s *Server) challenge(stale bool) string {
	n := base64.StdEncoding.EncodeToString(randomBytes(24))
	s.mu.Lock()
	s.dropNonces(s.now())
	s.nonces[n] = &nonce{issued: s.now(), seen: map[uint64]bool{}}
	s.nonceOrder = append(s.nonceOrder, n)
	s.challenges++
	s.mu.Unlock()
	return fmt.Sprintf(`Digest realm="%s", nonce="%s", algorithm=MD5, qop="auth", stale=%t, opaque="%s"`,
		digestRealm, n, stale, s.opaque)
}

// dropNonces makes room for a nonce: it drops the oldest while the table is full, and those
// at its old end that can no longer authenticate. s.nonceOrder holds the keys of s.nonces in
// the order they were issued. Callers hold s.mu.
func (s *Server) dropNonces(now time.Time) {
	for len(s.nonceOrder) > 0 {
		oldest := s.nonceOrder[0]
		if n, ok := s.nonces[oldest]; ok && len(s.nonces) < MaxNonces && !s.nonceStale(n, now) {
			return
		}
		delete(s.nonces, oldest)
		s.nonceOrder = s.nonceOrder[1:]
	}
}

// Nonces returns how many digest nonces the server holds: at most MaxNonces.
func (s *Server) Nonces() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.nonces)
}

// pruneMap deletes the entries of m that stale reports, but only once m has doubled since the
// last pass (*next holds that size): a client that takes a new token on every call would
// otherwise make each grant scan every live entry, and the fake slow down as it runs.
func pruneMap[K comparable, V any](m map[K]V, next *int, stale func(V) bool) {
	if len(m) < *next {
		return
	}
	for k, v := range m {
		if stale(v) {
			delete(m, k)
		}
	}
	*next = max(64, 2*len(m))
}

// nonceStale reports whether n may no longer authenticate a request. Callers hold s.mu.
func (s *Server) nonceStale(n *nonce, now time.Time) bool {
	if s.cfg.nonceLifetime > 0 && !now.Before(n.issued.Add(s.cfg.nonceLifetime)) {
		return true
	}
	return n.uses >= cmp.Or(s.cfg.nonceUses, maxNonceUses)
}

// maxNonceUses is how many requests one nonce authenticates without WithNonceUses: each keeps
// its nonce count for the nonce's life, so an unbounded count would let a fast client fill the
// server's memory. A client answers the stale challenge that follows and goes on.
const maxNonceUses = 10_000

// ExpireNonces makes every digest nonce issued so far stale, so the next digest request of
// each client is re-challenged with stale=true.
func (s *Server) ExpireNonces() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.nonces)
	s.nonceOrder = nil
}

// checkDigest verifies an RFC 7616 digest response (MD5, qop=auth) against the server's own
// computation, then checks the nonce: only a correct response can be told its nonce is stale.
func (s *Server) checkDigest(r *http.Request, header string) (authResult, string) {
	p, err := parseAuthParams(header)
	if err != nil {
		return authBad, "Malformed digest authorization: " + err.Error() + "."
	}
	for _, k := range []string{"username", "realm", "nonce", "uri", "response", "qop", "nc", "cnonce"} {
		if p[k] == "" {
			return authBad, fmt.Sprintf("Digest authorization lacks %s.", k)
		}
	}
	switch {
	case p["username"] != s.cfg.publicKey:
		return authBad, "Invalid API key."
	case p["realm"] != digestRealm:
		return authBad, fmt.Sprintf("Digest realm must be %q.", digestRealm)
	case p["algorithm"] != "" && !strings.EqualFold(p["algorithm"], "MD5"):
		return authBad, "Digest algorithm must be MD5."
	case p["qop"] != "auth":
		return authBad, `Digest qop must be "auth".`
	case p["opaque"] != s.opaque:
		return authBad, "Digest opaque does not match the challenge."
	case p["uri"] != r.RequestURI:
		return authBad, "Digest uri does not match the request URI."
	}
	nc, err := strconv.ParseUint(p["nc"], 16, 64)
	if err != nil || len(p["nc"]) != 8 {
		return authBad, "Digest nc must be 8 hexadecimal digits."
	}
	ha1 := md5Hex(p["username"] + ":" + digestRealm + ":" + s.cfg.privateKey)
	ha2 := md5Hex(r.Method + ":" + p["uri"])
	want := md5Hex(strings.Join([]string{ha1, p["nonce"], p["nc"], p["cnonce"], "auth", ha2}, ":"))
	if subtle.ConstantTimeCompare([]byte(want), []byte(strings.ToLower(p["response"]))) != 1 {
		return authBad, "Invalid API key or digest response."
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	n, ok := s.nonces[p["nonce"]]
	if !ok || s.nonceStale(n, s.now()) {
		return authStale, "The digest nonce is stale; answer the new challenge."
	}
	if n.seen[nc] {
		return authStale, "The digest nonce count was already used."
	}
	n.seen[nc] = true
	n.uses++
	return authOK, ""
}

// md5Hex is the H() of RFC 7616 for the MD5 algorithm.
func md5Hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// parseAuthParams parses the comma-separated auth-params of an Authorization header:
// name=token or name="quoted string" with backslash escapes.
func parseAuthParams(s string) (map[string]string, error) {
	params := map[string]string{}
	for {
		s = strings.TrimLeft(s, " \t,")
		if s == "" {
			return params, nil
		}
		eq := strings.IndexByte(s, '=')
		if eq <= 0 {
			return nil, fmt.Errorf("expected name=value at %q", s)
		}
		name := strings.ToLower(strings.TrimSpace(s[:eq]))
		s = strings.TrimLeft(s[eq+1:], " \t")
		var value string
		if strings.HasPrefix(s, `"`) {
			var b strings.Builder
			i := 1
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) {
					i++
				}
				b.WriteByte(s[i])
			}
			if i >= len(s) {
				return nil, fmt.Errorf("unterminated quoted value of %s", name)
			}
			value, s = b.String(), s[i+1:]
		} else {
			end := strings.IndexByte(s, ',')
			if end < 0 {
				end = len(s)
			}
			value, s = strings.TrimSpace(s[:end]), s[end:]
		}
		params[name] = value
	}
}
