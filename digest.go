package atlas

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"iter"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
)

// maxStaleAnswers bounds how often one call answers a stale="true" challenge: the server
// said the credentials were right and only the nonce aged, so the call is repeated with the
// new nonce, but a server that calls every nonce stale is not answered forever.
const maxStaleAnswers = 3

// digestAuth signs requests with HTTP digest (RFC 7616) and owns its recovery. It learns the
// server's challenge once and signs every later request with it, so a steady-state call takes
// one round trip. While no challenge is known, one request goes out unsigned to fetch it and
// every other waits for it (each as long as its own context allows). A stale nonce is
// answered again, up to maxStaleAnswers times; a refusal that is not stale is final. A 401's
// body is read no further than a few KiB.
type digestAuth struct {
	base  http.RoundTripper
	user  string
	state sealed[*digestState]
}

// digestState is the challenge a client signs with, and the credential it signs.
type digestState struct {
	password string
	mu       sync.Mutex
	chal     *challenge    // nil until the first challenge
	fetching chan struct{} // closed when the request fetching the first challenge is done
}

// challenge is a parsed WWW-Authenticate: Digest header, with what signing needs of it.
type challenge struct {
	realm, nonce, opaque, algorithm string
	qopAuth                         bool // the server offers qop=auth
	stale                           bool
	ha1                             string // H(user:realm:password), or the -sess base
	nc                              uint32 // nonce count, under digestState.mu
}

func newDigestAuth(user string, password sealed[string], base http.RoundTripper) *digestAuth {
	return &digestAuth{base: base, user: user, state: seal(&digestState{password: password.get()})}
}

// RoundTrip implements http.RoundTripper for requests built by do.
func (d *digestAuth) RoundTrip(req *http.Request) (*http.Response, error) {
	st := d.state.get()
	chal, err := st.wait(req)
	if err != nil {
		closeRequestBody(req)
		return nil, err
	}
	for staleAnswers := 0; ; {
		if chal != nil {
			req.Header["Authorization"] = []string{d.sign(st, chal, req)}
		}
		resp, err := d.base.RoundTrip(req)
		var next, answer *challenge
		if err == nil && resp.StatusCode == http.StatusUnauthorized {
			if next = parseChallenge(resp.Header.Values("WWW-Authenticate")); next != nil {
				answer = st.learn(d.user, next)
			}
		}
		if chal == nil {
			st.fetched() // learned or not, the waiters may go on
		}
		if next == nil {
			return resp, err
		}
		if chal != nil && (!next.stale || staleAnswers == maxStaleAnswers) {
			return resp, nil // the credentials were refused
		}
		if chal != nil {
			staleAnswers++
		}
		again, ok := replayable(req)
		if !ok {
			return resp, nil
		}
		discard(resp)
		// The nonce this answer brought, not the one learned last: under load with nonces good
		// for a few requests, every caller answering the latest one would wear it out at once.
		req, chal = again, answer
	}
}

// wait returns the challenge to sign with. With none known yet it returns nil to one caller,
// who fetches it, and makes the others wait until that request is done or their context ends.
func (st *digestState) wait(req *http.Request) (*challenge, error) {
	for {
		st.mu.Lock()
		chal, fetching := st.chal, st.fetching
		if chal == nil && fetching == nil {
			st.fetching = make(chan struct{})
		}
		st.mu.Unlock()
		if chal != nil || fetching == nil {
			return chal, nil
		}
		select {
		case <-fetching:
		case <-req.Context().Done():
			return nil, req.Context().Err()
		}
	}
}

// fetched releases the callers waiting for the first challenge.
func (st *digestState) fetched() {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.fetching != nil {
		close(st.fetching)
		st.fetching = nil
	}
}

// learn makes c the challenge to sign with, unless a request already learned the same nonce,
// and returns the challenge that answers c: that one, or c.
func (st *digestState) learn(user string, c *challenge) *challenge {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.chal != nil && st.chal.nonce == c.nonce && st.chal.realm == c.realm {
		return st.chal
	}
	c.ha1 = digestHash(c.algorithm, user+":"+c.realm+":"+st.password)
	st.chal = c
	return c
}

