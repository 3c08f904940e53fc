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
	sha256, sess                    bool   // the algorithm is SHA-256, and a -sess one
	ha1                             string // H(user:realm:password), or the -sess base
	// header and tail are the parts of the Authorization header that every request signed
	// with this challenge shares: up to the uri's value, and the algorithm and opaque.
	header, tail string
	nc           uint32 // nonce count, under digestState.mu
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
			req.Header["Authorization"] = d.sign(st, chal, req)
		}
		resp, err := d.base.RoundTrip(req)
		var next, answer *challenge
		if err == nil && resp.StatusCode == http.StatusUnauthorized {
			if next = parseChallenge(resp.Header.Values("WWW-Authenticate")); next != nil {
				answer = st.prepare(d.user, next)
				if chal == nil {
					st.adopt(answer) // the first challenge: the waiters sign with it
				}
			}
		}
		if chal == nil {
			st.fetched() // learned or not, the waiters may go on
		}
		if next == nil {
			if staleAnswers > 0 && err == nil && resp.StatusCode != http.StatusUnauthorized {
				// The nonce a stale answer brought is shared only once it has worked: shared
				// at once, with nonces good for one request, other callers could use it up
				// first, again and again, until this call ran out of answers.
				st.adopt(chal)
			}
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

// prepare returns the challenge that answers c, ready to sign with: the one held, when it has
// the same nonce, or c with its shared parts built. It does not make c the one held.
func (st *digestState) prepare(user string, c *challenge) *challenge {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.chal != nil && st.chal.nonce == c.nonce && st.chal.realm == c.realm {
		return st.chal
	}
	var sum [sha256.Size * 2]byte
	c.ha1 = string(c.hexSum(&sum, []byte(user+":"+c.realm+":"+st.password)))
	c.header = `Digest username="` + quoteEscape(user) + `", realm="` + quoteEscape(c.realm) +
		`", nonce="` + quoteEscape(c.nonce) + `", uri="`
	if c.algorithm != "" {
		c.tail = ", algorithm=" + c.algorithm
	}
	if c.opaque != "" {
		c.tail += `, opaque="` + quoteEscape(c.opaque) + `"`
	}
	return c
}

// adopt makes c the challenge every request signs with from now on.
func (st *digestState) adopt(c *challenge) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.chal = c
}

// sign builds the Authorization header of req for chal (RFC 7616 section 3.4). It hashes
// into buffers on the stack: the header and its slice are its only allocations.
func (d *digestAuth) sign(st *digestState, chal *challenge, req *http.Request) []string {
	st.mu.Lock()
	chal.nc++
	nc := chal.nc
	st.mu.Unlock()
	const hexDigits = "0123456789abcdef"
	var ncs [8]byte
	for i := 7; i >= 0; i-- {
		ncs[i] = hexDigits[nc&0xf]
		nc >>= 4
	}
	var cnRaw [8]byte
	binary.LittleEndian.PutUint64(cnRaw[:], rand.Uint64())
	var cnonce [16]byte
	hex.Encode(cnonce[:], cnRaw[:])
	uri := req.URL.RequestURI()

	var scratch [256]byte
	var ha1Sum, ha2Sum, respSum [sha256.Size * 2]byte
	ha1 := append(ha1Sum[:0], chal.ha1...)
	if chal.sess {
		b := append(append(append(append(append(scratch[:0], chal.ha1...), ':'), chal.nonce...), ':'), cnonce[:]...)
		ha1 = chal.hexSum(&ha1Sum, b)
	}
	ha2 := chal.hexSum(&ha2Sum, append(append(append(scratch[:0], req.Method...), ':'), uri...))
	b := append(append(append(scratch[:0], ha1...), ':'), chal.nonce...)
	if chal.qopAuth {
		b = append(append(append(append(append(b, ':'), ncs[:]...), ':'), cnonce[:]...), ":auth"...)
	}
	response := chal.hexSum(&respSum, append(append(b, ':'), ha2...))

	var h strings.Builder
	h.Grow(len(chal.header) + len(uri) + len(chal.tail) + 128)
	h.WriteString(chal.header)
	h.WriteString(quoteEscape(uri))
	h.WriteString(`", response="`)
	h.Write(response)
	h.WriteByte('"')
	h.WriteString(chal.tail)
	if chal.qopAuth {
		h.WriteString(`, qop=auth, nc=`)
		h.Write(ncs[:])
		h.WriteString(`, cnonce="`)
		h.Write(cnonce[:])
		h.WriteByte('"')
	}
	return []string{h.String()}
}

// hexSum puts the hex digest of data with the challenge's algorithm in dst and returns it:
// SHA-256 when the algorithm names it, MD5 otherwise (Atlas's, and the default of RFC 7616).
func (c *challenge) hexSum(dst *[sha256.Size * 2]byte, data []byte) []byte {
	if c.sha256 {
		sum := sha256.Sum256(data)
		return dst[:hex.Encode(dst[:], sum[:])]
	}
	sum := md5.Sum(data)
	return dst[:hex.Encode(dst[:], sum[:])]
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
		switch alg := strings.ToUpper(c.algorithm); alg {
		case "", "MD5", "MD5-SESS", "SHA-256", "SHA-256-SESS":
			c.sha256 = strings.HasPrefix(alg, "SHA-256")
			c.sess = strings.HasSuffix(alg, "-SESS")
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