// sign builds the Authorization header of req for chal (RFC 7616 section 3.4).
func (d *digestAuth) sign(st *digestState, chal *challenge, req *http.Request) string {
	st.mu.Lock()
	chal.nc++
	nc := chal.nc
	st.mu.Unlock()
	const hexDigits = "0123456789abcdef"
	var ncBuf [8]byte
	for i := 7; i >= 0; i-- {
		ncBuf[i] = hexDigits[nc&0xf]
		nc >>= 4
	}
	ncs := string(ncBuf[:])
	var cnBuf [8]byte
	binary.LittleEndian.PutUint64(cnBuf[:], rand.Uint64())
	cnonce := hex.EncodeToString(cnBuf[:])
	uri := req.URL.RequestURI()
	ha1 := chal.ha1
	if strings.HasSuffix(strings.ToLower(chal.algorithm), "-sess") {
		ha1 = digestHash(chal.algorithm, ha1+":"+chal.nonce+":"+cnonce)
	}
	ha2 := digestHash(chal.algorithm, req.Method+":"+uri)
	var response string
	if chal.qopAuth {
		response = digestHash(chal.algorithm, ha1+":"+chal.nonce+":"+ncs+":"+cnonce+":auth:"+ha2)
	} else {
		response = digestHash(chal.algorithm, ha1+":"+chal.nonce+":"+ha2)
	}
	var b strings.Builder
	b.Grow(256 + len(uri))
	b.WriteString(`Digest username="` + quoteEscape(d.user) + `", realm="` + quoteEscape(chal.realm) +
		`", nonce="` + quoteEscape(chal.nonce) + `", uri="` + quoteEscape(uri) + `", response="` + response + `"`)
	if chal.algorithm != "" {
		b.WriteString(", algorithm=" + chal.algorithm)
	}
	if chal.opaque != "" {
		b.WriteString(`, opaque="` + quoteEscape(chal.opaque) + `"`)
	}
	if chal.qopAuth {
		b.WriteString(`, qop=auth, nc=` + ncs + `, cnonce="` + cnonce + `"`)
	}
	return b.String()
}

// digestHash is the hex digest of s with the challenge's algorithm: SHA-256 when it names
// it, MD5 otherwise (Atlas's, and the default of RFC 7616).
func digestHash(algorithm, s string) string {
	if strings.HasPrefix(strings.ToUpper(algorithm), "SHA-256") {
		sum := sha256.Sum256([]byte(s))
		return hex.EncodeToString(sum[:])
	}
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// parseChallenge returns the first Digest challenge among WWW-Authenticate values that this
// client can answer, or nil: a challenge without realm or nonce, or with an algorithm other
// than MD5 and SHA-256 (and their -sess forms), cannot be signed.
func parseChallenge(values []string) *challenge {
	for _, v := range values {
		scheme, params, _ := strings.Cut(strings.TrimSpace(v), " ")
		if !strings.EqualFold(scheme, "Digest") {
			continue
		}
		c := &challenge{}
		for key, value := range authParams(params) {
			switch strings.ToLower(key) {
			case "realm":
				c.realm = value
			case "nonce":
				c.nonce = value
			case "opaque":
				c.opaque = value
			case "algorithm":
				c.algorithm = value
			case "stale":
				c.stale = strings.EqualFold(value, "true")
			case "qop":
				for q := range strings.SplitSeq(value, ",") {
					c.qopAuth = c.qopAuth || strings.EqualFold(strings.TrimSpace(q), "auth")
				}
			}
		}
		switch strings.ToUpper(c.algorithm) {
		case "", "MD5", "MD5-SESS", "SHA-256", "SHA-256-SESS":
		default:
			continue
		}
		if c.realm != "" && c.nonce != "" {
			return c
		}
	}
	return nil
}

// authParams yields the name=value pairs of an auth-param list, unquoting quoted values.
func authParams(s string) iter.Seq2[string, string] {
	return func(yield func(string, string) bool) {
		for {
			s = strings.TrimLeft(s, " \t,")
			name, rest, ok := strings.Cut(s, "=")
			if !ok {
				return
			}
			name, rest = strings.TrimSpace(name), strings.TrimLeft(rest, " \t")
			var value strings.Builder
			if strings.HasPrefix(rest, `"`) {
				i := 1
				for ; i < len(rest) && rest[i] != '"'; i++ {
					if rest[i] == '\\' && i+1 < len(rest) {
						i++
					}
					value.WriteByte(rest[i])
				}
				s = rest[min(i+1, len(rest)):]
			} else {
				end := strings.IndexByte(rest, ',')
				if end < 0 {
					end = len(rest)
				}
				value.WriteString(strings.TrimSpace(rest[:end]))
				s = rest[end:]
			}
			if !yield(name, value.String()) {
				return
			}
		}
	}
}

// quoteEscape escapes a value for a quoted-string.
func quoteEscape(s string) string {
	if !strings.ContainsAny(s, `"\`) {
		return s
	}
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s)
}
